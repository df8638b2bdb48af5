"""Violation descriptions that start with SageMaker Model Monitor's analyzer wording; our details follow.

Code written for the analyzer's constraint_violations.json parses the start of `description` (for
example the number after `Value: ` or `Numerical distance: `), so each description begins with the
analyzer's sentence for its check type and our additions (counts, examples, statistical test, effect size)
come after it. The sentences, and where each was seen in a file the analyzer wrote (copies and origins in
tests/monitoring/fixtures/analyzer/README.md):

- data_type_check: "Data type match requirement is not met. Expected data type: Integral, Expected match:
  100.0%. Observed: Only 99.63446475195823% of data is Integral." (aws/amazon-sagemaker-examples,
  SageMaker-ModelMonitoring.ipynb, monitoring execution output).
- completeness_check, categorical_values_check: "Value: 0.0 does not meet the constraint requirement! "
  (aws/sagemaker-python-sdk tests/data/monitor/constraint_violations.json; Deequ's message, the value
  being the observed share of complete or in-domain values).
- baseline_drift_check: "Numerical distance: 0.2711598746081505 exceeds numerical threshold: 0" (Data
  Science on AWS, O'Reilly 2021, ch. 9). The categorical sentence is the same with "Categorical"; no
  published sample of it was found.
- missing_column_check, extra_column_check: no published file found; users quote the analyzer's
  "Number of columns in current dataset: N", which these sentences keep.
- model quality: "Metric auc with 0.515363047795135 +/- 0.012887520442626008 was LessThanThreshold
  '0.9395127993393898'", multi-word metrics in camelCase (model_quality_churn_sdk.ipynb).

Numbers are written as Java writes doubles (shortest round-trip form, `NaN`), which Python's `repr` matches.
"""

from __future__ import annotations

MODEL_MONITOR_CHECKS = (
    "data_type_check",
    "completeness_check",
    "baseline_drift_check",
    "missing_column_check",
    "extra_column_check",
    "categorical_values_check",
)
# A violation of any other type is ours; its JSON entry also carries `"extension": true`, so a consumer
# that wants exactly Model Monitor's verdict drops entries with that key.
EXTENSION_KEY = "extension"


def number(value: float) -> str:
    """A double as the analyzer prints it: `0.1`, `100.0`, `NaN`."""
    return repr(float(value)) if value == value else "NaN"


def with_details(analyzer_sentence: str, details: str) -> str:
    """The analyzer's sentence unchanged, then ours."""
    separator = "" if analyzer_sentence.endswith(" ") else " "
    return f"{analyzer_sentence}{separator}{details}"


def data_type_sentence(expected: str, threshold: float, share: float) -> str:
    """data_type_check: `share` of present values have the baseline's type, `threshold` were required."""
    return (
        f"Data type match requirement is not met. Expected data type: {expected}, Expected match: "
        f"{number(threshold * 100)}%. Observed: Only {number(share * 100)}% of data is {expected}."
    )


def value_sentence(observed: float) -> str:
    """completeness_check and categorical_values_check: the observed share that fell short."""
    return f"Value: {number(observed)} does not meet the constraint requirement! "


def distance_sentence(kind: str, distance: float, threshold: float) -> str:
    """baseline_drift_check: `kind` is "Numerical" or "Categorical"."""
    return f"{kind} distance: {number(distance)} exceeds {kind.lower()} threshold: {number(threshold)}"


def column_count_sentence(which: str, batch_columns: int, baseline_columns: int) -> str:
    """missing_column_check (`which` = "missing") and extra_column_check (`which` = "extra")."""
    return (
        f"There are {which} columns in current dataset. Number of columns in current dataset: "
        f"{batch_columns}, Number of columns in baseline constraints: {baseline_columns}"
    )


def analyzer_metric_name(metric: str) -> str:
    """A metric as the analyzer names it in violations: `true_positive_rate` -> `truePositiveRate`."""
    head, *rest = metric.split("_")
    return head + "".join(part.capitalize() if part[:1].isalpha() else f"_{part}" for part in rest)


def metric_key(name: str) -> str:
    """The statistics.json key of a metric named either way: `truePositiveRate` -> `true_positive_rate`."""
    return "".join(f"_{char.lower()}" if char.isupper() else char for char in name)


def metric_sentence(
    metric: str, value: float, deviation: float | str, operator: str, threshold: float
) -> str:
    """The model-quality violation description, exactly as the analyzer writes it."""
    spread = number(float(deviation))
    return (
        f"Metric {analyzer_metric_name(metric)} with {number(value)} +/- {spread} was {operator} "
        f"'{number(threshold)}'"
    )
