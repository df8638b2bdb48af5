"""`mlops approve/reject`, `registry ...` and `policy check`: the model registry and its governance."""

from __future__ import annotations

import os
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
    from ml.orchestration.services import build_scores_reader, build_statistics_reader

    workspace = obj.workspace(config)
    scores = build_scores_reader(config, workspace)
    if config.approvals.mode == "direct":
        from ml.registry.gitops import approve_directly

        for version in approve_directly(config, registry, decision, scores):
            click.echo(f"{version.model_group} version {version.version}: {version.status}")
        return
    from ml.registry.gitops import request_approval

    reader = build_statistics_reader(config, workspace)
    request = request_approval(config, obj.config_dir_or_default(), registry, decision, reader, scores)
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
        from ml.registry.gitops import reject_directly

        updated = reject_directly(config, registry, version, by=by, reason=reason)
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


def _in_ci() -> bool:
    # GitHub Actions sets this; there a missing identity or base is an error instead of a skipped check.
    return os.environ.get("GITHUB_ACTIONS") == "true"


def _pull_request(number: int | None, author: str | None, reviewers: str | None):
    """The change as the platform describes it; options win over the MLOPS_PR_* variables."""
    from ml.registry.gitops import PullRequest

    author = author if author is not None else os.environ.get("MLOPS_PR_AUTHOR")
    reviewers = reviewers if reviewers is not None else os.environ.get("MLOPS_PR_APPROVING_REVIEWERS")
    logins = None if reviewers is None else tuple(r.strip() for r in reviewers.split(",") if r.strip())
    return PullRequest(number, author.strip() if author else None, logins)


def identity_options(command):
    """--author and --approving-reviewers: filled by the workflow from the GitHub API."""
    command = click.option(
        "--approving-reviewers",
        metavar="LOGIN,LOGIN",
        help="Logins whose latest review approves the pull request [MLOPS_PR_APPROVING_REVIEWERS].",
    )(command)
    return click.option("--author", metavar="LOGIN", help="The pull request's author [MLOPS_PR_AUTHOR].")(
        command
    )


@registry.command("sync")
@click.option("--dry-run", is_flag=True, help="Print the plan and stop.")
@click.option("--enforce", is_flag=True, help="Also turn back changes made outside git (drift).")
@click.option(
    "--allow-dirty",
    is_flag=True,
    help="Sync a checkout that is not a clean commit of approvals.branch (local).",
)
@click.option(
    "--pr-number",
    type=click.IntRange(min=1),
    envvar="MLOPS_PR_NUMBER",
    help="The merged pull request [MLOPS_PR_NUMBER].",
)
@identity_options
@shared_options
@pass_context
def registry_sync(
    obj: Context,
    dry_run: bool,
    enforce: bool,
    allow_dirty: bool,
    pr_number: int | None,
    author: str | None,
    approving_reviewers: str | None,
) -> None:
    """Make the registry agree with configs/<env>/approved-model.yaml at HEAD (plan, lock, apply)."""
    from ml.registry.sync_run import sync_environment

    config, registry = obj.registry()
    sync_environment(
        config,
        obj.config_dir_or_default(),
        registry,
        dry_run=dry_run,
        enforce=enforce,
        allow_dirty=allow_dirty,
        pull_request=_pull_request(pr_number, author, approving_reviewers),
        strict=_in_ci(),
        progress=click.echo,
    )


@registry.command("audit")
@click.option("--head", "expected_head", metavar="N:HASH", help="The chain head a sync printed, to compare.")
@FORMAT
@shared_options
@pass_context
def registry_audit(obj: Context, expected_head: str | None, output_format: str) -> None:
    """Verify the audit chain of every decision and print the history (only --env's with --env)."""
    from ml.registry.audit import require_anchored, require_verified
    from ml.registry.audit_report import render_audit
    from ml.registry.gitops import audit_environment

    config, registry = obj.registry()
    report = audit_environment(config, registry)
    click.echo(render_audit(report, obj.env, output_format))
    require_verified(report)
    if expected_head is not None:
        require_anchored(report, expected_head)


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
    "Branch the pull request targets, e.g. origin/main: its environment files supply the rules. Required in "
    "CI; default elsewhere: the merge-base of HEAD with origin/main if that ref exists, else HEAD."
)


@policy.command("check")
@click.option("--base", "base", metavar="REF", help=BASE_HELP)
@identity_options
@shared_options
@pass_context
def policy_check(obj: Context, base: str | None, author: str | None, approving_reviewers: str | None) -> None:
    """Check the approval files against the base branch's governance rules; one line per violation."""
    from ml.errors import PolicyViolationError
    from ml.orchestration.services import build_scores_reader
    from ml.registry.approvals import environments_with_approvals
    from ml.registry.gitops import check_environment_policy

    envs = [obj.env] if obj.env else environments_with_approvals(obj.config_dir_or_default())
    pull_request = _pull_request(None, author, approving_reviewers)
    problems = []
    for env in envs:
        scoped = Context(env, obj.config_dir, obj.work_dir)
        config, registry = scoped.registry()
        config_dir = scoped.config_dir_or_default()
        scores = build_scores_reader(config, scoped.workspace(config))
        problems += check_environment_policy(
            config,
            config_dir,
            registry,
            base=base,
            pull_request=pull_request,
            strict=_in_ci(),
            note=progress,
            read_scores=scores,
        )
    click.echo("\n".join(problems) or f"policy ok: {', '.join(envs) or 'no approval files'}")
    if problems:
        raise PolicyViolationError(f"{len(problems)} governance violation(s)")
