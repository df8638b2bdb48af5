"""Model Monitor's baseline-drift distances: L-infinity between distributions, `Simple` or `Robust`.

Definitions used (and where they come from):
- AWS, "Schema for Constraints (constraints.json file)",
  https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-constraints.html, table
  "Monitoring Constraints": the distance is "the maximum absolute difference between the cumulative
  distribution functions of two distributions" (`linf_simple`); `linf_robust` "is based on linf_simple,
  but is used when there are not enough samples" and follows the two-sample Kolmogorov-Smirnov test;
  categorical features use `categorical_drift_method` LInfinity by default.
- The formulas are Deequ's, the library the analyzer is built on (awslabs/deequ
  `src/main/scala/com/amazon/deequ/analyzers/Distance.scala`):
  numeric: D = max |F_baseline(x) - F_batch(x)| over the CDFs;
  categorical: D = max over categories |p_baseline(c) - p_batch(c)| of the category frequencies;
  Robust: max(0, D - c_alpha * sqrt((n + m) / (n * m))) with c_alpha = 1.8 (alpha = 0.003) and n, m the
  two sample sizes; Simple: D.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from scipy.stats import wasserstein_distance

from ml.monitoring.sketch import SketchCDF

C_ALPHA = 1.8


def linf_distance(simple: float, n: float, m: float, method: str) -> float:
    """Apply the comparison method to a plain L-infinity distance between samples of sizes n and m."""
    if method == "Simple":
        return simple
    return max(0.0, simple - C_ALPHA * math.sqrt((n + m) / (n * m)))


def categorical_distance(baseline: Mapping[str, float], batch: Mapping[str, float], method: str) -> float:
    """L-infinity distance between the category frequencies of two count tables."""
    n, m = sum(baseline.values()), sum(batch.values())
    keys = set(baseline) | set(batch)
    simple = max(abs(baseline.get(key, 0) / n - batch.get(key, 0) / m) for key in keys)
    return linf_distance(simple, n, m, method)


class CDFHistogram:
    """Counts batch values on the baseline sketch's own grid, so the CDF distance is exact in O(grid) memory.

    The grid is every distinct value in the baseline sketch; each value gets a bin for "equal to it" and one
    for "strictly between it and the previous value", plus one overflow bin. Between two grid values the
    baseline CDF is flat, so |F_baseline - F_batch| is largest at a grid value or just below one, and both
    are known from the counts: the distance equals the KS distance between the sketch and every batch value,
    is the same however the batch is chunked, and needs no sample of the batch. (A reservoir sample would
    make the distance depend on the seed and the chunking; a fixed-width grid would blur the tails.)
    """

    def __init__(self, baseline: SketchCDF) -> None:
        self.baseline = baseline
        self.counts = np.zeros(2 * len(baseline.values) + 1, dtype=np.int64)
        # Per-bin sums place each between-grid bin's mass at its mean, which is all Wasserstein-1 needs
        # outside the grid and where the batch CDF does not cross the flat baseline CDF.
        self.sums = np.zeros(len(self.counts))

    def update(self, values: np.ndarray) -> None:
        """Add finite batch values."""
        grid = self.baseline.values
        index = np.searchsorted(grid, values, side="left")
        on_grid = (index < len(grid)) & (grid[np.minimum(index, len(grid) - 1)] == values)
        bins = 2 * index + on_grid
        self.counts += np.bincount(bins, minlength=len(self.counts))
        self.sums += np.bincount(bins, weights=values, minlength=len(self.counts))

    @property
    def count(self) -> int:
        return int(self.counts.sum())

    def distance(self, method: str) -> float:
        """Model Monitor's numeric distance between the baseline sketch and the values seen so far."""
        return linf_distance(self.ks_statistic(), self.baseline.total, self.count, method)

    def ks_statistic(self) -> float:
        """The two-sample Kolmogorov-Smirnov statistic D = max |F_baseline - F_batch| (`Simple` distance)."""
        batch = np.cumsum(self.counts) / self.count
        base_at = self.baseline.cdf
        base_below = np.concatenate([[0.0], base_at[:-1]])
        return float(max(np.abs(base_below - batch[0:-1:2]).max(), np.abs(base_at - batch[1::2]).max()))

    def rank_sum_z(self) -> float:
        """Mann-Whitney's z of the batch against the baseline sketch, ties at grid values corrected.

        U counts, over batch values, the baseline weight below each plus half the weight equal to it; both
        are exact on the grid. Values between grid points are taken as untied, which only ignores ties among
        batch values the baseline never saw.
        """
        n, m = self.baseline.total, self.count
        weight = np.diff(self.baseline.cdf, prepend=0.0) * n
        below = np.cumsum(weight) - weight
        between, equal, overflow = self.counts[0:-1:2], self.counts[1::2], self.counts[-1]
        u = float(between @ below + equal @ (below + weight / 2) + overflow * n)
        ties = weight + equal
        total = n + m
        variance = n * m / 12 * ((total + 1) - float((ties**3 - ties).sum()) / (total * (total - 1)))
        return (u - n * m / 2) / math.sqrt(variance) if variance > 0 else 0.0

    def wasserstein(self) -> float:
        """Wasserstein-1 distance (area between the CDFs) from the baseline sketch to the batch."""
        filled = self.counts > 0
        positions = np.where(filled, self.sums / np.maximum(self.counts, 1), 0.0)[filled]
        grid = self.baseline.values
        weights = np.diff(self.baseline.cdf, prepend=0.0)
        return float(wasserstein_distance(grid, positions, weights, self.counts[filled]))
