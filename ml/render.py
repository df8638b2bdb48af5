"""Render registry content as a plain-text table or JSON for the CLI."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict

from ml.artifacts.codecs import standard_json
from ml.registry import ModelVersion


def render_table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> str:
    """A left-aligned text table with a rule under the header."""
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def auc_with_interval(metrics: dict) -> str:
    if "auc" not in metrics:
        return "-"
    low, high = metrics.get("auc_ci_low", float("nan")), metrics.get("auc_ci_high", float("nan"))
    return f"{metrics['auc']:.3f} [{low:.3f}, {high:.3f}]"


def render_versions(versions: Sequence[ModelVersion], output_format: str) -> str:
    if output_format == "json":
        return json.dumps(
            standard_json([asdict(v) for v in versions]), indent=2, default=str, allow_nan=False
        )
    if not versions:
        return "no versions registered yet (run `mlops train`)"
    rows = [
        (
            v.version,
            v.status,
            auc_with_interval(dict(v.metrics)),
            v.created_by,
            v.created_at,
            v.artifact_digest[:12],
        )
        for v in versions
    ]
    return render_table(rows, ("version", "status", "auc [95% CI]", "created by", "created at", "artifact"))


def render_version(version: ModelVersion, output_format: str) -> str:
    if output_format == "json":
        return json.dumps(standard_json(asdict(version)), indent=2, default=str, allow_nan=False)
    lines = [
        f"{version.model_group} version {version.version}: {version.status}",
        f"artifact   {version.artifact_digest}  {version.artifact_uri}",
        f"created    {version.created_at} by {version.created_by}",
        f"auc        {auc_with_interval(dict(version.metrics))}",
        "metrics    " + ", ".join(f"{k}={_short(v)}" for k, v in sorted(version.metrics.items())),
        "lineage    " + json.dumps(dict(version.lineage), sort_keys=True),
        "history:",
    ]
    from ml.registry.audit_report import describe_change

    lines[0] += f" in {version.environment}" if version.environment else ""
    lines += [f"  {line}" for change in version.history for line in describe_change(version.version, change)]
    return "\n".join(lines)


def _short(value: object) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)
