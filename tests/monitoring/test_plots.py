"""The report charts: well-formed inline SVG that stays readable whatever the data."""

from __future__ import annotations

import re
import subprocess
import sys
from xml.etree import ElementTree

import pytest

from ml.monitoring import plots
from ml.monitoring.svg import ticks


def categorical(counts: dict[str, int]) -> dict:
    buckets = [{"value": key, "count": count} for key, count in counts.items()]
    return {"string_statistics": {"distribution": {"categorical": {"buckets": buckets}}}}


def numeric(edges: list[float], counts: list[int]) -> dict:
    buckets = [
        {"lower_bound": low, "upper_bound": high, "count": count}
        for low, high, count in zip(edges, edges[1:], counts, strict=False)
    ]
    return {"numerical_statistics": {"distribution": {"kll": {"buckets": buckets}}}}


def test_ticks_are_round_numbers_inside_the_range():
    assert [value for value, _ in ticks(0, 0.41)] == [0, 0.1, 0.2, 0.3, 0.4]
    assert [label for _, label in ticks(17.5, 152.5)] == ["50", "100", "150"]
    assert ticks(3.0, 3.0) == [(3.0, "3")]


def test_nothing_to_draw_is_none():
    assert plots.drift_chart({}, {}) is None
    assert plots.distribution_chart([("Age", None, None)]) is None
    assert plots.trend_chart(["2026-01-01T00:00:00"], {"Age": [None]}, {}, "drift") is None
    assert plots.curves_chart({}) is None


def test_a_single_value_and_a_single_check_still_draw():
    single = numeric([5.0, 5.0], [10])
    chart = plots.distribution_chart([("x", single, single)])
    trend = plots.trend_chart(["2026-01-01T00:00:00"], {"x": [0.2]}, {"x": 0.2}, "drift")
    for markup in (chart, trend):
        assert not re.search(r"\b(nan|inf)\b", markup)
        ElementTree.fromstring(markup)


@pytest.mark.parametrize("distinct", [3, 1000])
def test_a_batch_of_many_garbage_values_draws_only_the_largest_categories(distinct):
    batch = categorical({f"junk-{i}": 1 for i in range(distinct)} | {"1": 5000})
    chart = ElementTree.fromstring(plots.distribution_chart([("Shape", categorical({"1": 90}), batch)]))
    bars = [r for r in chart.iter("rect") if r.get("fill") in (plots.BASELINE_COLOUR, plots.BATCH_COLOUR)]
    drawn = min(distinct + 1, plots.MAX_CATEGORIES)
    assert len(bars) == 2 * drawn + 1  # baseline and batch bar per category, plus the legend's box
    if distinct > plots.MAX_CATEGORIES:
        assert f"Shape ({distinct + 1 - drawn} smaller categories not drawn)" in "".join(chart.itertext())


def test_drawing_every_chart_loads_no_plotting_library():
    # The report is written on every inference: importing matplotlib alone cost 0.12-0.26 s of each run.
    code = (
        "import sys\nfrom ml.monitoring import plots\n"
        "plots.drift_chart({'a': 0.2}, {'a': 0.1})\n"
        "plots.trend_chart(['2026-01-01T00:00:00'], {'a': [0.2]}, {}, 'drift')\n"
        "print(','.join(m for m in ('matplotlib', 'PIL') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == ""
