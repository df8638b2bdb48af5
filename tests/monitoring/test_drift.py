"""Statistical drift tests per feature: right p-values, quiet on clean batches, loud on real drift."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy.stats import (
    binom,
    chi2_contingency,
    false_discovery_control,
    ks_2samp,
    kstest,
    wasserstein_distance,
)

from ml.config.loader import load_environment
from ml.config.schema import DriftTestsConfig, MonitoringConfig
from ml.data.io import iter_csv_chunks, read_table
from ml.errors import ConfigError, DataError
from ml.monitoring.baseline import DataBaseline, build_baseline
from ml.monitoring.distance import CDFHistogram
from ml.monitoring.drift import (
    adjust_p_values,
    chi_squared_test,
    drift_test_settings,
    ks_test,
)
from ml.monitoring.quality import DataQualityReport, check_data_quality
from ml.monitoring.sketch import SketchCDF
from tests.conftest import REPO

RESAMPLES = 500
BATCH_ROWS = 200


@pytest.fixture(scope="module")
def train(prepared_dir, spec) -> pd.DataFrame:
    return read_table(prepared_dir / "train-part1.csv", spec, with_label=False)


@pytest.fixture(scope="module")
def baseline(train, spec, monitoring) -> DataBaseline:
    return build_baseline(train, spec, monitoring)


def check_file(path, baseline, spec) -> DataQualityReport:
    return check_data_quality(iter_csv_chunks(path, spec, chunk_rows=64), baseline, spec)


def with_drift_tests(monitoring: MonitoringConfig, **changes) -> MonitoringConfig:
    tests = DriftTestsConfig.model_validate({**monitoring.drift_tests.model_dump(), **changes})
    return monitoring.model_copy(update={"drift_tests": tests})


def statistical(report: DataQualityReport) -> list[str]:
    return [v.feature_name for v in report.violations if "statistical test" in v.description]


def test_clean_sample_batch_passes_every_test(prepared_dir, baseline, spec):
    report = check_file(prepared_dir / "batch.csv", baseline, spec)

    assert report.passed, report.violations
    assert {name: result.status for name, result in report.drift_tests.items()} == dict.fromkeys(
        spec.feature_names, "pass"
    )
    assert all(result.adjusted_p_value > 0.01 for result in report.drift_tests.values())


def test_each_injected_outlier_is_caught_and_named(prepared_dir, baseline, spec, config):
    outliers = pd.read_csv(prepared_dir / "batch-outliers.csv", na_values=[spec.missing_marker])
    with_unknown_code = {name for name in ("Shape", "Margin", "Density") if (outliers[name] == 9).any()}

    report = check_file(prepared_dir / "batch-outliers.csv", baseline, spec)

    found = {(v.feature_name, v.constraint_check_type): v.description for v in report.violations}
    assert "outside the declared range [1, 120]" in found["Age", "range_check"]
    assert "= 150.0" in found["Age", "range_check"]
    for name in with_unknown_code:
        assert "unknown values: '9'" in found[name, "categorical_values_check"]
    age_drift = [
        v.description for v in report.violations if v.constraint_check_type == "baseline_drift_check"
    ]
    assert len(age_drift) == 1 and age_drift[0].startswith("Numerical distance: 0.37")
    assert (
        "exceeds numerical threshold: 0.1 Age: Model Monitor's distance (numerical), Robust" in age_drift[0]
    )
    assert "Age: statistical test (two-sample Kolmogorov-Smirnov + Mann-Whitney)" in age_drift[0]
    assert report.drift_tests["Age"].status == "fail"
    assert config.split.outliers.shift == {"Age": 20}


def test_age_shift_alone_fails_the_distance_and_the_test(prepared_dir, baseline, spec):
    clean = pd.read_csv(prepared_dir / "batch.csv", na_values=[spec.missing_marker])
    shifted = clean.assign(Age=clean["Age"] + 20)

    report = check_data_quality([shifted], baseline, spec)

    assert [(v.feature_name, v.constraint_check_type) for v in report.violations] == [
        ("Age", "baseline_drift_check")
    ]
    age = report.drift_tests["Age"]
    assert age.adjusted_p_value < 1e-20 and age.effect_size > 1.0
    description = report.violations[0].description
    for part in ("D = ", "Holm-adjusted p-value", "<= alpha 0.01", "Wasserstein-1", ">= floor 0.1"):
        assert part in description


def test_same_distribution_resamples_alarm_at_most_alpha(prepared_dir, spec, monitoring):
    """Baseline and batch drawn independently from the training distribution: the tests' null hypothesis."""
    part2 = read_table(prepared_dir / "train-part2.csv", spec, with_label=False)
    part1 = read_table(prepared_dir / "train-part1.csv", spec, with_label=False)
    pool = pd.concat([part1, part2])[spec.feature_names].to_numpy()
    rng = np.random.default_rng(20240601)
    baseline_rows = rng.integers(0, len(pool), size=(RESAMPLES, len(part1)))
    batch_rows = rng.integers(0, len(pool), size=(RESAMPLES, BATCH_ROWS))
    drift_alarms = 0
    for train_index, batch_index in zip(baseline_rows, batch_rows, strict=True):
        train = pd.DataFrame(pool[train_index], columns=spec.feature_names)
        baseline = build_baseline(train, spec, monitoring)
        batch = pd.DataFrame(pool[batch_index], columns=spec.feature_names)
        report = check_data_quality([batch], baseline, spec)
        drift_alarms += any(v.constraint_check_type == "baseline_drift_check" for v in report.violations)

    alpha = monitoring.drift_tests.alpha
    rate = drift_alarms / RESAMPLES
    print(f"drift false-alarm rate: {rate:.3f} ({drift_alarms}/{RESAMPLES}), configured alpha {alpha}")
    assert rate <= binom.ppf(0.999, RESAMPLES, alpha) / RESAMPLES


def test_ks_p_value_counts_the_baseline_as_a_sample():
    rng = np.random.default_rng(3)
    train, batch = rng.normal(50, 10, 800), rng.normal(51.5, 10, 300)
    histogram = CDFHistogram(SketchCDF.from_levels([sorted(train)]))
    histogram.update(batch)

    outcome = ks_test("x", histogram, baseline_std=float(train.std()))

    scipy_two_sample = ks_2samp(train, batch, method="asymp")
    assert outcome.statistic == pytest.approx(scipy_two_sample.statistic)
    assert outcome.p_value == pytest.approx(scipy_two_sample.pvalue, rel=1e-9)
    one_sample = kstest(batch, lambda x: np.searchsorted(np.sort(train), x, side="right") / train.size)
    assert outcome.p_value > 2 * one_sample.pvalue
    assert outcome.effect_size == pytest.approx(wasserstein_distance(train, batch) / train.std(), rel=0.02)


def test_wasserstein_is_exact_on_the_grid_and_beyond_it():
    train = np.repeat([20.0, 30.0, 40.0, 50.0], [5, 10, 20, 5])
    batch = np.array([20.0, 30.0, 30.0, 50.0, 75.0, 90.0, 12.0])
    histogram = CDFHistogram(SketchCDF.from_levels([sorted(train)]))
    histogram.update(batch)

    assert histogram.wasserstein() == pytest.approx(wasserstein_distance(train, batch))


def test_chi_squared_is_the_homogeneity_test_of_both_samples():
    baseline = {"1": 120, "2": 90, "3": 60, "4": 130}
    batch = {"1": 70, "2": 40, "3": 20, "4": 70}

    outcome = chi_squared_test("Shape", baseline, batch)

    expected = chi2_contingency(np.array([[120, 90, 60, 130], [70, 40, 20, 70]]), correction=False)
    assert (outcome.statistic, outcome.degrees_of_freedom) == pytest.approx(
        (expected.statistic, expected.dof)
    )
    assert outcome.p_value == pytest.approx(expected.pvalue)
    assert 0 < outcome.effect_size < 0.1


def test_rare_categories_are_pooled_before_the_chi_squared_test():
    baseline = {"1": 8, "2": 25, "3": 360, "4": 7}
    batch = {"1": 2, "2": 12, "3": 180, "4": 3, "9": 3}

    outcome = chi_squared_test("Density", baseline, batch)

    # 1, 4 and the new 9 are each expected fewer than 5 times in the batch: pooled into one category.
    assert outcome.degrees_of_freedom == 2
    assert outcome.effect_size > 0


def test_holm_and_benjamini_hochberg_adjustments():
    p_values = np.array([0.01, 0.04, 0.03, 0.005])

    assert adjust_p_values(p_values, "holm") == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert adjust_p_values(p_values, "benjamini-hochberg") == pytest.approx(false_discovery_control(p_values))


def test_small_batch_is_not_enough_data(prepared_dir, baseline, spec):
    clean = pd.read_csv(prepared_dir / "batch.csv", na_values=[spec.missing_marker]).head(30)

    report = check_data_quality([clean.assign(Age=clean["Age"] + 20)], baseline, spec)

    assert {result.status for result in report.drift_tests.values()} == {"not enough data"}
    assert report.drift_tests["Age"].p_value is None
    assert report.drift_tests["Age"].sample_size == 30
    assert statistical(report) == []


def test_effect_size_floor_keeps_a_trivial_shift_on_a_huge_batch_quiet(spec, monitoring):
    rng = np.random.default_rng(8)
    categorical = {name: rng.integers(1, 4, 100_000) for name in ("Shape", "Margin", "Density")}
    baseline = build_baseline(
        pd.DataFrame({"Age": rng.normal(55, 14, 100_000), **categorical}), spec, monitoring
    )
    rows = 200_000
    codes = {name: rng.integers(1, 4, rows) for name in ("Shape", "Margin", "Density")}

    def batch(shift: float) -> pd.DataFrame:
        return pd.DataFrame({"Age": rng.normal(55 + shift, 14, rows).clip(1, 120), **codes})

    tiny = check_data_quality([batch(0.5)], baseline, spec)
    real = check_data_quality([batch(3.0)], baseline, spec)

    assert tiny.drift_tests["Age"].adjusted_p_value < 1e-6
    assert tiny.drift_tests["Age"].effect_size < 0.1
    assert tiny.passed, tiny.violations
    assert real.drift_tests["Age"].status == "fail" and statistical(real) == ["Age"]


def test_a_feature_override_disables_its_test_or_raises_its_floor(prepared_dir, train, spec, monitoring):
    clean = pd.read_csv(prepared_dir / "batch.csv", na_values=[spec.missing_marker])
    shifted = clean.assign(Age=clean["Age"] + 20)
    reports = {}
    for name, override in {"off": {"enabled": False}, "floor": {"effect_size_floor": 5.0}}.items():
        settings = with_drift_tests(monitoring, features={"Age": override})
        reports[name] = check_data_quality([shifted], build_baseline(train, spec, settings), spec)

    assert reports["off"].drift_tests["Age"].status == "disabled"
    assert reports["floor"].drift_tests["Age"].status == "pass"
    assert reports["floor"].drift_tests["Age"].effect_size_floor == 5.0
    assert statistical(reports["off"]) == statistical(reports["floor"]) == []
    assert "Age" in reports["off"].drift


def test_benjamini_hochberg_is_selectable(prepared_dir, train, spec, monitoring):
    settings = with_drift_tests(monitoring, correction="benjamini-hochberg")
    clean = pd.read_csv(prepared_dir / "batch.csv", na_values=[spec.missing_marker])

    report = check_data_quality(
        [clean.assign(Age=clean["Age"] + 20)], build_baseline(train, spec, settings), spec
    )

    assert report.drift_tests["Age"].correction == "benjamini-hochberg"
    assert "Benjamini-Hochberg-adjusted p-value" in report.violations[-1].description


def test_drift_test_results_are_json_ready(prepared_dir, baseline, spec):
    report = check_file(prepared_dir / "batch-outliers.csv", baseline, spec)

    document = json.loads(json.dumps(report.drift_tests_json(), allow_nan=False))

    assert [entry["feature_name"] for entry in document] == spec.feature_names
    assert document[0]["test"] == "two-sample Kolmogorov-Smirnov + Mann-Whitney"
    assert document[1]["effect_size_name"] == "Jensen-Shannon distance (base 2)"


def test_constraints_carry_the_settings_and_analyzer_files_get_defaults(baseline):
    assert drift_test_settings(baseline.constraints) == DriftTestsConfig()
    assert drift_test_settings({"monitoring_config": {}}) == DriftTestsConfig()


def test_a_malformed_settings_block_names_the_field(baseline):
    constraints = json.loads(json.dumps(baseline.constraints))
    constraints["monitoring_config"]["drift_tests"]["alpha"] = 2

    with pytest.raises(DataError, match=r"constraints.json: monitoring_config.drift_tests.alpha: "):
        drift_test_settings(constraints)


def test_config_refuses_an_override_for_an_unknown_feature(tmp_path):
    data = yaml.safe_load((REPO / "configs/local/environment.yaml").read_text())
    data["monitoring"]["drift_tests"]["features"] = {"Agee": {"min_samples": 100}}
    (tmp_path / "local").mkdir()
    (tmp_path / "local/environment.yaml").write_text(yaml.safe_dump(data))

    with pytest.raises(ConfigError, match=r"monitoring.drift_tests.features: \['Agee'\] are not features"):
        load_environment("local", tmp_path)
