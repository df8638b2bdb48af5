"""`mlops monitor ...`: model quality with late labels, and the history of every check."""

from __future__ import annotations

from pathlib import Path

import click

from ml.commands.base import (
    DIRECTORY,
    FORMAT,
    Context,
    pass_context,
    progress,
    raise_failure,
    raise_violations,
    shared_options,
)


@click.group()
def monitor() -> None:
    """Model quality with late labels, and the history of every data- and model-quality check."""


@monitor.command("quality")
@click.option(
    "--predictions",
    "predictions_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="predictions.csv written by `mlops infer`.",
)
@click.option(
    "--labels",
    "labels_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV with the id column and the true label, e.g. <work_dir>/data/batch-labels.csv.",
)
@click.option("--output-dir", type=DIRECTORY, help="Default: the run's folder.")
@shared_options
@pass_context
def monitor_quality(obj: Context, predictions_path: Path, labels_path: Path, output_dir: Path | None) -> None:
    """Join predictions with their true labels and check the metrics against the scoring version's."""
    from ml.errors import ModelQualityViolationError
    from ml.monitoring.guidance import summarize_model_quality
    from ml.orchestration.workflows import run_model_quality

    config, workspace, services = obj.services()
    outcome = run_model_quality(
        config, services, workspace, predictions_path, labels_path, output_dir, progress=progress
    )
    record = outcome.run.record
    if record.status == "failed":
        raise_failure(outcome.run)
    values = outcome.run.values
    click.echo("\n".join(summarize_model_quality(values["model_quality"], values["quality_constraints"])))
    click.echo(f"report: {outcome.report_html}")
    if record.status == "rejected":
        what = f"predictions {predictions_path} violate the model-quality constraints"
        raise_violations(outcome, ModelQualityViolationError, what)


@monitor.command("history")
@click.option("--kind", type=click.Choice(["data_quality", "model_quality"]), help="Default: both.")
@click.option("--feature", help="Every number recorded about one feature (drift, mean, tests, ...).")
@click.option("--metric", help="One metric's value, standard deviation and threshold.")
@click.option(
    "--since",
    callback=lambda ctx, param, value: _iso_time(value),
    help="Only checks at or after this UTC time (ISO 8601, e.g. 2026-01-31).",
)
@FORMAT
@shared_options
@pass_context
def monitor_history(
    obj: Context,
    kind: str | None,
    feature: str | None,
    metric: str | None,
    since: str | None,
    output_format: str,
) -> None:
    """One row per recorded check, one column per feature or metric, with a sparkline per column."""
    from ml.monitoring.trends import history_trends, render_trend, trends_json
    from ml.orchestration.workflows import monitoring_history

    config = obj.config()
    history = monitoring_history(obj.workspace(config))
    try:
        trends = history_trends(
            lambda name: history.list_checks(config.model_group, name, since), kind, feature, metric
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(trends_json(trends) if output_format == "json" else "\n\n".join(map(render_trend, trends)))


def _iso_time(value: str | None) -> str | None:
    """Refuse a --since that is not a date or time, instead of silently matching nothing."""
    from datetime import datetime

    if value is None:
        return None
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date or time, e.g. 2026-01-31") from None
    return value
