"""`mlops approve/reject`, `registry ...` and `policy check`: the model registry and its governance."""

from __future__ import annotations

from pathlib import Path

import click

from ml.commands.base import FORMAT, VERSION, Context, pass_context, progress, shared_options


def _not_blank(ctx: click.Context, param: click.Parameter, value: str) -> str:
    # An empty approver or reason would leave an audit trail entry that explains nothing.
    if not value.strip():
        raise click.BadParameter("must not be blank")
    return value.strip()


def status_change_options(command):
    """--version, --by and --reason, shared by approve and reject."""
    command = click.option(
        "--reason", required=True, callback=_not_blank, help="Why; recorded in the version's history."
    )(command)
    command = click.option("--by", required=True, callback=_not_blank, help="Who decides (recorded).")(
        command
    )
    return click.option("--version", type=VERSION, required=True)(command)


@click.command()
@status_change_options
@click.option("--evidence", default="", help="Pull request, run or report the decision rests on.")
@click.option(
    "--allow-downgrade", is_flag=True, help="Approve an older version than the newest ever approved."
)
@click.option("--downgrade-reason", default="", help="Why rolling back is right (with --allow-downgrade).")
@click.option(
    "--pr-body", type=click.Path(dir_okay=False, path_type=Path), help="Where to write the PR text."
)
@shared_options
@pass_context
def approve(obj: Context, pr_body: Path | None, **decision) -> None:
    """Approve a version: in the registry (approvals.mode direct) or in the approval file (pull_request)."""
    config, registry = obj.registry()
    decision["approved_by"] = decision.pop("by")
    if config.approvals.mode == "direct":
        from ml.registry.gitops import approve_directly

        for version in approve_directly(config, registry, decision):
            click.echo(f"{version.model_group} version {version.version}: {version.status}")
        return
    from ml.orchestration.services import build_statistics_reader
    from ml.registry.gitops import request_approval

    reader = build_statistics_reader(config, obj.workspace(config))
    request = request_approval(config, obj.config_dir_or_default(), registry, decision, reader)
    target = pr_body or obj.workspace(config).root / "approvals" / f"{config.name}-v{decision['version']}.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(request.body, encoding="utf-8")
    click.echo(f"updated {request.path}; pull-request description: {target}\nopen a pull request with both")


@click.command()
@status_change_options
@shared_options
@pass_context
def reject(obj: Context, version: int, by: str, reason: str) -> None:
    """Reject a version (a rejected version can never be approved): in the registry or the approval file."""
    config, registry = obj.registry()
    if config.approvals.mode == "direct":
        updated = registry.set_status(config.model_group, version, "Rejected", reason=reason, changed_by=by)
        click.echo(f"{updated.model_group} version {updated.version}: {updated.status}")
        return
    from ml.registry.gitops import request_rejection

    path = request_rejection(
        config, obj.config_dir_or_default(), registry, config.model_group, version, by=by, reason=reason
    )
    click.echo(f"recorded the rejection in {path}; open a pull request")


@click.group()
def registry() -> None:
    """Inspect the model registry."""


@registry.command("list")
@FORMAT
@shared_options
@pass_context
def registry_list(obj: Context, output_format: str) -> None:
    """List every version of the environment's model group."""
    from ml.render import render_versions

    config, registry = obj.registry()
    click.echo(render_versions(registry.list_versions(config.model_group), output_format))


@registry.command("sync")
@click.option("--dry-run", is_flag=True, help="Print the plan and stop.")
@click.option("--enforce", is_flag=True, help="Also revert approvals that exist only in the registry.")
@shared_options
@pass_context
def registry_sync(obj: Context, dry_run: bool, enforce: bool) -> None:
    """Make the registry agree with configs/<env>/approved-model.yaml (plan, then apply)."""
    from ml.registry.gitops import sync_environment

    config, registry = obj.registry()
    sync_environment(
        config, obj.config_dir_or_default(), registry, dry_run=dry_run, enforce=enforce, progress=click.echo
    )


@registry.command("show")
@click.option("--version", type=VERSION, required=True)
@FORMAT
@shared_options
@pass_context
def registry_show(obj: Context, version: int, output_format: str) -> None:
    """Show one version with its metrics, lineage and history."""
    from ml.render import render_version

    config, registry = obj.registry()
    click.echo(render_version(registry.get(config.model_group, version), output_format))


@click.group()
def policy() -> None:
    """Model-governance checks (run on every pull request)."""


BASE_HELP = (
    "Branch the pull request targets, e.g. origin/main: a prior approval counts only if committed there. "
    "Default: the merge-base of HEAD with origin/main if that ref exists, else HEAD; never the work tree."
)


@policy.command("check")
@click.option("--base", "base", metavar="REF", help=BASE_HELP)
@shared_options
@pass_context
def policy_check(obj: Context, base: str | None) -> None:
    """Check the approval files against the governance rules; one line per violation."""
    from ml.errors import PolicyViolationError
    from ml.registry.approvals import environments_with_approvals
    from ml.registry.gitops import check_environment_policy

    envs = [obj.env] if obj.env else environments_with_approvals(obj.config_dir_or_default())
    problems = []
    for env in envs:
        scoped = Context(env, obj.config_dir, obj.work_dir)
        config, registry = scoped.registry()
        config_dir = scoped.config_dir_or_default()
        problems += check_environment_policy(config, config_dir, registry, base=base, note=progress)
    click.echo("\n".join(problems) or f"policy ok: {', '.join(envs) or 'no approval files'}")
    if problems:
        raise PolicyViolationError(f"{len(problems)} governance violation(s)")
