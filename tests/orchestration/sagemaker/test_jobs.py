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
        ("split", "training", ("split", "fit_preprocessor", "train", "cross_validate"), None, True),
        ("evaluate", "processing", ("evaluate", "evaluate_locked"), "quality_gate", False),
        ("baseline", "processing", ("baseline", "register"), None, True),
    ]
    # the training job fetches the training data itself; the isolated evaluate job gets the locked set
    assert [j.reads for j in jobs] == [
        ("training_data", "dataset_spec", "training_params"),
        ("dataset_spec", "training_params", "evaluation_set", "quality_gate"),
        ("training_data", "dataset_spec", "monitoring_params", "registry", "registration"),
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
    gate = next(index for index, step in enumerate(steps) if step.kind == "condition")
    steps.insert(gate + 1, Step("explain", lambda metrics: metrics, ("metrics",), ("explanation",)))
    spec = replace(TRAIN_PIPELINE, steps=tuple(steps))

    with pytest.raises(ValueError, match="step explain follows a condition but starts no job"):
        plan_jobs(spec)


def test_a_training_job_cannot_take_a_data_channel():
    from ml.orchestration.sagemaker.steps import _training_step

    [split, *_] = plan_jobs(replace(TRAIN_PIPELINE, steps=_moved("evaluate_locked", "train")))

    assert "evaluation_set" in split.reads
    with pytest.raises(ValueError, match="job split: a training job takes no data channel"):
        _training_step(None, split)


def _moved(step: str, after: str) -> tuple[Step, ...]:
    """The train steps with `step` right after `after`."""
    steps = [s for s in TRAIN_PIPELINE.steps if s.name != step]
    index = next(i for i, s in enumerate(steps) if s.name == after)
    return (*steps[: index + 1], next(s for s in TRAIN_PIPELINE.steps if s.name == step), *steps[index + 1 :])


def test_handed_over_values_round_trip_and_tampering_is_refused(tmp_path):
    save_values({"metrics": {"auc": 0.9}, "other": 1}, ["metrics"], tmp_path)

    assert load_values(tmp_path) == {"metrics": {"auc": 0.9}}
    (tmp_path / "metrics.pickle").write_bytes(pickle.dumps({"auc": 0.99}))
    with pytest.raises(ArtifactIntegrityError, match="changed since its job wrote it"):
        load_values(tmp_path)
    (tmp_path / MANIFEST).unlink()
    with pytest.raises(ArtifactIntegrityError, match="wrote no hand-over"):
        load_values(tmp_path)
