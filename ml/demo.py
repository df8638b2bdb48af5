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
from ml.registry.gitops import approve_directly

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
    if config.backend != "local":
        raise ConfigError(f"environment {config.name}: the demo runs on the local backend; use --env local")
    started = time.perf_counter()
    demo = _Demo(config, fresh_demo_dir(demo_dir), progress)
    demo.prepare()
    v1 = demo.train_v1()
    demo.approve(v1, "2 approve v1", "demo: held-out metrics reviewed")
    demo.score_clean(v1, "3 score clean batch")
    v2 = demo.score_outliers_and_retrain()
    demo.compare(v1, v2)
    demo.approve(v2, "5 approve v2", "demo: retrained model reviewed on the locked evaluation set")
    demo.score_clean(v2, "5 score with v2")
    return demo.summary(time.perf_counter() - started)


class _Demo:
    """The demo's state (one work directory, its services) and one method per scenario."""

    def __init__(self, config: EnvironmentConfig, root: Path, progress: Callable[[str], None]) -> None:
        from ml.orchestration.services import Workspace, build_scores_reader, build_services

        self.config, self.progress = config, progress
        self.work = Workspace(root)
        self.services = build_services(config, self.work)
        self.read_scores = build_scores_reader(config, self.work)
        self.rows: list[tuple[str, ...]] = []

    def prepare(self) -> None:
        from ml.config.loader import default_config_dir, repository_root
        from ml.data.workflow import prepare_sample_data

        self.progress("== prepare: split the sample data set")
        source = repository_root(default_config_dir()) / self.config.dataset.source
        counts = prepare_sample_data(self.config, source, self.work.data_dir).row_counts
        split = f"{counts['train-part1.csv']}/{counts['train-part2.csv']}/{counts['batch.csv']} rows"
        split += f", {counts['evaluation.csv']} locked"
        self.rows.append(("prepare part1/part2/batch", split, "", "data/"))

    def train_v1(self) -> ModelVersion:
        from ml.orchestration.workflows import run_train

        self.progress("== scenario 1: train v1 on part1")
        part1 = [self.work.data_dir / "train-part1.csv"]
        run = run_train(
            self.config, self.services, self.work, part1, created_by=TRAINER, progress=self.progress
        )
        v1 = _registered(run, "1")
        self.rows.append(("1 train on part1", f"v{v1.version} {v1.status}", _auc(v1), _registry_entry(v1)))
        return v1

    def approve(self, version: ModelVersion, step: str, reason: str) -> None:
        self.progress(f"== scenario {step}")
        # Exactly what `mlops approve` does in a direct-mode environment: governance rules, then supersession.
        decision = {"version": version.version, "approved_by": REVIEWER, "reason": reason}
        approve_directly(self.config, self.services.registry, decision, self.read_scores)
        self.rows.append((step, f"v{version.version} Approved by {REVIEWER}", "", _registry_entry(version)))

    def score_clean(self, expected: ModelVersion, step: str):
        self.progress(f"== scenario {step}: score the clean batch")
        outcome = self._infer("batch.csv")
        used = getattr(outcome.run.values.get("model_version"), "version", None)
        _expect(
            outcome.run.status == "succeeded", step[0], f"the clean batch should pass: {_why(outcome.run)}"
        )
        _expect(used == expected.version, step[0], f"inference should use v{expected.version}, used v{used}")
        where = self._relative(outcome.predictions_path)
        self.rows.append((step, "check passed, scored", f"v{expected.version}", where))

    def score_outliers_and_retrain(self) -> ModelVersion:
        self.progress("== scenario 4: score the outlier batch (must fail and retrain)")
        bad = self._infer("batch-outliers.csv")
        _expect(
            bad.run.status == "rejected",
            "4",
            f"the outlier batch should violate the baseline: {_why(bad.run)}",
        )
        _expect(not bad.predictions_path.exists(), "4", "a predictions file was written for a failing batch")
        _expect(bad.report_html.is_file(), "4", "the failing batch's HTML report was not written")
        kinds = {event["kind"] for event in self.services.notifier.read_events()}
        missing = {"inference_violations", "retraining_started"} - kinds
        _expect(not missing, "4", f"notifications missing: {sorted(missing)}")
        v2 = _registered(bad.retraining, "4")
        violations = f"{len(bad.run.record.reasons)} violations"
        self.rows.append(("4 score outlier batch", violations, "", self._relative(bad.report_html)))
        self.rows.append(
            ("  retrain part1+part2", f"v{v2.version} {v2.status}", _auc(v2), _registry_entry(v2))
        )
        return v2

    def compare(self, champion: ModelVersion, challenger: ModelVersion) -> None:
        """Both versions on the same locked rows: is the retrained one better, worse or indistinguishable?"""
        from ml.registry.comparison_report import comparison_folder, write_version_comparison

        self.progress(
            f"== compare v{challenger.version} with v{champion.version} on the locked evaluation set"
        )
        margin = self.config.governance.non_inferiority_margin
        folder = comparison_folder(self.work.root, champion.version, challenger.version)
        comparison, report = write_version_comparison(champion, challenger, self.read_scores, margin, folder)
        auc = comparison.auc
        result = f"v{challenger.version} {comparison.auc_verdict()}"
        if margin is not None:
            result += ", non-inferior" if comparison.non_inferior(margin) else ", NOT non-inferior"
        difference = f"Δauc {auc.difference:+.3f} [{auc.low:+.3f}, {auc.high:+.3f}]"
        self.rows.append(("  compare v2 vs v1", result, difference, self._relative(report)))

    def summary(self, seconds: float) -> str:
        events = len(self.services.notifier.read_events())
        self.rows.append(
            ("notifications", f"{events} events", "", self._relative(self.services.notifier.path))
        )
        return _summary(self.rows, self.work.root, seconds)

    def _infer(self, name: str):
        from ml.orchestration.workflows import run_inference

        return run_inference(
            self.config, self.services, self.work, self.work.data_dir / name, progress=self.progress
        )

    def _relative(self, path: Path) -> str:
        return str(path.relative_to(self.work.root))


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
    """The AUC on the locked evaluation set, the one number every version is measured on alike."""
    m = version.metrics
    return (
        f"auc {m['evaluation_auc']:.3f} [{m['evaluation_auc_ci_low']:.3f}, {m['evaluation_auc_ci_high']:.3f}]"
    )


def _registry_entry(version: ModelVersion) -> str:
    return f"registry.db (model {version.artifact_digest[:12]})"


def _summary(rows: list[tuple[str, ...]], root: Path, seconds: float) -> str:
    from ml.render import render_table

    header = ("step", "result", "model / locked-set AUC [95% CI]", f"where (under {root})")
    table = render_table(rows, header)
    return f"\n{table}\n\ndemo finished in {seconds:.1f}s: all five scenarios behaved as expected"
