"""Self-contained HTML reports of a data-quality or model-quality check, written next to the check's JSON.

A report must open on an air-gapped reviewer's machine and stay readable when attached to an approval
pull request, so it references nothing outside itself: inline CSS, charts as inline SVG, and only
relative links to the JSON files beside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ml.monitoring import page, plots
from ml.monitoring.guidance import Explanation, explain_data_quality, explain_model_quality, spread_text
from ml.monitoring.history import CheckRecord, extra_feature_results, jsonable
from ml.monitoring.trends import data_quality_trend, model_quality_trend
from ml.monitoring.wording import metric_key

REPORT_NAME = "report.html"
TREND_METRICS = ("auc", "f1", "precision", "recall", "accuracy")


@dataclass(frozen=True)
class ReportContext:
    """What every report states at the top: which run checked what, with which model version."""

    run_id: str
    model_group: str
    model_version: int
    source: str
    files: tuple[str, ...] = ()


def data_quality_html(report, baseline, history: Sequence[CheckRecord], context: ReportContext) -> str:
    """The report of a batch's data-quality check (`DataQualityReport`) against the model's baseline."""
    from ml.monitoring.baseline import monitoring_rules

    thresholds = _drift_thresholds(baseline.constraints, monitoring_rules(baseline.constraints))
    explanations = [explain_data_quality(jsonable(v)) for v in report.violations]
    summary = (
        f"{report.row_count} rows of {context.source} checked against the baseline of "
        f"version v{context.model_version}"
    )
    baseline_stats = {f["name"]: f for f in baseline.statistics.get("features", [])}
    batch_stats = {f["name"]: f for f in report.statistics.get("features", [])}
    trend = data_quality_trend(history)
    sections = [
        _violations_section(explanations),
        page.section(
            "Drift against the training baseline",
            page.chart(plots.drift_chart(report.drift, thresholds)),
            _feature_table(report, thresholds),
        ),
        page.section(
            "Distributions: baseline (grey) vs batch (blue)",
            page.chart(
                plots.distribution_chart(
                    [(n, baseline_stats.get(n), batch_stats.get(n)) for n in batch_stats]
                )
            ),
        ),
        page.section(
            "Drift over time",
            page.chart(
                plots.trend_chart(
                    [c.checked_at for c in trend.checks],
                    {n: trend.column(n) for n in trend.columns},
                    thresholds,
                    "drift distance",
                )
            ),
        ),
        _checks_section(history, context.run_id),
    ]
    return page.document(
        "Data-quality check", report.passed, [summary, _identity(context)], context.files, sections
    )


def model_quality_html(
    report, constraints: Mapping, violations, history: Sequence[CheckRecord], context: ReportContext
) -> str:
    """The report of a model-quality check: metrics vs constraints, the label join, curves and trends."""
    explanations = [explain_model_quality(vars(v), constraints) for v in violations.violations]
    rules = constraints.get("binary_classification_constraints", {})
    summary = (
        f"{report.item_count} labelled predictions of version v{context.model_version} ({context.source})"
    )
    trend = model_quality_trend(history)
    series = {name: trend.column(name) for name in trend.columns if name in TREND_METRICS}
    limits = {name: float(rule["threshold"]) for name, rule in rules.items()}
    sections = [
        _violations_section(explanations),
        page.section(
            "Metrics against the constraints",
            _metrics_table(report.metrics, rules, {metric_key(v.metric_name) for v in violations.violations}),
            _confusion_table(report.metrics),
        ),
        page.section("Label join", _join_table(report.join)),
        page.section("Curves", page.chart(plots.curves_chart(report.metrics))),
        page.section(
            "Metrics over time",
            page.chart(plots.trend_chart([c.checked_at for c in trend.checks], series, limits, "value")),
        ),
        _checks_section(history, context.run_id),
    ]
    return page.document(
        "Model-quality check", violations.passed, [summary, _identity(context)], context.files, sections
    )


def write_report(directory: Path, document: str) -> Path:
    """Write `report.html` into the directory atomically and return its path."""
    from ml.artifacts.local import write_bytes_atomically

    path = directory / REPORT_NAME
    write_bytes_atomically(path, document.encode("utf-8"))
    return path


def _identity(context: ReportContext) -> str:
    return f"model {context.model_group} v{context.model_version} · run {context.run_id}"


def _violations_section(explanations: Sequence[Explanation]) -> str:
    if not explanations:
        return page.section("Violations", "<p class=ok>No violations: every constraint was met.</p>")
    rows = [(e.subject, e.check, e.expected, e.found, e.action) for e in explanations]
    table = page.table(("feature / metric", "check", "expected", "found", "what to do"), rows)
    return page.section(f"Violations ({len(explanations)})", table)


def _feature_table(report, thresholds: Mapping[str, float]) -> str:
    rows = []
    for feature in report.statistics.get("features", []):
        name = feature["name"]
        stats = feature.get("numerical_statistics") or feature.get("string_statistics") or {}
        distance, limit = report.drift.get(name), thresholds.get(name)
        status = "-" if distance is None or limit is None else ("drifted" if distance > limit else "ok")
        common = stats.get("common", {})
        cells = [
            name,
            feature.get("inferred_type", ""),
            page.number(distance),
            page.number(limit),
            status,
            page.number(stats.get("mean")),
            common.get("num_missing", ""),
        ]
        rows.append(cells)
    header = ("feature", "type", "drift", "threshold", "status", "batch mean", "missing")
    return page.table(header, rows) + "".join(
        _per_feature_table(title, results) for title, results in extra_feature_results(report).items()
    )


def _per_feature_table(title: str, results: Mapping[str, object]) -> str:
    """Any other per-feature result of the report (e.g. statistical tests): one row per feature."""
    flat = {name: page.flatten_leaves(value) for name, value in results.items()}
    columns = list(dict.fromkeys(key for leaves in flat.values() for key in leaves))
    rows = [(name, *(leaves.get(key, "") for key in columns)) for name, leaves in flat.items()]
    return f"<h3>{page.escape(title.replace('_', ' '))}</h3>" + page.table(("feature", *columns), rows)


def _metrics_table(metrics: Mapping, rules: Mapping, violated: set[str]) -> str:
    rows = []
    for name, entry in metrics.items():
        if (
            not isinstance(entry, Mapping)
            or "value" not in entry
            or name.endswith("_best_constant_classifier")
        ):
            continue
        rule = rules.get(name, {})
        constant = metrics.get(f"{name}_best_constant_classifier", {}).get("value")
        value = f"{entry['value']:.4f}{spread_text(entry)}"
        status = "-" if not rule else ("FAILED" if name in violated else "passed")
        threshold = page.number(rule.get("threshold"))
        rows.append(
            (name, value, page.number(constant), rule.get("comparison_operator", ""), threshold, status)
        )
    header = ("metric", "value ± std", "best constant classifier", "violation if", "threshold")
    note = (
        "<p class=muted>Thresholds come from constraints.json: the scoring version's registered AUC minus "
        "model_quality.max_auc_drop, and any model_quality.minimums.</p>"
    )
    return page.table((*header, "result"), rows) + note


def _confusion_table(metrics: Mapping) -> str:
    matrix = metrics.get("confusion_matrix", {})
    rows = [
        (f"true {truth}", *(matrix.get(truth, {}).get(guess, 0) for guess in ("0", "1")))
        for truth in ("0", "1")
    ]
    return "<h3>Confusion matrix</h3>" + page.table(("", "predicted 0", "predicted 1"), rows)


def _join_table(join) -> str:
    rows = [
        ("predictions", join.predictions, ""),
        ("labels", join.labels, ""),
        ("matched (used for the metrics)", join.matched, f"{join.matched_fraction:.1%} of the predictions"),
        (
            "predictions without a label",
            join.unmatched_predictions.count,
            ", ".join(join.unmatched_predictions.examples),
        ),
        (
            "labels without a prediction",
            join.unmatched_labels.count,
            ", ".join(join.unmatched_labels.examples),
        ),
    ]
    return page.table(("records", "count", "detail / examples"), rows)


def _checks_section(history: Sequence[CheckRecord], current: str) -> str:
    rows = [
        (
            c.checked_at.replace("+00:00", " UTC"),
            c.run_id + (" (this check)" if c.run_id == current else ""),
            f"v{c.model_version}",
            "passed" if c.passed else "FAILED",
            c.row_count,
            len(c.violations),
        )
        for c in reversed(history)
    ]
    table = page.table(("checked at", "run", "version", "result", "rows", "violations"), rows)
    return page.section(f"Checks of this kind ({len(history)})", table)


def _drift_thresholds(constraints: Mapping, rules) -> dict[str, float]:
    categorical = {
        f["name"] for f in constraints.get("features", []) if f.get("inferred_type") in ("String", "Unknown")
    }
    return {
        f["name"]: rules.categorical_comparison_threshold
        if f["name"] in categorical
        else rules.comparison_threshold
        for f in constraints.get("features", [])
    }
