"""Per-feature monitors: each reads the batch chunk by chunk and then says which constraints it violates.

A monitor keeps counts, a NumericSummary or CategorySummary, the CDF histogram for drift and the first
few offending rows, so its memory does not grow with the batch. Batch values are read with the
baseline's type for the feature (an `Integral` feature is parsed as numbers even when a stray string
made pandas read the column as text).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.monitoring.baseline import MonitoringRules, declared_bounds, declared_domain
from ml.monitoring.distance import CDFHistogram, categorical_distance
from ml.monitoring.drift import (
    FAIL,
    DriftTestOutcome,
    DriftTestResult,
    chi_squared_test,
    describe_failure,
    missing_values_test,
    numeric_test,
)
from ml.monitoring.sketch import SketchCDF
from ml.monitoring.statistics import (
    CategorySummary,
    NumericSummary,
    category_counts,
    category_key,
    is_integral,
    parse_numbers,
)
from ml.monitoring.wording import (
    EXTENSION_KEY,
    MODEL_MONITOR_CHECKS,
    data_type_sentence,
    distance_sentence,
    value_sentence,
    with_details,
)

MAX_EXAMPLES = 5
MAX_LISTED_VALUES = 10
# Our extensions; every other check type is Model Monitor's (ml/monitoring/wording.py).
RANGE_CHECK = "range_check"
DRIFT_TEST_CHECK = "drift_test_check"  # our statistical test failed while Model Monitor's distance did not


@dataclass(frozen=True)
class Violation:
    """One entry of constraint_violations.json."""

    feature_name: str
    constraint_check_type: str
    description: str

    @property
    def is_extension(self) -> bool:
        return self.constraint_check_type not in MODEL_MONITOR_CHECKS

    def to_json(self) -> dict:
        """The constraint_violations.json entry: Model Monitor's three keys, plus ours on an extension."""
        entry = {
            "feature_name": self.feature_name,
            "constraint_check_type": self.constraint_check_type,
            "description": self.description,
        }
        return {**entry, EXTENSION_KEY: True} if self.is_extension else entry


@dataclass(frozen=True)
class FeatureTests:
    """A feature's statistical tests after the correction: its distribution and its missing values."""

    distribution: DriftTestResult | None = None
    missing_values: DriftTestResult | None = None


class Examples:
    """How many rows failed a check, and the first few of them as (line number in the file, value)."""

    def __init__(self) -> None:
        self.count = 0
        self.rows: list[tuple[int, object]] = []

    def add(self, failed: np.ndarray, column: pd.Series, numbers: np.ndarray, first_row: int) -> None:
        """Count the failing rows of a chunk and keep the first few."""
        # A value that parses is shown as its number: pandas reads a chunk as text when any of its values
        # is not a number, and the description must not depend on where the chunks were cut.
        hits = np.flatnonzero(failed)
        self.count += int(hits.size)
        for i in hits[: MAX_EXAMPLES - len(self.rows)]:
            value = column.iloc[i] if np.isnan(numbers[i]) else float(numbers[i])
            self.rows.append((first_row + int(i), value))

    def describe(self) -> str:
        return ", ".join(f"line {row} = {value!r}" for row, value in self.rows)


class FeatureMonitor(ABC):
    """What every feature is checked for: presence (completeness) and, by subclasses, type and values."""

    def __init__(self, constraint: dict, stats: dict | None) -> None:
        self.name: str = constraint["name"]
        self.expected: str = constraint["inferred_type"]
        # The SDK's `Constraints.set_monitoring(False, feature)` writes the snake_case spelling; AWS's schema
        # page shows camelCase.
        overrides = constraint.get("monitoring_config_overrides") or constraint.get(
            "monitoringConfigOverrides"
        )
        self.evaluate = (overrides or {}).get("evaluate_constraints", "Enabled") != "Disabled"
        summary = (stats or {}).get("numerical_statistics") or (stats or {}).get("string_statistics") or {}
        common = summary.get("common", {})
        self.baseline_rows: tuple[float, float] | None = (
            (float(common["num_present"]), float(common["num_missing"]))
            if {"num_present", "num_missing"} <= set(common)
            else None
        )
        self.present = 0
        self.missing = 0

    def update(self, column: pd.Series, first_row: int) -> None:
        present = column.notna().to_numpy()
        self.present += int(present.sum())
        self.missing += int(present.size - present.sum())
        self._update(column, present, first_row)

    def violations(self, rules: MonitoringRules, tests: FeatureTests) -> list[Violation]:
        found = (
            [self._completeness_violation(rules, tests.missing_values), *self._value_violations(rules)]
            if rules.evaluate_constraints and self.evaluate
            else []
        )
        if rules.perform_comparison:
            found.append(self._drift_violation(rules, tests.distribution))
        return [violation for violation in found if violation is not None]

    def missing_values_test(self) -> DriftTestOutcome | None:
        """The test for a rise of the missing share against the baseline, before correction."""
        if self.baseline_rows is None:
            return None
        return missing_values_test(self.name, self.baseline_rows, (self.present, self.missing))

    def _completeness_violation(
        self, rules: MonitoringRules, test: DriftTestResult | None
    ) -> Violation | None:
        rows = self.present + self.missing
        share = self.present / rows if rows else 1.0
        floor = rules.completeness_threshold
        below_floor = floor is not None and share < floor
        tested = test is not None and test.status == FAIL
        if not (below_floor or tested):
            return None
        details = [
            f"{self.name}: {self.present} of {rows} values are present ({share:.1%}, {self.missing} missing)"
        ]
        if below_floor:
            details.append(f"below the completeness floor {floor:.1%}")
        if tested:
            details.append(describe_failure(test))
        return Violation(
            self.name, "completeness_check", with_details(value_sentence(share), "; ".join(details))
        )

    def _drift_entry(
        self, distance: float | None, threshold: float, kind: str, test: DriftTestResult | None, detail: str
    ) -> Violation | None:
        """One entry per feature: Model Monitor's distance with our test after it, or our test alone."""
        failed_test = describe_failure(test) if test is not None and test.status == FAIL else None
        if distance is not None and distance > threshold:
            ours = f"{self.name}: Model Monitor's distance ({kind.lower()}){detail}"
            text = "; ".join(filter(None, [ours, failed_test]))
            return Violation(
                self.name,
                "baseline_drift_check",
                with_details(distance_sentence(kind, distance, threshold), text),
            )
        if failed_test is not None:
            return Violation(self.name, DRIFT_TEST_CHECK, failed_test)
        return None

    @abstractmethod
    def drift(self, method: str) -> float | None:
        """The baseline-drift distance, or None when there is nothing to compare."""

    @abstractmethod
    def drift_test(self) -> DriftTestOutcome | None:
        """The statistical drift test before correction, or None when the baseline has no distribution."""

    @abstractmethod
    def statistics(self) -> dict:
        """This feature's entry in the batch's statistics.json."""

    @abstractmethod
    def _update(self, column: pd.Series, present: np.ndarray, first_row: int) -> None: ...

    @abstractmethod
    def _value_violations(self, rules: MonitoringRules) -> list[Violation | None]: ...

    @abstractmethod
    def _drift_violation(self, rules: MonitoringRules, test: DriftTestResult | None) -> Violation | None: ...


class NumericMonitor(FeatureMonitor):
    """An `Integral` or `Fractional` feature: type, declared range and CDF drift."""

    def __init__(self, constraint: dict, stats: dict | None) -> None:
        super().__init__(constraint, stats)
        self.low, self.high = declared_bounds(constraint)
        self.summary = NumericSummary()
        self.type_errors = Examples()
        self.out_of_range = Examples()
        numerical = (stats or {}).get("numerical_statistics", {})
        self.baseline_mean: float | None = numerical.get("mean")
        sketch = numerical.get("distribution", {}).get("kll", {}).get("sketch", {}).get("data")
        baseline_cdf = SketchCDF.from_levels(sketch) if sketch else None
        self.histogram = CDFHistogram(baseline_cdf) if baseline_cdf and baseline_cdf.total else None
        std = numerical.get("std_dev")
        self.baseline_std = float(std) if std is not None else baseline_cdf.std() if self.histogram else 0.0

    def _update(self, column: pd.Series, present: np.ndarray, first_row: int) -> None:
        numbers = parse_numbers(column)
        # An infinite value is present but no usable number: a data_type_check, never a range or a statistic.
        finite = np.isfinite(numbers)
        conforming = finite & is_integral(numbers) if self.expected == "Integral" else finite
        self.type_errors.add(present & ~conforming, column, numbers, first_row)
        low = -np.inf if self.low is None else self.low
        high = np.inf if self.high is None else self.high
        self.out_of_range.add(finite & ((numbers < low) | (numbers > high)), column, numbers, first_row)
        self.summary.update(numbers[finite])
        if self.histogram is not None:
            self.histogram.update(numbers[finite])

    def _value_violations(self, rules: MonitoringRules) -> list[Violation | None]:
        return [self._type_violation(rules), self._range_violation()]

    def _type_violation(self, rules: MonitoringRules) -> Violation | None:
        bad = self.type_errors.count
        share = 1 - bad / self.present if self.present else 1.0
        if share >= rules.datatype_check_threshold:
            return None
        ours = (
            f"{self.name}: {bad} of {self.present} present values are not {self.expected}; "
            f"examples: {self.type_errors.describe()}"
        )
        sentence = data_type_sentence(self.expected, rules.datatype_check_threshold, share)
        return Violation(self.name, "data_type_check", with_details(sentence, ours))

    def _range_violation(self) -> Violation | None:
        bad = self.out_of_range.count
        if bad == 0:
            return None
        return Violation(
            self.name,
            RANGE_CHECK,
            f"{self.name}: {bad} of {self.present} present values ({bad / self.present:.1%}) are outside the "
            f"declared range {_range_text(self.low, self.high)}; examples: {self.out_of_range.describe()}",
        )

    def _drift_violation(self, rules: MonitoringRules, test: DriftTestResult | None) -> Violation | None:
        distance = self.drift(rules.comparison_method)
        means = "" if self.baseline_mean is None else f"baseline mean {self.baseline_mean:.4g}, "
        detail = f", {rules.comparison_method}, between the CDFs; {means}batch mean {self.summary.mean:.4g}"
        return self._drift_entry(distance, rules.comparison_threshold, "Numerical", test, detail)

    def drift(self, method: str) -> float | None:
        if self.histogram is None or self.histogram.count == 0:
            return None
        return self.histogram.distance(method)

    def drift_test(self) -> DriftTestOutcome | None:
        return None if self.histogram is None else numeric_test(self.name, self.histogram, self.baseline_std)

    def statistics(self) -> dict:
        numerical = self.summary.to_json(self.present, self.missing)
        return {"name": self.name, "inferred_type": self.expected, "numerical_statistics": numerical}


class StringMonitor(FeatureMonitor):
    """A `String` (or `Unknown`) feature: domain of values and category-frequency drift."""

    def __init__(self, constraint: dict, stats: dict | None) -> None:
        super().__init__(constraint, stats)
        self.domain = declared_domain(constraint)
        self.summary = CategorySummary()
        buckets = (stats or {}).get("string_statistics", {}).get("distribution", {})
        self.baseline_counts: dict[str, float] = {}
        for bucket in buckets.get("categorical", {}).get("buckets", []):
            key = category_key(bucket["value"])
            self.baseline_counts[key] = self.baseline_counts.get(key, 0.0) + float(bucket["count"])

    def _update(self, column: pd.Series, present: np.ndarray, first_row: int) -> None:
        self.summary.update(category_counts(column))

    def _value_violations(self, rules: MonitoringRules) -> list[Violation | None]:
        if self.domain is None or self.present == 0:
            return []
        allowed = set(self.domain)
        unknown = {key: n for key, n in self.summary.counts.items() if key not in allowed}
        bad = sum(unknown.values())
        share = bad / self.present
        if 1 - share >= rules.domain_content_threshold:
            return []
        listed = sorted(unknown.items(), key=lambda item: (-item[1], item[0]))[:MAX_LISTED_VALUES]
        values = ", ".join(f"{key!r} ({n} rows)" for key, n in listed)
        ours = (
            f"{self.name}: {bad} of {self.present} present values ({share:.1%}) are not in the baseline "
            f"domain {self.domain}; unknown values: {values}; {1 - share:.1%} are known, below the "
            f"domain-content threshold {rules.domain_content_threshold:.1%}"
        )
        return [
            Violation(self.name, "categorical_values_check", with_details(value_sentence(1 - share), ours))
        ]

    def _drift_violation(self, rules: MonitoringRules, test: DriftTestResult | None) -> Violation | None:
        distance = self.drift(rules.comparison_method)
        detail = f", {rules.comparison_method}, between the category frequencies"
        return self._drift_entry(
            distance, rules.categorical_comparison_threshold, "Categorical", test, detail
        )

    def drift(self, method: str) -> float | None:
        if not self.baseline_counts or not self.summary.counts:
            return None
        return categorical_distance(self.baseline_counts, self.summary.counts, method)

    def drift_test(self) -> DriftTestOutcome | None:
        if not self.baseline_counts:
            return None
        return chi_squared_test(self.name, self.baseline_counts, self.summary.counts)

    def statistics(self) -> dict:
        strings = self.summary.to_json(self.present, self.missing)
        return {"name": self.name, "inferred_type": self.expected, "string_statistics": strings}


def build_monitor(constraint: dict, stats: dict | None) -> FeatureMonitor:
    """The monitor for a baseline feature, chosen by its inferred type."""
    if constraint["inferred_type"] in ("Integral", "Fractional"):
        return NumericMonitor(constraint, stats)
    return StringMonitor(constraint, stats)


def _range_text(low: float | None, high: float | None) -> str:
    left = "(-inf" if low is None else f"[{low:g}"
    right = "inf)" if high is None else f"{high:g}]"
    return f"{left}, {right}"
