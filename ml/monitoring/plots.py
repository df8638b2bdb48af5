"""The report's charts as base64 PNG: drawn with matplotlib's Agg canvas, imported inside each function.

A `Figure` is drawn on its own Agg canvas instead of through pyplot, so no GUI backend or global state is
touched and reports can be written from any process (a scheduler, a test, a container without a display).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence

PASS_COLOUR, FAIL_COLOUR, BASELINE_COLOUR, BATCH_COLOUR = "#2e7d32", "#c62828", "#90a4ae", "#1565c0"
SERIES_COLOURS = ("#1565c0", "#ef6c00", "#6a1b9a", "#00838f", "#ad1457", "#558b2f", "#4e342e", "#283593")


def distribution_chart(features: Sequence[tuple[str, Mapping | None, Mapping | None]]) -> str | None:
    """Small multiples of baseline vs batch distributions, one panel per (name, baseline, batch) feature.

    Numeric features are drawn from `distribution.kll.buckets` as densities (the two bucket grids differ);
    categorical ones from `distribution.categorical.buckets` as shares per category.
    """
    panels = [(name, base, batch) for name, base, batch in features if _buckets(base) or _buckets(batch)]
    if not panels:
        return None
    columns = 2
    rows = (len(panels) + columns - 1) // columns
    figure, axes = _figure((10, 3.0 * rows), rows, columns)
    for axis, (name, base, batch) in zip(axes, panels, strict=False):
        kind, _ = _buckets(base) or _buckets(batch)
        (_numeric_panel if kind == "kll" else _categorical_panel)(axis, base, batch)
        axis.set_title(name, fontsize=10)
    for axis in axes[len(panels) :]:
        axis.set_visible(False)
    axes[0].legend(fontsize=8)
    return _png(figure)


def drift_chart(drift: Mapping[str, float], thresholds: Mapping[str, float]) -> str | None:
    """One bar per feature's drift distance, red above its threshold, with the threshold as a dashed line."""
    if not drift:
        return None
    names = list(drift)
    figure, (axis,) = _figure((8, 0.5 + 0.45 * len(names) + 1), 1, 1)
    colours = [FAIL_COLOUR if drift[n] > thresholds.get(n, float("inf")) else PASS_COLOUR for n in names]
    axis.barh(names, [drift[n] for n in names], color=colours)
    for index, name in enumerate(names):
        if name in thresholds:
            axis.vlines(thresholds[name], index - 0.4, index + 0.4, colors="black", linestyles="dashed")
    axis.invert_yaxis()
    axis.set_xlabel("drift distance (dashed: comparison threshold)")
    axis.set_xlim(0, max([*drift.values(), *thresholds.values(), 0.05]) * 1.15)
    return _png(figure)


def trend_chart(
    labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    thresholds: Mapping[str, float],
    ylabel: str,
) -> str | None:
    """One line per series over checks (x: check time), each threshold dashed in its series' colour."""
    if not labels or not any(any(v is not None for v in values) for values in series.values()):
        return None
    figure, (axis,) = _figure((9, 3.6), 1, 1)
    positions = list(range(len(labels)))
    for (name, values), colour in zip(series.items(), _colours(), strict=False):
        points = [(x, v) for x, v in zip(positions, values, strict=True) if v is not None]
        axis.plot(*zip(*points, strict=True), marker="o", color=colour, label=name)
        if name in thresholds:
            axis.axhline(thresholds[name], color=colour, linestyle="dashed", linewidth=1)
    axis.set_xticks(
        positions, [label[5:16].replace("T", " ") for label in labels], rotation=30, ha="right", fontsize=8
    )
    axis.set_ylabel(ylabel)
    axis.legend(fontsize=8, ncols=min(4, len(series)))
    axis.grid(alpha=0.3)
    return _png(figure)


def curves_chart(metrics: Mapping) -> str | None:
    """The ROC and precision-recall curves of a model-quality report, side by side."""
    roc = metrics.get("receiver_operating_characteristic_curve")
    pr = metrics.get("precision_recall_curve")
    if not roc or not pr:
        return None
    figure, (left, right) = _figure((9, 3.8), 1, 2)
    left.plot(roc["false_positive_rates"], roc["true_positive_rates"], color=BATCH_COLOUR)
    left.plot([0, 1], [0, 1], color=BASELINE_COLOUR, linestyle="dotted")
    left.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC")
    right.plot(pr["recalls"], pr["precisions"], color=BATCH_COLOUR)
    right.set(xlabel="recall", ylabel="precision", title="precision-recall", ylim=(0, 1.05))
    return _png(figure)


def _numeric_panel(axis, base: Mapping | None, batch: Mapping | None) -> None:
    for stats, label, colour, filled in (
        (base, "baseline", BASELINE_COLOUR, True),
        (batch, "batch", BATCH_COLOUR, False),
    ):
        found = _buckets(stats)
        if not found:
            continue
        buckets = found[1]
        edges = [buckets[0]["lower_bound"], *(b["upper_bound"] for b in buckets)]
        total = sum(b["count"] for b in buckets) or 1.0
        widths = [max(b["upper_bound"] - b["lower_bound"], 1e-12) for b in buckets]
        density = [b["count"] / total / w for b, w in zip(buckets, widths, strict=True)]
        axis.stairs(
            density, edges, fill=filled, alpha=0.6 if filled else 1.0, color=colour, label=label, linewidth=2
        )
    axis.set_ylabel("density", fontsize=8)


def _categorical_panel(axis, base: Mapping | None, batch: Mapping | None) -> None:
    shares = [_shares(_buckets(stats)) for stats in (base, batch)]
    categories = list(dict.fromkeys([*shares[0], *shares[1]]))
    positions = range(len(categories))
    for offset, (share, label, colour) in zip(
        (-0.2, 0.2),
        ((shares[0], "baseline", BASELINE_COLOUR), (shares[1], "batch", BATCH_COLOUR)),
        strict=True,
    ):
        axis.bar(
            [p + offset for p in positions],
            [share.get(c, 0.0) for c in categories],
            0.4,
            color=colour,
            label=label,
        )
    axis.set_xticks(list(positions), categories, fontsize=8)
    axis.set_ylabel("share", fontsize=8)


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
    if not found:
        return {}
    total = sum(float(b["count"]) for b in found[1]) or 1.0
    return {str(b["value"]): float(b["count"]) / total for b in found[1]}


def _colours():
    while True:
        yield from SERIES_COLOURS


def _figure(size: tuple[float, float], rows: int, columns: int):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # Fixed margins, no layout engine: "constrained" took 0.24 s of a 0.7 s report, on every check.
    figure = Figure(figsize=size)
    figure.subplots_adjust(left=0.09, right=0.98, bottom=0.14, top=0.86, wspace=0.3, hspace=0.75)
    FigureCanvasAgg(figure)
    axes = figure.subplots(rows, columns, squeeze=False).ravel().tolist()
    return figure, axes


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    return base64.b64encode(buffer.getvalue()).decode("ascii")
