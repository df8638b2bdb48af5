import json

import pandas as pd
import pytest

from ml.errors import ModelNotFoundError
from ml.orchestration.services import build_services
from ml.orchestration.workflows import run_inference


def test_clean_batch_is_checked_and_scored(config, approved_workspace, tmp_path):
    services = build_services(config, approved_workspace)
    batch = approved_workspace.data_dir / "batch.csv"
    outcome = run_inference(config, services, approved_workspace, batch, tmp_path / "out")
    assert outcome.run.status == "succeeded", outcome.run.record.reasons
    predictions = pd.read_csv(outcome.predictions_path)
    assert list(predictions.columns) == ["record_id", "probability", "label", "model_version"]
    assert predictions["record_id"].tolist() == pd.read_csv(batch)["record_id"].tolist()
    assert predictions["probability"].between(0, 1).all()
    assert set(predictions["model_version"]) == {1}
    assert json.loads((tmp_path / "out/constraint_violations.json").read_text()) == {"violations": []}
    assert outcome.retraining is None


def test_outlier_batch_fails_reports_and_retrains(config, approved_workspace, tmp_path):
    services = build_services(config, approved_workspace)
    passed = run_inference(
        config, services, approved_workspace, approved_workspace.data_dir / "batch.csv", tmp_path / "out"
    )
    stale = tmp_path / "out/predictions.csv"
    assert passed.run.status == "succeeded" and stale.exists()
    outcome = run_inference(
        config,
        services,
        approved_workspace,
        approved_workspace.data_dir / "batch-outliers.csv",
        tmp_path / "out",
    )
    assert outcome.run.status == "rejected"
    assert outcome.run.record.stopped_at == "data_quality_gate"
    assert not stale.exists(), "a failed run must not leave an earlier run's predictions beside its report"
    assert not list((tmp_path / "out").glob("*previous*")), "nothing is renamed"
    manifest = json.loads((tmp_path / "out/.mlops-run.json").read_text())
    assert manifest["run_id"] == outcome.run.record.run_id and manifest["status"] == "rejected"
    assert "predictions.csv" not in manifest["files"] and "report.html" in manifest["files"]
    violations = json.loads((tmp_path / "out/constraint_violations.json").read_text())["violations"]
    checks = {(v["feature_name"], v["constraint_check_type"]) for v in violations}
    assert ("Age", "baseline_drift_check") in checks
    assert any(check == "categorical_values_check" for _, check in checks)
    retrained = outcome.retraining.values["model_version"]
    assert (retrained.version, retrained.status) == (2, "PendingManualApproval")
    assert len(retrained.lineage["data"]) == 2
    kinds = [e["kind"] for e in services.notifier.read_events()]
    assert kinds[-3:] == ["inference_violations", "retraining_started", "model_registered"]


def test_no_approved_version_fails_without_retraining(config, services, workspace):
    outcome = run_inference(config, services, workspace, workspace.data_dir / "batch.csv")
    assert outcome.run.status == "failed"
    assert isinstance(outcome.run.exception, ModelNotFoundError)
    assert "has no approved version" in str(outcome.run.exception)
    assert outcome.retraining is None
    assert [e["kind"] for e in services.notifier.read_events()] == ["inference_failed"]


def test_missing_batch_file_fails_without_retraining(config, approved_workspace, tmp_path):
    services = build_services(config, approved_workspace)
    outcome = run_inference(config, services, approved_workspace, tmp_path / "missing.csv")
    assert outcome.run.status == "failed"
    assert "missing.csv: file not found" in str(outcome.run.exception)
    assert outcome.retraining is None
    assert services.notifier.read_events()[-1]["kind"] == "inference_failed"


def test_scoring_in_chunks_gives_the_same_predictions(config, approved_workspace, tmp_path):
    from tests.conftest import with_changes

    outputs = []
    for chunk_rows in (100, 50_000):  # the batch has 145 rows: two chunks, then one
        chunked = with_changes(config, monitoring={"chunk_rows": chunk_rows})
        services = build_services(chunked, approved_workspace)
        batch = approved_workspace.data_dir / "batch.csv"
        outcome = run_inference(chunked, services, approved_workspace, batch, tmp_path / str(chunk_rows))
        outputs.append(outcome.predictions_path.read_bytes())
    assert outputs[0] == outputs[1]


def test_parquet_batch_gives_parquet_predictions_equal_to_csv(config, approved_workspace, tmp_path):
    services = build_services(config, approved_workspace)
    csv_batch = approved_workspace.data_dir / "batch.csv"
    parquet_batch = tmp_path / "batch.parquet"
    pd.read_csv(csv_batch, dtype={"record_id": str}).to_parquet(parquet_batch)
    from_csv = run_inference(config, services, approved_workspace, csv_batch, tmp_path / "csv")
    from_parquet = run_inference(config, services, approved_workspace, parquet_batch, tmp_path / "parquet")
    assert from_parquet.run.status == "succeeded", from_parquet.run.record.reasons
    assert from_parquet.predictions_path.suffix == ".parquet"
    pd.testing.assert_frame_equal(
        pd.read_parquet(from_parquet.predictions_path),
        pd.read_csv(from_csv.predictions_path, dtype={"record_id": str}),
        check_dtype=False,
    )


def test_non_numeric_values_are_a_data_type_violation_not_a_crash(config, approved_workspace, tmp_path):
    services = build_services(config, approved_workspace)
    batch = pd.read_csv(approved_workspace.data_dir / "batch.csv", dtype=str, keep_default_na=False)
    batch.loc[3, "Age"] = "sixty"
    path = tmp_path / "typo.csv"
    batch.to_csv(path, index=False)
    outcome = run_inference(config, services, approved_workspace, path, tmp_path / "out")
    assert outcome.run.status == "rejected"
    violations = json.loads((tmp_path / "out/constraint_violations.json").read_text())["violations"]
    [age] = [v for v in violations if v["constraint_check_type"] == "data_type_check"]
    assert (
        age["feature_name"] == "Age"
        and "line 5 = 'sixty'" in age["description"]
        and "sixty" in age["description"]
    )
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if "predictions" in p.name) == []


def test_the_batch_is_read_once(config, approved_workspace, tmp_path, monkeypatch):
    from ml.inference import pipeline

    reads = []
    original = pipeline.BatchSource.chunks
    monkeypatch.setattr(pipeline.BatchSource, "chunks", lambda self: reads.append(1) or original(self))
    services = build_services(config, approved_workspace)
    outcome = run_inference(config, services, approved_workspace, approved_workspace.data_dir / "batch.csv")
    assert outcome.run.status == "succeeded" and reads == [1]


def test_a_failed_retraining_still_reports_the_violations(config, approved_workspace, tmp_path):
    services = build_services(config, approved_workspace)
    (approved_workspace.data_dir / "train-part2.csv").unlink()
    outcome = run_inference(
        config, services, approved_workspace, approved_workspace.data_dir / "batch-outliers.csv"
    )
    assert outcome.run.status == "rejected"
    assert outcome.retraining is None
    assert (
        outcome.retraining_note.startswith("retraining failed: ")
        and "train-part2.csv" in outcome.retraining_note
    )
    assert [e["kind"] for e in services.notifier.read_events()][-3:] == [
        "inference_violations",
        "retraining_started",
        "train_failed",
    ]


def test_the_wrong_file_fails_without_retraining(config, approved_workspace):
    services = build_services(config, approved_workspace)
    outcome = run_inference(
        config, services, approved_workspace, approved_workspace.data_dir / "batch-labels.csv"
    )
    assert outcome.run.status == "rejected"
    assert outcome.retraining is None and "wrong file" in outcome.retraining_note
    assert "retraining_started" not in [e["kind"] for e in services.notifier.read_events()]


@pytest.mark.parametrize("value", ["inf", "1e308"])
def test_infinite_or_huge_values_are_violations_not_crashes(config, approved_workspace, tmp_path, value):
    services = build_services(config, approved_workspace)
    batch = pd.read_csv(approved_workspace.data_dir / "batch.csv", dtype=str, keep_default_na=False)
    batch.loc[1, "Age"], batch.loc[2, "Age"] = value, "-" + value
    path = tmp_path / "huge.csv"
    batch.to_csv(path, index=False)
    outcome = run_inference(config, services, approved_workspace, path, tmp_path / "out")
    assert outcome.run.status == "rejected", outcome.run.record.error
    checks = {
        v["constraint_check_type"]
        for v in json.loads((tmp_path / "out/constraint_violations.json").read_text())["violations"]
    }
    assert checks & {"data_type_check", "range_check"}
    assert not list((tmp_path / "out").glob("*predictions*"))


def test_a_batch_without_its_id_column_is_a_data_error(config, approved_workspace, tmp_path):
    services = build_services(config, approved_workspace)
    batch = pd.read_csv(approved_workspace.data_dir / "batch.csv").drop(columns=["record_id"])
    path = tmp_path / "noid.csv"
    batch.to_csv(path, index=False)
    outcome = run_inference(config, services, approved_workspace, path, tmp_path / "out")
    assert outcome.run.status == "failed"
    assert "header is missing column(s) ['record_id']" in str(outcome.run.exception)
    assert outcome.retraining is None
