"""The inference pipeline, declared: resolve → load → check data quality → gate → score."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ml.config.schema import DatasetSpec
from ml.data.io import iter_csv_chunks
from ml.inference.resolve import load_model_artifacts, resolve_approved_version
from ml.inference.score import PredictionsSummary, write_predictions
from ml.monitoring.baseline import DataBaseline
from ml.monitoring.quality import DataQualityReport, check_data_quality
from ml.notify import EventKind
from ml.orchestration.spec import PipelineSpec, Step
from ml.registry import ModelVersion
from ml.train.gate import GateDecision
from ml.train.train import ModelBundle


@dataclass(frozen=True)
class BatchSource:
    """A batch file read in chunks; each consumer gets a fresh pass, so memory stays bounded."""

    path: Path
    spec: DatasetSpec
    chunk_rows: int

    def chunks(self) -> Iterator[pd.DataFrame]:
        return iter_csv_chunks(self.path, self.spec, self.chunk_rows)


def check_batch(batch: BatchSource, baseline: DataBaseline, spec: DatasetSpec) -> DataQualityReport:
    """Stream the batch through the data-quality check against the model's baseline."""
    return check_data_quality(batch.chunks(), baseline, spec)


def data_quality_decision(report: DataQualityReport) -> GateDecision:
    """Passes only without violations; the reasons are the violations in words."""
    reasons = tuple(f"{v.constraint_check_type}: {v.description}" for v in report.violations)
    return GateDecision(report.passed, reasons or ("no violations",))


def score_to_file(
    model: ModelBundle, version: ModelVersion, batch: BatchSource, predictions_path: Path
) -> PredictionsSummary:
    """Score the (already checked) batch into the predictions file."""
    return write_predictions(batch.chunks(), model, batch.spec.id_column, version.version, predictions_path)


INFERENCE_PIPELINE = PipelineSpec(
    name="inference",
    parameters=("registry", "artifacts", "model_group", "batch", "dataset_spec", "predictions_path"),
    steps=(
        Step("resolve_model", resolve_approved_version, ("registry", "model_group"), ("model_version",)),
        Step("load_model", load_model_artifacts, ("artifacts", "model_version"), ("model", "baseline")),
        Step("check_data_quality", check_batch, ("batch", "baseline", "dataset_spec"), ("data_quality",)),
        Step(
            "data_quality_gate",
            data_quality_decision,
            ("data_quality",),
            ("data_quality_decision",),
            kind="condition",
            rejection_event=EventKind.INFERENCE_VIOLATIONS,
        ),
        Step(
            "score", score_to_file, ("model", "model_version", "batch", "predictions_path"), ("predictions",)
        ),
    ),
    artifacts={"data_quality": "data_quality", "predictions": "json"},
    failure_event=EventKind.INFERENCE_FAILED,
)
