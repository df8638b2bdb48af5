import hashlib
import json
from dataclasses import replace

import pytest

from ml.artifacts.codecs import get_json
from ml.errors import DataError
from ml.orchestration.workflows import run_train
from tests.conftest import with_changes


def test_train_registers_a_pending_version_with_evidence(config, services, workspace):
    result = run_train(
        config, services, workspace, [workspace.data_dir / "train-part1.csv"], created_by="ana"
    )
    assert result.status == "succeeded"
    version = result.values["model_version"]
    assert (version.version, version.status, version.created_by) == (1, "PendingManualApproval", "ana")
    assert 0.7 <= version.metrics["auc_ci_low"] < version.metrics["auc"] < version.metrics["auc_ci_high"]
    lineage = version.lineage
    assert lineage["run_id"] == result.record.run_id
    assert list(lineage["data"]) == [str(workspace.data_dir / "train-part1.csv")]
    assert len(lineage["code"]["git_commit"]) in (40, len("unknown"))
    assert get_json(services.artifacts, lineage["baseline"]["constraints.json"])["features"]
    record = json.loads((result.run_dir / "run.json").read_text())
    assert [s["name"] for s in record["steps"]] == [
        "split",
        "fit_preprocessor",
        "train",
        "cross_validate",
        "evaluate",
        "evaluate_locked",
        "quality_gate",
        "baseline",
        "register",
    ]
    assert record["outputs"]["model"]["model.json"] == version.artifact_digest
    assert [e["kind"] for e in services.notifier.read_events()] == ["model_registered"]


def test_retraining_on_the_same_data_returns_the_same_version(config, services, workspace):
    data = [workspace.data_dir / "train-part1.csv"]
    first = run_train(config, services, workspace, data).values["model_version"]
    second = run_train(config, services, workspace, data).values["model_version"]
    assert second.version == first.version == 1
    assert len(services.registry.list_versions(config.model_group)) == 1
    assert "already registered" in services.notifier.read_events()[-1]["message"]


def test_gate_rejection_registers_nothing_and_notifies(config, services, workspace):
    strict = with_changes(config, quality_gate={"min_auc": 0.99})
    result = run_train(strict, services, workspace, [workspace.data_dir / "train-part1.csv"])
    assert result.status == "rejected"
    assert result.record.stopped_at == "quality_gate"
    assert services.registry.list_versions(config.model_group) == []
    events = services.notifier.read_events()
    assert [e["kind"] for e in events] == ["gate_rejected"]
    assert "< min_auc 0.990" in events[0]["message"]


def test_bad_training_file_notifies_train_failed(config, services, workspace, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("record_id,Age\nr1,50\n")
    try:
        run_train(config, services, workspace, [bad])
    except Exception as exc:
        assert "header is missing column(s)" in str(exc)
    else:
        raise AssertionError("expected a DataError")
    assert [e["kind"] for e in services.notifier.read_events()] == ["train_failed"]


def test_the_same_record_twice_is_refused(config, services, workspace):
    part1 = workspace.data_dir / "train-part1.csv"
    with pytest.raises(DataError, match=r"record id\(s\) appear more than once"):
        run_train(config, services, workspace, [part1, part1])


def test_every_version_is_scored_on_the_locked_evaluation_set(config, services, workspace):
    evaluation = workspace.data_dir / "evaluation.csv"
    result = run_train(config, services, workspace, [workspace.data_dir / "train-part1.csv"])
    version = result.values["model_version"]
    locked = version.lineage["evaluation"]
    assert locked["sha256"] == hashlib.sha256(evaluation.read_bytes()).hexdigest()
    stored = get_json(services.artifacts, locked["scores"])
    assert stored["evaluation_sha256"] == locked["sha256"]
    assert len(stored["scores"]["probabilities"]) == locked["rows"] == version.metrics["evaluation_rows"]
    ids = evaluation.read_text().splitlines()[1:]
    assert stored["scores"]["record_ids"] == [line.split(",")[0] for line in ids]
    low, high = version.metrics["evaluation_auc_ci_low"], version.metrics["evaluation_auc_ci_high"]
    assert low < version.metrics["evaluation_auc"] < high
    assert version.metrics["cv_folds"] == config.training.cv_folds == 10
    assert 0.75 < version.metrics["cv_auc_mean"] < 0.95 and 0 < version.metrics["cv_auc_std"] < 0.15


def test_training_on_evaluation_rows_is_refused(config, services, workspace):
    evaluation = workspace.data_dir / "evaluation.csv"
    with pytest.raises(
        DataError, match=r"evaluation.csv: \d+ record\(s\) of the locked evaluation set are also"
    ):
        run_train(config, services, workspace, [workspace.data_dir / "train-part1.csv", evaluation])
    assert services.registry.list_versions(config.model_group) == []


def test_training_without_the_locked_evaluation_set_is_refused(config, services, workspace):
    (workspace.data_dir / "evaluation.csv").unlink()
    with pytest.raises(DataError, match="the locked evaluation set is missing; run `mlops data prepare`"):
        run_train(config, services, workspace, [workspace.data_dir / "train-part1.csv"])


def test_where_cross_validation_and_the_locked_evaluation_run_changes_no_result(
    config, services, workspace, monkeypatch
):
    # They run before the gate so SageMaker fits them into its three jobs (ml/train/pipeline.py); only
    # `register` reads them, so running them after the gate must register exactly the same evidence.
    import ml.train.pipeline as pipeline

    data = [workspace.data_dir / "train-part1.csv"]
    declared = run_train(config, services, workspace, data)
    steps = {step.name: step for step in pipeline.TRAIN_PIPELINE.steps}
    after_gate = ["quality_gate", "evaluate_locked", "cross_validate", "baseline", "register"]
    before = [name for name in steps if name not in after_gate]
    moved = replace(pipeline.TRAIN_PIPELINE, steps=tuple(steps[name] for name in [*before, *after_gate]))
    monkeypatch.setattr(pipeline, "TRAIN_PIPELINE", moved)
    late = run_train(config, services, workspace, data)

    assert [s["name"] for s in late.record.steps][-5:] == after_gate
    assert late.record.outputs == declared.record.outputs  # model, metrics, locked scores, CV, baseline
    assert late.values["model_version"] == declared.values["model_version"]  # the same version, once
