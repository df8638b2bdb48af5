"""The model-quality pipeline, declared: read → resolve the scoring version → metrics → constraints → gate."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ml.config.schema import DatasetSpec, ModelQualityConfig
from ml.errors import DataError
from ml.monitoring.labels import read_labels, read_predictions
from ml.monitoring.model_quality import (
    ModelQualityViolations,
    check_model_quality,
    compute_quality_metrics,
    derive_quality_constraints,
)
from ml.notify import EventKind
from ml.registry import ModelRegistry, ModelVersion
from ml.spec import PipelineSpec, Step
from ml.train.gate import GateDecision


def read_scored_batch(
    predictions_path: Path, labels_path: Path, spec: DatasetSpec
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The predictions file of `mlops infer` and the late labels file, each checked on reading."""
    return read_predictions(predictions_path, spec.id_column), read_labels(labels_path, spec)


def resolve_scoring_version(
    registry: ModelRegistry, model_group: str, predictions: pd.DataFrame
) -> ModelVersion:
    """The version that scored the batch: its held-out metrics are what the batch is judged against.

    Not the group's current approved version: labels arrive late, and a batch scored by v1 must be compared
    with v1's evaluation even after v2 was approved.

    Raises:
        DataError: the predictions come from more than one version.
        ModelNotFoundError: the version is not in the registry.
    """
    versions = sorted(int(v) for v in predictions["model_version"].unique())
    if len(versions) != 1:
        raise DataError(
            f"predictions: column 'model_version': the file mixes versions {versions}; "
            "check each version's predictions separately"
        )
    return registry.get(model_group, versions[0])


def constraints_for_version(version: ModelVersion, params: ModelQualityConfig) -> dict:
    """The model-quality constraints.json derived from the scoring version's registered metrics."""
    return derive_quality_constraints(version.metrics, params)


def model_quality_decision(violations: ModelQualityViolations) -> GateDecision:
    """Passes only without violations; the reasons are the violations' descriptions."""
    reasons = tuple(violation.description for violation in violations.violations)
    return GateDecision(violations.passed, reasons or ("no violations",))


MODEL_QUALITY_PIPELINE = PipelineSpec(
    name="model_quality",
    parameters=(
        "registry",
        "model_group",
        "predictions_path",
        "labels_path",
        "dataset_spec",
        "model_quality_params",
    ),
    steps=(
        Step(
            "read_inputs",
            read_scored_batch,
            ("predictions_path", "labels_path", "dataset_spec"),
            ("predictions", "labels"),
        ),
        Step(
            "resolve_model",
            resolve_scoring_version,
            ("registry", "model_group", "predictions"),
            ("model_version",),
        ),
        Step(
            "compute_quality_metrics",
            compute_quality_metrics,
            ("predictions", "labels", "dataset_spec", "model_quality_params"),
            ("model_quality",),
        ),
        Step(
            "derive_constraints",
            constraints_for_version,
            ("model_version", "model_quality_params"),
            ("quality_constraints",),
        ),
        Step(
            "check_model_quality",
            check_model_quality,
            ("model_quality", "quality_constraints"),
            ("quality_violations",),
        ),
        Step(
            "model_quality_gate",
            model_quality_decision,
            ("quality_violations",),
            ("model_quality_decision",),
            kind="condition",
            rejection_event=EventKind.MODEL_QUALITY_VIOLATIONS,
        ),
    ),
    artifacts={"model_quality": "json", "quality_violations": "json"},
    failure_event=EventKind.MODEL_QUALITY_FAILED,
)
