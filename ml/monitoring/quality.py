"""The data-quality check of a batch against a baseline, reading the batch in chunks.

Reproduces Model Monitor's checks and writes its constraint_violations.json format (AWS, "Schema for
Violations (constraint_violations.json file)",
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-violations.html):
missing_column_check, extra_column_check, data_type_check, completeness_check, categorical_values_check
and baseline_drift_check. The drift distance is Model Monitor's L-infinity distance, `Simple` or `Robust`
(AWS, "Schema for Constraints (constraints.json file)",
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-constraints.html; formulas in
`ml/monitoring/distance.py`).

Descriptions start with the analyzer's own sentence for the check type (`ml/monitoring/wording.py`);
our details follow. Statistical tests (`ml/monitoring/drift.py`) run per feature beside the distance, all
in one multiple-testing family: a distribution test, whose failure is added to the feature's one
`baseline_drift_check` entry when the distance also fails and is our extension `drift_test_check`
otherwise; and a missing-values test, whose failure is the feature's `completeness_check`. Our other
extension, `range_check`, is reported when a numeric value lies outside the bounds a baseline declares in
`num_constraints.range` (our key) or by `is_non_negative`. Extension entries carry `"extension": true`.
The batch's id column is never checked and never counted as an extra column; nor is a missing label
column, which SageMaker's analyzer includes in a baseline as its first feature.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

import pandas as pd

from ml.config.schema import DatasetSpec
from ml.errors import DataError
from ml.monitoring.baseline import DataBaseline, MonitoringRules, baseline_from_json, monitoring_rules
from ml.monitoring.checks import FeatureMonitor, FeatureTests, Violation, build_monitor
from ml.monitoring.drift import DriftTestOutcome, DriftTestResult, evaluate_drift_tests
from ml.monitoring.statistics import statistics_document
from ml.monitoring.wording import column_count_sentence, with_details

__all__ = ["DataQualityReport", "DriftTestResult", "Violation", "check_data_quality"]


@dataclass(frozen=True)
class DataQualityReport:
    """The outcome of one check.

    Attributes:
        violations: every violated constraint, in constraint_violations.json's terms; empty when passed.
        row_count: data rows in the batch.
        statistics: the batch's statistics.json.
        drift: per feature, Model Monitor's drift distance (`comparison_method`) to the baseline.
        drift_tests: per feature, the statistical drift test (`ml.monitoring.drift.DriftTestResult`):
            `test`, `status` ("pass", "fail", "not enough data", "disabled"), `statistic`,
            `degrees_of_freedom`, `p_value`, `adjusted_p_value` with its `correction` and `alpha`,
            `effect_size` (`effect_size_name`) against `effect_size_floor`, `sample_size`,
            `baseline_size`, `min_samples`. Empty when the baseline disables the comparison or the tests.
        missing_value_tests: per feature, the test for a rise of the missing share (same fields), in the
            same correction as `drift_tests`. Empty when the tests or the constraint checks are disabled.
    """

    violations: tuple[Violation, ...]
    row_count: int
    statistics: dict
    drift: dict[str, float]
    drift_tests: dict[str, DriftTestResult] = field(default_factory=dict)
    missing_value_tests: dict[str, DriftTestResult] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.violations

    def to_violations_json(self) -> dict:
        """The report as constraint_violations.json: `{"violations": [{feature_name, ...}]}`."""
        return {"violations": [violation.to_json() for violation in self.violations]}

    def drift_tests_json(self) -> list[dict]:
        """The statistical drift tests as JSON-ready objects, in baseline feature order."""
        return [asdict(result) for result in self.drift_tests.values()]


def check_data_quality(
    chunks: Iterable[pd.DataFrame], baseline: DataBaseline, spec: DatasetSpec
) -> DataQualityReport:
    """Check a batch, read in chunks, against a baseline's constraints and distributions.

    Args:
        chunks: the batch in row order, e.g. from
            `pd.read_csv(path, chunksize=n, na_values=[spec.missing_marker])`.
        baseline: ours (`build_baseline`) or one written by SageMaker's analyzer.
        spec: the data contract; its `id_column` is allowed in the batch and never checked.

    Returns:
        The report; `passed` is False when there is any violation. Row numbers in descriptions are the
        chunks' index (the readers' file line numbers, or Parquet row numbers from 1), else 0-based
        positions of data rows in the batch, counted across chunks.

    Raises:
        DataError: the baseline files are malformed, or the batch has no rows.
    """
    baseline = baseline_from_json(baseline.statistics, baseline.constraints)
    rules = monitoring_rules(baseline.constraints)
    columns: list[str] | None = None
    monitors: list[FeatureMonitor] = []
    row_count = 0
    for chunk in chunks:
        if columns is None:
            columns = [str(name) for name in chunk.columns]
            monitors = _build_monitors(baseline, columns)
        first = _first_row_number(chunk, row_count)
        for monitor in monitors:
            monitor.update(chunk[monitor.name], first_row=first)
        row_count += len(chunk)
    if columns is None or row_count == 0:
        raise DataError("the batch has no data rows; there is nothing to check")
    return _report(baseline, rules, monitors, columns, row_count, (spec.id_column, spec.label.name))


def _first_row_number(chunk: pd.DataFrame, row_count: int) -> int:
    """The readers index a chunk by file line (CSV) or row (Parquet), consecutively; else the position."""
    index = chunk.index
    if len(index) and pd.api.types.is_integer_dtype(index) and index[-1] - index[0] == len(index) - 1:
        return int(index[0])
    return row_count


def _build_monitors(baseline: DataBaseline, columns: list[str]) -> list[FeatureMonitor]:
    stats = {feature["name"]: feature for feature in baseline.statistics["features"]}
    return [
        build_monitor(constraint, stats.get(constraint["name"]))
        for constraint in baseline.constraints["features"]
        if constraint["name"] in columns
    ]


def _report(
    baseline: DataBaseline,
    rules: MonitoringRules,
    monitors: list[FeatureMonitor],
    columns: list[str],
    row_count: int,
    allowed: tuple[str, str],
) -> DataQualityReport:
    expected = [constraint["name"] for constraint in baseline.constraints["features"]]
    violations = _column_violations(expected, columns, allowed) if rules.evaluate_constraints else []
    distribution, missing = _drift_tests(rules, monitors)
    drift: dict[str, float] = {}
    for monitor in monitors:
        tests = FeatureTests(distribution.get(monitor.name), missing.get(monitor.name))
        violations += monitor.violations(rules, tests)
        distance = monitor.drift(rules.comparison_method) if rules.perform_comparison else None
        if distance is not None:
            drift[monitor.name] = distance
    statistics = statistics_document(row_count, [monitor.statistics() for monitor in monitors])
    return DataQualityReport(tuple(violations), row_count, statistics, drift, distribution, missing)


def _drift_tests(
    rules: MonitoringRules, monitors: list[FeatureMonitor]
) -> tuple[dict[str, DriftTestResult], dict[str, DriftTestResult]]:
    """Distribution and missing-values tests of every feature, corrected together as one family."""
    if not rules.drift_tests.enabled:
        return {}, {}
    # Two slots per feature, distribution then missing values; a switched-off test leaves its slot None.
    outcomes: list[DriftTestOutcome | None] = []
    for monitor in monitors:
        outcomes.append(monitor.drift_test() if rules.perform_comparison else None)
        outcomes.append(
            monitor.missing_values_test() if rules.evaluate_constraints and monitor.evaluate else None
        )
    tested = [outcome for outcome in outcomes if outcome is not None]
    results = iter(evaluate_drift_tests(tested, rules.drift_tests))
    distribution: dict[str, DriftTestResult] = {}
    missing: dict[str, DriftTestResult] = {}
    for index, outcome in enumerate(outcomes):
        if outcome is not None:
            (missing if index % 2 else distribution)[outcome.feature_name] = next(results)
    return distribution, missing


def _column_violations(expected: list[str], columns: list[str], allowed: tuple[str, str]) -> list[Violation]:
    """Missing and extra columns; the id column may be extra and the label column may be missing."""
    id_column, label = allowed
    absent = [name for name in expected if name not in columns and name != label]
    extra = [name for name in columns if name not in expected and name != id_column]
    missing = [
        Violation(
            name,
            "missing_column_check",
            with_details(
                column_count_sentence("missing", len(columns), len(expected)),
                f"{name}: the baseline has this column but the batch does not",
            ),
        )
        for name in absent
    ]
    extras = [
        Violation(
            name,
            "extra_column_check",
            with_details(
                column_count_sentence("extra", len(columns), len(expected)),
                f"{name}: the batch has this column but the baseline does not "
                f"(besides the baseline's features only the id column {id_column!r} is allowed)",
            ),
        )
        for name in extra
    ]
    return missing + extras
