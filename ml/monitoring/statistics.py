"""Streaming per-feature statistics, rendered in Model Monitor's statistics.json layout.

Every accumulator takes one chunk at a time and keeps a fixed amount of state (moments, min/max, a KLL
sketch, a capped table of category counts), so the baseline of a training set and the statistics of a
batch come from the same code, whatever their size.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pandas as pd

from ml.monitoring.sketch import KLLSketch, kll_buckets

STATISTICS_VERSION = 0
# A batch can hold any number of distinct garbage strings; past this many, new ones are counted together.
MAX_TRACKED_CATEGORIES = 1000
OTHER_CATEGORIES = "<other values>"


def parse_numbers(column: pd.Series) -> np.ndarray:
    """The column as floats: NaN where the value is missing or is not a finite number."""
    numbers = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return np.where(np.isfinite(numbers), numbers, np.nan)


def is_integral(numbers: np.ndarray) -> np.ndarray:
    """Which values are finite whole numbers (NaN is not)."""
    return np.isfinite(numbers) & (np.floor(numbers) == numbers)


def category_key(value: object) -> str:
    """The string a categorical value is counted under: 3, 3.0 and "3" are all "3"."""
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text


def category_counts(column: pd.Series) -> Counter[str]:
    """Counts of the present values of a column, keyed by `category_key`."""
    counts: Counter[str] = Counter()
    for value, count in column.value_counts(dropna=True).items():
        counts[category_key(value)] += int(count)
    return counts


def sort_categories(keys: list[str]) -> list[str]:
    """Numbers in numeric order first, then any other strings alphabetically."""

    def order(key: str) -> tuple[int, float, str]:
        try:
            return (0, float(key), key)
        except ValueError:
            return (1, 0.0, key)

    return sorted(keys, key=order)


class NumericSummary:
    """Count, sum, mean, population standard deviation, min, max and a KLL sketch of finite values."""

    def __init__(self) -> None:
        self.count = 0
        self.total = 0.0
        self.mean = 0.0
        self.m2 = 0.0
        self.low = math.inf
        self.high = -math.inf
        self.sketch = KLLSketch()

    def update(self, values: np.ndarray) -> None:
        """Add finite values; moments are merged with Chan et al.'s parallel formula."""
        if values.size == 0:
            return
        with np.errstate(
            over="ignore"
        ):  # values near ±1e308 overflow to inf moments; the range check names them
            size, mean = values.size, float(values.mean())
            squares = float(((values - mean) ** 2).sum())
        combined = self.count + size
        delta = mean - self.mean
        self.m2 += squares + delta**2 * self.count * size / combined
        self.mean += delta * size / combined
        self.count = combined
        self.total += float(values.sum())
        self.low, self.high = min(self.low, float(values.min())), max(self.high, float(values.max()))
        self.sketch.update(values)

    def to_json(self, num_present: int, num_missing: int) -> dict:
        """`numerical_statistics`; without any number only `common` is written (nothing to describe)."""
        common = {"num_present": num_present, "num_missing": num_missing}
        if self.count == 0:
            return {"common": common}
        return {
            "common": common,
            "mean": self.mean,
            "sum": self.total,
            "std_dev": math.sqrt(self.m2 / self.count),
            "min": self.low,
            "max": self.high,
            "distribution": {
                "kll": {
                    "buckets": kll_buckets(self.sketch.levels, self.low, self.high),
                    "sketch": self.sketch.to_json(),
                }
            },
        }


class CategorySummary:
    """Counts per category key, capped at MAX_TRACKED_CATEGORIES distinct keys."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def update(self, counts: Counter[str]) -> None:
        """Add the counts of one chunk."""
        for key, count in counts.items():
            if key in self.counts or len(self.counts) < MAX_TRACKED_CATEGORIES:
                self.counts[key] += count
            else:
                self.counts[OTHER_CATEGORIES] += count

    def to_json(self, num_present: int, num_missing: int) -> dict:
        """`string_statistics` with the categorical distribution."""
        keys = sort_categories([key for key in self.counts if key != OTHER_CATEGORIES])
        keys += [OTHER_CATEGORIES] if OTHER_CATEGORIES in self.counts else []
        return {
            "common": {"num_present": num_present, "num_missing": num_missing},
            "distinct_count": float(len(self.counts)),
            "distribution": {
                "categorical": {"buckets": [{"value": key, "count": self.counts[key]} for key in keys]}
            },
        }


def statistics_document(item_count: int, features: list[dict]) -> dict:
    """The whole statistics.json: version, dataset-level item count, per-feature statistics."""
    return {"version": STATISTICS_VERSION, "dataset": {"item_count": item_count}, "features": features}
