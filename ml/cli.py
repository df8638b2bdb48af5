"""`mlops`: parse, call the library, render, exit. Heavy modules are imported inside each command."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import click

from ml.errors import MlopsError


@dataclass
class Context:
    """Options every command shares; set at the group (`mlops --env prod ...`) or the command."""

    env: str = "local"
    config_dir: Path | None = None
    work_dir: Path | None = None

    def config(self):
        from ml.config.loader import load_environment

        return load_environment(self.env, self.config_dir)

    def workspace(self, config=None):
        from ml.orchestration.services import Workspace

        config = config or self.config()
        return Workspace((self.work_dir or Path(config.local.work_dir)).resolve())

    def services(self):
        from ml.orchestration.services import build_services

        config = self.config()
        workspace = self.workspace(config)
        return config, workspace, build_services(config, workspace)


class MlopsGroup(click.Group):
    """Turns library errors into one clear line on stderr and the error's documented exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except MlopsError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)


def progress(message: str) -> None:
    click.echo(message, err=True)


def _store(field: str):
    def callback(ctx: click.Context, param: click.Parameter, value):
        if value is not None:
            setattr(ctx.ensure_object(Context), field, value)

    return callback


DIRECTORY = click.Path(file_okay=False, path_type=Path)
SHARED_OPTIONS = (
    click.option(
        "--env", callback=_store("env"), expose_value=False, help="Environment folder under configs/ [local]."
    ),
    click.option(
        "--config-dir",
        type=DIRECTORY,
        callback=_store("config_dir"),
        expose_value=False,
        help="Folder holding <env>/environment.yaml [the repo's configs/].",
    ),
    click.option(
        "--work-dir",
        type=DIRECTORY,
        callback=_store("work_dir"),
        expose_value=False,
        help="Where the local backend keeps its state [local.work_dir].",
    ),
)


def shared_options(command):
    """--env, --config-dir and --work-dir, accepted before or after the command name."""
    for option in reversed(SHARED_OPTIONS):
        command = option(command)
    return command


@click.group(cls=MlopsGroup)
@shared_options
@click.version_option(package_name="mlops-gitops")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """GitOps MLOps: prepare data, train, approve, score and monitor models declared in git."""
    ctx.ensure_object(Context)


pass_context = click.make_pass_decorator(Context)


@cli.command()
@shared_options
@pass_context
def demo(obj: Context) -> None:
    """Run the five scenarios end to end in a fresh folder (--work-dir, default <local.work_dir>/demo)."""
    from ml.demo import run_demo

    config = obj.config()
    target = obj.work_dir or Path(config.local.work_dir) / "demo"
    summary = run_demo(config, target.resolve(), progress=progress)
    click.echo(summary)


@cli.group()
def data() -> None:
    """Data set preparation."""


@data.command("prepare")
@click.option(
    "--output-dir", type=click.Path(file_okay=False, path_type=Path), help="Default: <work_dir>/data."
)
@shared_options
@pass_context
def data_prepare(obj: Context, output_dir: Path | None) -> None:
    """Split the configured data set into train-part1/part2, batch and batch-outliers."""
    from ml.config.loader import default_config_dir, repository_root
    from ml.data.workflow import prepare_sample_data

    config = obj.config()
    source = repository_root(obj.config_dir or default_config_dir()) / config.dataset.source
    target = output_dir or obj.workspace(config).data_dir
    summary = prepare_sample_data(config, source, target)
    for count in summary.contract.counts:
        click.echo(f"{count.column}: {count.rows} row(s) {count.reason} -> {count.action}")
    click.echo(
        f"read {summary.contract.rows_in} rows, dropped {summary.contract.rows_dropped}; wrote to {target}:"
    )
    for name, rows in summary.row_counts.items():
        click.echo(f"  {name:<20} {rows:>6} rows")


@cli.command()
@click.option(
    "--data",
    "data_selector",
    multiple=True,
    default=("part1",),
    show_default=True,
    help="part1, part2, part1+part2, or CSV path(s) with a header; repeatable.",
)
@click.option("--by", "created_by", default="", help="Who trains (default: the OS user).")
@shared_options
@pass_context
def train(obj: Context, data_selector: tuple[str, ...], created_by: str) -> None:
    """Train, evaluate, gate, baseline and register a new version (pending approval)."""
    from ml.data.workflow import resolve_training_files
    from ml.errors import QualityGateRejectedError
    from ml.orchestration.workflows import run_train

    config, workspace, services = obj.services()
    paths = resolve_training_files(data_selector, workspace.data_dir)
    result = run_train(config, services, workspace, paths, created_by=created_by, progress=progress)
    if result.status == "rejected":
        raise QualityGateRejectedError(
            f"run {result.record.run_id}: not registered: {'; '.join(result.record.reasons)}"
        )
    if result.status == "failed":
        _raise_failure(result)
    version = result.values["model_version"]
    click.echo(
        f"registered {version.model_group} version {version.version} ({version.status}); "
        f"run {result.record.run_id}"
    )


@cli.command()
@click.option("--input", "input_path", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--output-dir", type=click.Path(file_okay=False, path_type=Path), help="Default: the run's folder."
)
@shared_options
@pass_context
def infer(obj: Context, input_path: Path, output_dir: Path | None) -> None:
    """Check a batch against the approved model's baseline and score it."""
    from ml.errors import DataQualityViolationError
    from ml.orchestration.workflows import run_inference

    config, workspace, services = obj.services()
    outcome = run_inference(config, services, workspace, input_path, output_dir, progress=progress)
    record = outcome.run.record
    if record.status == "succeeded":
        click.echo(
            f"predictions: {outcome.predictions_path} ({outcome.run.values['predictions'].rows} rows, "
            f"model version {outcome.run.values['model_version'].version})"
        )
        return
    if record.status == "failed":
        _raise_failure(outcome.run)
    click.echo("\n".join(f"  - {reason}" for reason in record.reasons), err=True)
    retrained = outcome.retraining
    note = f"; retraining run {retrained.record.run_id}: {retrained.status}" if retrained else ""
    raise DataQualityViolationError(
        f"batch {input_path} violates the baseline ({len(record.reasons)} violation(s)); "
        f"no predictions written; report: {outcome.report_dir / 'constraint_violations.json'}{note}"
    )


def _raise_failure(result) -> NoReturn:
    """Re-raise the step's own error (it names the file or version), or wrap an unexpected one."""
    from ml.errors import PipelineFailedError

    if isinstance(result.exception, MlopsError):
        raise result.exception
    raise PipelineFailedError(
        f"run {result.record.run_id} failed: {result.record.error} (record: {result.run_dir / 'run.json'})"
    )


def _set_status(obj: Context, version: int, status: str, by: str, reason: str) -> None:
    config, _, services = obj.services()
    updated = services.registry.set_status(config.model_group, version, status, reason=reason, changed_by=by)
    click.echo(f"{updated.model_group} version {updated.version}: {updated.status}")


def status_change_options(command):
    """--version, --by and --reason, shared by approve and reject."""
    command = click.option("--reason", required=True, help="Why; recorded in the version's history.")(command)
    command = click.option("--by", required=True, help="Who decides (recorded).")(command)
    return click.option("--version", type=int, required=True)(command)


@cli.command()
@status_change_options
@shared_options
@pass_context
def approve(obj: Context, version: int, by: str, reason: str) -> None:
    """Approve a pending version in the local registry."""
    _set_status(obj, version, "Approved", by, reason)


@cli.command()
@status_change_options
@shared_options
@pass_context
def reject(obj: Context, version: int, by: str, reason: str) -> None:
    """Reject a version in the local registry (a rejected version can never be approved)."""
    _set_status(obj, version, "Rejected", by, reason)


@cli.group()
def registry() -> None:
    """Inspect the model registry."""


FORMAT = click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table")


@registry.command("list")
@FORMAT
@shared_options
@pass_context
def registry_list(obj: Context, output_format: str) -> None:
    """List every version of the environment's model group."""
    from ml.render import render_versions

    config, _, services = obj.services()
    click.echo(render_versions(services.registry.list_versions(config.model_group), output_format))


@registry.command("show")
@click.option("--version", type=int, required=True)
@FORMAT
@shared_options
@pass_context
def registry_show(obj: Context, version: int, output_format: str) -> None:
    """Show one version with its metrics, lineage and history."""
    from ml.render import render_version

    config, _, services = obj.services()
    click.echo(render_version(services.registry.get(config.model_group, version), output_format))


@cli.group()
def config() -> None:
    """Environment configuration."""


@config.command("validate")
@shared_options
@pass_context
def config_validate(obj: Context) -> None:
    """Validate the environment file against the schema."""
    loaded = obj.config()
    click.echo(f"{loaded.name}: valid ({loaded.backend} backend, model group {loaded.model_group})")


def main() -> None:
    cli(prog_name="mlops")
