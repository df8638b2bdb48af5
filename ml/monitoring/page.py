"""HTML building blocks of the monitoring reports: inline style, sections, tables, inline SVG charts."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1f2933;background:#f5f7fa}
main{max-width:1100px;margin:0 auto;padding:24px}
.banner{padding:18px 24px;color:#fff;border-radius:6px;margin-bottom:20px}
.banner.pass{background:#2e7d32}.banner.fail{background:#c62828}
.banner h1{margin:0 0 6px;font-size:24px}.banner p{margin:0}
section{background:#fff;border-radius:6px;padding:16px 20px;margin-bottom:18px;box-shadow:0 1px 2px #0002}
h2{font-size:18px;margin-top:0}table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e4e7eb;vertical-align:top}
th{background:#eef1f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#2e7d32;font-weight:600}.bad{color:#c62828;font-weight:600}
svg.chart{max-width:100%;height:auto;display:block;margin:8px auto}
svg.chart text{font-family:inherit;fill:#1f2933}.muted{color:#616e7c;font-size:12px}
.wide{overflow-x:auto}
"""


def document(
    title: str, passed: bool, summary: Sequence[str], files: Sequence[str], sections: Sequence[str]
) -> str:
    """A whole page: a green or red banner with the verdict and summary lines, the sections, the file list."""
    verdict = "PASSED" if passed else "FAILED"
    lines = "".join(f"<p>{escape(line)}</p>" for line in summary)
    links = ", ".join(f'<a href="{escape(name)}">{escape(name)}</a>' for name in files) or "none"
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}: {verdict}</title><style>{STYLE}</style></head><body><main>"
        f'<div class="banner {"pass" if passed else "fail"}"><h1>{escape(title)}: {verdict}</h1>{lines}</div>'
        + "".join(sections)
        + f'<p class="muted">Files beside this report: {links}.</p></main></body></html>\n'
    )


def section(title: str, *parts: str) -> str:
    return f"<section><h2>{escape(title)}</h2>{''.join(parts)}</section>"


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(_cell(cell) for cell in row) + "</tr>" for row in rows)
    return f'<div class="wide"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _cell(cell: object) -> str:
    css = {
        "FAILED": ' class="bad"',
        "drifted": ' class="bad"',
        "fail": ' class="bad"',
        "passed": ' class="ok"',
        "ok": ' class="ok"',
    }.get(str(cell), "")
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        css = ' class="num"'
    return f"<td{css}>{escape(str(cell))}</td>"


def chart(markup: str | None) -> str:
    """An inline `<svg>` chart (`ml.monitoring.plots`), or a note when there is nothing to draw."""
    return markup or "<p class=muted>Nothing to draw yet.</p>"


def flatten_leaves(value: object, prefix: str = "") -> dict[str, str]:
    """A nested result as dotted key -> text; the feature's own name is left out (it is the row)."""
    if isinstance(value, Mapping):
        found: dict[str, str] = {}
        for key, item in value.items():
            if key not in ("feature_name", "feature", "name"):
                found.update(flatten_leaves(item, f"{prefix}{key}."))
        return found
    if isinstance(value, list):
        return {prefix.rstrip(".") or "value": "; ".join(_short(item) for item in value)}
    return {prefix.rstrip(".") or "value": _short(value)}


def _short(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else ("-" if value is None else str(value))


def number(value: object) -> str:
    return "-" if value is None else (f"{value:.4f}" if isinstance(value, float) else str(value))


def escape(text: str) -> str:
    return html.escape(text, quote=True)
