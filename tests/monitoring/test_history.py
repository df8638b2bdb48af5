"""The monitoring history keeps every check with its numbers, and shows them as trends."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

import pytest

from ml.config.schema import ModelQualityConfig
from ml.monitoring.history import (
    CheckRecord,
    SQLiteMonitoringHistory,
    data_quality_check,
    extra_feature_results,
    feature_summaries,
    model_quality_check,
)
from ml.monitoring.trends import (
    data_quality_trend,
    history_trends,
    model_quality_trend,
    render_trend,
    sparkline,
)
from ml.registry import ModelVersion

GROUP = "mammo"


def version(number: int = 1) -> ModelVersion:
    return ModelVersion(
        GROUP, number, "Approved", "digest", "uri", {"auc": 0.9}, {}, {}, "trainer", "2026-01-01"
    )


def outlier_check(prepared_dir, spec, monitoring):
    """The real data-quality report of the sample outlier batch against part1's baseline."""
    from ml.data.io import iter_csv_chunks, read_table
    from ml.monitoring.baseline import build_baseline
    from ml.monitoring.quality import check_data_quality

    baseline = build_baseline(
        read_table(prepared_dir / "train-part1.csv", spec, with_label=True), spec, monitoring
    )
    chunks = iter_csv_chunks(prepared_dir / "batch-outliers.csv", spec, 100)
    return baseline, check_data_quality(chunks, baseline, spec)


def record(
    run_id: str, kind: str = "data_quality", at: str = "2026-01-01T00:00:00+00:00", **values
) -> CheckRecord:
    defaults = {"model_group": GROUP, "model_version": 1, "passed": True, "row_count": 10, "checked_at": at}
    return CheckRecord(run_id=run_id, kind=kind, **{**defaults, **values})


@pytest.fixture
def history(tmp_path) -> SQLiteMonitoringHistory:
    return SQLiteMonitoringHistory(tmp_path / "monitoring.db")


def test_each_check_is_one_row_oldest_first(history):
    history.record_check(record("b", at="2026-01-02T00:00:00+00:00", features={"Age": {"drift": 0.2}}))
    history.record_check(record("a", at="2026-01-01T00:00:00+00:00", passed=False, violations=({"x": "y"},)))
    checks = history.list_checks(GROUP)
    assert [(c.run_id, c.passed) for c in checks] == [("a", False), ("b", True)]
    assert checks[0].violations == ({"x": "y"},) and checks[1].features == {"Age": {"drift": 0.2}}


def test_checks_are_filtered_by_kind_group_and_time(history):
    history.record_check(record("d1", at="2026-01-01T00:00:00+00:00"))
    history.record_check(record("m1", kind="model_quality", at="2026-01-02T00:00:00+00:00"))
    history.record_check(record("d2", at="2026-01-03T00:00:00+00:00"))
    history.record_check(record("other", model_group="another-model"))
    assert [c.run_id for c in history.list_checks(GROUP, "data_quality")] == ["d1", "d2"]
    assert [c.run_id for c in history.list_checks(GROUP, since="2026-01-02")] == ["m1", "d2"]
    assert [c.run_id for c in history.list_checks("another-model")] == ["other"]


def test_recording_the_same_run_again_replaces_it(history):
    history.record_check(record("a", passed=False))
    history.record_check(record("a", passed=True))
    assert [(c.run_id, c.passed) for c in history.list_checks(GROUP)] == [("a", True)]


def test_the_file_is_in_wal_mode(history):
    with sqlite3.connect(history.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_an_unknown_kind_is_refused(history):
    with pytest.raises(ValueError, match="check kind 'bias' is not one of"):
        history.record_check(record("a", kind="bias"))


def test_a_data_quality_check_keeps_statistics_drift_and_violations(prepared_dir, spec, monitoring, history):
    _, report = outlier_check(prepared_dir, spec, monitoring)
    history.record_check(data_quality_check("run-1", version(), report, "out/report.html"))
    (stored,) = history.list_checks(GROUP, "data_quality")
    assert not stored.passed and stored.row_count == report.row_count
    assert stored.features["Age"]["drift"] == pytest.approx(report.drift["Age"])
    assert stored.features["Age"]["mean"] > 70 and 0 < stored.features["Density"]["missing_share"] < 0.1
    assert [v["constraint_check_type"] for v in stored.violations] == [
        v.constraint_check_type for v in report.violations
    ]
    assert json.loads(json.dumps(stored.statistics)) == json.loads(json.dumps(report.statistics))
    for extra in extra_feature_results(report):  # e.g. statistical test results, when the report has them
        assert extra in stored.features["Age"]


@dataclass(frozen=True)
class ExampleResult:
    feature_name: str
    p_value: float


@dataclass(frozen=True)
class ExtendedReport:
    """A data-quality report with fields added after this code was written."""

    violations: tuple = ()
    row_count: int = 3
    statistics: dict = field(default_factory=lambda: {"features": [{"name": "Age"}, {"name": "Shape"}]})
    drift: dict = field(default_factory=lambda: {"Age": 0.3})
    ks_tests: dict = field(default_factory=lambda: {"Age": ExampleResult("Age", 0.01)})
    chi_tests: tuple = (ExampleResult("Shape", 0.5),)
    note: str = "not per feature"


def test_extra_per_feature_report_fields_are_kept_without_knowing_them():
    summaries = feature_summaries(ExtendedReport())
    assert summaries["Age"] == {"drift": 0.3, "ks_tests": {"feature_name": "Age", "p_value": 0.01}}
    assert summaries["Shape"] == {"chi_tests": {"p_value": 0.5}}


def test_a_model_quality_check_keeps_values_with_thresholds(spec):
    from ml.monitoring.model_quality import (
        check_model_quality,
        compute_quality_metrics,
        derive_quality_constraints,
    )
    from tests.monitoring.test_model_quality import PARAMS, scored

    report = compute_quality_metrics(*scored(), spec, PARAMS)
    constraints = derive_quality_constraints({"auc": 0.99}, ModelQualityConfig())
    stored = model_quality_check(
        "mq-1", version(), report, constraints, check_model_quality(report, constraints)
    )
    assert stored.kind == "model_quality" and not stored.passed and stored.row_count == 150
    assert stored.metrics["auc"]["threshold"] == pytest.approx(0.89)
    assert stored.metrics["auc"]["value"] == report.value("auc")
    assert "standard_deviation" in stored.metrics["f1"] and "threshold" not in stored.metrics["f1"]


def test_the_trend_table_has_a_row_per_check_and_a_sparkline_row():
    checks = [
        record(f"run-{i}", features={"Age": {"drift": d}, "Shape": {"drift": 0.0}})
        for i, d in enumerate((0.1, 0.3, 0.2))
    ]
    text = render_trend(data_quality_trend(checks))
    lines = text.splitlines()
    assert lines[0] == "data_quality: drift distance per feature"
    assert len(lines) == 3 + 3 + 1 and all(f"run-{i}" in lines[3 + i] for i in range(3))
    assert lines[-1].startswith("trend") and "▁█▅" in lines[-1]


def test_one_feature_shows_every_number_recorded_about_it():
    checks = [
        record("a", features={"Age": {"drift": 0.1, "mean": 55.0, "ks": {"p_value": 0.2, "passed": True}}})
    ]
    trend = data_quality_trend(checks, "Age")
    assert trend.columns == ("drift", "mean", "ks.p_value") and trend.values == ((0.1, 55.0, 0.2),)


def test_one_metric_shows_value_deviation_and_threshold():
    metrics = {"auc": {"value": 0.8, "standard_deviation": 0.03, "threshold": 0.75}}
    trend = model_quality_trend([record("m", kind="model_quality", metrics=metrics)], "auc")
    assert dict(zip(trend.columns, trend.values[0], strict=True)) == {
        "value": 0.8,
        "standard_deviation": 0.03,
        "threshold": 0.75,
    }


def test_an_unknown_feature_is_refused_with_the_recorded_ones():
    with pytest.raises(
        ValueError, match=r"feature 'Agee' is in no recorded data-quality check; recorded: \['Age'\]"
    ):
        data_quality_trend([record("a", features={"Age": {"drift": 0.1}})], "Agee")


def test_feature_and_metric_together_are_refused():
    with pytest.raises(ValueError, match="not both"):
        history_trends(lambda kind: [], feature="Age", metric="auc")


def test_sparkline_scales_between_min_and_max_and_skips_gaps():
    assert sparkline([0.0, 1.0, None, 0.5]) == "▁█ ▅"
    assert sparkline([0.2, 0.2]) == "▄▄"
    assert sparkline([None]) == ""
