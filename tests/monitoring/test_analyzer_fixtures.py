"""Baselines and violations SageMaker Model Monitor's analyzer wrote, read as plain JSON (no SageMaker SDK).

The files and their origins: tests/monitoring/fixtures/analyzer/README.md. The churn baseline was written
by a real baselining job from `training-dataset.csv`; `held-out.csv` holds 1,000 rows of the same data set
the job never saw, without the label column an inference batch lacks.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom

from ml.config.dataset import ColumnSpec, DatasetSpec
from ml.monitoring.baseline import DataBaseline, baseline_from_json, monitoring_rules
from ml.monitoring.quality import check_data_quality
from ml.monitoring.sketch import SketchCDF
from ml.monitoring.wording import MODEL_MONITOR_CHECKS

FIXTURES = Path(__file__).parent / "fixtures" / "analyzer"
CHURN = FIXTURES / "churn-data-quality"
LABEL = "Churn"
# A consumer of the analyzer's files reads the observed share out of these sentences.
DATA_TYPE = re.compile(
    r"^Data type match requirement is not met\. Expected data type: (\w+), Expected match: "
    r"([0-9.E-]+)%\. Observed: Only ([0-9.E-]+)% of data is \1\."
)
VALUE = re.compile(r"^Value: ([0-9.E-]+|NaN) does not meet the constraint requirement! ")


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def churn_baseline() -> DataBaseline:
    return baseline_from_json(read_json(CHURN / "statistics.json"), read_json(CHURN / "constraints.json"))


@pytest.fixture(scope="module")
def churn_spec(churn_baseline) -> DatasetSpec:
    """The churn data's contract as a user would declare it: the label, and every other column a feature."""
    names = [feature["name"] for feature in churn_baseline.constraints["features"]]
    label = ColumnSpec(name=LABEL, role="label", type="categorical", values=[0, 1])
    features = [ColumnSpec(name=name, role="feature", type="numeric") for name in names if name != LABEL]
    return DatasetSpec(name="churn", source="-", header=True, columns=[label, *features])


@pytest.fixture(scope="module")
def held_out() -> pd.DataFrame:
    return pd.read_csv(CHURN / "held-out.csv").drop(columns=LABEL)


def test_the_analyzer_baseline_has_the_label_first_and_observed_completeness(churn_baseline):
    constraints = churn_baseline.constraints
    assert constraints["features"][0]["name"] == LABEL
    assert {feature["completeness"] for feature in constraints["features"]} == {1.0}
    rules = monitoring_rules(constraints)
    assert rules.completeness_threshold is None  # no floor: 1.0 is what the baseline saw, not a demand
    assert (rules.comparison_method, rules.comparison_threshold) == ("Robust", 0.1)
    assert rules.categorical_comparison_threshold == 0.1


def test_sketches_are_read_with_the_analyzers_k_and_level_order(churn_baseline):
    training = pd.read_csv(CHURN / "training-dataset.csv")
    for feature in churn_baseline.statistics["features"]:
        numerical = feature["numerical_statistics"]
        sketch = numerical["distribution"]["kll"]["sketch"]
        assert sketch["parameters"] == {"c": 0.64, "k": 2048.0}
        levels = sketch["data"]
        values = training[feature["name"]].to_numpy(float)
        # Level 0 holds the last rows in arrival order (weight 1); level h's items weigh 2**h.
        assert levels[0] == values[-len(levels[0]) :].tolist()
        cdf = SketchCDF.from_levels(levels)
        assert cdf.total == numerical["common"]["num_present"] == len(values)
        exact = np.searchsorted(np.sort(values), cdf.values, side="right") / len(values)
        assert np.abs(cdf.cdf - exact).max() < 0.01, feature["name"]


def test_held_out_rows_pass_against_the_analyzer_baseline(churn_baseline, churn_spec, held_out):
    report = check_data_quality([held_out], churn_baseline, churn_spec)

    assert report.violations == ()  # no missing_column_check for the label the baseline includes
    assert set(report.drift) == set(held_out.columns)
    assert all(result.status == "pass" for result in report.drift_tests.values())
    assert all(result.status == "pass" for result in report.missing_value_tests.values())


def test_clean_batches_rarely_alarm_against_the_analyzer_baseline(churn_baseline, churn_spec, held_out):
    rng = np.random.default_rng(15)
    batches = 200
    alarms = sum(
        not check_data_quality(
            [held_out.iloc[rng.integers(0, len(held_out), 200)]], churn_baseline, churn_spec
        ).passed
        for _ in range(batches)
    )
    # 57 tests per batch (28 features: distribution and missing values; the label is absent), one family.
    assert alarms <= binom.ppf(0.999, batches, 0.01)


def test_a_drifted_batch_is_found_against_the_analyzer_baseline(churn_baseline, churn_spec, held_out):
    batch = held_out.copy()
    batch["Day Mins"] = batch["Day Mins"] * 1.3
    batch.loc[:99, "CustServ Calls"] = np.nan

    report = check_data_quality([batch], churn_baseline, churn_spec)

    found = {(v.feature_name, v.constraint_check_type): v.description for v in report.violations}
    assert set(found) == {("Day Mins", "baseline_drift_check"), ("CustServ Calls", "completeness_check")}
    assert found["Day Mins", "baseline_drift_check"].startswith("Numerical distance: ")
    assert VALUE.match(found["CustServ Calls", "completeness_check"]).group(1) == "0.9"


def test_our_descriptions_parse_like_the_analyzers(churn_baseline, churn_spec, held_out):
    analyzer_data_type = [
        line.split(maxsplit=1)[1].strip()
        for line in (CHURN / "monitoring-violations-table.txt").read_text().splitlines()
        if "Data type match" in line
    ]
    analyzer_values = [
        v["description"]
        for v in read_json(FIXTURES / "sdk-test-data/constraint_violations.json")["violations"]
    ]
    assert analyzer_data_type and all(DATA_TYPE.match(text) for text in analyzer_data_type)
    assert all(VALUE.match(text) for text in analyzer_values)

    batch = held_out.astype({"Account Length": object})
    batch.loc[3, "Account Length"] = "n/a"
    batch.loc[:29, "Eve Calls"] = np.nan
    ours = {
        v.constraint_check_type: v.description
        for v in check_data_quality([batch], churn_baseline, churn_spec).violations
    }

    match = DATA_TYPE.match(ours["data_type_check"])
    assert match.groups() == ("Integral", "100.0", "99.9")
    assert "line" in ours["data_type_check"][match.end() :]  # our examples come after the analyzer's sentence
    assert VALUE.match(ours["completeness_check"]).group(1) == "0.97"


def test_extensions_are_marked_and_a_feature_gets_one_drift_entry(churn_baseline, churn_spec, held_out):
    constraints = json.loads(json.dumps(churn_baseline.constraints))
    constraints["features"][1]["num_constraints"]["range"] = {"max": 200}  # our extension key
    baseline = DataBaseline(churn_baseline.statistics, constraints)
    batch = held_out.copy()
    batch["Eve Mins"] = (
        batch["Eve Mins"] + 0.2 * batch["Eve Mins"].std()
    )  # the test sees it, the distance not

    document = check_data_quality([batch], baseline, churn_spec).to_violations_json()

    entries = {(e["feature_name"], e["constraint_check_type"]): e for e in document["violations"]}
    assert set(entries) == {("Account Length", "range_check"), ("Eve Mins", "drift_test_check")}
    for entry in document["violations"]:
        assert entry["constraint_check_type"] not in MODEL_MONITOR_CHECKS and entry["extension"] is True
    strict = [e for e in document["violations"] if not e.get("extension")]
    assert strict == []
