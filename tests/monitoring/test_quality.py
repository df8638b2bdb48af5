"""The streaming data-quality check catches and names each kind of bad batch, in Model Monitor's terms."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from ml.config.schema import DatasetSpec
from ml.errors import DataError
from ml.monitoring.baseline import DataBaseline, build_baseline
from ml.monitoring.quality import DataQualityReport, check_data_quality


def _sample(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "record_id": np.arange(n),
            "Age": rng.normal(55, 14, n).round().clip(18, 95),
            "Shape": rng.choice([1, 2, 3, 4], n, p=[0.23, 0.22, 0.10, 0.45]),
            "Margin": rng.choice([1, 2, 3, 4, 5], n, p=[0.37, 0.03, 0.12, 0.29, 0.19]),
            "Density": rng.choice([1.0, 2.0, 3.0, 4.0], n, p=[0.02, 0.06, 0.90, 0.02]),
        }
    )
    frame.loc[rng.choice(n, n // 30, replace=False), "Density"] = np.nan
    return frame


@pytest.fixture(scope="module")
def train() -> pd.DataFrame:
    return _sample(seed=1, n=400)


@pytest.fixture
def batch() -> pd.DataFrame:
    return _sample(seed=2, n=200)


@pytest.fixture(scope="module")
def baseline(train, spec, monitoring) -> DataBaseline:
    return build_baseline(train, spec, monitoring)


def read_in_chunks(frame: pd.DataFrame, rows: int, spec: DatasetSpec):
    """The batch as the inference pipeline reads it: a CSV file parsed `rows` at a time."""
    text = frame.to_csv(index=False, na_rep=spec.missing_marker)
    return pd.read_csv(io.StringIO(text), chunksize=rows, na_values=[spec.missing_marker])


def check(
    frame: pd.DataFrame, baseline: DataBaseline, spec: DatasetSpec, rows: int = 64
) -> DataQualityReport:
    return check_data_quality(read_in_chunks(frame, rows, spec), baseline, spec)


def only(report: DataQualityReport, check_type: str) -> str:
    """The description of the one violation of `check_type`, after asserting it is the only violation."""
    assert [v.constraint_check_type for v in report.violations] == [check_type], report.violations
    return report.violations[0].description


def test_clean_batch_from_the_same_distribution_passes(batch, baseline, spec):
    report = check(batch, baseline, spec)

    assert report.passed
    assert report.to_violations_json() == {"violations": []}
    assert report.row_count == 200
    assert set(report.drift) == {"Age", "Shape", "Margin", "Density"}
    assert all(distance <= 0.1 for distance in report.drift.values())


def test_batch_statistics_are_written_in_statistics_json_format(batch, baseline, spec):
    statistics = check(batch, baseline, spec).statistics

    assert statistics["version"] == 0
    assert statistics["dataset"] == {"item_count": 200}
    age = statistics["features"][0]
    assert (age["name"], age["inferred_type"]) == ("Age", "Integral")
    assert age["numerical_statistics"]["common"] == {"num_present": 200, "num_missing": 0}
    assert age["numerical_statistics"]["mean"] == pytest.approx(batch["Age"].mean())
    density = statistics["features"][3]
    assert density["string_statistics"]["common"]["num_missing"] == batch["Density"].isna().sum()


def test_impossible_ages_are_a_range_violation_with_examples(batch, baseline, spec):
    batch.loc[[4, 9, 150], "Age"] = 150.0

    description = only(check(batch, baseline, spec), "range_check")

    assert description.startswith(
        "Age: 3 of 200 present values (1.5%) are outside the declared range [1, 120]"
    )
    assert "line 4 = 150.0, line 9 = 150.0, line 150 = 150.0" in description


def test_unknown_category_code_is_named_with_its_count(batch, baseline, spec):
    batch.loc[:9, "Shape"] = 9

    description = only(check(batch, baseline, spec), "categorical_values_check")

    assert description.startswith("Value: 0.95 does not meet the constraint requirement! Shape: 10 of 200 ")
    assert "'9' (10 rows)" in description


def drift_description(report: DataQualityReport, feature: str) -> str:
    """The one baseline_drift_check entry of a feature (distance, then test); asserts there is no other."""
    assert [(v.feature_name, v.constraint_check_type) for v in report.violations] == [
        (feature, "baseline_drift_check")
    ], report.violations
    return report.violations[0].description


def test_age_shifted_by_twenty_years_is_baseline_drift_by_distance_and_by_test(batch, baseline, spec):
    batch["Age"] = batch["Age"] + 20

    report = check(batch, baseline, spec)

    description = drift_description(report, "Age")
    assert report.drift["Age"] > 0.1
    assert description.startswith(
        f"Numerical distance: {report.drift['Age']!r} exceeds numerical threshold: 0.1 "
    )
    assert "Age: statistical test (two-sample Kolmogorov-Smirnov + Mann-Whitney) finds drift" in description
    assert report.drift_tests["Age"].status == "fail"


def test_shifted_category_frequencies_are_baseline_drift_by_distance_and_by_test(batch, baseline, spec):
    batch["Shape"] = 1

    report = check(batch, baseline, spec)

    description = drift_description(report, "Shape")
    assert description.startswith(
        f"Categorical distance: {report.drift['Shape']!r} exceeds categorical threshold"
    )
    assert "Shape: statistical test (chi-squared homogeneity) finds drift" in description
    assert report.drift["Shape"] > 0.1


def test_missing_column_is_named(batch, baseline, spec):
    report = check(batch.drop(columns="Margin"), baseline, spec)

    assert only(report, "missing_column_check") == (
        "There are missing columns in current dataset. Number of columns in current dataset: 4, "
        "Number of columns in baseline constraints: 4 "
        "Margin: the baseline has this column but the batch does not"
    )
    assert report.violations[0].feature_name == "Margin"
    assert "Margin" not in report.drift


def test_extra_column_is_named_but_the_id_column_is_not(batch, baseline, spec):
    batch["Comment"] = "ok"

    report = check(batch, baseline, spec)

    assert only(report, "extra_column_check").startswith(
        "There are extra columns in current dataset. Number of columns in current dataset: 6, "
        "Number of columns in baseline constraints: 4 Comment: the batch has this column"
    )
    assert spec.id_column in batch.columns


def test_non_numeric_age_is_a_data_type_violation_naming_the_row(batch, baseline, spec):
    batch["Age"] = batch["Age"].astype(object)
    batch.loc[7, "Age"] = "abc"
    batch.loc[130, "Age"] = "sixty"

    description = only(check(batch, baseline, spec, rows=50), "data_type_check")

    assert description.startswith(
        "Data type match requirement is not met. Expected data type: Integral, Expected match: 100.0%. "
        "Observed: Only 99.0% of data is Integral. Age: 2 of 200 present values are not Integral"
    )
    assert "line 7 = 'abc', line 130 = 'sixty'" in description


def test_fractional_age_is_not_integral(batch, baseline, spec):
    batch.loc[12, "Age"] = 40.5

    assert "line 12 = 40.5" in only(check(batch, baseline, spec), "data_type_check")


def test_low_completeness_is_named(batch, baseline, spec):
    batch.loc[:59, "Density"] = np.nan  # 30% missing

    description = only(check(batch, baseline, spec), "completeness_check")

    assert description.startswith(
        "Value: 0.695 does not meet the constraint requirement! Density: 139 of 200"
    )
    assert "below the completeness floor 80.0%" in description
    assert "statistical test (one-sided Fisher exact (missing share)) finds drift" in description


def test_chunked_check_gives_the_same_report_as_one_chunk(batch, baseline, spec):
    batch.loc[[4, 9], "Age"] = 150.0
    batch.loc[:9, "Shape"] = 9
    batch["Age"] = batch["Age"].astype(object)
    batch.loc[120, "Age"] = "abc"
    batch.loc[100:140, "Density"] = np.nan
    batch["Margin"] = 1

    whole = check(batch, baseline, spec, rows=10_000)
    chunked = check(batch, baseline, spec, rows=7)

    assert len(whole.violations) == 5
    assert chunked.violations == whole.violations
    assert chunked.row_count == whole.row_count == 200
    assert chunked.drift == pytest.approx(whole.drift, abs=1e-12)
    assert {name: (t.status, t.p_value) for name, t in chunked.drift_tests.items()} == {
        name: (t.status, t.p_value) for name, t in whole.drift_tests.items()
    }


def test_simple_numeric_distance_is_the_two_sample_ks_statistic(train, batch, spec, monitoring):
    simple = monitoring.model_copy(update={"comparison_method": "Simple"})
    baseline = build_baseline(train, spec, simple)

    report = check(batch, baseline, spec)

    assert report.drift["Age"] == pytest.approx(ks_2samp(train["Age"], batch["Age"]).statistic)


def test_robust_distance_subtracts_the_ks_allowance(train, batch, baseline, spec, monitoring):
    simple = build_baseline(train, spec, monitoring.model_copy(update={"comparison_method": "Simple"}))
    shifted = batch.assign(Age=batch["Age"] + 10)

    robust_age = check(shifted, baseline, spec).drift["Age"]
    simple_age = check(shifted, simple, spec).drift["Age"]

    assert robust_age == pytest.approx(simple_age - 1.8 * math.sqrt((400 + 200) / (400 * 200)))


def test_violations_json_has_model_monitor_fields(batch, baseline, spec):
    batch.loc[0, "Shape"] = 7

    document = check(batch, baseline, spec).to_violations_json()

    assert document == {
        "violations": [
            {
                "feature_name": "Shape",
                "constraint_check_type": "categorical_values_check",
                "description": document["violations"][0]["description"],
            }
        ]
    }


def test_empty_batch_is_a_data_error(baseline, spec):
    with pytest.raises(DataError, match="no data rows"):
        check_data_quality([], baseline, spec)


def sagemaker_style_baseline(train: pd.DataFrame) -> DataBaseline:
    """A baseline as SageMaker's analyzer writes it (field names from AWS's schema pages), no extension keys.

    The analyzer reads integer-coded columns as Integral, so only Margin is a String feature here, and its
    completeness is the observed share. Age's sketch went through one compaction: level 1 items weigh 2.
    """
    ages = np.sort(train["Age"].to_numpy())
    numeric = {name: train[name].dropna() for name in ("Age", "Shape", "Density")}
    margin = train["Margin"].astype(str).value_counts()

    def numerical(name: str, sketch: list[list[float]]) -> dict:
        values = numeric[name]
        common = {"num_present": len(values), "num_missing": len(train) - len(values)}
        kll = {"buckets": [], "sketch": {"parameters": {"c": 0.64, "k": 2048.0}, "data": sketch}}
        moments = {"mean": values.mean(), "sum": values.sum(), "std_dev": values.std(ddof=0)}
        moments |= {"min": values.min(), "max": values.max()}
        return {
            "common": common,
            **{key: float(value) for key, value in moments.items()},
            "distribution": {"kll": kll},
        }

    statistics = {
        "version": 0,
        "dataset": {"item_count": len(train)},
        "features": [
            {
                "name": "Age",
                "inferred_type": "Integral",
                "numerical_statistics": numerical("Age", [[], ages[::2].tolist()]),
            },
            {
                "name": "Shape",
                "inferred_type": "Integral",
                "numerical_statistics": numerical("Shape", [numeric["Shape"].tolist()]),
            },
            {
                "name": "Margin",
                "inferred_type": "String",
                "string_statistics": {
                    "common": {"num_present": len(train), "num_missing": 0},
                    "distinct_count": float(len(margin)),
                    "distribution": {
                        "categorical": {"buckets": [{"value": v, "count": int(c)} for v, c in margin.items()]}
                    },
                },
            },
            {
                "name": "Density",
                "inferred_type": "Integral",
                "numerical_statistics": numerical("Density", [numeric["Density"].tolist()]),
            },
        ],
    }
    constraints = {
        "version": 0,
        "features": [
            {
                "name": "Age",
                "inferred_type": "Integral",
                "completeness": 1.0,
                "num_constraints": {"is_non_negative": True},
            },
            {
                "name": "Shape",
                "inferred_type": "Integral",
                "completeness": 1.0,
                "num_constraints": {"is_non_negative": True},
            },
            {
                "name": "Margin",
                "inferred_type": "String",
                "completeness": 1.0,
                "string_constraints": {"domains": sorted(margin.index)},
            },
            {
                "name": "Density",
                "inferred_type": "Integral",
                "completeness": 0.9,
                "num_constraints": {"is_non_negative": True},
            },
        ],
        "monitoring_config": {
            "evaluate_constraints": "Enabled",
            "emit_metrics": "Enabled",
            "datatype_check_threshold": 1.0,
            "domain_content_threshold": 1.0,
            "distribution_constraints": {
                "perform_comparison": "Enabled",
                "comparison_threshold": 0.1,
                "comparison_method": "Robust",
                "categorical_comparison_threshold": 0.1,
                "categorical_drift_method": "LInfinity",
            },
        },
    }
    return DataBaseline(statistics=json.loads(json.dumps(statistics)), constraints=constraints)


def test_sagemaker_analyzer_baseline_is_accepted(train, batch, spec):
    sagemaker = sagemaker_style_baseline(train)

    assert check(batch, sagemaker, spec).passed
    batch.loc[:9, "Margin"] = 9
    batch.loc[[4, 9], "Age"] = 150.0
    batch["Age"] = batch["Age"] + 20
    checks = {(v.feature_name, v.constraint_check_type) for v in check(batch, sagemaker, spec).violations}
    assert checks == {("Margin", "categorical_values_check"), ("Age", "baseline_drift_check")}


def test_disabled_comparison_reports_no_drift(batch, baseline, spec):
    constraints = {**baseline.constraints, "monitoring_config": {**baseline.constraints["monitoring_config"]}}
    constraints["monitoring_config"]["distribution_constraints"] = {
        **constraints["monitoring_config"]["distribution_constraints"],
        "perform_comparison": "Disabled",
    }
    batch["Age"] = batch["Age"] + 20

    report = check(batch, DataBaseline(baseline.statistics, constraints), spec)

    assert report.passed
    assert report.drift == {}
    assert report.drift_tests == {}
