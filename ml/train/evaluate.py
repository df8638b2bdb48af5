"""Evaluate a model on held-out rows: AUC on probabilities (never on hard labels), with a CI.

The internal test split feeds the quality gate; the locked evaluation set (`ml/train/locked.py`) is the one
every version shares, so versions can be compared.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ml.config.schema import DatasetSpec, TrainingConfig
from ml.train.preprocess import TrainingSplit
from ml.train.train import ModelBundle


@dataclass(frozen=True)
class EvaluationMetrics:
    """Held-out metrics of one model; `auc_ci_*` is a percentile-bootstrap 95% interval."""

    auc: float
    auc_ci_low: float
    auc_ci_high: float
    pr_auc: float
    accuracy: float
    precision: float
    recall: float
    f1: float
    brier: float
    threshold: float
    true_negatives: int
    false_positives: int
    false_negatives: int
    true_positives: int
    test_rows: int

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """ROC AUC (Mann–Whitney U with tie correction), row-wise for 2-D input so bootstrap runs vectorised."""
    from scipy.stats import rankdata

    labels, scores = np.atleast_2d(labels), np.atleast_2d(scores)
    ranks = rankdata(scores, axis=1)
    positives = labels.sum(axis=1)
    negatives = labels.shape[1] - positives
    rank_sum = (ranks * labels).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def bootstrap_auc_interval(
    labels: np.ndarray, scores: np.ndarray, rounds: int, seed: int
) -> tuple[float, float]:
    """2.5th and 97.5th percentiles of AUC over resamples that contain both classes."""
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, len(labels), size=(rounds, len(labels)))
    aucs = roc_auc(labels[rows], scores[rows])
    aucs = aucs[np.isfinite(aucs)]
    low, high = np.percentile(aucs, [2.5, 97.5])
    return float(low), float(high)


def evaluate_model(
    model: ModelBundle, split: TrainingSplit, spec: DatasetSpec, params: TrainingConfig
) -> EvaluationMetrics:
    """Compute the metrics reported to reviewers and checked by the quality gate, on the test split only."""
    y = split.test[spec.label.name].to_numpy(dtype=int)
    if len(np.unique(y)) < 2:
        from ml.errors import DataError

        raise DataError(
            f"the held-out test split ({len(y)} rows) holds only one {spec.label.name} class; "
            "AUC needs both: train on more rows or raise training.test_fraction"
        )
    return metrics_from_scores(y, model.predict_proba(split.test), model.threshold, params)


def metrics_from_scores(
    y: np.ndarray, probability: np.ndarray, threshold: float, params: TrainingConfig
) -> EvaluationMetrics:
    """AUC with its bootstrap CI, PR AUC, Brier score and the confusion matrix at `threshold`."""
    from sklearn.metrics import average_precision_score, confusion_matrix

    predicted = (probability >= threshold).astype(int)
    tn, fp, fn, tp = (int(v) for v in confusion_matrix(y, predicted, labels=[0, 1]).ravel())
    low, high = bootstrap_auc_interval(y, probability, params.bootstrap_rounds, params.seed)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return EvaluationMetrics(
        auc=float(roc_auc(y, probability)[0]),
        auc_ci_low=low,
        auc_ci_high=high,
        pr_auc=float(average_precision_score(y, probability)),
        accuracy=(tp + tn) / len(y),
        precision=precision,
        recall=recall,
        f1=2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        brier=float(np.mean((probability - y) ** 2)),
        threshold=threshold,
        true_negatives=tn,
        false_positives=fp,
        false_negatives=fn,
        true_positives=tp,
        test_rows=len(y),
    )
