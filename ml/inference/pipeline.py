"""The inference pipeline, declared: resolve → load → check and score (one pass) → gate → publish.

The batch is read once: each chunk is checked and scored as it streams by, the predictions go to a staged
file, and only a batch that passes its data-quality check gets that file moved into place. On SageMaker the
same spec maps to MonitorBatchTransformStep (check + transform) and a condition.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ml.config.schema import DatasetSpec
from ml.data.io import BatchTypeError, iter_batch_chunks, iter_csv_chunks, read_ahead
from ml.data.values import unparsed_rows
from ml.errors import DataError
from ml.inference.resolve import load_model_artifacts, resolve_approved_version
from ml.inference.score import PredictionWriter, publish_predictions, score_batch
from ml.monitoring.baseline import DataBaseline
from ml.monitoring.quality import DataQualityReport, check_data_quality
from ml.notify import EventKind
from ml.registry import ModelVersion
from ml.spec import PipelineSpec, Step
from ml.train.gate import GateDecision
from ml.train.train import ModelBundle

# A chunk whose `attrs` hold this key is checked but not scored: on SageMaker every instance checks the whole
# batch (so each reaches the same verdict) and scores only its own share of the objects.
CHECK_ONLY = "check_only"


@dataclass(frozen=True)
class BatchSource:
    """A CSV or Parquet batch read in chunks, so memory stays bounded whatever its size."""

    path: Path
    spec: DatasetSpec
    chunk_rows: int

    def chunks(self) -> Generator[pd.DataFrame, None, None]:
        """Fast typed chunks (pyarrow), the next one read while the current one is checked and scored."""
        return read_ahead(iter_batch_chunks(self.path, self.spec, self.chunk_rows))

    def lenient_chunks(self) -> Generator[pd.DataFrame, None, None]:
        """The strict reader's chunks (every rule checked, values that are not numbers kept as text)."""
        return read_ahead(iter_csv_chunks(self.path, self.spec, self.chunk_rows))


def check_and_score(
    batch: BatchSource,
    baseline: DataBaseline,
    model: ModelBundle,
    version: ModelVersion,
    predictions_path: Path,
) -> tuple[DataQualityReport, PredictionWriter]:
    """Check every chunk against the baseline and stage its predictions, in one pass over the batch."""
    try:
        with closing(batch.chunks()) as chunks:
            return _one_pass(chunks, batch, baseline, model, version, predictions_path)
    except BatchTypeError:
        # The fast reader stopped short of a verdict: the strict reader reads again and names the lines.
        with closing(batch.lenient_chunks()) as chunks:
            return _one_pass(chunks, batch, baseline, model, version, predictions_path)


def _one_pass(
    chunks: Iterable[pd.DataFrame],
    batch: BatchSource,
    baseline: DataBaseline,
    model: ModelBundle,
    version: ModelVersion,
    predictions_path: Path,
) -> tuple[DataQualityReport, PredictionWriter]:
    spec = batch.spec
    writer = PredictionWriter(predictions_path)
    unscorable: list[str] = []

    def scored(chunks: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for chunk in chunks:
            if chunk.attrs.get(CHECK_ONLY):
                yield chunk
                continue
            # A chunk that cannot be scored still goes through the check, which says why in its report.
            problem = _unscorable(chunk, spec)
            if problem is None:
                try:
                    writer.write(score_batch(model, chunk, spec.id_column, version.version))
                except DataError as exc:
                    problem = str(exc)
            if problem is not None:
                unscorable.append(problem)
            yield chunk

    try:
        report = check_data_quality(scored(chunks), baseline, spec)
        if unscorable and report.passed:  # e.g. a tolerant data-type threshold: no output all the same
            raise DataError(f"{batch.path}: the batch passed its check but cannot be scored: {unscorable[0]}")
    except BaseException:
        writer.discard()
        raise
    writer.close()
    return report, writer


def _unscorable(chunk: pd.DataFrame, spec: DatasetSpec) -> str | None:
    """Why a chunk must not be scored: a missing column, or a row with a value that is not a number."""
    missing = [c for c in [spec.id_column, *spec.feature_names] if c not in chunk.columns]
    if missing:
        return f"columns {missing} are missing (the id column {spec.id_column!r} names each prediction)"
    # Never impute a value that was there but unreadable, whatever thresholds the baseline tolerates.
    unparsed = unparsed_rows(chunk, spec.feature_names)
    if unparsed.any():
        return (
            f"line {unparsed.index[unparsed.to_numpy()][0]} (and {int(unparsed.sum()) - 1} more row(s) of "
            "its chunk) holds a value that is not a number where the contract declares one"
        )
    return None


def data_quality_decision(report: DataQualityReport) -> GateDecision:
    """Passes only without violations; the reasons are the violations in words."""
    reasons = tuple(f"{v.constraint_check_type}: {v.description}" for v in report.violations)
    return GateDecision(report.passed, reasons or ("no violations",))


INFERENCE_PIPELINE = PipelineSpec(
    name="inference",
    parameters=("registry", "artifacts", "model_group", "batch", "predictions_path"),
    steps=(
        Step("resolve_model", resolve_approved_version, ("registry", "model_group"), ("model_version",)),
        Step("load_model", load_model_artifacts, ("artifacts", "model_version"), ("model", "baseline")),
        Step(
            "check_and_score",
            check_and_score,
            ("batch", "baseline", "model", "model_version", "predictions_path"),
            ("data_quality", "staged_predictions"),
        ),
        Step(
            "data_quality_gate",
            data_quality_decision,
            ("data_quality",),
            ("data_quality_decision",),
            kind="condition",
            rejection_event=EventKind.INFERENCE_VIOLATIONS,
        ),
        Step("publish_predictions", publish_predictions, ("staged_predictions",), ("predictions",)),
    ),
    artifacts={"data_quality": "data_quality", "predictions": "json"},
    failure_event=EventKind.INFERENCE_FAILED,
)
