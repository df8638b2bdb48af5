"""Champion vs challenger on the same locked evaluation rows: paired differences with 95% intervals.

Two versions are compared only when both were scored on the same evaluation set (same SHA-256, same
records in the same order, same labels); otherwise the comparison is refused and says why. Methods and
references: `ml/train/paired.py` and docs/comparison.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ml.errors import DataError
from ml.train.paired import (
    Interval,
    delong_auc_difference,
    paired_mean_difference,
    paired_proportion_difference,
)

METHODS = {
    "auc": "DeLong, DeLong & Clarke-Pearson (1988), fast algorithm of Sun & Xu (2014)",
    "sensitivity": "Newcombe (1998) paired hybrid score interval, method 10",
    "specificity": "Newcombe (1998) paired hybrid score interval, method 10",
    "brier": "mean of paired per-row differences, normal interval",
}


class NotComparableError(DataError):
    """Two versions were not evaluated on the same locked rows, so their metrics cannot be compared."""


@dataclass(frozen=True)
class EvaluationScores:
    """One version's predicted probabilities on the locked evaluation set, row by row."""

    evaluation_sha256: str
    record_ids: tuple[str, ...]
    labels: tuple[int, ...]
    probabilities: tuple[float, ...]
    threshold: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EvaluationScores:
        return cls(
            evaluation_sha256=str(data["evaluation_sha256"]),
            record_ids=tuple(str(v) for v in data["record_ids"]),
            labels=tuple(int(v) for v in data["labels"]),
            probabilities=tuple(float(v) for v in data["probabilities"]),
            threshold=float(data["threshold"]),
        )


@dataclass(frozen=True)
class PairedDifference:
    """A metric of both versions and the challenger's difference (challenger − champion) with its CI."""

    champion: float
    challenger: float
    difference: float
    low: float
    high: float
    method: str


@dataclass(frozen=True)
class PairedComparison:
    """Everything a reviewer needs to judge whether the challenger is better, worse or indistinguishable."""

    champion_version: int
    challenger_version: int
    evaluation_sha256: str
    rows: int
    positives: int
    auc: PairedDifference
    sensitivity: PairedDifference
    specificity: PairedDifference
    brier: PairedDifference
    confidence: float = 0.95

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def auc_verdict(self) -> str:
        """'better', 'worse' or 'indistinguishable': whether the AUC difference's interval excludes 0."""
        if self.auc.low > 0:
            return "better"
        return "worse" if self.auc.high < 0 else "indistinguishable"

    def non_inferior(self, margin: float) -> bool:
        """Whether the challenger's AUC is at most `margin` below the champion's, at this confidence."""
        return self.auc.low >= -margin


def require_comparable(champion: EvaluationScores, challenger: EvaluationScores) -> None:
    """Refuse two score sets that were not computed on the same evaluation rows.

    Raises:
        NotComparableError: different evaluation-set digests, records or labels; the message says which.
    """
    if champion.evaluation_sha256 != challenger.evaluation_sha256:
        raise NotComparableError(
            "not comparable: evaluated on different evaluation sets (sha256 "
            f"{champion.evaluation_sha256[:12]} vs {challenger.evaluation_sha256[:12]}); retrain one of "
            "them against the same locked set "
            "(`mlops data prepare` with the same split.seed and fractions)"
        )
    if champion.record_ids != challenger.record_ids or champion.labels != challenger.labels:
        raise NotComparableError(
            "not comparable: the evaluation records or labels differ although the digests match; "
            "the stored scores were altered"
        )


def compare_scores(
    champion: EvaluationScores,
    challenger: EvaluationScores,
    *,
    champion_version: int,
    challenger_version: int,
) -> PairedComparison:
    """Pair both versions' scores row by row and compute AUC, sensitivity, specificity and Brier differences.

    Raises:
        NotComparableError: the two were not scored on the same rows.
        DataError: the evaluation rows hold only one class (AUC, sensitivity or specificity is undefined).
    """
    require_comparable(champion, challenger)
    labels = np.asarray(champion.labels, dtype=int)
    require_both_classes(labels, f"evaluation set {champion.evaluation_sha256[:12]}")
    first, second = (np.asarray(s.probabilities, dtype="float64") for s in (champion, challenger))
    hits = [p >= s.threshold for p, s in ((first, champion), (second, challenger))]
    positive = labels == 1
    auc = delong_auc_difference(labels, first, second)
    return PairedComparison(
        champion_version=champion_version,
        challenger_version=challenger_version,
        evaluation_sha256=champion.evaluation_sha256,
        rows=len(labels),
        positives=int(positive.sum()),
        auc=_paired("auc", _auc(labels, first), _auc(labels, second), auc),
        sensitivity=_proportions("sensitivity", hits[0][positive], hits[1][positive]),
        specificity=_proportions("specificity", ~hits[0][~positive], ~hits[1][~positive]),
        brier=_paired(
            "brier",
            float(np.mean((first - labels) ** 2)),
            float(np.mean((second - labels) ** 2)),
            paired_mean_difference((first - labels) ** 2, (second - labels) ** 2),
        ),
    )


def require_both_classes(labels: np.ndarray, what: str) -> None:
    """AUC, sensitivity and specificity need positives and negatives.

    Raises:
        DataError: `labels` holds one class only (or none).
    """
    classes = sorted({int(v) for v in np.unique(labels)})
    if classes != [0, 1]:
        raise DataError(
            f"{what}: {len(labels)} rows with label class(es) {classes}; a paired comparison needs both "
            "0 and 1 — use a larger, stratified evaluation set (split.evaluation)"
        )


def _auc(labels: np.ndarray, scores: np.ndarray) -> float:
    from ml.train.evaluate import roc_auc

    return float(roc_auc(labels, scores)[0])


def _paired(name: str, champion: float, challenger: float, interval: Interval) -> PairedDifference:
    return PairedDifference(
        champion, challenger, interval.estimate, interval.low, interval.high, METHODS[name]
    )


def _proportions(name: str, champion: np.ndarray, challenger: np.ndarray) -> PairedDifference:
    interval = paired_proportion_difference(champion, challenger)
    return _paired(name, float(champion.mean()), float(challenger.mean()), interval)


def roc_points(labels: Sequence[int], scores: Sequence[float]) -> tuple[list[float], list[float]]:
    """False and true positive rates at every distinct threshold, from (0, 0) to (1, 1)."""
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(np.asarray(labels), np.asarray(scores), drop_intermediate=True)
    return [float(v) for v in fpr], [float(v) for v in tpr]


def reliability_bins(
    labels: Sequence[int], probabilities: Sequence[float], bins: int = 10
) -> list[dict[str, float]]:
    """Equal-width probability bins: mean predicted probability, observed positive rate, and row count."""
    y, p = np.asarray(labels, dtype="float64"), np.asarray(probabilities, dtype="float64")
    index = np.minimum((p * bins).astype(int), bins - 1)
    table = []
    for b in range(bins):
        rows = index == b
        if rows.any():
            table.append(
                {
                    "predicted": float(p[rows].mean()),
                    "observed": float(y[rows].mean()),
                    "rows": int(rows.sum()),
                }
            )
    return table
