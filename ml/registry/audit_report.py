"""`mlops registry audit`: a model group's decisions as a regulator reads them, and the chain's verdict."""

from __future__ import annotations

import json
from dataclasses import asdict

from ml.registry import StatusChange
from ml.registry.audit import AuditReport, format_head


def render_audit(report: AuditReport, environment: str | None, output_format: str) -> str:
    """The history (one environment's, or all of it) as a table or JSON, then whether the chain verifies."""
    entries = [e for e in report.entries if environment is None or e.change.environment in ("", environment)]
    if output_format == "json":
        document = {
            "model_group": report.model_group,
            "verified": report.verified,
            "problems": list(report.problems),
            "head": format_head(report.head),
            "entries": [{"version": e.version, **asdict(e.change)} for e in entries],
        }
        return json.dumps(document, indent=2)
    lines = [
        f"{report.model_group}: {len(entries)} decision(s)" + (f" in {environment}" if environment else "")
    ]
    for entry in entries:
        lines += describe_change(entry.version, entry.change)
    verdict = "verified" if report.verified else "BROKEN"
    lines.append(f"audit chain {verdict}: {len(report.entries)} entries, head {format_head(report.head)}")
    return "\n".join(lines)


def describe_change(version: int, change: StatusChange) -> list[str]:
    """A decision as a heading line (place in the chain, when, where, what, who) and one line per detail."""
    decision = change.decision
    action = decision.action or str(change.status)
    place = f"#{change.sequence}" if change.sequence else "  -"  # unchained: registration or older layout
    lines = [
        f"{place} {change.changed_at} {change.environment or 'all'} v{version} {action} -> "
        f"{change.status} by {change.changed_by} ({decision.via})",
        f"    reason: {change.reason}",
    ]
    details = {
        "evidence": decision.evidence,
        "downgrade reason": decision.downgrade_reason,
        "pull request": f"#{decision.pull_request}" if decision.pull_request else "",
        "author": decision.author,
        "approving reviewers": ", ".join(decision.approving_reviewers),
        "merge commit": decision.merge_commit,
        "replaced by": f"v{decision.replaced_by}" if decision.replaced_by else "",
    }
    return lines + [f"    {name}: {value}" for name, value in details.items() if value]
