"""Score a version on the locked evaluation set: the rows no version trains on and every version is scored on.

The metrics and the row-by-row probabilities are stored as the run's `evaluation.json` artifact; the
registry keeps the set's SHA-256 and the artifact's digest, so any two versions scored on the same set can
be compared later row by row (`ml/train/compare.py`) without the data or the models at hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ml.config.schema import DatasetSpec, TrainingConfig
from ml.train.compare import EvaluationScores, require_both_classes
from ml.train.evaluate import EvaluationMetrics, metrics_from_scores
from ml.train.train import ModelBundle


@dataclass(frozen=True)
class EvaluationSet:
    """The locked evaluation rows (features, label, record id) and the SHA-256 of the file they came from."""

    data: pd.DataFrame
    sha256: str
    source: str


@dataclass(frozen=True)
class LockedEvaluation:
    """A version's metrics on the locked evaluation set and the probabilities behind them."""

    metrics: EvaluationMetrics
    scores: EvaluationScores

    @property
    def specificity(self) -> float:
        negatives = self.metrics.true_negatives + self.metrics.false_positives
        return self.metrics.true_negatives / negatives

    def registry_metrics(self) -> dict[str, float]:
        """The headline numbers kept in the registry beside the internal test split's (`evaluation_*`)."""
        m = self.metrics
        return {
            "evaluation_auc": m.auc,
            "evaluation_auc_ci_low": m.auc_ci_low,
            "evaluation_auc_ci_high": m.auc_ci_high,
            "evaluation_sensitivity": m.recall,
            "evaluation_specificity": self.specificity,
            "evaluation_brier": m.brier,
            "evaluation_rows": m.test_rows,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "evaluation_sha256": self.scores.evaluation_sha256,
            "metrics": self.metrics.to_dict(),
            "scores": self.scores.to_dict(),
        }


def evaluate_on_locked_set(
    model: ModelBundle, evaluation: EvaluationSet, spec: DatasetSpec, params: TrainingConfig
) -> LockedEvaluation:
    """Score every locked row and compute the same metrics as on the internal test split.

    Raises:
        DataError: the evaluation set holds one label class only; names the file.
    """
    frame = evaluation.data
    labels = frame[spec.label.name].to_numpy(dtype=int)
    require_both_classes(labels, f"locked evaluation set {evaluation.source}")
    probability = model.predict_proba(frame).astype("float64")
    scores = EvaluationScores(
        evaluation_sha256=evaluation.sha256,
        record_ids=tuple(str(v) for v in frame[spec.id_column]),
        labels=tuple(int(v) for v in labels),
        probabilities=tuple(float(v) for v in probability),
        threshold=model.threshold,
    )
    return LockedEvaluation(metrics_from_scores(labels, probability, model.threshold, params), scores)
