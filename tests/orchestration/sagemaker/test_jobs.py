"""How spec steps group into SageMaker jobs, and the hand-over between jobs."""

from __future__ import annotations

import pickle
from dataclasses import replace

import pytest

from ml.errors import ArtifactIntegrityError
from ml.inference.pipeline import INFERENCE_PIPELINE
from ml.orchestration.sagemaker.handover import MANIFEST, load_values, save_values
from ml.orchestration.sagemaker.jobs import plan_jobs
from ml.spec import Step
from ml.train.pipeline import TRAIN_PIPELINE


def test_the_train_pipeline_runs_in_three_jobs_around_its_gate():
    jobs = plan_jobs(TRAIN_PIPELINE)

    assert [(j.name, j.kind, j.steps, j.condition, j.network) for j in jobs] == [
        ("split", "training", ("split", "fit_preprocessor", "train"), None, True),
        ("evaluate", "processing", ("evaluate",), "quality_gate", False),
        ("baseline", "processing", ("baseline", "register"), None, True),
    ]


def test_the_inference_pipeline_resolves_in_the_lambda_and_scores_in_one_isolated_job():
    jobs = plan_jobs(INFERENCE_PIPELINE)

    assert [(j.name, j.kind, j.steps, j.condition, j.network, j.billed) for j in jobs] == [
        ("resolve_model", "lambda", ("resolve_model",), None, True, False),
        ("load_model", "processing", ("load_model", "check_and_score"), "data_quality_gate", False, True),
        ("publish_predictions", "processing", ("publish_predictions",), None, False, True),
    ]


def test_a_step_added_to_a_spec_joins_the_job_before_it():
    audit = Step("audit", lambda version: version, ("model_version",), ("audit_record",))
    spec = replace(TRAIN_PIPELINE, steps=(*TRAIN_PIPELINE.steps, audit))

    assert plan_jobs(spec)[-1].steps == ("baseline", "register", "audit")


def test_a_step_right_after_a_condition_must_start_a_job():
    steps = list(TRAIN_PIPELINE.steps)
    steps.insert(5, Step("explain", lambda metrics: metrics, ("metrics",), ("explanation",)))
    spec = replace(TRAIN_PIPELINE, steps=tuple(steps))

    with pytest.raises(ValueError, match="step explain follows a condition but starts no job"):
        plan_jobs(spec)


def test_handed_over_values_round_trip_and_tampering_is_refused(tmp_path):
    save_values({"metrics": {"auc": 0.9}, "other": 1}, ["metrics"], tmp_path)

    assert load_values(tmp_path) == {"metrics": {"auc": 0.9}}
    (tmp_path / "metrics.pickle").write_bytes(pickle.dumps({"auc": 0.99}))
    with pytest.raises(ArtifactIntegrityError, match="changed since its job wrote it"):
        load_values(tmp_path)
    (tmp_path / MANIFEST).unlink()
    with pytest.raises(ArtifactIntegrityError, match="wrote no hand-over"):
        load_values(tmp_path)
