"""The train pipeline, declared: preprocess → train → cross-validation → evaluate → locked evaluation → gate
→ baseline → register.

Cross-validation and the locked evaluation come before the gate although only `register` reads them: they
are pure and do not change by where they run, and there they run inside the jobs that already hold their
inputs on SageMaker (the training job fetches the training data, the isolated `evaluate` job has the model
and the locked set's channel), so the train pipeline stays three billed jobs (ml/orchestration/sagemaker/
jobs.py). A rejected run pays for them: seconds on this data.
"""

from ml.monitoring.baseline import build_baseline
from ml.notify import EventKind
from ml.spec import PipelineSpec, Step
from ml.train.crossval import cross_validate
from ml.train.evaluate import evaluate_model
from ml.train.gate import apply_quality_gate
from ml.train.locked import evaluate_on_locked_set
from ml.train.preprocess import fit_preprocessor, split_for_training
from ml.train.register import register_model_version
from ml.train.train import train_model

TRAIN_PIPELINE = PipelineSpec(
    name="train",
    parameters=(
        "training_data",
        "evaluation_set",
        "dataset_spec",
        "training_params",
        "quality_gate",
        "monitoring_params",
        "registry",
        "registration",
    ),
    steps=(
        Step(
            "split",
            split_for_training,
            ("training_data", "dataset_spec", "training_params"),
            ("training_split",),
        ),
        Step("fit_preprocessor", fit_preprocessor, ("training_split", "dataset_spec"), ("preprocessor",)),
        Step(
            "train",
            train_model,
            ("training_split", "preprocessor", "dataset_spec", "training_params"),
            ("model",),
        ),
        Step(
            "cross_validate",
            cross_validate,
            ("training_data", "dataset_spec", "training_params"),
            ("cross_validation",),
        ),
        Step(
            "evaluate",
            evaluate_model,
            ("model", "training_split", "dataset_spec", "training_params"),
            ("metrics",),
        ),
        Step(
            "evaluate_locked",
            evaluate_on_locked_set,
            ("model", "evaluation_set", "dataset_spec", "training_params"),
            ("locked_evaluation",),
        ),
        Step(
            "quality_gate",
            apply_quality_gate,
            ("metrics", "quality_gate"),
            ("gate_decision",),
            kind="condition",
            rejection_event=EventKind.GATE_REJECTED,
        ),
        Step(
            "baseline", build_baseline, ("training_data", "dataset_spec", "monitoring_params"), ("baseline",)
        ),
        Step(
            "register",
            register_model_version,
            (
                "registry",
                "registration",
                "model.refs",
                "metrics",
                "locked_evaluation",
                "locked_evaluation.refs",
                "cross_validation",
                "baseline.refs",
                "gate_decision",
                "run_id",
            ),
            ("model_version",),
        ),
    ),
    artifacts={
        "model": "model",
        "metrics": "json",
        "locked_evaluation": "json",
        "cross_validation": "json",
        "baseline": "baseline",
    },
    failure_event=EventKind.TRAIN_FAILED,
)
