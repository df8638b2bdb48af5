"""What the CLI and the demo call: load inputs, run a pipeline with the local runner, react to the outcome.

The reactions mirror the AWS wiring (EventBridge rule + a check of which step failed): only a data-quality
violation starts retraining; any other inference failure notifies people and stops.
"""

from __future__ import annotations

import getpass
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ml.artifacts.local import file_sha256
from ml.config.schema import EnvironmentConfig
from ml.errors import MlopsError
from ml.notify import EventKind, RunEvent
from ml.orchestration.local import LocalRunner, RunResult, new_run_id
from ml.orchestration.outputs import claim_output_dir
from ml.orchestration.services import Services, Workspace

Progress = Callable[[str], None]
# Every file `mlops infer` may write into its report folder (the data-quality files, the HTML report, the
# predictions in either format and their staged copies); the folder's claim owns exactly these.
INFERENCE_OUTPUTS = (
    "constraint_violations.json",
    "statistics.json",
    "report.html",
    "predictions.csv",
    "predictions.parquet",
    ".predictions.csv.staged",
    ".predictions.parquet.staged",
)


@dataclass(frozen=True)
class InferenceOutcome:
    """The inference run and, when its batch violated the baseline, the retraining run it started."""

    run: RunResult
    predictions_path: Path
    report_dir: Path
    retraining: RunResult | None = None
    retraining_note: str = ""  # why retraining was not started, or how it failed

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
    retraining_note: str = ""

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
    evaluation_path: Path | None = None,
    created_by: str = "",
    progress: Progress = lambda message: None,
) -> RunResult:
    """Train on the given files (concatenated), gate, score on the locked evaluation set (default
    `<work_dir>/data/evaluation.csv`), cross-validate, baseline and register a pending version."""
    from ml.train.pipeline import TRAIN_PIPELINE

    run_id = new_run_id(TRAIN_PIPELINE.name)
    try:
        data, digests = load_training_data(config, data_paths, progress)
        evaluation = load_evaluation_set(config, evaluation_path or _default_evaluation(workspace), data)
    except MlopsError as exc:
        services.notifier.notify(RunEvent(EventKind.TRAIN_FAILED, "train", run_id, str(exc)))
        raise
    parameters = {
        "training_data": data,
        "evaluation_set": evaluation,
        "dataset_spec": config.dataset,
        "training_params": config.training,
        "quality_gate": config.quality_gate,
        "monitoring_params": config.monitoring,
        "registry": services.registry,
        "registration": registration_context(config, digests, created_by),
    }
    inputs = {**digests, evaluation.source: evaluation.sha256}
    result = _runner(services, workspace, progress).run(TRAIN_PIPELINE, parameters, inputs, run_id)
    if result.status == "succeeded":
        services.notifier.notify(registration_event(result.values["model_version"], run_id))
    return result


def registration_event(version, run_id: str) -> RunEvent:
    """Registered, or the same artifact as an earlier version: then say what that version's status is."""
    details = {
        "version": version.version,
        "artifact_digest": version.artifact_digest,
        "status": version.status,
    }
    auc = f"auc {version.metrics['auc']:.3f}"
    if version.lineage.get("run_id") == run_id:
        message = f"{version.model_group} version {version.version} registered, pending approval ({auc})"
        return RunEvent(EventKind.MODEL_REGISTERED, "train", run_id, message, details)
    message = f"{version.model_group} version {version.version} was already registered for this artifact"
    if version.status == "Rejected":
        message += "; it was Rejected, so this training produced nothing new to review (change data or code)"
        return RunEvent(EventKind.TRAIN_FAILED, "train", run_id, message, details)
    return RunEvent(
        EventKind.MODEL_REGISTERED, "train", run_id, f"{message} ({version.status}, {auc})", details
    )


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
    with claim_output_dir(report_dir, run_id, INFERENCE_OUTPUTS) as claim:
        _say_note(claim, progress)
        result = _runner(services, workspace, progress).run(INFERENCE_PIPELINE, parameters, digests, run_id)
        _copy_outputs(result, "data_quality", report_dir)
        if "data_quality" in result.values:
            try:
                _publish_data_quality(workspace, result, report_dir, input_path)
            except Exception as exc:  # the run's outcome and its JSON files stand even if the HTML fails
                progress(
                    f"warning: the HTML report or history entry was not written: {type(exc).__name__}: {exc}"
                )
        staging_path(predictions_path).unlink(missing_ok=True)
        claim.status = result.status
    if result.status == "succeeded":
        return InferenceOutcome(result, predictions_path, report_dir)
    retraining, note = _react(config, services, workspace, result, progress, _schema_only(result))
    return InferenceOutcome(result, predictions_path, report_dir, retraining, note)


def _say_note(claim, progress: Progress) -> None:
    if claim.note:  # e.g. a killed run's lock: its leftovers were removed before this run
        progress(f"note: {claim.folder}: {claim.note}; its files were removed")


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
    from ml.monitoring.publish import MODEL_QUALITY_FILES, REPORT_NAME

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
    with claim_output_dir(target, run_id, (*MODEL_QUALITY_FILES, REPORT_NAME)) as claim:
        _say_note(claim, progress)
        result = _runner(services, workspace, progress).run(
            MODEL_QUALITY_PIPELINE, parameters, digests, run_id
        )
        if "quality_violations" in result.values:
            _publish_model_quality(workspace, result, target, f"{predictions_path} + {labels_path}")
        claim.status = result.status
    retraining, note = _react(config, services, workspace, result, progress, _not_serving(result, services))
    return ModelQualityOutcome(result, target, retraining, note)


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


def _react(
    config: EnvironmentConfig,
    services: Services,
    workspace: Workspace,
    result: RunResult,
    progress: Progress,
    why_not: str,
) -> tuple[RunResult | None, str]:
    """Retrain after a monitoring violation, unless `why_not` says retraining cannot help.

    Only a rejected run (its check found violations) gets here with a chance to retrain: any other
    failure has already notified people and must not retrain (the reference retrained on every failure).
    """
    if result.status != "rejected" or not config.reactions.retrain_on_violation:
        return None, ""
    if why_not:
        return None, f"retraining not started: {why_not}"
    try:
        return _retrain(config, services, workspace, result, progress), ""
    except MlopsError as exc:  # run_train has notified train_failed; the violation must still be reported
        return None, f"retraining failed: {exc}"


def _schema_only(result: RunResult) -> str:
    """A batch whose only problems are missing/extra columns is the wrong file: new data will not fix it."""
    report = result.values.get("data_quality")
    kinds = {v.constraint_check_type for v in report.violations} if report else set()
    if kinds and kinds <= {"missing_column_check", "extra_column_check"}:
        return "the batch's columns do not match the model's (wrong file?); fix the input instead"
    return ""


def _not_serving(result: RunResult, services: Services) -> str:
    """Poor quality of a version that is no longer served says nothing about the served one."""
    scored = result.values.get("model_version")
    served = services.registry.approved_version(scored.model_group) if scored else None
    if scored and (served is None or served.version != scored.version):
        return f"version {scored.version} scored this batch but is no longer the approved version"
    return ""


def _retrain(config, services, workspace, violated: RunResult, progress: Progress) -> RunResult:
    from ml.data.workflow import resolve_training_files

    data = "+".join(config.reactions.retrain_data)
    paths = resolve_training_files((data,), workspace.data_dir)
    message = f"retraining on {data} after violations in {violated.record.run_id}"
    details = {"trigger_run": violated.record.run_id, "data": [str(p) for p in paths]}
    run_id = violated.record.run_id
    event = RunEvent(EventKind.RETRAINING_STARTED, violated.record.pipeline, run_id, message, details)
    services.notifier.notify(event)
    return run_train(config, services, workspace, paths, created_by="retraining", progress=progress)


def load_training_data(
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
    data = pd.concat(frames, ignore_index=True)
    _refuse_duplicate_records(data, config.dataset.id_column, paths)
    return data, digests


def _default_evaluation(workspace: Workspace) -> Path:
    from ml.data.prepare import EVALUATION_FILE

    return workspace.data_dir / EVALUATION_FILE


def load_evaluation_set(config: EnvironmentConfig, path: Path, training: pd.DataFrame):
    """The locked evaluation set, refused when missing or when any of its records is also trained on."""
    from ml.data.io import read_table
    from ml.data.prepare import apply_data_contract
    from ml.errors import DataError
    from ml.train.locked import EvaluationSet

    if not path.is_file():
        raise DataError(
            f"{path}: the locked evaluation set is missing; run `mlops data prepare` (it writes "
            "evaluation.csv beside the training parts) or pass --evaluation"
        )
    spec = config.dataset
    frame = apply_data_contract(read_table(path, spec, with_label=True), spec, str(path)).data
    shared = set(frame[spec.id_column]) & set(training[spec.id_column])
    if shared:
        raise DataError(
            f"{path}: {len(shared)} record(s) of the locked evaluation set are also in the training data "
            f"(e.g. {', '.join(map(str, sorted(shared)[:5]))}); no version may train on evaluation rows"
        )
    return EvaluationSet(frame, file_sha256(path), str(path))


def _refuse_duplicate_records(data: pd.DataFrame, id_column: str, paths: Sequence[Path]) -> None:
    """The same record twice would land in both train and test splits and flatter the evaluation."""
    from ml.errors import DataError

    repeated = data[id_column][data[id_column].duplicated()]
    if len(repeated):
        names = ", ".join(str(p) for p in paths)
        raise DataError(
            f"{names}: {len(repeated)} record id(s) appear more than once across the training files "
            f"(e.g. {', '.join(map(str, repeated.unique()[:5]))}); train on each record once"
        )


def registration_context(
    config: EnvironmentConfig, digests: dict[str, str], created_by: str, code: dict | None = None
):
    """Who, which group, which data and which code (the checkout's commit unless `code` says otherwise)."""
    from ml.config.loader import default_config_dir, repository_root
    from ml.gitinfo import code_version
    from ml.train.register import RegistrationContext

    return RegistrationContext(
        model_group=config.model_group,
        created_by=created_by or getpass.getuser(),
        data_digests=digests,
        code_version=code or code_version(repository_root(default_config_dir())),
        parameters={
            "training": config.training.model_dump(),
            "quality_gate": config.quality_gate.model_dump(),
        },
    )


def _runner(services: Services, workspace: Workspace, progress: Progress) -> LocalRunner:
    return LocalRunner(services.artifacts, services.notifier, workspace.runs_dir, progress)


def _copy_outputs(result: RunResult, output: str, target: Path) -> None:
    source = result.run_dir / "outputs" / output
    if source.is_dir() and source.resolve() != target.resolve():
        target.mkdir(parents=True, exist_ok=True)
        for file in source.iterdir():
            shutil.copyfile(file, target / file.name)
