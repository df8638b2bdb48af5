"""`mlops compare`'s files: comparison.json and a self-contained report.html with both ROC curves and a
reliability (calibration) diagram, drawn with the project's inline-SVG helpers (no plotting library)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ml.monitoring import page, svg
from ml.monitoring.plots import BASELINE_COLOUR, SERIES_COLOURS
from ml.registry import ModelVersion

if TYPE_CHECKING:
    from ml.registry.comparison import ScoresReader
    from ml.train.compare import PairedComparison

UNIT_TICKS = [(0.0, "0"), (0.25, "0.25"), (0.5, "0.5"), (0.75, "0.75"), (1.0, "1")]


def comparison_folder(work_dir: Path, champion: int, challenger: int) -> Path:
    """Where `mlops compare` and the demo write a comparison by default."""
    return work_dir / "comparisons" / f"v{champion}-vs-v{challenger}"


def write_version_comparison(
    champion: ModelVersion,
    challenger: ModelVersion,
    read: ScoresReader,
    margin: float | None,
    output_dir: Path,
) -> tuple[PairedComparison, Path]:
    """Compare two registered versions on their locked set and write comparison.json and report.html.

    Raises:
        NotComparableError: no shared locked evaluation set (nothing is written).
    """
    from ml.registry.comparison import compare_versions, verdict_line

    comparison = compare_versions(champion, challenger, read)
    document = comparison_document(comparison, read(champion), read(challenger), margin)
    return comparison, write_comparison_report(document, verdict_line(comparison, margin), output_dir)


def comparison_document(comparison, champion_scores, challenger_scores, margin: float | None) -> dict:
    """The JSON document: the paired comparison, its verdicts, and each version's curves."""
    from ml.train.compare import reliability_bins, roc_points

    curves = {}
    for name, scores in (("champion", champion_scores), ("challenger", challenger_scores)):
        fpr, tpr = roc_points(scores.labels, scores.probabilities)
        curves[name] = {
            "threshold": scores.threshold,
            "roc": {"false_positive_rates": fpr, "true_positive_rates": tpr},
            "reliability": reliability_bins(scores.labels, scores.probabilities),
        }
    return {
        **comparison.to_dict(),
        "auc_verdict": comparison.auc_verdict(),
        "non_inferiority_margin": margin,
        "non_inferior": None if margin is None else comparison.non_inferior(margin),
        "curves": curves,
    }


def write_comparison_report(document: Mapping[str, Any], summary: str, output_dir: Path) -> Path:
    """Write comparison.json and report.html (each through a temp file and a rename); return the HTML."""
    from ml.artifacts.local import write_bytes_atomically

    output_dir.mkdir(parents=True, exist_ok=True)
    write_bytes_atomically(output_dir / "comparison.json", (json.dumps(document, indent=2) + "\n").encode())
    report = output_dir / "report.html"
    write_bytes_atomically(report, render_comparison_html(document, summary).encode("utf-8"))
    return report


def render_comparison_html(document: Mapping[str, Any], summary: str) -> str:
    champion, challenger = document["champion_version"], document["challenger_version"]
    names = {"champion": f"champion v{champion}", "challenger": f"challenger v{challenger}"}
    rows = [
        [
            metric,
            f"{d['champion']:.3f}",
            f"{d['challenger']:.3f}",
            f"{d['difference']:+.3f}",
            f"[{d['low']:+.3f}, {d['high']:+.3f}]",
            d["method"],
        ]
        for metric in ("auc", "sensitivity", "specificity", "brier")
        for d in [document[metric]]
    ]
    header = ["metric", names["champion"], names["challenger"], "difference", "95% CI", "method"]
    curves = document["curves"]
    sections = [
        page.section("Paired differences on the locked evaluation set", page.table(header, rows)),
        page.section("ROC curves", page.chart(roc_chart({names[k]: v["roc"] for k, v in curves.items()}))),
        page.section(
            "Reliability diagram (calibration)",
            page.chart(reliability_chart({names[k]: v["reliability"] for k, v in curves.items()})),
            "<p class=muted>Each point is one tenth of the probability range: mean predicted probability "
            "against the observed share of malignant rows; the diagonal is perfect calibration.</p>",
        ),
    ]
    passed = (
        document["non_inferior"]
        if document["non_inferior"] is not None
        else document["auc_verdict"] != "worse"
    )
    title = f"v{challenger} vs v{champion}"
    lines = [summary, f"evaluation set sha256 {document['evaluation_sha256']}"]
    return page.document(title, bool(passed), lines, ["comparison.json"], sections)


def roc_chart(curves: Mapping[str, Mapping[str, Sequence[float]]]) -> str | None:
    """Each version's ROC curve on one pair of axes, with the chance diagonal."""
    series = {
        name: list(zip(roc["false_positive_rates"], roc["true_positive_rates"], strict=True))
        for name, roc in curves.items()
    }
    label = "ROC curves of " + ", ".join(curves)
    return _unit_square_chart(series, ("false positive rate", "true positive rate"), label, markers=False)


def reliability_chart(bins: Mapping[str, Sequence[Mapping[str, float]]]) -> str | None:
    """Observed positive rate against mean predicted probability per bin, one series per version."""
    series = {name: [(b["predicted"], b["observed"]) for b in table] for name, table in bins.items()}
    labels = ("mean predicted probability", "observed rate")
    return _unit_square_chart(series, labels, "Reliability diagram", markers=True)


def _unit_square_chart(
    series: Mapping[str, Sequence[tuple[float, float]]], labels: tuple[str, str], title: str, *, markers: bool
) -> str | None:
    """Lines on [0, 1] x [0, 1] with the diagonal (chance for ROC, perfect calibration for reliability)."""
    if not any(series.values()):
        return None
    frame = svg.Frame(70, 40, 360, 300, (0, 1), (0, 1))
    parts = [svg.axes(frame, UNIT_TICKS, UNIT_TICKS, xlabel=labels[0], ylabel=labels[1]), _diagonal(frame)]
    entries = []
    for (name, values), colour in zip(series.items(), SERIES_COLOURS, strict=False):
        points = [(frame.px(x), frame.py(y)) for x, y in values]
        parts.append(svg.path(points, stroke=colour, stroke_width=2))
        if markers:
            parts.extend(svg.circle(x, y, 3.5, colour) for x, y in points)
        entries.append((name, colour, "line"))
    parts.append(svg.legend(frame.left, 22, entries))
    return svg.document(frame.right + 30, frame.bottom + 50, title, parts)


def _diagonal(frame: svg.Frame) -> str:
    ends = [(frame.px(0), frame.py(0)), (frame.px(1), frame.py(1))]
    return svg.path(ends, stroke=BASELINE_COLOUR, stroke_dasharray="2 3")
