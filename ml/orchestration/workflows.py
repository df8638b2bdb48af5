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
    progress: Progress = lambda message: None,
) -> InferenceOutcome:
    """Score a batch with the approved model after checking it; on violations, notify and retrain."""
    from ml.inference.pipeline import INFERENCE_PIPELINE, BatchSource

    run_id = new_run_id(INFERENCE_PIPELINE.name)
    report_dir = output_dir or workspace.runs_dir / run_id
    predictions_path = report_dir / "predictions.csv"
    parameters = {
        "registry": services.registry,
        "artifacts": services.artifacts,
        "model_group": config.model_group,
        "batch": BatchSource(input_path, config.dataset, config.monitoring.chunk_rows),
        "dataset_spec": config.dataset,
        "predictions_path": predictions_path,
    }
    digests = {str(input_path): file_sha256(input_path)} if input_path.is_file() else {}
    result = _runner(services, workspace, progress).run(INFERENCE_PIPELINE, parameters, digests, run_id)
    _copy_outputs(result, "data_quality", report_dir)
    if result.status == "succeeded":
        return InferenceOutcome(result, predictions_path, report_dir)
    # An old predictions file beside a failed run's report could be taken for this run's output.
    predictions_path.unlink(missing_ok=True)
    retraining = None
    if result.status == "rejected" and config.reactions.retrain_on_violation:
        retraining = _retrain(config, services, workspace, result, progress)
    return InferenceOutcome(result, predictions_path, report_dir, retraining)


def _retrain(config, services, workspace, violated: RunResult, progress: Progress) -> RunResult:
    from ml.data.workflow import resolve_training_files

    paths = resolve_training_files(("+".join(config.reactions.retrain_data),), workspace.data_dir)
    data = "+".join(config.reactions.retrain_data)
    message = f"retraining on {data} after violations in {violated.record.run_id}"
    details = {"trigger_run": violated.record.run_id, "data": [str(p) for p in paths]}
    services.notifier.notify(
        RunEvent(EventKind.RETRAINING_STARTED, "inference", violated.record.run_id, message, details)
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
