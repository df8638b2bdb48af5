"""The baseline is Model Monitor's statistics.json + constraints.json, built from a training frame."""

from __future__ import annotations

import copy
import json

import numpy as np
import pandas as pd
import pytest

from ml.errors import DataError
from ml.monitoring.baseline import DataBaseline, baseline_from_json, build_baseline
from ml.monitoring.sketch import SketchCDF


@pytest.fixture
def train() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 300
    frame = pd.DataFrame(
        {
            "Age": rng.normal(55, 14, n).round().clip(18, 95),
            "Shape": rng.choice([1, 2, 3, 4], n, p=[0.23, 0.22, 0.10, 0.45]),
            "Margin": rng.choice([1, 2, 3, 4, 5], n, p=[0.37, 0.03, 0.12, 0.29, 0.19]),
            "Density": rng.choice([1.0, 2.0, 3.0, 4.0], n, p=[0.02, 0.06, 0.90, 0.02]),
            "Severity": rng.integers(0, 2, n),
        }
    )
    frame.loc[rng.choice(n, 9, replace=False), "Density"] = np.nan
    frame.loc[[3, 50], "Age"] = np.nan
    return frame


def _feature(document: dict, name: str) -> dict:
    return next(feature for feature in document["features"] if feature["name"] == name)


def test_statistics_have_model_monitor_fields(train, spec, monitoring):
    statistics = build_baseline(train, spec, monitoring).statistics

    assert statistics["version"] == 0
    assert statistics["dataset"] == {"item_count": 300}
    assert [feature["name"] for feature in statistics["features"]] == ["Age", "Shape", "Margin", "Density"]
    age = _feature(statistics, "Age")["numerical_statistics"]
    assert age["common"] == {"num_present": 298, "num_missing": 2}
    for key in ("mean", "sum", "std_dev", "min", "max"):
        assert isinstance(age[key], float), key
    kll = age["distribution"]["kll"]
    assert len(kll["buckets"]) == 10
    assert all(set(bucket) == {"lower_bound", "upper_bound", "count"} for bucket in kll["buckets"])
    assert set(kll["sketch"]["parameters"]) == {"c", "k"}
    assert all(isinstance(level, list) for level in kll["sketch"]["data"])
    shape = _feature(statistics, "Shape")["string_statistics"]
    assert shape["common"] == {"num_present": 300, "num_missing": 0}
    assert shape["distinct_count"] == 4
    assert [bucket["value"] for bucket in shape["distribution"]["categorical"]["buckets"]] == [
        "1",
        "2",
        "3",
        "4",
    ]
    assert all(isinstance(bucket["count"], int) for bucket in shape["distribution"]["categorical"]["buckets"])


def test_numeric_statistics_match_the_training_data(train, spec, monitoring):
    age = _feature(build_baseline(train, spec, monitoring).statistics, "Age")["numerical_statistics"]
    values = train["Age"].dropna()

    assert age["mean"] == pytest.approx(values.mean())
    assert age["sum"] == pytest.approx(values.sum())
    assert age["std_dev"] == pytest.approx(values.std(ddof=0))
    assert (age["min"], age["max"]) == (values.min(), values.max())
    buckets = age["distribution"]["kll"]["buckets"]
    assert sum(bucket["count"] for bucket in buckets) == len(values)
    assert (buckets[0]["lower_bound"], buckets[-1]["upper_bound"]) == (values.min(), values.max())
    assert age["distribution"]["kll"]["sketch"]["data"] == [sorted(values.tolist())]


def test_constraints_have_model_monitor_fields_and_our_range(train, spec, monitoring):
    constraints = build_baseline(train, spec, monitoring).constraints

    assert constraints["version"] == 0
    assert _feature(constraints, "Age") == {
        "name": "Age",
        "inferred_type": "Integral",
        "completeness": train["Age"].notna().mean(),
        "num_constraints": {"is_non_negative": True, "range": {"min": 1.0, "max": 120.0}},
    }
    assert _feature(constraints, "Margin") == {
        "name": "Margin",
        "inferred_type": "String",
        "completeness": train["Margin"].notna().mean(),
        "string_constraints": {"domains": ["1", "2", "3", "4", "5"]},
    }
    assert constraints["monitoring_config"] == {
        "evaluate_constraints": "Enabled",
        "emit_metrics": "Enabled",
        "datatype_check_threshold": monitoring.datatype_check_threshold,
        "domain_content_threshold": monitoring.domain_content_threshold,
        "distribution_constraints": {
            "perform_comparison": "Enabled",
            "comparison_threshold": monitoring.comparison_threshold,
            "comparison_method": monitoring.comparison_method,
            "categorical_comparison_threshold": monitoring.comparison_threshold,
            "categorical_drift_method": "LInfinity",
        },
        "completeness_threshold": monitoring.completeness_threshold,
        "drift_tests": monitoring.drift_tests.model_dump(exclude_none=True),
    }


@pytest.mark.parametrize(
    ("ages", "expected"),
    [([40.0, 51.0, np.nan], "Integral"), ([40, 51, 63], "Integral"), ([40.0, 51.5, 63.0], "Fractional")],
)
def test_numeric_type_is_integral_only_when_every_value_is_whole(spec, monitoring, ages, expected):
    train = pd.DataFrame({"Age": ages, "Shape": [1, 2, 3], "Margin": [1, 2, 3], "Density": [3, 3, 3]})
    baseline = build_baseline(train, spec, monitoring)

    assert _feature(baseline.statistics, "Age")["inferred_type"] == expected
    assert _feature(baseline.constraints, "Age")["inferred_type"] == expected
    assert _feature(baseline.statistics, "Density")["inferred_type"] == "String"


def test_float_coded_categories_are_counted_as_integer_strings(train, spec, monitoring):
    density = _feature(build_baseline(train, spec, monitoring).statistics, "Density")["string_statistics"]

    assert [bucket["value"] for bucket in density["distribution"]["categorical"]["buckets"]] == [
        "1",
        "2",
        "3",
        "4",
    ]
    assert density["common"]["num_missing"] == 9


def test_baseline_of_a_million_rows_is_small_and_accurate(spec, monitoring):
    rng = np.random.default_rng(5)
    n = 1_000_000
    ages = rng.normal(55, 14, n)
    train = pd.DataFrame(
        {
            "Age": ages,
            "Shape": rng.integers(1, 5, n),
            "Margin": rng.integers(1, 6, n),
            "Density": rng.integers(1, 5, n),
        }
    )
    baseline = build_baseline(train, spec, monitoring)

    size = len(json.dumps(baseline.statistics, allow_nan=False)) + len(json.dumps(baseline.constraints))
    assert size < 100_000
    sketch = SketchCDF.from_levels(
        _feature(baseline.statistics, "Age")["numerical_statistics"]["distribution"]["kll"]["sketch"]["data"]
    )
    exact = np.searchsorted(np.sort(ages), sketch.values, side="right") / n
    assert sketch.total == n
    assert np.abs(sketch.cdf - exact).max() < 0.01


def test_missing_feature_column_is_named(train, spec, monitoring):
    with pytest.raises(DataError, match="Margin"):
        build_baseline(train.drop(columns="Margin"), spec, monitoring)


def test_non_numeric_training_value_is_named(train, spec, monitoring):
    train["Age"] = train["Age"].astype(object)
    train.loc[7, "Age"] = "abc"

    with pytest.raises(DataError, match=r"Age: 1 training value.*'abc'"):
        build_baseline(train, spec, monitoring)


def test_baseline_from_json_accepts_what_build_baseline_writes(train, spec, monitoring):
    built = build_baseline(train, spec, monitoring)
    statistics, constraints = (
        json.loads(json.dumps(built.statistics)),
        json.loads(json.dumps(built.constraints)),
    )

    assert baseline_from_json(statistics, constraints) == DataBaseline(statistics, constraints)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (("statistics", "features"), "statistics.json: features: missing"),
        (("constraints", "monitoring_config"), "constraints.json: monitoring_config: missing"),
        (
            ("constraints", "features", 0, "inferred_type"),
            r"constraints.json: features\[0\].inferred_type: missing",
        ),
        (
            ("statistics", "features", 0, "numerical_statistics", "distribution", "kll", "sketch", "data"),
            "statistics.json: feature 'Age': numerical_statistics.distribution.kll.sketch.data: missing",
        ),
    ],
)
def test_baseline_from_json_names_the_missing_field(train, spec, monitoring, path, message):
    built = build_baseline(train, spec, monitoring)
    files = {"statistics": copy.deepcopy(built.statistics), "constraints": copy.deepcopy(built.constraints)}
    parent = files[path[0]]
    for key in path[1:-1]:
        parent = parent[key]
    del parent[path[-1]]

    with pytest.raises(DataError, match=message):
        baseline_from_json(files["statistics"], files["constraints"])


def test_baseline_from_json_refuses_a_drift_method_the_checker_lacks(train, spec, monitoring):
    built = build_baseline(train, spec, monitoring)
    constraints = copy.deepcopy(built.constraints)
    constraints["monitoring_config"]["distribution_constraints"]["categorical_drift_method"] = "ChiSquared"

    with pytest.raises(DataError, match="categorical_drift_method: 'ChiSquared'"):
        baseline_from_json(built.statistics, constraints)


def test_sketch_levels_weigh_two_to_the_level():
    sketch = SketchCDF.from_levels([[5.0], [1.0, 3.0]])

    assert sketch.total == 5
    assert sketch.values.tolist() == [1.0, 3.0, 5.0]
    assert sketch.cdf.tolist() == [0.4, 0.8, 1.0]
