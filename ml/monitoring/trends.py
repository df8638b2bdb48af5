"""Trends over the monitoring history: a row per check, a column per feature or metric, with sparklines."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ml.artifacts.codecs import standard_json
from ml.monitoring.history import CheckRecord

SPARK_LEVELS = "▁▂▃▄▅▆▇█"
DEFAULT_METRICS = ("auc", "accuracy", "precision", "recall", "f1")
METRIC_MEASURES = ("value", "standard_deviation", "threshold")
# The summary statistics first; any other per-feature result (e.g. a test's p-value) follows by name.
FEATURE_MEASURES = ("drift", "mean", "std_dev", "min", "max", "missing_share")


@dataclass(frozen=True)
class Trend:
    """Numbers over checks: what each column measures, one row of values per check (None: not measured)."""

    kind: str
    measures: str
    columns: tuple[str, ...]
    checks: tuple[CheckRecord, ...]
    values: tuple[tuple[float | None, ...], ...]

    def column(self, name: str) -> list[float | None]:
        index = self.columns.index(name)
        return [row[index] for row in self.values]


def data_quality_trend(checks: Sequence[CheckRecord], feature: str | None = None) -> Trend:
    """Drift distance per feature; or, for one feature, every number recorded about it.

    Raises:
        ValueError: `feature` appears in no check; the message lists the recorded features.
    """
    if feature is None:
        columns = _ordered(name for check in checks for name, s in check.features.items() if "drift" in s)
        rows = [[_number(check.features.get(name, {}).get("drift")) for name in columns] for check in checks]
        return _trend("data_quality", "drift distance per feature", columns, checks, rows)
    known = _ordered(name for check in checks for name in check.features)
    if feature not in known:
        raise ValueError(f"feature {feature!r} is in no recorded data-quality check; recorded: {known}")
    flat = [flatten_numbers(check.features.get(feature, {})) for check in checks]
    recorded = _ordered(key for numbers in flat for key in numbers)
    columns = [key for key in FEATURE_MEASURES if key in recorded] + sorted(
        set(recorded) - set(FEATURE_MEASURES)
    )
    rows = [[numbers.get(key) for key in columns] for numbers in flat]
    return _trend("data_quality", f"feature {feature}", columns, checks, rows)


def model_quality_trend(checks: Sequence[CheckRecord], metric: str | None = None) -> Trend:
    """The headline metrics per check; or, for one metric, its value, standard deviation and threshold.

    Raises:
        ValueError: `metric` appears in no check; the message lists the recorded metrics.
    """
    known = _ordered(name for check in checks for name in check.metrics)
    if metric is None:
        columns = [name for name in DEFAULT_METRICS if name in known]
        rows = [[_number(check.metrics.get(name, {}).get("value")) for name in columns] for check in checks]
        return _trend("model_quality", "metric values", columns, checks, rows)
    if metric not in known:
        raise ValueError(f"metric {metric!r} is in no recorded model-quality check; recorded: {known}")
    rows = [[_number(check.metrics.get(metric, {}).get(key)) for key in METRIC_MEASURES] for check in checks]
    return _trend("model_quality", f"metric {metric}", list(METRIC_MEASURES), checks, rows)


def flatten_numbers(value: object, prefix: str = "") -> dict[str, float]:
    """Every numeric leaf of nested mappings, keyed by its dotted path (`ks_test.p_value`)."""
    if isinstance(value, Mapping):
        found: dict[str, float] = {}
        for key, item in value.items():
            found.update(flatten_numbers(item, f"{prefix}{key}."))
        return found
    number = _number(value)
    return {} if number is None or not prefix else {prefix.rstrip("."): number}


def sparkline(values: Sequence[float | None]) -> str:
    """One block character per value, scaled between the column's min and max; a space for no value."""
    present = [v for v in values if v is not None]
    if not present:
        return ""
    low, high = min(present), max(present)
    span = high - low
    top = len(SPARK_LEVELS) - 1
    return "".join(
        " " if v is None else SPARK_LEVELS[round((v - low) / span * top) if span else top // 2]
        for v in values
    )


def render_trend(trend: Trend) -> str:
    """A text table: one row per check, a column per feature or metric, and a sparkline row at the bottom."""
    from ml.render import render_table

    if not trend.checks:
        return f"{trend.kind}: no checks recorded yet"
    header = ("checked at (UTC)", "run", "version", "result", "rows", "violations", *trend.columns)
    rows = [
        (
            check.checked_at.replace("+00:00", ""),
            check.run_id,
            f"v{check.model_version}",
            "passed" if check.passed else "FAILED",
            check.row_count,
            len(check.violations),
            *(_cell(value) for value in values),
        )
        for check, values in zip(trend.checks, trend.values, strict=True)
    ]
    rows.append(("trend", "", "", "", "", "", *(sparkline(trend.column(name)) for name in trend.columns)))
    return f"{trend.kind}: {trend.measures}\n{render_table(rows, header)}"


def trends_json(trends: Sequence[Trend]) -> str:
    """The same numbers as the tables, for scripts."""
    document = [
        {
            "kind": trend.kind,
            "measures": trend.measures,
            "columns": list(trend.columns),
            "checks": [
                {
                    "run_id": check.run_id,
                    "checked_at": check.checked_at,
                    "model_version": check.model_version,
                    "passed": check.passed,
                    "row_count": check.row_count,
                    "violations": list(check.violations),
                    "report_path": check.report_path,
                    "values": dict(zip(trend.columns, values, strict=True)),
                }
                for check, values in zip(trend.checks, trend.values, strict=True)
            ],
        }
        for trend in trends
    ]
    return json.dumps(standard_json(document), indent=2, allow_nan=False)


def _trend(kind: str, measures: str, columns, checks, rows) -> Trend:
    return Trend(kind, measures, tuple(columns), tuple(checks), tuple(tuple(row) for row in rows))


def _ordered(names) -> list[str]:
    return list(dict.fromkeys(names))


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def history_trends(
    checks_of,
    kind: str | None = None,
    feature: str | None = None,
    metric: str | None = None,
) -> list[Trend]:
    """The trends `mlops monitor history` shows; `checks_of(kind)` lists the recorded checks of a kind.

    Without `kind`, --feature implies data quality, --metric model quality, neither shows both.

    Raises:
        ValueError: --feature with --metric, or with model-quality checks (and the other way round), or a
            feature or metric that no check recorded.
    """
    if feature and metric:
        raise ValueError("use --feature or --metric, not both")
    if (feature and kind == "model_quality") or (metric and kind == "data_quality"):
        raise ValueError("--feature goes with data_quality checks, --metric with model_quality checks")
    kinds = [kind] if kind else ["data_quality"] if feature else ["model_quality"] if metric else []
    kinds = kinds or ["data_quality", "model_quality"]
    return [
        data_quality_trend(checks_of(name), feature)
        if name == "data_quality"
        else model_quality_trend(checks_of(name), metric)
        for name in kinds
    ]
