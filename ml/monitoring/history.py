"""The monitoring history: every data- and model-quality check, with its statistics and result, over time.

A regulated team must show how a model behaved between approvals, not only that today's batch passed, so
each check is kept whether it passed or not: per-feature statistics, drift distances and any statistical
test results the data-quality report carries, per-metric values with their thresholds, and the violations.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Literal, Protocol

from ml.sqlite import create_schema, transaction

CheckKind = Literal["data_quality", "model_quality"]
CHECK_KINDS: tuple[str, ...] = ("data_quality", "model_quality")
SCHEMA_VERSION = 1
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS checks (
        id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('data_quality', 'model_quality')),
        checked_at TEXT NOT NULL,
        model_group TEXT NOT NULL,
        model_version INTEGER NOT NULL,
        passed INTEGER NOT NULL CHECK (passed IN (0, 1)),
        row_count INTEGER NOT NULL,
        -- JSON documents: the numbers trends are drawn from, and the check's full statistics.json
        features TEXT NOT NULL,
        metrics TEXT NOT NULL,
        violations TEXT NOT NULL,
        statistics TEXT NOT NULL,
        report_path TEXT NOT NULL,
        UNIQUE (run_id, kind)
    )""",
    "CREATE INDEX IF NOT EXISTS checks_by_group ON checks (model_group, kind, checked_at)",
    f"PRAGMA user_version = {SCHEMA_VERSION}",
)
_JSON_COLUMNS = ("features", "metrics", "violations", "statistics")
# DataQualityReport fields every report has; any other per-feature field (e.g. test results) is kept too.
_KNOWN_REPORT_FIELDS = {"violations", "row_count", "statistics", "drift"}


@dataclass(frozen=True)
class CheckRecord:
    """One check as the history keeps it.

    `features`: feature -> {drift, mean, std_dev, min, max, missing_share, <extra report fields>};
    `metrics`: metric -> {value, standard_deviation, threshold?, comparison_operator?}.
    """

    run_id: str
    kind: str
    model_group: str
    model_version: int
    passed: bool
    row_count: int
    features: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    metrics: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    violations: tuple[Mapping[str, Any], ...] = ()
    statistics: Mapping[str, Any] = field(default_factory=dict)
    report_path: str = ""
    checked_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def to_dict(self) -> dict[str, Any]:
        return jsonable(self)


class MonitoringHistory(Protocol):
    """Where checks are kept; every backend stores and returns the same `CheckRecord`s."""

    def record_check(self, check: CheckRecord) -> None:
        """Store one check; recording the same run id and kind again replaces the earlier record.

        Raises:
            ValueError: `check.kind` is not one of CHECK_KINDS.
        """
        ...

    def list_checks(
        self, model_group: str, kind: str | None = None, since: str | None = None
    ) -> list[CheckRecord]:
        """The group's checks, oldest first.

        Args:
            model_group: the registry's model group.
            kind: only `data_quality` or only `model_quality` checks; None for both.
            since: an ISO-8601 UTC timestamp; only checks at or after it.
        """
        ...


class SQLiteMonitoringHistory:
    """`MonitoringHistory` in one SQLite file (WAL, one transaction per call, a connection per call)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = create_schema(path, SCHEMA)

    def record_check(self, check: CheckRecord) -> None:
        if check.kind not in CHECK_KINDS:
            raise ValueError(f"check kind {check.kind!r} is not one of {list(CHECK_KINDS)}")
        row = jsonable(check)
        values = {
            key: json.dumps(row[key], sort_keys=True) if key in _JSON_COLUMNS else row[key] for key in row
        }
        columns = ", ".join(values)
        with transaction(self.path, write=True) as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO checks ({columns}) VALUES ({', '.join('?' * len(values))})",
                [int(v) if isinstance(v, bool) else v for v in values.values()],
            )

    def list_checks(
        self, model_group: str, kind: str | None = None, since: str | None = None
    ) -> list[CheckRecord]:
        query, arguments = "SELECT * FROM checks WHERE model_group = ?", [model_group]
        if kind is not None:
            query, arguments = query + " AND kind = ?", [*arguments, kind]
        if since is not None:
            query, arguments = query + " AND checked_at >= ?", [*arguments, since]
        with transaction(self.path) as conn:
            rows = conn.execute(query + " ORDER BY checked_at, id", arguments).fetchall()
        return [_record(row) for row in rows]


def data_quality_check(run_id: str, version, report, report_path: str = "") -> CheckRecord:
    """The history record of a data-quality check (`DataQualityReport`) of a batch scored by `version`."""
    return CheckRecord(
        run_id=run_id,
        kind="data_quality",
        model_group=version.model_group,
        model_version=version.version,
        passed=report.passed,
        row_count=report.row_count,
        features=feature_summaries(report),
        violations=tuple(jsonable(v) for v in report.violations),
        statistics=report.statistics,
        report_path=report_path,
    )


def model_quality_check(
    run_id: str, version, report, constraints: Mapping, violations, report_path: str = ""
) -> CheckRecord:
    """The history record of a model-quality check: metric values with their thresholds, and violations."""
    rules = constraints.get("binary_classification_constraints", {})
    metrics = {
        name: {**entry, **rules.get(name, {})}
        for name, entry in report.metrics.items()
        if isinstance(entry, Mapping) and "value" in entry
    }
    return CheckRecord(
        run_id=run_id,
        kind="model_quality",
        model_group=version.model_group,
        model_version=version.version,
        passed=violations.passed,
        row_count=report.item_count,
        metrics=metrics,
        violations=tuple(jsonable(v) for v in violations.violations),
        statistics=report.to_dict(),
        report_path=report_path,
    )


def feature_summaries(report) -> dict[str, dict[str, Any]]:
    """Per feature: drift distance, mean/std/min/max, missing share, and every extra per-feature result."""
    summaries: dict[str, dict[str, Any]] = {}
    for feature in report.statistics.get("features", []):
        stats = feature.get("numerical_statistics") or feature.get("string_statistics") or {}
        common = stats.get("common", {})
        rows = common.get("num_present", 0) + common.get("num_missing", 0)
        summary = {key: stats[key] for key in ("mean", "std_dev", "min", "max") if key in stats}
        if rows:
            summary["missing_share"] = common.get("num_missing", 0) / rows
        summaries[feature["name"]] = summary
    for name, distance in report.drift.items():
        summaries.setdefault(name, {})["drift"] = distance
    for field_name, per_feature in extra_feature_results(report).items():
        for name, value in per_feature.items():
            summaries.setdefault(name, {})[field_name] = value
    return summaries


def extra_feature_results(report) -> dict[str, dict[str, Any]]:
    """Report fields beyond the known four that hold one entry per feature (e.g. statistical tests).

    Read generically, so a field added to `DataQualityReport` is kept and shown without changes here:
    a mapping keyed by feature name, or a sequence of items that each name their feature.
    """
    if not is_dataclass(report):
        return {}
    names = {feature.get("name") for feature in report.statistics.get("features", [])} | set(report.drift)
    found = {}
    for report_field in fields(report):
        if report_field.name not in _KNOWN_REPORT_FIELDS:
            per_feature = _by_feature(jsonable(getattr(report, report_field.name)), names)
            if per_feature:
                found[report_field.name] = per_feature
    return found


def _by_feature(value: Any, names: set) -> dict[str, Any] | None:
    if isinstance(value, dict) and value and set(value) <= names:
        return value
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        label = next((k for k in ("feature_name", "feature", "name") if k in value[0]), None)
        if label is not None and all(item.get(label) in names for item in value):
            grouped: dict[str, list] = {}
            for item in value:
                grouped.setdefault(item[label], []).append({k: v for k, v in item.items() if k != label})
            return {key: items[0] if len(items) == 1 else items for key, items in grouped.items()}
    return None


def jsonable(value: Any) -> Any:
    """Dataclasses, mappings, sequences, enums and numpy scalars as plain JSON values."""
    if is_dataclass(value) and not isinstance(value, type):
        return jsonable(asdict(value))
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return jsonable(value.tolist())
    return value


def _record(row: sqlite3.Row) -> CheckRecord:
    data = {key: json.loads(row[key]) if key in _JSON_COLUMNS else row[key] for key in row.keys()}  # noqa: SIM118
    data.pop("id")
    data["passed"] = bool(data["passed"])
    data["violations"] = tuple(data["violations"])
    return CheckRecord(**data)
