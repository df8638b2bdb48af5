"""Paired confidence intervals for two models scored on the same rows (pure NumPy/SciPy functions).

- AUC difference: DeLong, DeLong & Clarke-Pearson (1988), computed with the fast midrank algorithm of
  Sun & Xu (2014); the interval is the difference ± z·SE. It is what pROC's `roc.test` uses by default.
- Difference of two paired proportions (sensitivity on the positives, specificity on the negatives):
  Newcombe (1998), method 10, the hybrid score interval with the correlation correction; unlike a Wald
  interval it neither collapses to a point when the models disagree on no row nor leaves [-1, 1].
- Difference of per-row losses (Brier score): the mean of the paired differences ± z·SE.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Interval:
    """A point estimate with the bounds of its two-sided interval."""

    estimate: float
    low: float
    high: float


def _z(confidence: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(0.5 + confidence / 2))


def _midranks(values: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return rankdata(values, axis=-1)


def delong_auc_difference(
    labels: np.ndarray, first: np.ndarray, second: np.ndarray, confidence: float = CONFIDENCE
) -> Interval:
    """AUC(second) − AUC(first) on the same rows, with DeLong's interval for correlated ROC curves."""
    positive = labels.astype(bool)
    m, n = int(positive.sum()), int((~positive).sum())
    scores = np.vstack([first, second]).astype("float64")
    x, y = scores[:, positive], scores[:, ~positive]
    combined = _midranks(np.hstack([x, y]))
    within_x, within_y = _midranks(x), _midranks(y)
    aucs = (combined[:, :m].sum(axis=1) - m * (m + 1) / 2) / (m * n)
    v10 = (combined[:, :m] - within_x) / n  # per positive: share of negatives it outranks
    v01 = 1.0 - (combined[:, m:] - within_y) / m  # per negative: share of positives outranking it
    covariance = np.cov(v10) / m + np.cov(v01) / n
    variance = covariance[0, 0] + covariance[1, 1] - 2 * covariance[0, 1]
    difference = float(aucs[1] - aucs[0])
    half = _z(confidence) * math.sqrt(max(float(variance), 0.0))
    return Interval(difference, difference - half, difference + half)


def wilson_interval(successes: int, trials: int, confidence: float = CONFIDENCE) -> Interval:
    """Wilson's score interval for one proportion (Wilson 1927)."""
    z = _z(confidence)
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half))


def paired_proportion_difference(
    first: np.ndarray, second: np.ndarray, confidence: float = CONFIDENCE
) -> Interval:
    """Share of successes of `second` minus that of `first` on the same rows (Newcombe 1998, method 10)."""
    first, second = first.astype(bool), second.astype(bool)
    total = len(first)
    both, only_second = int((first & second).sum()), int((~first & second).sum())
    only_first, neither = int((first & ~second).sum()), int((~first & ~second).sum())
    p_second, p_first = (both + only_second) / total, (both + only_first) / total
    w_second = wilson_interval(both + only_second, total, confidence)
    w_first = wilson_interval(both + only_first, total, confidence)
    margins = (both + only_second) * (only_first + neither) * (both + only_first) * (only_second + neither)
    association = both * neither - only_second * only_first
    # Newcombe's continuity-corrected phi: a positive association shrunk by n/2 (not below zero).
    corrected = association - total / 2 if association > total / 2 else min(association, 0)
    phi = corrected / math.sqrt(margins) if margins else 0.0
    down_second, up_first = p_second - w_second.low, w_first.high - p_first
    up_second, down_first = w_second.high - p_second, p_first - w_first.low
    below = math.sqrt(max(down_second**2 - 2 * phi * down_second * up_first + up_first**2, 0.0))
    above = math.sqrt(max(up_second**2 - 2 * phi * up_second * down_first + down_first**2, 0.0))
    difference = p_second - p_first
    return Interval(difference, max(-1.0, difference - below), min(1.0, difference + above))


def paired_mean_difference(first: np.ndarray, second: np.ndarray, confidence: float = CONFIDENCE) -> Interval:
    """Mean of `second − first` over the rows, with a normal interval from the paired differences."""
    differences = second.astype("float64") - first.astype("float64")
    mean = float(differences.mean())
    half = _z(confidence) * float(differences.std(ddof=1)) / math.sqrt(len(differences))
    return Interval(mean, mean - half, mean + half)
