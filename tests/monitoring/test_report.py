"""HTML reports open anywhere (nothing fetched from a network), show their charts, name every violation."""

from __future__ import annotations

import html
import re
from xml.etree import ElementTree

import pytest

from ml.config.schema import ModelQualityConfig
from ml.monitoring.history import data_quality_check, model_quality_check
from ml.monitoring.model_quality import (
    check_model_quality,
    compute_quality_metrics,
    derive_quality_constraints,
)
from ml.monitoring.plots import BASELINE_COLOUR, BATCH_COLOUR, FAIL_COLOUR
from ml.monitoring.report import ReportContext, data_quality_html, model_quality_html, write_report
from tests.monitoring.test_history import outlier_check, version
from tests.monitoring.test_model_quality import PARAMS, scored

SVG = re.compile(r'<svg class="chart".*?</svg>', re.DOTALL)


def assert_self_contained(page: str) -> None:
    """No src or href loads anything over a network or from another host; CSS is inline."""
    references = re.findall(r'(?:src|href)\s*=\s*["\']([^"\']*)', page)
    remote = [ref for ref in references if re.match(r"(https?:)?//", ref)]
    assert not remote, remote
    assert "<link" not in page and "<script" not in page
    assert "<style>" in page


def charts(page: str) -> list[ElementTree.Element]:
    """The inline SVG charts, parsed: each must be well-formed and load nothing from anywhere."""
    found = []
    for markup in SVG.findall(page):
        assert "href" not in markup and "url(" not in markup and "<image" not in markup
        found.append(ElementTree.fromstring(markup))
    return found


def texts(chart: ElementTree.Element) -> list[str]:
    return [element.text or "" for element in chart.iter("text")]


@pytest.fixture(scope="module")
def failed_data_quality(prepared_dir, spec, monitoring):
    baseline, report = outlier_check(prepared_dir, spec, monitoring)
    history = [data_quality_check("run-1", version(), report)]
    context = ReportContext("run-1", "mammo", 1, "batch-outliers.csv", ("constraint_violations.json",))
    return report, data_quality_html(report, baseline, history, context)


def test_data_quality_report_is_self_contained(failed_data_quality):
    _, page = failed_data_quality
    assert_self_contained(page)
    assert '<a href="constraint_violations.json">' in page


def test_data_quality_report_draws_its_charts_inline(failed_data_quality):
    report, page = failed_data_quality
    drift, distributions, trend = charts(page)
    assert "<img" not in page
    features = [feature["name"] for feature in report.statistics["features"]]
    # One bar per feature, the drifted one (Age) red, every threshold dashed.
    assert set(features) <= set(texts(drift))
    assert sum(rect.get("fill") == FAIL_COLOUR for rect in drift.iter("rect")) == 1
    assert sum(line.get("stroke-dasharray") is not None for line in drift.iter("line")) == len(features)
    # A panel per feature, baseline and batch both drawn; a line per feature over time.
    assert set(features) <= set(texts(distributions))
    assert {BASELINE_COLOUR, BATCH_COLOUR} <= {element.get("fill") for element in distributions.iter()}
    assert set(report.drift) <= set(texts(trend)) and len(list(trend.iter("polyline"))) == len(report.drift)


def test_data_quality_report_names_every_violation_in_plain_words(failed_data_quality):
    report, page = failed_data_quality
    assert 'class="banner fail"' in page and "Data-quality check: FAILED" in page
    assert report.violations
    for violation in report.violations:
        assert html.escape(violation.description) in page
    assert "values inside the range the data contract declares" in page  # range_check, expected
    assert "only the category codes the data contract allows" in page  # categorical_values_check


@pytest.fixture(scope="module")
def failed_model_quality(spec):
    report = compute_quality_metrics(*scored(), spec, PARAMS)
    constraints = derive_quality_constraints({"auc": 0.99}, ModelQualityConfig())
    violations = check_model_quality(report, constraints)
    history = [model_quality_check("mq-1", version(), report, constraints, violations)]
    context = ReportContext("mq-1", "mammo", 1, "predictions.csv + labels.csv", ("statistics.json",))
    return violations, model_quality_html(report, constraints, violations, history, context)


def test_model_quality_report_is_self_contained_with_charts(failed_model_quality):
    _, page = failed_model_quality
    assert_self_contained(page)
    curves, trend = charts(page)  # ROC + precision-recall, metrics over time
    assert {"ROC", "precision-recall"} <= set(texts(curves))
    assert {"auc", "f1"} <= set(texts(trend))


def test_model_quality_report_names_the_violation_and_its_threshold(failed_model_quality):
    violations, page = failed_model_quality
    assert "Model-quality check: FAILED" in page
    (violation,) = violations.violations
    assert html.escape(violation.description) in page
    assert "auc at least 0.8900 on the labelled batch" in page
    assert "predictions without a label" in page


def test_a_passing_check_has_a_green_banner(spec):
    report = compute_quality_metrics(*scored(), spec, PARAMS)
    constraints = derive_quality_constraints({"auc": 0.5}, ModelQualityConfig())
    violations = check_model_quality(report, constraints)
    page = model_quality_html(report, constraints, violations, [], ReportContext("mq", "mammo", 1, "p"))
    assert 'class="banner pass"' in page and "No violations" in page


def test_the_report_is_written_as_report_html(tmp_path, failed_model_quality):
    _, page = failed_model_quality
    path = write_report(tmp_path, page)
    assert path == tmp_path / "report.html" and path.read_text(encoding="utf-8") == page
