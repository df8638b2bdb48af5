"""Missing-values drift: a one-sided test per feature inside the drift tests' one multiple-testing family."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom, fisher_exact

from ml.data.io import read_table
from ml.monitoring.baseline import build_baseline
from ml.monitoring.drift import missing_values_test
from ml.monitoring.quality import check_data_quality

RESAMPLES = 500
BATCH_ROWS = 200
CHECKS = {"completeness_check", "baseline_drift_check", "drift_test_check"}


@pytest.fixture(scope="module")
def pool(prepared_dir, spec) -> pd.DataFrame:
    """The training distribution: train-part1 + train-part2, missing values as in the source."""
    parts = [read_table(prepared_dir / f"train-{p}.csv", spec, with_label=False) for p in ("part1", "part2")]
    return pd.concat(parts, ignore_index=True)[spec.feature_names]


def test_the_family_wise_false_alarm_rate_stays_at_alpha(pool, spec, monitoring):
    """Baseline and batch drawn independently from the same rows: every alarm is a false one."""
    rng = np.random.default_rng(20261128)
    alarms = observed_reading_alarms = 0
    for _ in range(RESAMPLES):
        baseline = build_baseline(pool.iloc[rng.integers(0, len(pool), 430)], spec, monitoring)
        batch = pool.iloc[rng.integers(0, len(pool), BATCH_ROWS)]
        report = check_data_quality([batch], baseline, spec)
        alarms += any(v.constraint_check_type in CHECKS for v in report.violations)
        # Reading the baseline's observed completeness as a threshold (what the issue found) alarms on most.
        observed = {f["name"]: f["completeness"] for f in baseline.constraints["features"]}
        observed_reading_alarms += any(batch[name].notna().mean() < share for name, share in observed.items())

    assert len(report.drift_tests) + len(report.missing_value_tests) == 2 * len(spec.feature_names)
    alpha = monitoring.drift_tests.alpha
    print(
        f"false alarms {alarms}/{RESAMPLES}; observed completeness as a threshold: {observed_reading_alarms}"
    )
    assert alarms <= binom.ppf(0.999, RESAMPLES, alpha)
    assert observed_reading_alarms > RESAMPLES / 2


def test_the_missing_values_test_shares_the_correction(pool, spec, monitoring):
    baseline = build_baseline(pool, spec, monitoring)
    report = check_data_quality([pool.iloc[:300]], baseline, spec)

    tests = [*report.drift_tests.values(), *report.missing_value_tests.values()]
    smallest = min(tests, key=lambda result: result.p_value)
    assert smallest.adjusted_p_value == pytest.approx(min(1.0, len(tests) * smallest.p_value))


def test_a_rise_of_fifteen_points_is_found_by_the_test_alone(pool, spec, monitoring):
    no_floor = monitoring.model_copy(update={"completeness_threshold": 0.0})
    baseline = build_baseline(pool, spec, no_floor)
    rng = np.random.default_rng(7)
    found = 0
    for _ in range(40):
        batch = pool.iloc[rng.integers(0, len(pool), BATCH_ROWS)].reset_index(drop=True)
        present = np.flatnonzero(batch["Density"].notna().to_numpy())
        batch.loc[rng.choice(present, size=30, replace=False), "Density"] = np.nan
        report = check_data_quality([batch], baseline, spec)
        found += ("Density", "completeness_check") in {
            (v.feature_name, v.constraint_check_type) for v in report.violations
        }
    assert found >= 32  # the benchmark measures 100% at this size (docs/monitoring-drift.md)


def test_fewer_missing_values_never_alarm(pool, spec, monitoring):
    baseline = build_baseline(pool, spec, monitoring)
    complete = pool.dropna().iloc[:BATCH_ROWS]

    report = check_data_quality([complete], baseline, spec)

    assert {result.status for result in report.missing_value_tests.values()} == {"pass"}
    assert all(result.p_value > 0.5 for result in report.missing_value_tests.values())


def test_the_p_value_is_fishers_one_sided_and_the_effect_the_rise_in_share():
    outcome = missing_values_test("Density", (920.0, 80.0), (170, 30))

    _, expected = fisher_exact([[30, 170], [80, 920]], alternative="greater")
    assert outcome.p_value == pytest.approx(expected)
    assert outcome.effect_size == pytest.approx(30 / 200 - 80 / 1000)
    assert outcome.sample_size == 200 and outcome.baseline_size == 1000
