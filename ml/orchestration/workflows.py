"""What the CLI and the demo call: load inputs, run a pipeline with the local runner, react to the outcome.

The reactions mirror the AWS wiring (EventBridge rule + a check of which step failed): only a data-quality
violation starts retraining; any other inference failure notifies people and stops.
"""

from __future__ import annotations

import getpass
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ml.artifacts.local import file_sha256
from ml.config.schema import EnvironmentConfig
from ml.errors import MlopsError
from ml.notify import EventKind, RunEvent
from ml.orchestration.local import LocalRunner, RunResult, new_run_id
from ml.orchestration.services import Services, Workspace

Progress = Callable[[str], None]


@dataclass(frozen=True)
class InferenceOutcome:
    """The inference run and, when its batch violated the baseline, the retraining run it started."""

    run: RunResult
    predictions_path: Path
    report_dir: Path
    retraining: RunResult | None = None

    @property
    def report_html(self) -> Path:
        """The check's HTML report; written whenever the data-quality check ran, passed or not."""
        return self.report_dir / "report.html"


@dataclass(frozen=True)
class ModelQualityOutcome:
    """The model-quality run and, when the labelled batch violated its constraints, the retraining run."""

    run: RunResult
    output_dir: Path
    retraining: RunResult | None = None

    @property
    def report_html(self) -> Path:
        """The check's HTML report; written whenever the metrics were computed, passed or not."""
        return self.output_dir / "report.html"


def run_train(
    config: EnvironmentConfig,
    services: Services,
    workspace: Workspace,
    data_paths: Sequence[Path],
    *,
    created_by: str = "",
    progress: Progress = lambda message: None,
) -> RunResult:
    """Train on the given files (concatenated), gate, baseline and register a pending version."""
    from ml.train.pipeline import TRAIN_PIPELINE

    run_id = new_run_id(TRAIN_PIPELINE.name)
    try:
        data, digests = _load_training_data(config, data_paths, progress)
    except MlopsError as exc:
        services.notifier.notify(RunEvent(EventKind.TRAIN_FAILED, "train", run_id, str(exc)))
        raise
    parameters = {
        "training_data": data,
        "dataset_spec": config.dataset,
        "training_params": config.training,
        "quality_gate": config.quality_gate,
        "monitoring_params": config.monitoring,
        "registry": services.registry,
        "registration": _registration_context(config, digests, created_by),
    }
    result = _runner(services, workspace, progress).run(TRAIN_PIPELINE, parameters, digests, run_id)
    if result.status == "succeeded":
        version = result.values["model_version"]
        again = version.lineage.get("run_id") != run_id
        message = (
            f"{version.model_group} version {version.version} "
            f"{'was already registered for this artifact' if again else 'registered'}, pending approval "
            f"(auc {version.metrics['auc']:.3f})"
        )
        details = {"version": version.version, "artifact_digest": version.artifact_digest}
        services.notifier.notify(RunEvent(EventKind.MODEL_REGISTERED, "train", run_id, message, details))
    return result


def run_inference(
    config: EnvironmentConfig,
    services: Services,
    workspace: Workspace,
    input_path: Path,
    output_dir: Path | None = None,
    *,
    output_format: str | None = None,
    progress: Progress = lambda message: None,
) -> InferenceOutcome:
    """Score a batch with the approved model after checking it; on violations, notify and retrain."""
    from ml.inference.pipeline import INFERENCE_PIPELINE, BatchSource
    from ml.inference.score import staging_path

    run_id = new_run_id(INFERENCE_PIPELINE.name)
    report_dir = output_dir or workspace.runs_dir / run_id
    predictions_path = report_dir / f"predictions.{output_format or _format_of(input_path)}"
    parameters = {
        "registry": services.registry,
        "artifacts": services.artifacts,
        "model_group": config.model_group,
        "batch": BatchSource(input_path, config.dataset, config.monitoring.chunk_rows),
        "predictions_path": predictions_path,
    }
    digests = {str(input_path): file_sha256(input_path)} if input_path.is_file() else {}
    result = _runner(services, workspace, progress).run(INFERENCE_PIPELINE, parameters, digests, run_id)
    _copy_outputs(result, "data_quality", report_dir)
    if "data_quality" in result.values:
        _publish_data_quality(workspace, result, report_dir, input_path)
    if result.status == "succeeded":
        return InferenceOutcome(result, predictions_path, report_dir)
    # An old predictions file beside a failed run's report could be taken for this run's output.
    predictions_path.unlink(missing_ok=True)
    staging_path(predictions_path).unlink(missing_ok=True)
    retraining = None
    if result.status == "rejected" and config.reactions.retrain_on_violation:
        retraining = _retrain(config, services, workspace, result, progress)
    return InferenceOutcome(result, predictions_path, report_dir, retraining)


def _format_of(path: Path) -> str:
    """Predictions are written in the batch's own format unless asked otherwise."""
    return "parquet" if path.suffix.lower() in (".parquet", ".pq") else "csv"


def run_model_quality(
    config: EnvironmentConfig,
    services: Services,
    workspace: Workspace,
    predictions_path: Path,
    labels_path: Path,
    output_dir: Path | None = None,
    *,
    progress: Progress = lambda message: None,
) -> ModelQualityOutcome:
    """Join scored predictions with their late labels and check the metrics against the scoring version's
    evaluation; on violations, notify and retrain exactly as for a data-quality violation."""
    from ml.monitoring.pipeline import MODEL_QUALITY_PIPELINE

    run_id = new_run_id(MODEL_QUALITY_PIPELINE.name)
    target = output_dir or workspace.runs_dir / run_id
    parameters = {
        "registry": services.registry,
        "model_group": config.model_group,
        "predictions_path": predictions_path,
        "labels_path": labels_path,
        "dataset_spec": config.dataset,
        "model_quality_params": config.model_quality,
    }
    digests = {str(path): file_sha256(path) for path in (predictions_path, labels_path) if path.is_file()}
    result = _runner(services, workspace, progress).run(MODEL_QUALITY_PIPELINE, parameters, digests, run_id)
    if "quality_violations" in result.values:
        _publish_model_quality(workspace, result, target, f"{predictions_path} + {labels_path}")
    retraining = None
    if result.status == "rejected" and config.reactions.retrain_on_violation:
        retraining = _retrain(config, services, workspace, result, progress)
    return ModelQualityOutcome(result, target, retraining)


def monitoring_history(workspace: Workspace):
    """The history of every data- and model-quality check of this work directory (`monitoring.db`)."""
    from ml.monitoring.history import SQLiteMonitoringHistory

    return SQLiteMonitoringHistory(workspace.root / "monitoring.db")


def _publish_data_quality(workspace: Workspace, result: RunResult, report_dir: Path, source: Path) -> None:
    from ml.monitoring.publish import publish_data_quality

    values = result.values
    publish_data_quality(
        monitoring_history(workspace),
        result.record.run_id,
        values["model_version"],
        values["data_quality"],
        values["baseline"],
        report_dir,
        str(source),
    )


def _publish_model_quality(workspace: Workspace, result: RunResult, output_dir: Path, source: str) -> None:
    from ml.monitoring.publish import publish_model_quality

    values = result.values
    publish_model_quality(
        monitoring_history(workspace),
        result.record.run_id,
        values["model_version"],
        values["model_quality"],
        values["quality_constraints"],
        values["quality_violations"],
        output_dir,
        source,
    )


def _retrain(config, services, workspace, violated: RunResult, progress: Progress) -> RunResult:
    from ml.data.workflow import resolve_training_files

    paths = resolve_training_files(("+".join(config.reactions.retrain_data),), workspace.data_dir)
    data = "+".join(config.reactions.retrain_data)
    message = f"retraining on {data} after violations in {violated.record.run_id}"
    details = {"trigger_run": violated.record.run_id, "data": [str(p) for p in paths]}
    services.notifier.notify(
        RunEvent(
            EventKind.RETRAINING_STARTED, violated.record.pipeline, violated.record.run_id, message, details
        )
    )
    return run_train(config, services, workspace, paths, created_by="retraining", progress=progress)


def _load_training_data(
    config: EnvironmentConfig, paths: Sequence[Path], progress: Progress
) -> tuple[pd.DataFrame, dict[str, str]]:
    from ml.data.io import read_table
    from ml.data.prepare import apply_data_contract

    frames, digests = [], {}
    for path in paths:
        contract = apply_data_contract(
            read_table(path, config.dataset, with_label=True), config.dataset, str(path)
        )
        for count in contract.counts:
            progress(
                f"    {path.name}: {count.rows} row(s) with {count.reason} {count.column} -> {count.action}"
            )
        frames.append(contract.data)
        digests[str(path)] = file_sha256(path)
    return pd.concat(frames, ignore_index=True), digests


def _registration_context(config: EnvironmentConfig, digests: dict[str, str], created_by: str):
    from ml.config.loader import default_config_dir, repository_root
    from ml.train.register import RegistrationContext

    return RegistrationContext(
        model_group=config.model_group,
        created_by=created_by or getpass.getuser(),
        data_digests=digests,
        code_version=code_version(repository_root(default_config_dir())),
        parameters={
            "training": config.training.model_dump(),
            "quality_gate": config.quality_gate.model_dump(),
        },
    )


def code_version(repo: Path) -> dict[str, str | bool]:
    """The git commit the code ran from, and whether the work tree had uncommitted changes."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=10)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "HEAD")
    return {
        "git_commit": commit or "unknown",
        "git_dirty": bool(commit) and bool(git("status", "--porcelain")),
    }


def _runner(services: Services, workspace: Workspace, progress: Progress) -> LocalRunner:
    return LocalRunner(services.artifacts, services.notifier, workspace.runs_dir, progress)


def _copy_outputs(result: RunResult, output: str, target: Path) -> None:
    source = result.run_dir / "outputs" / output
    if source.is_dir() and source.resolve() != target.resolve():
        target.mkdir(parents=True, exist_ok=True)
        for file in source.iterdir():
            shutil.copyfile(file, target / file.name)
