"""Monitoring end to end: late labels judge a real approved model, violations retrain, every check is kept."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from ml.cli import cli
from ml.orchestration.services import Workspace, build_services
from ml.orchestration.workflows import monitoring_history, run_inference, run_model_quality

FLIPPED_SHARE = 0.3


def mlops(*args: str):
    return CliRunner().invoke(cli, list(args), prog_name="mlops")


def flipped_labels(labels_path: Path, target: Path, share: float = FLIPPED_SHARE) -> Path:
    """The true labels with a seeded share flipped: what a model that stopped working would face."""
    labels = pd.read_csv(labels_path, dtype={"record_id": str})
    rows = np.random.default_rng(5).choice(len(labels), int(share * len(labels)), replace=False)
    labels.loc[rows, "Severity"] = 1 - labels.loc[rows, "Severity"]
    labels.to_csv(target, index=False)
    return target


def monitor_quality(workspace: Workspace, predictions: Path, labels: Path):
    """`mlops monitor quality` as a user types it, against the test's work dir."""
    return mlops(
        "--work-dir",
        str(workspace.root),
        "monitor",
        "quality",
        "--predictions",
        str(predictions),
        "--labels",
        str(labels),
    )


@pytest.fixture
def scored(config, approved_workspace: Workspace, tmp_path) -> Path:
    """The clean batch scored by the approved v1; returns its predictions.csv."""
    services = build_services(config, approved_workspace)
    batch = approved_workspace.data_dir / "batch.csv"
    outcome = run_inference(config, services, approved_workspace, batch, tmp_path / "scored")
    assert outcome.run.status == "succeeded", outcome.run.record.reasons
    return outcome.predictions_path


def test_true_labels_pass_and_write_model_monitor_files(config, approved_workspace, scored, tmp_path):
    services = build_services(config, approved_workspace)
    labels = approved_workspace.data_dir / "batch-labels.csv"
    outcome = run_model_quality(config, services, approved_workspace, scored, labels, tmp_path / "mq")
    assert outcome.run.status == "succeeded", outcome.run.record.reasons
    assert outcome.retraining is None
    statistics = json.loads((tmp_path / "mq/statistics.json").read_text())
    assert statistics["dataset"]["item_count"] == 145
    assert statistics["binary_classification_metrics"]["auc"]["value"] > 0.8
    constraints = json.loads((tmp_path / "mq/constraints.json").read_text())
    assert (
        constraints["binary_classification_constraints"]["auc"]["comparison_operator"] == "LessThanThreshold"
    )
    assert json.loads((tmp_path / "mq/constraint_violations.json").read_text()) == {"violations": []}
    assert outcome.report_html.is_file()


def test_degraded_labels_violate_notify_and_retrain(config, approved_workspace, scored, tmp_path):
    services = build_services(config, approved_workspace)
    labels = flipped_labels(approved_workspace.data_dir / "batch-labels.csv", tmp_path / "flipped.csv")
    outcome = run_model_quality(config, services, approved_workspace, scored, labels, tmp_path / "mq")
    assert outcome.run.status == "rejected"
    assert outcome.run.record.stopped_at == "model_quality_gate"
    (violation,) = json.loads((tmp_path / "mq/constraint_violations.json").read_text())["violations"]
    assert (violation["metric_name"], violation["constraint_check_type"]) == ("auc", "LessThanThreshold")
    retrained = outcome.retraining.values["model_version"]
    assert (retrained.version, retrained.status) == (2, "PendingManualApproval")
    events = services.notifier.read_events()
    assert [e["kind"] for e in events][-3:] == [
        "model_quality_violations",
        "retraining_started",
        "model_registered",
    ]
    assert events[-2]["pipeline"] == "model_quality"
    assert html.escape(violation["description"]) in outcome.report_html.read_text(encoding="utf-8")


def test_bad_input_fails_without_retraining(config, approved_workspace, scored, tmp_path):
    services = build_services(config, approved_workspace)
    outcome = run_model_quality(config, services, approved_workspace, scored, tmp_path / "missing.csv")
    assert outcome.run.status == "failed" and outcome.retraining is None
    assert "missing.csv: file not found" in str(outcome.run.exception)
    assert services.notifier.read_events()[-1]["kind"] == "model_quality_failed"


def test_every_check_is_one_history_row(config, approved_workspace, scored, tmp_path):
    services = build_services(config, approved_workspace)
    outliers = approved_workspace.data_dir / "batch-outliers.csv"
    failed = run_inference(config, services, approved_workspace, outliers, tmp_path / "bad")
    labels = approved_workspace.data_dir / "batch-labels.csv"
    run_model_quality(config, services, approved_workspace, scored, labels, tmp_path / "mq")
    checks = monitoring_history(approved_workspace).list_checks(config.model_group)
    assert [(c.kind, c.passed) for c in checks] == [
        ("data_quality", True),
        ("data_quality", False),
        ("model_quality", True),
    ]
    assert checks[1].run_id == failed.run.record.run_id and checks[1].features["Age"]["drift"] > 0.1
    assert checks[2].metrics["auc"]["threshold"] > 0.7
    assert failed.report_html.is_file() and checks[1].report_path == str(failed.report_html)


def test_cli_quality_exits_0_on_true_labels_and_reports_the_join(approved_workspace, scored):
    labels = approved_workspace.data_dir / "batch-labels.csv"
    result = monitor_quality(approved_workspace, scored, str(labels))
    assert result.exit_code == 0, result.output
    assert "145 of 145 predictions matched a label" in result.stdout
    assert "predictions without a label: 0" in result.stdout
    assert "report: " in result.stdout and "report.html" in result.stdout


def test_cli_quality_reports_unmatched_ids(approved_workspace, scored, tmp_path):
    labels = pd.read_csv(approved_workspace.data_dir / "batch-labels.csv", dtype={"record_id": str})
    labels.iloc[3:].to_csv(tmp_path / "late.csv", index=False)
    result = monitor_quality(approved_workspace, scored, str(tmp_path / "late.csv"))
    assert result.exit_code == 0, result.output
    missing = ", ".join(labels["record_id"].iloc[:3])
    assert f"predictions without a label: 3 (e.g. {missing})" in result.stdout


def test_cli_quality_exits_11_on_violation(approved_workspace, scored, tmp_path):
    labels = flipped_labels(approved_workspace.data_dir / "batch-labels.csv", tmp_path / "flipped.csv")
    result = monitor_quality(approved_workspace, scored, str(labels))
    assert result.exit_code == 11, result.output
    assert "Metric auc with" in result.stderr and "violate the model-quality constraints" in result.stderr
    assert "retraining run train-" in result.stderr


def test_cli_quality_exits_3_naming_file_and_column(approved_workspace, scored, tmp_path):
    bad = tmp_path / "labels.csv"
    bad.write_text("record_id,outcome\nr000002,1\n")
    result = monitor_quality(approved_workspace, scored, str(bad))
    assert result.exit_code == 3, result.output
    assert f"{bad}: header is missing column(s) ['Severity']" in result.stderr


def test_cli_quality_exits_3_on_a_duplicate_id(approved_workspace, scored, tmp_path):
    labels = pd.read_csv(approved_workspace.data_dir / "batch-labels.csv", dtype={"record_id": str})
    pd.concat([labels, labels.iloc[[7]]]).to_csv(tmp_path / "dup.csv", index=False)
    result = monitor_quality(approved_workspace, scored, str(tmp_path / "dup.csv"))
    assert result.exit_code == 3, result.output
    assert (
        f"{tmp_path / 'dup.csv'}: column 'record_id': id '{labels['record_id'][7]}' occurs more than once"
        in result.stderr
    )


def test_cli_infer_prints_the_report_and_history_shows_each_check(approved_workspace, tmp_path):
    work = str(approved_workspace.root)
    clean = mlops(
        "--work-dir",
        work,
        "infer",
        "--input",
        str(approved_workspace.data_dir / "batch.csv"),
        "--output-dir",
        str(tmp_path / "a"),
    )
    assert clean.exit_code == 0 and f"report: {tmp_path / 'a' / 'report.html'}" in clean.stdout
    bad = mlops(
        "--work-dir", work, "infer", "--input", str(approved_workspace.data_dir / "batch-outliers.csv")
    )
    assert bad.exit_code == 10 and "report.html" in bad.stderr
    table = mlops("--work-dir", work, "monitor", "history", "--kind", "data_quality")
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0] == "data_quality: drift distance per feature" and "Age" in lines[1]
    assert [line.split()[3] for line in lines[3:5]] == ["passed", "FAILED"] and lines[5].startswith("trend")
    document = json.loads(
        mlops("--work-dir", work, "monitor", "history", "--feature", "Age", "--format", "json").stdout
    )
    (trend,) = document
    assert trend["kind"] == "data_quality" and "drift" in trend["columns"] and len(trend["checks"]) == 2
    unknown = mlops("--work-dir", work, "monitor", "history", "--metric", "gini")
    assert unknown.exit_code == 2 and "metric 'gini' is in no recorded model-quality check" in unknown.stderr


def test_a_version_no_longer_served_is_not_retrained_for(config, approved_workspace, scored, tmp_path):
    from ml.orchestration.workflows import run_train
    from ml.registry.approvals import approve_version

    services = build_services(config, approved_workspace)
    data = [approved_workspace.data_dir / "train-part1.csv", approved_workspace.data_dir / "train-part2.csv"]
    v2 = run_train(config, services, approved_workspace, data).values["model_version"]
    approve_version(services.registry, config.model_group, v2.version, changed_by="rita", reason="newer")
    labels = flipped_labels(approved_workspace.data_dir / "batch-labels.csv", tmp_path / "flipped.csv")
    outcome = run_model_quality(config, services, approved_workspace, scored, labels, tmp_path / "mq")
    assert outcome.run.status == "rejected"
    assert outcome.retraining is None
    assert "no longer the approved version" in outcome.retraining_note
