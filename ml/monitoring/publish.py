"""After a check ran: keep it in the monitoring history and write its files and HTML report beside each other.

Both kinds of check go through here, whether they passed or not, so the history has no gaps and every
report's trend includes the check it describes.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ml.artifacts.codecs import encode_json
from ml.artifacts.local import write_bytes_atomically
from ml.monitoring.history import MonitoringHistory, data_quality_check, model_quality_check
from ml.monitoring.report import (
    REPORT_NAME,
    ReportContext,
    data_quality_html,
    model_quality_html,
    write_report,
)

# Model Monitor's file names for a model-quality job's outputs.
MODEL_QUALITY_FILES = ("statistics.json", "constraints.json", "constraint_violations.json")


def publish_data_quality(
    history: MonitoringHistory, run_id: str, version, report, baseline, report_dir: Path, source: str
) -> Path:
    """Record a data-quality check and write `report.html` into `report_dir` (beside its JSON files)."""
    report_path = report_dir / REPORT_NAME
    history.record_check(data_quality_check(run_id, version, report, str(report_path)))
    checks = history.list_checks(version.model_group, "data_quality")
    files = tuple(sorted(p.name for p in report_dir.glob("*.json"))) if report_dir.is_dir() else ()
    context = ReportContext(run_id, version.model_group, version.version, source, files)
    return write_report(report_dir, data_quality_html(report, baseline, checks, context))


def publish_model_quality(
    history: MonitoringHistory,
    run_id: str,
    version,
    report,
    constraints: Mapping,
    violations,
    output_dir: Path,
    source: str,
) -> Path:
    """Write the model-quality statistics, constraints and violations, record the check, write the report."""
    documents = (report.to_dict(), constraints, violations.to_dict())
    for name, document in zip(MODEL_QUALITY_FILES, documents, strict=True):
        write_bytes_atomically(output_dir / name, encode_json(document))
    report_path = output_dir / REPORT_NAME
    history.record_check(
        model_quality_check(run_id, version, report, constraints, violations, str(report_path))
    )
    checks = history.list_checks(version.model_group, "model_quality")
    context = ReportContext(run_id, version.model_group, version.version, source, MODEL_QUALITY_FILES)
    return write_report(output_dir, model_quality_html(report, constraints, violations, checks, context))
