"""`mlops demo`, `data prepare`, `train` and `infer`: the pipelines as a user runs them."""

from __future__ import annotations

from pathlib import Path

import click

from ml.commands.base import Context, pass_context, progress, raise_failure, raise_violations, shared_options


@click.command()
@shared_options
@pass_context
def demo(obj: Context) -> None:
    """Run the five scenarios end to end in a fresh folder (--work-dir, default <local.work_dir>/demo)."""
    from ml.demo import run_demo

    config = obj.config()
    target = obj.work_dir or Path(config.local.work_dir) / "demo"
    summary = run_demo(config, target.resolve(), progress=progress)
    click.echo(summary)


@click.group()
def data() -> None:
    """Data set preparation."""


@data.command("prepare")
@click.option(
    "--output-dir", type=click.Path(file_okay=False, path_type=Path), help="Default: <work_dir>/data."
)
@shared_options
@pass_context
def data_prepare(obj: Context, output_dir: Path | None) -> None:
    """Split the data set into train-part1/part2, batch, batch-outliers and the locked evaluation set."""
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
    click.echo(f"locked evaluation set: evaluation.csv, sha256 {summary.evaluation_sha256}")


@click.command()
@click.option(
    "--data",
    "data_selector",
    multiple=True,
    default=("part1",),
    show_default=True,
    help="part1, part2, part1+part2, or CSV path(s) with a header; repeatable.",
)
@click.option(
    "--evaluation",
    "evaluation_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Locked evaluation set [<work_dir>/data/evaluation.csv]; versions compare only on the same one.",
)
@click.option("--by", "created_by", default="", help="Who trains (default: the OS user).")
@shared_options
@pass_context
def train(
    obj: Context, data_selector: tuple[str, ...], evaluation_path: Path | None, created_by: str
) -> None:
    """Train, evaluate (own test split, locked evaluation set, k-fold CV), gate, baseline and register."""
    from ml.data.workflow import resolve_training_files
    from ml.errors import QualityGateRejectedError
    from ml.orchestration.workflows import run_train

    config, workspace, services = obj.services()
    paths = resolve_training_files(data_selector, workspace.data_dir)
    result = run_train(
        config,
        services,
        workspace,
        paths,
        evaluation_path=evaluation_path,
        created_by=created_by,
        progress=progress,
    )
    if result.status == "rejected":
        raise QualityGateRejectedError(
            f"run {result.record.run_id}: not registered: {'; '.join(result.record.reasons)}"
        )
    if result.status == "failed":
        raise_failure(result)
    version = result.values["model_version"]
    click.echo(
        f"registered {version.model_group} version {version.version} ({version.status}); "
        f"run {result.record.run_id}"
    )


@click.command()
@click.option("--input", "input_path", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--output-dir", type=click.Path(file_okay=False, path_type=Path), help="Default: the run's folder."
)
@click.option(
    "--output-format",
    type=click.Choice(["csv", "parquet"]),
    help="Default: the input's format (CSV or Parquet).",
)
@shared_options
@pass_context
def infer(obj: Context, input_path: Path, output_dir: Path | None, output_format: str | None) -> None:
    """Check a batch (CSV or Parquet) against the approved model's baseline and score it, in one pass."""
    from ml.errors import DataQualityViolationError
    from ml.orchestration.workflows import run_inference

    config, workspace, services = obj.services()
    outcome = run_inference(
        config, services, workspace, input_path, output_dir, output_format=output_format, progress=progress
    )
    record = outcome.run.record
    if record.status == "succeeded":
        click.echo(
            f"predictions: {outcome.predictions_path} ({outcome.run.values['predictions'].rows} rows, "
            f"model version {outcome.run.values['model_version'].version})"
        )
        click.echo(f"report: {outcome.report_html}")
        return
    if record.status == "failed":
        raise_failure(outcome.run)
    violations = outcome.report_dir / "constraint_violations.json"
    what = f"batch {input_path} violates the baseline; no predictions written; violations: {violations}"
    raise_violations(outcome, DataQualityViolationError, what)
