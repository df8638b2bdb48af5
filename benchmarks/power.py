"""Detection power of the data-quality check: false-alarm and detection rates of typical shifts by batch size.

Run from the repository root (see benchmarks/README.md and docs/monitoring-drift.md, "What a batch can
detect"):

    .venv/bin/python benchmarks/power.py            # 400 batches per cell, 4-6 minutes on 2 shared cores
    .venv/bin/python benchmarks/power.py --quick    # 60 batches per cell, under a minute

Population: every row of the sample data set that passes the data contract (Age, Shape, Margin,
Density, missing values as in the source). The baseline is `build_baseline` on 20,000 rows drawn from it
with replacement, so the table is about the batch, not about a small baseline's own noise (the sample's
real baseline, train-part1, has 337 rows; with it, batches beyond about 1,000 rows gain little). The
population ignores `split:`, so the table does not change with it. Each batch is drawn from the same
population, then shifted:

- clean: nothing changed (its alarm rate is the false-alarm rate);
- Age +0.25 / +0.5 / +1 SD: every age moved up by that many population standard deviations, rounded to
  whole years (Age stays `Integral`);
- Shape +10 / +30 points: that share of the batch's rows, taken from the other codes at random, set to
  code 4 (irregular);
- Density +5 / +15 points missing: that share of the batch's rows, taken from the present values, blanked.

Three detectors read the same check of each batch: ours (any violation of `check_data_quality` with the
configured rules: Holm at alpha 0.01, effect-size floors), a naive per-feature test (any raw p-value of the
same tests below 0.05, no correction, no floor), and Model Monitor's distance alone (any feature's
`Robust` distance above the 0.1 threshold). Rates are shares of batches with an alarm; the 95% interval
half-width at 400 batches is at most 5 points (at 60, 13 points).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SIZES = (200, 1_000, 10_000)
BASELINE_ROWS = 20_000
NAIVE_ALPHA = 0.05
SCENARIOS = (
    ("clean", None, 0.0),
    ("Age +0.25 SD", "age", 0.25),
    ("Age +0.5 SD", "age", 0.5),
    ("Age +1 SD", "age", 1.0),
    ("Shape +10 points to code 4", "shape", 0.10),
    ("Shape +30 points to code 4", "shape", 0.30),
    ("Density +5 points missing", "missing", 0.05),
    ("Density +15 points missing", "missing", 0.15),
)
DETECTORS = ("ours", "naive", "distance")


@dataclass(frozen=True)
class Cell:
    """Alarm rates of the three detectors for one scenario at one batch size."""

    scenario: str
    rows: int
    batches: int
    rates: dict[str, float]


def population(config):
    """The sample data's rows that pass the data contract: the features only, missing values kept."""
    from ml.data.io import read_raw_source
    from ml.data.prepare import apply_data_contract

    spec = config.dataset
    raw = read_raw_source(REPO / spec.source, spec)
    return apply_data_contract(raw, spec, spec.source).data[spec.feature_names].reset_index(drop=True)


def shift_batch(batch, kind: str | None, amount: float, age_sd: float, rng):
    """Apply one scenario's change to a freshly drawn batch (a copy)."""
    import numpy as np

    batch = batch.copy()
    if kind == "age":
        batch["Age"] = (batch["Age"] + amount * age_sd).round()
    elif kind in ("shape", "missing"):
        column = "Shape" if kind == "shape" else "Density"
        eligible = np.flatnonzero((batch[column] != 4).to_numpy() & batch[column].notna().to_numpy())
        chosen = rng.choice(eligible, size=min(len(eligible), round(amount * len(batch))), replace=False)
        batch.loc[batch.index[chosen], column] = 4 if kind == "shape" else np.nan
    return batch


def alarms(report, threshold: float) -> dict[str, bool]:
    """Which detectors alarm on one checked batch."""
    tests = [*report.drift_tests.values(), *report.missing_value_tests.values()]
    return {
        "ours": not report.passed,
        "naive": any(t.p_value is not None and t.p_value < NAIVE_ALPHA for t in tests),
        "distance": any(distance > threshold for distance in report.drift.values()),
    }


def measure(batches: int, seed: int = 20261128) -> list[Cell]:
    """Every scenario at every size: `batches` independent batches each."""
    import numpy as np

    from ml.config.loader import load_environment
    from ml.monitoring.baseline import build_baseline
    from ml.monitoring.quality import check_data_quality

    config = load_environment("local", REPO / "configs")
    spec, monitoring = config.dataset, config.monitoring
    pool = population(config)
    rng = np.random.default_rng(seed)
    baseline = build_baseline(pool.sample(BASELINE_ROWS, replace=True, random_state=seed), spec, monitoring)
    age_sd = float(pool["Age"].std())
    cells = []
    for rows in SIZES:
        for name, kind, amount in SCENARIOS:
            counts = dict.fromkeys(DETECTORS, 0)
            for _ in range(batches):
                drawn = pool.iloc[rng.integers(0, len(pool), rows)].reset_index(drop=True)
                report = check_data_quality([shift_batch(drawn, kind, amount, age_sd, rng)], baseline, spec)
                for detector, alarmed in alarms(report, monitoring.comparison_threshold).items():
                    counts[detector] += alarmed
            cells.append(Cell(name, rows, batches, {d: counts[d] / batches for d in DETECTORS}))
            print(f"  {rows:>6} rows  {name:<28} " + _rates_text(cells[-1]), file=sys.stderr)
    return cells


def _rates_text(cell: Cell) -> str:
    return "  ".join(f"{d} {cell.rates[d]:6.1%}" for d in DETECTORS)


def markdown(cells: list[Cell]) -> str:
    """The table docs/monitoring-drift.md shows: one row per scenario, a column per size and detector."""
    header = "| change | " + " | ".join(f"{rows:,} rows: ours / naive / distance" for rows in SIZES) + " |"
    lines = [header, "|---|" + "---|" * len(SIZES)]
    for name, _, _ in SCENARIOS:
        parts = []
        for rows in SIZES:
            cell = next(c for c in cells if c.scenario == name and c.rows == rows)
            parts.append(" / ".join(f"{cell.rates[d]:.0%}" for d in DETECTORS))
        lines.append(f"| {name} | " + " | ".join(parts) + " |")
    return "\n".join(lines)


def run(quick: bool) -> list:
    """Rows for benchmarks/run_all.py: the seconds per check and, in the note, the whole table."""
    from common import Result

    batches = 60 if quick else 400
    start = time.perf_counter()
    cells = measure(batches)
    seconds = time.perf_counter() - start
    per_check = seconds / (batches * len(SIZES) * len(SCENARIOS))
    print(markdown(cells))
    summary = "; ".join(f"{c.scenario} @{c.rows:,}: {c.rates['ours']:.0%}" for c in cells if c.rows == 1_000)
    note = f"{batches} batches per cell, {per_check * 1000:.1f} ms per check; ours at 1,000 rows: {summary}"
    return [Result("power: alarm rates (table printed above)", seconds, None, None, note)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60 batches per cell instead of 400")
    parser.add_argument("--batches", type=int, help="batches per cell (overrides --quick)")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    batches = args.batches or (60 if args.quick else 400)
    print(markdown(measure(batches)))


if __name__ == "__main__":
    main()
