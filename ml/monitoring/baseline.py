"""The data-quality baseline of a training set: Model Monitor's statistics.json and constraints.json.

Formats: AWS, "Schema for Statistics (statistics.json file)"
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-statistics.html) and
"Schema for Constraints (constraints.json file)"
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-constraints.html).

Choices within those formats:
- Integer-coded categorical features are `String` features whose `string_constraints.domains` are the
  data contract's allowed codes ("1", "2", ...); numeric features are `Integral` when every training
  value is a whole number, else `Fractional`.
- Each feature's `completeness` is the share of present values in the training data, as SageMaker's
  analyzer writes it (tests/monitoring/fixtures/analyzer/: 1.0 for complete columns). It is an
  observation, not a threshold: a batch fails `completeness_check` when its missing share is
  significantly larger (a test inside the drift tests' correction, `ml/monitoring/drift.py`) or below the
  absolute floor of our extension `monitoring_config.completeness_threshold`.
- Our extensions: `num_constraints.range = {"min": .., "max": ..}` holds the data contract's declared
  bounds (either key may be absent; Model Monitor only has `is_non_negative`),
  `monitoring_config.completeness_threshold` the absolute completeness floor, and
  `monitoring_config.drift_tests` the statistical drift tests' settings (`ml/monitoring/drift.py`).
  The SDK keeps unknown keys untouched (tests/monitoring/test_sagemaker_formats.py; whether SageMaker's
  analyzer container tolerates them cannot be checked offline), and our checker works without either, so
  baselines written by SageMaker's analyzer are accepted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.config.schema import (
    CHI_SQUARED_REFUSAL,
    COMPARISON_METHODS,
    ColumnSpec,
    DatasetSpec,
    DriftTestsConfig,
    MonitoringConfig,
)
from ml.errors import DataError
from ml.monitoring.drift import SETTINGS_KEY, drift_test_settings
from ml.monitoring.statistics import (
    CategorySummary,
    NumericSummary,
    category_counts,
    category_key,
    is_integral,
    parse_numbers,
    statistics_document,
)

NUMERIC_TYPES = ("Integral", "Fractional")
INFERRED_TYPES = (*NUMERIC_TYPES, "String", "Unknown")
CONSTRAINTS_VERSION = 0
COMPLETENESS_FLOOR_KEY = "completeness_threshold"  # our extension of monitoring_config
# AWS's "Monitoring Constraints" table: datatype_check_threshold and domain_content_threshold default to 0.1.
DOCUMENTED_THRESHOLD_DEFAULT = 0.1
DISTRIBUTION_KEYS = {
    "perform_comparison",
    "enable_comparisons",  # the older boolean spelling of perform_comparison (SDK test data)
    "comparison_threshold",
    "comparison_method",
    "categorical_comparison_threshold",
    "categorical_drift_method",
}


@dataclass(frozen=True)
class DataBaseline:
    """statistics.json and constraints.json of one data set, as parsed JSON objects."""

    statistics: dict
    constraints: dict


@dataclass(frozen=True)
class MonitoringRules:
    """`monitoring_config` of a constraints.json, with Model Monitor's defaults for optional keys."""

    evaluate_constraints: bool
    datatype_check_threshold: float
    domain_content_threshold: float
    perform_comparison: bool
    comparison_threshold: float
    comparison_method: str
    categorical_comparison_threshold: float
    drift_tests: DriftTestsConfig
    completeness_threshold: float | None = None


def build_baseline(train: pd.DataFrame, spec: DatasetSpec, monitoring: MonitoringConfig) -> DataBaseline:
    """Compute the baseline statistics and suggest constraints for the spec's features.

    Args:
        train: the training data; columns other than the spec's features are ignored.
        spec: the data contract (feature types, allowed codes, declared ranges).
        monitoring: thresholds written into `monitoring_config` and each feature's `completeness`.

    Returns:
        The baseline, ready to be written as statistics.json and constraints.json.

    Raises:
        DataError: a feature column is missing, has no values, or a numeric one holds non-numbers.
    """
    missing = [name for name in spec.feature_names if name not in train.columns]
    if missing:
        raise DataError(f"training data has no column(s) {missing}; the baseline needs every feature")
    described = [_describe_feature(train[column.name], column) for column in spec.features]
    constraints = {
        "version": CONSTRAINTS_VERSION,
        "features": [
            _feature_constraint(column, stats, monitoring)
            for column, stats in zip(spec.features, described, strict=True)
        ],
        "monitoring_config": _monitoring_config(monitoring),
    }
    return DataBaseline(statistics_document(len(train), described), constraints)


def _describe_feature(values: pd.Series, column: ColumnSpec) -> dict:
    present = int(values.notna().sum())
    if present == 0:
        raise DataError(f"{column.name}: every training value is missing; a baseline needs values")
    if column.type == "categorical":
        summary = CategorySummary()
        summary.update(category_counts(values))
        strings = summary.to_json(present, len(values) - present)
        return {"name": column.name, "inferred_type": "String", "string_statistics": strings}
    numbers = _training_numbers(values, column.name)
    summary = NumericSummary()
    summary.update(numbers)
    inferred = "Integral" if is_integral(numbers).all() else "Fractional"
    numerical = summary.to_json(present, len(values) - present)
    return {"name": column.name, "inferred_type": inferred, "numerical_statistics": numerical}


def _training_numbers(values: pd.Series, name: str) -> np.ndarray:
    numbers = parse_numbers(values)
    bad = values.notna().to_numpy() & np.isnan(numbers)
    if bad.any():
        examples = ", ".join(repr(v) for v in values[bad].head(3).tolist())
        raise DataError(
            f"{name}: {int(bad.sum())} training value(s) are not finite numbers (e.g. {examples}); "
            "clean the training data before building its baseline"
        )
    return numbers[~np.isnan(numbers)]


def _feature_constraint(column: ColumnSpec, stats: dict, monitoring: MonitoringConfig) -> dict:
    constraint = {
        "name": column.name,
        "inferred_type": stats["inferred_type"],
        "completeness": _observed_completeness(stats),
    }
    if column.type == "categorical":
        constraint["string_constraints"] = {"domains": [str(code) for code in sorted(column.values or [])]}
        return constraint
    bounds = {key: value for key, value in (("min", column.min), ("max", column.max)) if value is not None}
    constraint["num_constraints"] = {"is_non_negative": stats["numerical_statistics"]["min"] >= 0}
    if bounds:
        constraint["num_constraints"]["range"] = bounds
    return constraint


def _observed_completeness(stats: dict) -> float:
    summary = stats.get("numerical_statistics") or stats.get("string_statistics")
    present, missing = summary["common"]["num_present"], summary["common"]["num_missing"]
    return present / (present + missing)


def _monitoring_config(monitoring: MonitoringConfig) -> dict:
    categorical = monitoring.categorical_comparison_threshold or monitoring.comparison_threshold
    return {
        "evaluate_constraints": "Enabled",
        "emit_metrics": "Enabled",
        "datatype_check_threshold": monitoring.datatype_check_threshold,
        "domain_content_threshold": monitoring.domain_content_threshold,
        "distribution_constraints": {
            "perform_comparison": "Enabled",
            "comparison_threshold": monitoring.comparison_threshold,
            "comparison_method": monitoring.comparison_method,
            "categorical_comparison_threshold": categorical,
            "categorical_drift_method": monitoring.categorical_drift_method,
        },
        COMPLETENESS_FLOOR_KEY: monitoring.completeness_threshold,
        SETTINGS_KEY: monitoring.drift_tests.model_dump(exclude_none=True),
    }


def baseline_from_json(statistics: dict, constraints: dict) -> DataBaseline:
    """Check that parsed statistics.json and constraints.json hold what the checker reads.

    Files written by SageMaker's analyzer are accepted: our extension keys are optional.

    Raises:
        DataError: a required field is missing or has a value the checker cannot use; the message names
            the file and the dotted field.
    """
    features = _require(statistics, "features", "statistics.json", list)
    stats_by_name = {}
    for i, feature in enumerate(features):
        name = _require(feature, "name", "statistics.json", str, f"features[{i}].")
        stats_by_name[name] = feature
    for i, feature in enumerate(_require(constraints, "features", "constraints.json", list)):
        _check_constraint(feature, f"features[{i}].", stats_by_name)
    rules = monitoring_rules(constraints)
    if rules.perform_comparison:
        for name, feature in stats_by_name.items():
            _check_distribution(feature, f"feature {name!r}: ")
    return DataBaseline(statistics=statistics, constraints=constraints)


def _check_constraint(feature: Mapping, where: str, stats_by_name: Mapping[str, Mapping]) -> None:
    name = _require(feature, "name", "constraints.json", str, where)
    inferred = _require(feature, "inferred_type", "constraints.json", str, where)
    if inferred not in INFERRED_TYPES:
        raise DataError(
            f"constraints.json: {where}inferred_type: {inferred!r} is not one of {list(INFERRED_TYPES)}"
        )
    stats = stats_by_name.get(name)
    if stats is None:
        raise DataError(f"statistics.json: features: no entry for {name!r}, which constraints.json lists")
    stats_type = _require(stats, "inferred_type", "statistics.json", str, f"feature {name!r}: ")
    if stats_type != inferred:
        raise DataError(
            f"{name}: inferred_type is {inferred} in constraints.json but {stats_type} in statistics.json; "
            "use the two files of the same baseline"
        )


def _check_distribution(feature: Mapping, where: str) -> None:
    inferred = feature.get("inferred_type")
    if inferred in NUMERIC_TYPES:
        _require(feature, "numerical_statistics.distribution.kll.sketch.data", "statistics.json", list, where)
    elif inferred == "String":
        _require(
            feature, "string_statistics.distribution.categorical.buckets", "statistics.json", list, where
        )


def monitoring_rules(constraints: Mapping) -> MonitoringRules:
    """Read `monitoring_config` with the meaning and defaults AWS documents; refuse what we cannot honour.

    Raises:
        DataError: an unknown or unsupported `distribution_constraints` key or value, named with the fix.
    """
    config = _require(constraints, "monitoring_config", "constraints.json", dict)
    where = "monitoring_config.distribution_constraints."
    drift = config.get("distribution_constraints", {})
    unknown = sorted(set(drift) - DISTRIBUTION_KEYS)
    if unknown:
        raise DataError(
            f"constraints.json: {where}{unknown[0]}: not a setting AWS documents, so its meaning is unknown "
            f"and it cannot be honoured; remove it (documented: {sorted(DISTRIBUTION_KEYS)})"
        )
    threshold = float(drift.get("comparison_threshold", 0.1))
    return MonitoringRules(
        evaluate_constraints=_enabled(config, "evaluate_constraints", "monitoring_config."),
        datatype_check_threshold=_share(config, "datatype_check_threshold"),
        domain_content_threshold=_share(config, "domain_content_threshold"),
        perform_comparison=_comparison_enabled(drift, where),
        comparison_threshold=threshold,
        comparison_method=_comparison_method(drift, where),
        categorical_comparison_threshold=float(drift.get("categorical_comparison_threshold", threshold)),
        drift_tests=drift_test_settings(constraints),
        completeness_threshold=config.get(COMPLETENESS_FLOOR_KEY),
    )


def _share(config: Mapping, key: str) -> float:
    return float(config.get(key, DOCUMENTED_THRESHOLD_DEFAULT))


def _comparison_method(drift: Mapping, where: str) -> str:
    method = drift.get("comparison_method", "Robust")
    if method not in COMPARISON_METHODS:
        choices = sorted(COMPARISON_METHODS)
        raise DataError(f"constraints.json: {where}comparison_method: {method!r} is not one of {choices}")
    categorical = drift.get("categorical_drift_method", "LInfinity")
    if categorical != "LInfinity":
        reason = CHI_SQUARED_REFUSAL if categorical == "ChiSquared" else "use LInfinity"
        raise DataError(f"constraints.json: {where}categorical_drift_method: {categorical!r}: {reason}")
    return COMPARISON_METHODS[method]


def _comparison_enabled(drift: Mapping, where: str) -> bool:
    """`perform_comparison`, or the older boolean `enable_comparisons`; both present must agree."""
    enabled = _enabled(drift, "perform_comparison", where)
    older = drift.get("enable_comparisons")
    if older is None:
        return enabled
    if not isinstance(older, bool):
        raise DataError(f"constraints.json: {where}enable_comparisons: {older!r} is not true or false")
    if "perform_comparison" in drift and older != enabled:
        raise DataError(
            f"constraints.json: {where}enable_comparisons ({older}) contradicts perform_comparison "
            f"({drift['perform_comparison']}); keep one of them"
        )
    return older


def declared_bounds(constraint: Mapping) -> tuple[float | None, float | None]:
    """A numeric feature's allowed bounds: our `range` extension, tightened by `is_non_negative`."""
    num = constraint.get("num_constraints") or {}
    bounds = num.get("range") or {}
    low, high = bounds.get("min"), bounds.get("max")
    if num.get("is_non_negative"):
        low = 0.0 if low is None else max(float(low), 0.0)
    return (None if low is None else float(low), None if high is None else float(high))


def declared_domain(constraint: Mapping) -> list[str] | None:
    """A String feature's allowed values, keyed like the checker counts them; None when not declared."""
    domains = (constraint.get("string_constraints") or {}).get("domains")
    return None if domains is None else [category_key(value) for value in domains]


def _enabled(config: Mapping, key: str, where: str) -> bool:
    value = config.get(key, "Enabled")
    if value not in ("Enabled", "Disabled"):
        raise DataError(f"constraints.json: {where}{key}: {value!r} is not Enabled or Disabled")
    return value == "Enabled"


def _require(obj: Mapping, path: str, source: str, kind: type | tuple[type, ...], where: str = "") -> object:
    """Walk a dotted path, raising DataError that names the file and the first missing or mistyped field."""
    value: object = obj
    walked = where
    for key in path.split("."):
        walked += key
        if not isinstance(value, Mapping) or key not in value:
            raise DataError(f"{source}: {walked}: missing; is this a Model Monitor {source} file?")
        value = value[key]
        walked += "."
    if not isinstance(value, kind) or isinstance(value, bool):
        expected = {dict: "an object", list: "a list", str: "a string"}.get(kind, "a number")
        raise DataError(f"{source}: {walked.rstrip('.')}: expected {expected}, got {type(value).__name__}")
    return value
