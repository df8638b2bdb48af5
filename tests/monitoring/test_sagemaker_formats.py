"""Model Monitor compatibility both ways, with the real SageMaker SDK (v3, the `aws` extra) and no network.

Our statistics.json, constraints.json and constraint_violations.json load into `sagemaker.core.model_monitor`
`Statistics`, `Constraints` and `ConstraintViolations`; the SDK does not check structure, so the fields and
types AWS documents are asserted here (AWS, "Schema for Statistics", "Schema for Constraints", "Schema for
Violations": docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-statistics.html,
.../model-monitor-byoc-constraints.html, .../model-monitor-interpreting-violations.html). The other way,
a baseline laid out exactly as SageMaker's analyzer writes it is checked by ours.

The analyzer's layout is taken from its published outputs (aws/amazon-sagemaker-examples,
sagemaker_model_monitor/introduction/SageMaker-ModelMonitoring_outputs.ipynb, and the SDK's own
tests/data/monitor files): `"version": 0.0`; the label is the first feature; integer columns are
`Integral`, decimal ones `Fractional`, text `String`; sketch parameters `{"c": 0.64, "k": 2048.0}`;
`sketch.data` holds compactor levels, level 0 unsorted in arrival order; 10 equal-width `kll.buckets`
from min to max; constraints carry the observed completeness, `is_non_negative` and `domains`.

`sagemaker` is imported once, lazily, by the module fixture (about 2 s). Every socket may only reach
127.0.0.1 while these tests run, and the session opts out of the SDK's telemetry.
"""

from __future__ import annotations

import json
import socket

import numpy as np
import pandas as pd
import pytest

from ml.data.io import read_table
from ml.monitoring.baseline import DataBaseline, baseline_from_json, build_baseline
from ml.monitoring.quality import check_data_quality
from ml.monitoring.sketch import SketchCDF

OFFLINE_ENV = {
    "AWS_ENDPOINT_URL": "http://127.0.0.1:9",  # nothing listens there; no call is expected at all
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
TELEMETRY_OPT_OUT = {
    "SchemaVersion": "1.0",
    "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}},
}
BUCKET = "s3://offline-bucket/monitoring"
MODEL_MONITOR_CHECKS = {
    "data_type_check",
    "completeness_check",
    "baseline_drift_check",
    "missing_column_check",
    "extra_column_check",
    "categorical_values_check",
}
NUMBER = (int, float)
STATES = ["CA", "NY", "TX", "FL", "WA", "OH", "GA", "MA"]
# (level, items): level h holds items that each stand for 2**h rows; 200 + 1000 + 4400 + 14400 = 20000 rows.
SKETCH_PLAN = [(0, 200), (1, 500), (2, 1100), (3, 1800)]
ANALYZER_ROWS = 20_000


def _local_only(connect):
    def guarded(sock, address):
        if isinstance(address, tuple) and address[0] not in ("127.0.0.1", "::1"):
            raise OSError(f"a test tried to reach {address}; only 127.0.0.1 is allowed")
        return connect(sock, address)

    return guarded


@pytest.fixture(scope="module")
def sagemaker_session():
    """A SageMaker session on fake credentials that can reach nothing but 127.0.0.1."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in OFFLINE_ENV.items():
            patch.setenv(key, value)
        patch.setattr(socket.socket, "connect", _local_only(socket.socket.connect))
        pytest.importorskip("sagemaker.core")  # after the region is set: v3 needs one at import
        import boto3
        from sagemaker.core.helper.session_helper import Session

        boto = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )
        yield Session(boto_session=boto, sagemaker_config=TELEMETRY_OPT_OUT, default_bucket="offline-bucket")


@pytest.fixture(scope="module")
def baseline(prepared_dir, spec, monitoring) -> DataBaseline:
    return build_baseline(
        read_table(prepared_dir / "train-part1.csv", spec, with_label=False), spec, monitoring
    )


@pytest.fixture
def batch(prepared_dir, spec) -> pd.DataFrame:
    return pd.read_csv(prepared_dir / "batch.csv", na_values=[spec.missing_marker])


def through_file(document: dict, tmp_path, name: str) -> dict:
    """The document as a reader gets it: written as a JSON file and parsed back."""
    path = tmp_path / name
    path.write_text(json.dumps(document, allow_nan=False))
    return json.loads(path.read_text())


def is_number(value) -> bool:
    return isinstance(value, NUMBER) and not isinstance(value, bool)


def assert_statistics_fields(document: dict) -> None:
    assert is_number(document["version"]) and is_number(document["dataset"]["item_count"])
    for feature in document["features"]:
        assert isinstance(feature["name"], str)
        if feature["inferred_type"] == "String":
            assert_string_statistics(feature["string_statistics"])
        else:
            assert feature["inferred_type"] in ("Integral", "Fractional")
            assert_numerical_statistics(feature["numerical_statistics"])


def assert_numerical_statistics(numerical: dict) -> None:
    assert all(is_number(numerical["common"][key]) for key in ("num_present", "num_missing"))
    assert all(is_number(numerical[key]) for key in ("mean", "sum", "std_dev", "min", "max"))
    kll = numerical["distribution"]["kll"]
    assert len(kll["buckets"]) == 10
    for bucket in kll["buckets"]:
        assert set(bucket) == {"lower_bound", "upper_bound", "count"} and all(map(is_number, bucket.values()))
    assert set(kll["sketch"]["parameters"]) == {"c", "k"} and all(
        map(is_number, kll["sketch"]["parameters"].values())
    )
    assert all(isinstance(level, list) and all(map(is_number, level)) for level in kll["sketch"]["data"])


def assert_string_statistics(strings: dict) -> None:
    assert all(is_number(strings["common"][key]) for key in ("num_present", "num_missing"))
    assert is_number(strings["distinct_count"])
    for bucket in strings["distribution"]["categorical"]["buckets"]:
        assert isinstance(bucket["value"], str) and is_number(bucket["count"])


def assert_constraints_fields(document: dict) -> None:
    assert is_number(document["version"])
    for feature in document["features"]:
        assert isinstance(feature["name"], str) and 0 <= feature["completeness"] <= 1
        if feature["inferred_type"] == "String":
            assert all(isinstance(value, str) for value in feature["string_constraints"]["domains"])
        else:
            assert feature["inferred_type"] in ("Integral", "Fractional")
            assert isinstance(feature["num_constraints"]["is_non_negative"], bool)
    config = document["monitoring_config"]
    assert {config["evaluate_constraints"], config["emit_metrics"]} <= {"Enabled", "Disabled"}
    assert is_number(config["datatype_check_threshold"]) and is_number(config["domain_content_threshold"])
    drift = config["distribution_constraints"]
    assert drift["perform_comparison"] in ("Enabled", "Disabled") and is_number(drift["comparison_threshold"])
    assert drift["comparison_method"] in ("Simple", "Robust")


def assert_violations_fields(document: dict) -> None:
    for violation in document["violations"]:
        assert set(violation) == {"feature_name", "constraint_check_type", "description"}
        assert all(isinstance(value, str) for value in violation.values())


def test_our_baseline_loads_in_the_sdk_with_the_documented_fields(sagemaker_session, baseline, tmp_path):
    from sagemaker.core.model_monitor import Constraints, Statistics

    statistics = Statistics(
        body_dict=through_file(baseline.statistics, tmp_path, "statistics.json"),
        statistics_file_s3_uri=f"{BUCKET}/statistics.json",
        sagemaker_session=sagemaker_session,
    )
    constraints = Constraints(
        body_dict=through_file(baseline.constraints, tmp_path, "constraints.json"),
        constraints_file_s3_uri=f"{BUCKET}/constraints.json",
        sagemaker_session=sagemaker_session,
    )

    assert (statistics.body_dict, constraints.body_dict) == (baseline.statistics, baseline.constraints)
    assert_statistics_fields(statistics.body_dict)
    assert_constraints_fields(constraints.body_dict)
    types = {feature["name"]: feature["inferred_type"] for feature in statistics.body_dict["features"]}
    assert types == {"Age": "Integral", "Shape": "String", "Margin": "String", "Density": "String"}
    drift = constraints.body_dict["monitoring_config"]["distribution_constraints"]
    assert (drift["perform_comparison"], drift["comparison_method"]) == ("Enabled", "Robust")


def test_every_violation_check_type_round_trips_through_the_sdk(
    sagemaker_session, baseline, batch, spec, tmp_path
):
    from sagemaker.core.model_monitor import ConstraintViolations

    batch = batch.drop(columns="Density").assign(Comment="ok", Age=batch["Age"] + 20)  # missing, extra, drift
    batch["Age"] = batch["Age"].astype(object)
    batch.loc[3, "Age"] = "sixty"  # data type
    batch.loc[: len(batch) // 4, "Shape"] = np.nan  # completeness
    batch.loc[[5, 6], "Margin"] = 9  # categorical values
    report = check_data_quality([batch], baseline, spec)

    violations = ConstraintViolations(
        body_dict=through_file(report.to_violations_json(), tmp_path, "constraint_violations.json"),
        constraint_violations_file_s3_uri=f"{BUCKET}/constraint_violations.json",
        sagemaker_session=sagemaker_session,
    )

    assert_violations_fields(violations.body_dict)
    assert {v["constraint_check_type"] for v in violations.body_dict["violations"]} == MODEL_MONITOR_CHECKS


def test_the_sdk_switching_a_feature_off_is_honoured(sagemaker_session, baseline, batch, spec):
    from sagemaker.core.model_monitor import Constraints

    constraints = Constraints(
        body_dict=json.loads(json.dumps(baseline.constraints)),
        constraints_file_s3_uri=f"{BUCKET}/constraints.json",
        sagemaker_session=sagemaker_session,
    )
    constraints.set_monitoring(False, feature_name="Shape")
    batch.loc[[1, 2], ["Shape", "Margin"]] = 9

    report = check_data_quality([batch], DataBaseline(baseline.statistics, constraints.body_dict), spec)

    assert [(v.feature_name, v.constraint_check_type) for v in report.violations] == [
        ("Margin", "categorical_values_check")
    ]


def analyzer_sketch(values: np.ndarray, rng: np.random.Generator) -> list[list[float]]:
    """Compactor levels as the analyzer leaves them: level 0 raw arrival order, level h one per 2**h rows."""
    levels, start = [], 0
    for level, items in SKETCH_PLAN:
        block = values[start : start + items * 2**level]
        start += block.size
        kept = block if level == 0 else np.sort(block)[rng.integers(2**level) :: 2**level]
        levels.append([float(value) for value in kept])
    return levels


def analyzer_numeric(name: str, values: np.ndarray, rng: np.random.Generator) -> dict:
    low, high = float(values.min()), float(values.max())
    counts, edges = np.histogram(values, bins=10, range=(low, high))
    buckets = [
        {"lower_bound": float(a), "upper_bound": float(b), "count": float(c)}
        for a, b, c in zip(edges[:-1], edges[1:], counts, strict=True)
    ]
    sketch = {"parameters": {"c": 0.64, "k": 2048.0}, "data": analyzer_sketch(values, rng)}
    moments = {"mean": values.mean(), "sum": values.sum(), "std_dev": values.std(), "min": low, "max": high}
    numerical = {"common": {"num_present": values.size, "num_missing": 0}} | {
        k: float(v) for k, v in moments.items()
    }
    inferred = "Integral" if np.all(values == np.round(values)) else "Fractional"
    return {
        "name": name,
        "inferred_type": inferred,
        "numerical_statistics": numerical | {"distribution": {"kll": {"buckets": buckets, "sketch": sketch}}},
    }


def analyzer_string(name: str, values: pd.Series) -> dict:
    counts = values.value_counts()
    buckets = [{"value": str(value), "count": int(count)} for value, count in counts.items()]
    strings = {
        "common": {"num_present": int(values.size), "num_missing": 0},
        "distinct_count": float(len(counts)),
    }
    return {
        "name": name,
        "inferred_type": "String",
        "string_statistics": strings | {"distribution": {"categorical": {"buckets": buckets}}},
    }


def churn_frame(rows: int, seed: int, day_mins_shift: float = 0.0) -> pd.DataFrame:
    """A churn-like data set as in AWS's Model Monitor example: label first, Integral, Fractional, String."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "Churn": rng.binomial(1, 0.14, rows),
            "Account Length": rng.normal(101, 39.5, rows).round().clip(1, 243).astype(int),
            "Day Mins": (rng.normal(180.2, 54.0, rows) + day_mins_shift).clip(0, 350.8).round(1),
            "Intl Plan": rng.choice(["no", "yes"], rows, p=[0.9, 0.1]),
            "State": rng.choice(STATES, rows, p=[0.2, 0.15, 0.15, 0.12, 0.1, 0.1, 0.1, 0.08]),
        }
    )


def analyzer_baseline(train: pd.DataFrame) -> DataBaseline:
    """statistics.json and constraints.json laid out exactly as SageMaker's analyzer writes them."""
    rng = np.random.default_rng(0)
    features = [
        analyzer_numeric(name, train[name].to_numpy(float), rng)
        if pd.api.types.is_numeric_dtype(train[name])
        else analyzer_string(name, train[name])
        for name in train.columns
    ]
    statistics = {"version": 0.0, "dataset": {"item_count": len(train)}, "features": features}
    constraints = {"version": 0.0, "features": [analyzer_constraint(feature) for feature in features]}
    constraints["monitoring_config"] = {
        "evaluate_constraints": "Enabled",
        "emit_metrics": "Enabled",
        "datatype_check_threshold": 1.0,
        "domain_content_threshold": 1.0,
        "distribution_constraints": {
            "perform_comparison": "Enabled",
            "comparison_threshold": 0.1,
            "comparison_method": "Robust",
        },
    }
    return DataBaseline(statistics, constraints)


def analyzer_constraint(feature: dict) -> dict:
    constraint = {"name": feature["name"], "inferred_type": feature["inferred_type"], "completeness": 1.0}
    if feature["inferred_type"] == "String":
        buckets = feature["string_statistics"]["distribution"]["categorical"]["buckets"]
        return constraint | {"string_constraints": {"domains": [bucket["value"] for bucket in buckets]}}
    return constraint | {"num_constraints": {"is_non_negative": feature["numerical_statistics"]["min"] >= 0}}


def test_a_sagemaker_analyzer_baseline_is_accepted_and_finds_sensible_violations(
    sagemaker_session, spec, tmp_path
):
    from sagemaker.core.model_monitor import Constraints, Statistics

    written = analyzer_baseline(churn_frame(ANALYZER_ROWS, seed=1))
    statistics = Statistics(
        through_file(written.statistics, tmp_path, "s.json"),
        f"{BUCKET}/s.json",
        sagemaker_session=sagemaker_session,
    )
    constraints = Constraints(
        through_file(written.constraints, tmp_path, "c.json"),
        f"{BUCKET}/c.json",
        sagemaker_session=sagemaker_session,
    )
    baseline = baseline_from_json(statistics.body_dict, constraints.body_dict)
    drifted = churn_frame(3000, seed=3, day_mins_shift=40.0)
    drifted["Account Length"] = drifted["Account Length"].astype(float)
    drifted.loc[[10, 20], "Account Length"] = 12.5
    drifted.loc[:299, "State"] = "ZZ"

    clean = check_data_quality([churn_frame(3000, seed=2)], baseline, spec)
    report = check_data_quality([drifted], baseline, spec)

    assert_statistics_fields(statistics.body_dict)
    assert_constraints_fields(constraints.body_dict)
    age_sketch = written.statistics["features"][2]["numerical_statistics"]["distribution"]["kll"]["sketch"][
        "data"
    ]
    assert len(age_sketch) == 4 and SketchCDF.from_levels(age_sketch).total == ANALYZER_ROWS
    assert clean.passed, clean.violations
    found = {(v.feature_name, v.constraint_check_type) for v in report.violations}
    assert found >= {
        ("Day Mins", "baseline_drift_check"),
        ("State", "categorical_values_check"),
        ("Account Length", "data_type_check"),
    }
    assert {name for name, _ in found} == {"Day Mins", "State", "Account Length"}
    assert report.drift_tests["Day Mins"].status == "fail"
    assert "'ZZ' (300 rows)" in next(
        v.description for v in report.violations if v.constraint_check_type == "categorical_values_check"
    )
