"""`mlops demo`: the five scenarios of the reference architecture, end to end, in a fresh work directory."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

from ml.config.schema import EnvironmentConfig
from ml.errors import ConfigError, MlopsError
from ml.orchestration.local import RunResult
from ml.registry import ModelVersion
from ml.registry.approvals import approve_version

MARKER = ".mlops-demo"
TRAINER = "demo-trainer"
REVIEWER = "demo-reviewer"


def fresh_demo_dir(path: Path) -> Path:
    """Empty `path` if an earlier demo made it; refuse to touch a non-empty folder the demo did not create."""
    if path.exists() and any(path.iterdir()):
        if not (path / MARKER).is_file():
            raise MlopsError(
                f"{path}: folder is not empty and was not made by `mlops demo`; pass another --work-dir"
            )
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / MARKER).write_text("made by `mlops demo`; deleted and re-created by the next demo run\n")
    return path


def run_demo(config: EnvironmentConfig, demo_dir: Path, progress: Callable[[str], None]) -> str:
    """Run scenarios 1-5; raise MlopsError if any of them does not behave as the architecture says."""
    from ml.config.loader import default_config_dir, repository_root
    from ml.data.workflow import prepare_sample_data
    from ml.orchestration.services import Workspace, build_services
    from ml.orchestration.workflows import run_inference, run_train

    if config.backend != "local":
        raise ConfigError(f"environment {config.name}: the demo runs on the local backend; use --env local")
    started = time.perf_counter()
    work = Workspace(fresh_demo_dir(demo_dir))
    services = build_services(config, work)
    rows: list[tuple[str, ...]] = []

    def approve(version: ModelVersion, reason: str) -> None:
        # The same rule `mlops approve` and the registry sync use: the previous approval is superseded.
        approve_version(
            services.registry, config.model_group, version.version, changed_by=REVIEWER, reason=reason
        )

    def infer(name: str):
        return run_inference(config, services, work, work.data_dir / name, progress=progress)

    progress("== prepare: split the sample data set")
    source = repository_root(default_config_dir()) / config.dataset.source
    prepared = prepare_sample_data(config, source, work.data_dir)
    counts = prepared.row_counts
    split = f"{counts['train-part1.csv']}/{counts['train-part2.csv']}/{counts['batch.csv']} rows"
    rows.append(("prepare part1/part2/batch", split, "", "data/"))

    progress("== scenario 1: train v1 on part1")
    part1 = [work.data_dir / "train-part1.csv"]
    v1 = _registered(run_train(config, services, work, part1, created_by=TRAINER, progress=progress), "1")
    rows.append(("1 train on part1", f"v{v1.version} {v1.status}", _auc(v1), _registry_entry(v1)))

    progress("== scenario 2: approve v1")
    approve(v1, "demo: held-out metrics reviewed")
    rows.append(("2 approve v1", f"v{v1.version} Approved by {REVIEWER}", "", _registry_entry(v1)))

    progress("== scenario 3: score the clean batch")
    clean = infer("batch.csv")
    _expect(clean.run.status == "succeeded", "3", f"the clean batch should pass: {_why(clean.run)}")
    rows.append(
        (
            "3 score clean batch",
            "check passed, scored",
            f"v{v1.version}",
            _relative(clean.predictions_path, work),
        )
    )

    progress("== scenario 4: score the outlier batch (must fail and retrain)")
    bad = infer("batch-outliers.csv")
    _expect(
        bad.run.status == "rejected", "4", f"the outlier batch should violate the baseline: {_why(bad.run)}"
    )
    _expect(not bad.predictions_path.exists(), "4", "a predictions file was written for a failing batch")
    v2 = _registered(bad.retraining, "4")
    kinds = {event["kind"] for event in services.notifier.read_events()}
    _expect(
        {"inference_violations", "retraining_started"} <= kinds,
        "4",
        f"notifications missing: {sorted(kinds)}",
    )
    _expect(bad.report_html.is_file(), "4", "the failing batch's HTML report was not written")
    rows.append(
        (
            "4 score outlier batch",
            f"{len(bad.run.record.reasons)} violations",
            "",
            _relative(bad.report_html, work),
        )
    )
    rows.append(("  retrain part1+part2", f"v{v2.version} {v2.status}", _auc(v2), _registry_entry(v2)))

    progress("== scenario 5: approve v2 and score again")
    approve(v2, "demo: retrained model reviewed")
    again = infer("batch.csv")
    used = again.run.values.get("model_version")
    _expect(
        getattr(used, "version", None) == v2.version,
        "5",
        f"the next inference should use v2: {_why(again.run)}",
    )
    rows.append(
        (
            "5 approve v2, score",
            "check passed, scored",
            f"v{v2.version}",
            _relative(again.predictions_path, work),
        )
    )
    events = len(services.notifier.read_events())
    rows.append(("notifications", f"{events} events", "", _relative(services.notifier.path, work)))
    return _summary(rows, work.root, time.perf_counter() - started)


def _registered(result: RunResult | None, scenario: str) -> ModelVersion:
    _expect(
        result is not None and result.status == "succeeded",
        scenario,
        f"training should register: {_why(result)}",
    )
    return result.values["model_version"]


def _expect(condition: bool, scenario: str, message: str) -> None:
    if not condition:
        raise MlopsError(f"demo scenario {scenario}: {message}")


def _why(result: RunResult | None) -> str:
    if result is None:
        return "no run was started"
    record = result.record
    return f"run {record.run_id} {record.status}: {record.error or '; '.join(record.reasons)}"


def _auc(version: ModelVersion) -> str:
    from ml.render import auc_with_interval

    return "auc " + auc_with_interval(dict(version.metrics))


def _registry_entry(version: ModelVersion) -> str:
    return f"registry.db (model {version.artifact_digest[:12]})"


def _relative(path: Path, work) -> str:
    return str(path.relative_to(work.root))


def _summary(rows: list[tuple[str, ...]], root: Path, seconds: float) -> str:
    from ml.render import render_table

    table = render_table(rows, ("step", "result", "model / AUC [95% CI]", f"where (under {root})"))
    return f"\n{table}\n\ndemo finished in {seconds:.1f}s: all five scenarios behaved as expected"
