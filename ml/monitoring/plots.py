"""The report's charts as inline SVG (`ml/monitoring/svg.py`): drift bars, distributions, trends, curves.

Each function returns the `<svg>` markup, or None when there is nothing to draw.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ml.monitoring import svg

PASS_COLOUR, FAIL_COLOUR, BASELINE_COLOUR, BATCH_COLOUR = "#2e7d32", "#c62828", "#90a4ae", "#1565c0"
SERIES_COLOURS = ("#1565c0", "#ef6c00", "#6a1b9a", "#00838f", "#ad1457", "#558b2f", "#4e342e", "#283593")
PANEL_WIDTH, PANEL_HEIGHT = 480, 215
MAX_CATEGORIES = 24  # a batch of garbage strings can hold 1000 distinct values; draw the largest ones
MAX_TIME_LABELS = 16
Box = tuple[float, float, float, float]  # left, top, width, height of a panel's plot area, in pixels


def distribution_chart(features: Sequence[tuple[str, Mapping | None, Mapping | None]]) -> str | None:
    """Small multiples of baseline vs batch distributions, one panel per (name, baseline, batch) feature.

    Numeric features are drawn from `distribution.kll.buckets` as densities (the two bucket grids differ);
    categorical ones from `distribution.categorical.buckets` as shares per category.
    """
    panels = [(name, base, batch) for name, base, batch in features if _buckets(base) or _buckets(batch)]
    if not panels:
        return None
    columns = min(2, len(panels))
    rows = (len(panels) + columns - 1) // columns
    parts = [svg.legend(70, 18, [("baseline", BASELINE_COLOUR, "box"), ("batch", BATCH_COLOUR, "line")])]
    for index, (name, base, batch) in enumerate(panels):
        left, top = (index % columns) * PANEL_WIDTH, 30 + (index // columns) * PANEL_HEIGHT
        kind, _ = _buckets(base) or _buckets(batch)
        draw = _numeric_panel if kind == "kll" else _categorical_panel
        parts.append(draw((left + 70, top + 30, PANEL_WIDTH - 95, PANEL_HEIGHT - 75), name, base, batch))
    label = "Baseline and batch distributions of " + ", ".join(name for name, _, _ in panels)
    return svg.document(columns * PANEL_WIDTH, 20 + rows * PANEL_HEIGHT, label, parts)


def drift_chart(drift: Mapping[str, float], thresholds: Mapping[str, float]) -> str | None:
    """One bar per feature's drift distance, red above its threshold, with the threshold as a dashed line."""
    if not drift:
        return None
    names = list(drift)
    row = 34
    left = 30 + 7.5 * max(len(name) for name in names)
    high = max([*drift.values(), *thresholds.values(), 0.05]) * 1.15
    frame = svg.Frame(left, 12, 860 - left, row * len(names), (0, high), (0, len(names)))
    parts = [svg.axes(frame, svg.ticks(0, high), [], xlabel="drift distance (dashed: comparison threshold)")]
    for index, name in enumerate(names):
        top = frame.top + index * row
        failed = drift[name] > thresholds.get(name, float("inf"))
        width = frame.px(drift[name]) - frame.left
        parts.append(svg.rect(frame.left, top + 6, width, row - 12, FAIL_COLOUR if failed else PASS_COLOUR))
        parts.append(svg.text(frame.left - 8, top + row / 2 + 4, name, anchor="end"))
        parts.append(svg.text(frame.left + width + 5, top + row / 2 + 4, f"{drift[name]:.3f}", size=11))
        if name in thresholds:
            x = frame.px(thresholds[name])
            parts.append(svg.line(x, top + 3, x, top + row - 3, "#000", stroke_dasharray="5 3"))
    label = "Drift distance per feature against its comparison threshold"
    return svg.document(880, frame.bottom + 50, label, parts)


def trend_chart(
    labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    thresholds: Mapping[str, float],
    ylabel: str,
) -> str | None:
    """One line per series over checks (x: check time), each threshold dashed in its series' colour."""
    if not labels or not any(any(v is not None for v in values) for values in series.values()):
        return None
    values = [v for column in series.values() for v in column if v is not None]
    values += [thresholds[name] for name in series if name in thresholds]
    last = len(labels) - 1
    frame = svg.Frame(
        75,
        40,
        800,
        230,
        (-0.5, last + 0.5) if last < 2 else (-0.05 * last, 1.05 * last),
        svg.padded(values, 0.08),
    )
    step = max(1, -(-len(labels) // MAX_TIME_LABELS))
    xticks = [(i, labels[i][5:16].replace("T", " ")) for i in range(0, len(labels), step)]
    parts = [svg.axes(frame, xticks, svg.ticks(*frame.y), ylabel=ylabel, grid=True, slanted=True)]
    entries = []
    for (name, column), colour in zip(series.items(), _colours(), strict=False):
        points = [(frame.px(x), frame.py(v)) for x, v in enumerate(column) if v is not None]
        if name in thresholds:
            y = frame.py(thresholds[name])
            parts.append(svg.line(frame.left, y, frame.right, y, colour, stroke_dasharray="6 4"))
        parts.append(svg.path(points, stroke=colour, stroke_width=2))
        parts.extend(svg.circle(x, y, 3.5, colour) for x, y in points)
        entries.append((name, colour, "line"))
    parts.append(svg.legend(frame.left, 22, entries))
    label = f"{ylabel} over {len(labels)} checks" + (" (dashed: thresholds)" if thresholds else "")
    return svg.document(900, frame.bottom + 72, label, parts)


def curves_chart(metrics: Mapping) -> str | None:
    """The ROC and precision-recall curves of a model-quality report, side by side."""
    roc = metrics.get("receiver_operating_characteristic_curve")
    pr = metrics.get("precision_recall_curve")
    if not roc or not pr:
        return None
    unit = [(0.0, "0"), (0.25, "0.25"), (0.5, "0.5"), (0.75, "0.75"), (1.0, "1")]
    left = svg.Frame(70, 30, 340, 260, (0, 1), (0, 1))
    right = svg.Frame(left.right + 110, 30, 340, 260, (0, 1), (0, 1.05))
    parts = [
        svg.axes(left, unit, unit, xlabel="false positive rate", ylabel="true positive rate", grid=True),
        svg.text(left.left + left.width / 2, 20, "ROC", anchor="middle", size=13, weight="600"),
        svg.path(
            [(left.px(0), left.py(0)), (left.px(1), left.py(1))],
            stroke=BASELINE_COLOUR,
            stroke_dasharray="2 3",
        ),
        _curve(left, roc["false_positive_rates"], roc["true_positive_rates"]),
        svg.axes(right, unit, unit, xlabel="recall", ylabel="precision", grid=True),
        svg.text(
            right.left + right.width / 2, 20, "precision-recall", anchor="middle", size=13, weight="600"
        ),
        _curve(right, pr["recalls"], pr["precisions"]),
    ]
    return svg.document(right.right + 20, left.bottom + 50, "ROC and precision-recall curves", parts)


def _curve(frame: svg.Frame, xs: Sequence[float], ys: Sequence[float]) -> str:
    points = [(frame.px(x), frame.py(y)) for x, y in zip(xs, ys, strict=True)]
    return svg.path(points, stroke=BATCH_COLOUR, stroke_width=2)


def _numeric_panel(box: Box, name: str, base: Mapping | None, batch: Mapping | None) -> str:
    steps = [
        (_densities(_buckets(stats)), colour, filled)
        for stats, colour, filled in ((base, BASELINE_COLOUR, True), (batch, BATCH_COLOUR, False))
    ]
    steps = [(edges, density, colour, filled) for (edges, density), colour, filled in steps if edges]
    edges = [edge for found in steps for edge in found[0]]
    high = max(value for found in steps for value in found[1]) * 1.08 or 1.0
    frame = svg.Frame(*box, svg.padded(edges, 0.02), (0, high))
    parts = [
        _title(frame, name),
        svg.axes(frame, svg.ticks(*frame.x, 6), svg.ticks(0, high, 4), ylabel="density"),
    ]
    for edges, density, colour, filled in steps:
        outline = [(frame.px(edges[0]), frame.py(0))]
        for low, upper, value in zip(edges, edges[1:], density, strict=False):
            outline += [(frame.px(low), frame.py(value)), (frame.px(upper), frame.py(value))]
        outline.append((frame.px(edges[-1]), frame.py(0)))
        style = {"fill": colour, "fill_opacity": 0.6} if filled else {"stroke": colour, "stroke_width": 2}
        parts.append(svg.path(outline, **style))
    return "".join(parts)


def _categorical_panel(box: Box, name: str, base: Mapping | None, batch: Mapping | None) -> str:
    shares = [_shares(_buckets(stats)) for stats in (base, batch)]
    categories = list(dict.fromkeys([*shares[0], *shares[1]]))
    hidden = max(0, len(categories) - MAX_CATEGORIES)
    if hidden:
        largest = sorted(categories, key=lambda c: -max(shares[0].get(c, 0.0), shares[1].get(c, 0.0)))
        kept = set(largest[:MAX_CATEGORIES])
        categories = [c for c in categories if c in kept]
    high = max(share.get(c, 0.0) for share in shares for c in categories) * 1.1 or 1.0
    frame = svg.Frame(*box, (-0.6, len(categories) - 0.4), (0, high))
    xticks = [(i, category[:10]) for i, category in enumerate(categories)]
    title = name + (f" ({hidden} smaller categories not drawn)" if hidden else "")
    parts = [
        _title(frame, title),
        svg.axes(frame, xticks, svg.ticks(0, high, 4), ylabel="share", slanted=len(categories) > 8),
    ]
    bar = frame.width / (len(categories) + 0.2) * 0.4
    for offset, share, colour in ((-1, shares[0], BASELINE_COLOUR), (0, shares[1], BATCH_COLOUR)):
        for i, category in enumerate(categories):
            y = frame.py(share.get(category, 0.0))
            parts.append(svg.rect(frame.px(i) + offset * bar, y, bar, frame.bottom - y, colour))
    return "".join(parts)


def _title(frame: svg.Frame, name: str) -> str:
    return svg.text(
        frame.left + frame.width / 2, frame.top - 10, name, anchor="middle", size=13, weight="600"
    )


def _densities(found: tuple[str, list[dict]] | None) -> tuple[list[float], list[float]]:
    """Bucket edges and densities of a KLL histogram; a bucket narrower than 1/1000 of the span is widened."""
    if not found or found[0] != "kll":
        return [], []
    buckets = found[1]
    edges = [float(buckets[0]["lower_bound"]), *(float(b["upper_bound"]) for b in buckets)]
    total = sum(float(b["count"]) for b in buckets) or 1.0
    narrowest = max((edges[-1] - edges[0]) / 1000, 1e-12)
    widths = [max(b["upper_bound"] - b["lower_bound"], narrowest) for b in buckets]
    return edges, [float(b["count"]) / total / width for b, width in zip(buckets, widths, strict=True)]


def _buckets(stats: Mapping | None) -> tuple[str, list[dict]] | None:
    """("kll", buckets) or ("categorical", buckets) from one feature's statistics.json entry."""
    if not stats:
        return None
    numeric = stats.get("numerical_statistics", {}).get("distribution", {}).get("kll", {}).get("buckets")
    if numeric:
        return "kll", numeric
    strings = stats.get("string_statistics", {}).get("distribution", {}).get("categorical", {}).get("buckets")
    return ("categorical", strings) if strings else None


def _shares(found: tuple[str, list[dict]] | None) -> dict[str, float]:
    if not found or found[0] != "categorical":
        return {}
    total = sum(float(b["count"]) for b in found[1]) or 1.0
    return {str(b["value"]): float(b["count"]) / total for b in found[1]}


def _colours():
    while True:
        yield from SERIES_COLOURS
