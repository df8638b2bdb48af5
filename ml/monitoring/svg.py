"""SVG drawing primitives for the report charts: plot frames with axes and ticks, paths, text, legends.

Written by hand rather than with a plotting library: the charts are a few bars, steps and lines, and a
report is written on every inference, where importing and running matplotlib cost about 0.5 s whatever the
batch size. The markup is inline in the HTML page (styled by its CSS), so it is self-contained.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

AXIS_COLOUR, GRID_COLOUR, MUTED_COLOUR = "#52606d", "#e4e7eb", "#616e7c"


@dataclass(frozen=True)
class Frame:
    """A plot area in pixels (`left`, `top`, `width`, `height`) showing data ranges `x` and `y`."""

    left: float
    top: float
    width: float
    height: float
    x: tuple[float, float]
    y: tuple[float, float]

    @property
    def bottom(self) -> float:
        return self.top + self.height

    @property
    def right(self) -> float:
        return self.left + self.width

    def px(self, value: float) -> float:
        low, high = self.x
        return self.left + (value - low) / (high - low) * self.width

    def py(self, value: float) -> float:
        low, high = self.y
        return self.bottom - (value - low) / (high - low) * self.height


def document(width: float, height: float, label: str, parts: Sequence[str]) -> str:
    """An inline `<svg>` that scales down with the page; `label` is read out by screen readers."""
    return (
        f'<svg class="chart" viewBox="0 0 {width:g} {height:g}" width="{width:g}" height="{height:g}" '
        f'role="img" aria-label="{escape(label)}"><title>{escape(label)}</title>{"".join(parts)}</svg>'
    )


def axes(
    frame: Frame,
    xticks: Sequence[tuple[float, str]],
    yticks: Sequence[tuple[float, str]],
    *,
    xlabel: str = "",
    ylabel: str = "",
    grid: bool = False,
    slanted: bool = False,
) -> str:
    """The frame's border, tick marks and labels, optional grid lines and axis labels."""
    parts = []
    for value, label in xticks:
        x = frame.px(value)
        if grid:
            parts.append(line(x, frame.top, x, frame.bottom, GRID_COLOUR))
        parts.append(line(x, frame.bottom, x, frame.bottom + 4, AXIS_COLOUR))
        if slanted:
            parts.append(
                text(x, frame.bottom + 12, label, anchor="end", size=11, rotate=-30, baseline="hanging")
            )
        else:
            parts.append(text(x, frame.bottom + 17, label, anchor="middle", size=11))
    for value, label in yticks:
        y = frame.py(value)
        if grid:
            parts.append(line(frame.left, y, frame.right, y, GRID_COLOUR))
        parts.append(line(frame.left - 4, y, frame.left, y, AXIS_COLOUR))
        parts.append(text(frame.left - 7, y + 4, label, anchor="end", size=11))
    parts.append(
        f'<rect x="{frame.left:.1f}" y="{frame.top:.1f}" width="{frame.width:.1f}" '
        f'height="{frame.height:.1f}" fill="none" stroke="{AXIS_COLOUR}"/>'
    )
    if xlabel:
        below = frame.bottom + (62 if slanted else 36)
        parts.append(text(frame.left + frame.width / 2, below, xlabel, anchor="middle", size=12))
    if ylabel:
        middle = frame.top + frame.height / 2
        parts.append(text(frame.left - 46, middle, ylabel, anchor="middle", size=12, rotate=-90))
    return "".join(parts)


def ticks(low: float, high: float, count: int = 5) -> list[tuple[float, str]]:
    """About `count` round tick values (1, 2, 2.5 or 5 times a power of ten) inside [low, high]."""
    if not high > low or not math.isfinite(high - low):  # one tick when the span overflows (±1e308 data)
        return [(low, tick_label(low))]
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * (1 - 1e-9))
    first = math.ceil(low / step - 1e-9)
    values = [round((first + i) * step, 12) for i in range(int((high - first * step) / step + 1e-9) + 1)]
    return [(value, tick_label(value)) for value in values]


def tick_label(value: float) -> str:
    return f"{value:.6g}" if value else "0"


def padded(values: Sequence[float], share: float = 0.05) -> tuple[float, float]:
    """A data range around `values` with `share` of it added on each side (never empty)."""
    low, high = min(values), max(values)
    spread = high - low or abs(high) * 0.1 or 1.0
    return low - spread * share, high + spread * share


def path(points: Sequence[tuple[float, float]], **attributes: object) -> str:
    """A polyline through pixel points (use `fill` to close it into a filled shape)."""
    coordinates = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    return f'<polyline points="{coordinates}"{_attributes({"fill": "none", **attributes})}/>'


def rect(x: float, y: float, width: float, height: float, fill: str, **attributes: object) -> str:
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width, 0):.1f}" height="{max(height, 0):.1f}" '
        f'fill="{fill}"{_attributes(attributes)}/>'
    )


def line(x1: float, y1: float, x2: float, y2: float, colour: str, **attributes: object) -> str:
    return (
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}"'
        f"{_attributes(attributes)}/>"
    )


def circle(x: float, y: float, radius: float, fill: str) -> str:
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:g}" fill="{fill}"/>'


def text(
    x: float,
    y: float,
    content: str,
    *,
    anchor: str = "start",
    size: float = 12,
    rotate: float = 0,
    baseline: str = "",
    weight: str = "",
) -> str:
    transform = f' transform="rotate({rotate:g} {x:.1f} {y:.1f})"' if rotate else ""
    extra = (f' dominant-baseline="{baseline}"' if baseline else "") + (
        f' font-weight="{weight}"' if weight else ""
    )
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size:g}"{transform}{extra}>'
        f"{escape(content)}</text>"
    )


def legend(x: float, y: float, entries: Sequence[tuple[str, str, str]]) -> str:
    """A row of (label, colour, "box" | "line") entries starting at (x, y), left to right."""
    parts = []
    for label, colour, kind in entries:
        if kind == "box":
            parts.append(rect(x, y - 9, 14, 10, colour, opacity="0.6"))
        else:
            parts.append(line(x, y - 4, x + 14, y - 4, colour, **{"stroke-width": "2.5"}))
        parts.append(text(x + 19, y, label, size=12))
        x += 32 + 7 * len(label)
    return "".join(parts)


def escape(content: str) -> str:
    return html.escape(content, quote=True)


def _attributes(attributes: dict[str, object]) -> str:
    return "".join(f' {name.replace("_", "-")}="{value}"' for name, value in attributes.items())
