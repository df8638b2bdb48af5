"""Speed and memory of the data-quality check on a 1M-row batch, against a numpy/scipy script and Evidently.

Run from the repository root (see benchmarks/README.md):

    .venv/bin/python benchmarks/drift.py                      # 1M rows, Evidently if its venv exists
    .venv/bin/python benchmarks/drift.py --install-evidently  # first create /tmp/evidently-venv

A synthetic batch with the sample schema (Age numeric; Shape, Margin, Density integer codes; about 3% of
each written as the missing marker "?") and a 100k-row training file are written as CSV once into a
temporary folder. Every engine then runs in its own fresh process, so its peak RSS is its own:

- ours: `check_data_quality` streaming the CSV in `monitoring.chunk_rows` chunks (as the inference
  pipeline does), against the baseline `build_baseline` wrote for the training file;
- numpy/scipy: the whole CSV read by pandas at once; KS distance and p-value (ECDF via np.searchsorted,
  Smirnov's formula as scipy's ks_2samp uses), Wasserstein-1, categorical L-infinity via np.bincount and
  scipy's chi-squared test, against training arrays prepared in advance (as our baseline is);
- Evidently: `Report([DataDriftPreset()])` in a separate virtual environment (never the project's .venv),
  reading the same two CSV files; skipped with the reason when that environment is missing or broken.

Times exclude interpreter start-up and imports; each engine runs `--repeat` times and the best is shown.
No engine may open a network connection: each child process refuses any address but 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FEATURES = ["Age", "Shape", "Margin", "Density"]
CODES = {
    "Shape": [0.23, 0.22, 0.10, 0.45],
    "Margin": [0.37, 0.03, 0.12, 0.29, 0.19],
    "Density": [0.02, 0.06, 0.90, 0.02],
}
TRAIN_ROWS = 100_000
EVIDENTLY_VENV = Path("/tmp/evidently-venv")
# Evidently 0.7 imports a pandas internal that pandas 3 removed, so its venv needs pandas 2.
EVIDENTLY_REQUIREMENTS = ["evidently", "pandas<3"]
SOCKET_GUARD = """
import socket
_connect = socket.socket.connect
def _local_only(sock, address):
    if isinstance(address, tuple) and address[0] not in ("127.0.0.1", "::1", "localhost"):
        raise OSError(f"benchmark: network access to {address} refused")
    return _connect(sock, address)
socket.socket.connect = _local_only
"""


def synthetic_frame(rows: int, seed: int, age_shift: float = 0.0):
    """The sample schema with realistic frequencies; integer columns keep missing values as <NA>."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"record_id": [f"r{i:07d}" for i in range(rows)]})
    frame["Age"] = pd.array(rng.normal(56 + age_shift, 14.5, rows).round().clip(18, 96), dtype="Int64")
    for name, shares in CODES.items():
        frame[name] = pd.array(rng.choice(np.arange(1, len(shares) + 1), rows, p=shares), dtype="Int64")
    for name in FEATURES:
        frame.loc[rng.random(rows) < 0.03, name] = pd.NA
    return frame


def prepare(work: Path, rows: int) -> dict:
    """Write train.csv, batch.csv, our baseline files and the numpy script's training arrays."""
    import numpy as np

    from ml.config.loader import load_environment
    from ml.monitoring.baseline import build_baseline

    config = load_environment("local", REPO / "configs")
    train = synthetic_frame(TRAIN_ROWS, seed=1)
    train.to_csv(work / "train.csv", index=False, na_rep="?")
    # A shift of 1 year (0.07 standard deviations): significant at this size, but below the effect floor.
    synthetic_frame(rows, seed=2, age_shift=1.0).to_csv(work / "batch.csv", index=False, na_rep="?")
    baseline = build_baseline(
        train.astype({name: float for name in FEATURES}), config.dataset, config.monitoring
    )
    (work / "statistics.json").write_text(json.dumps(baseline.statistics))
    (work / "constraints.json").write_text(json.dumps(baseline.constraints))
    arrays = {"Age": np.sort(train["Age"].dropna().to_numpy(float))}
    arrays |= {name: np.bincount(train[name].dropna().to_numpy(int), minlength=10) for name in CODES}
    np.savez(work / "train-arrays.npz", **arrays)
    return {"seconds": 0.0, "rows": rows, "flagged": []}


def run_ours(work: Path) -> dict:
    from ml.config.loader import load_environment
    from ml.data.io import iter_batch_chunks
    from ml.monitoring.baseline import baseline_from_json
    from ml.monitoring.quality import check_data_quality

    config = load_environment("local", REPO / "configs")
    spec = config.dataset
    statistics = json.loads((work / "statistics.json").read_text())
    constraints = json.loads((work / "constraints.json").read_text())
    start = time.perf_counter()
    baseline = baseline_from_json(statistics, constraints)
    # The reader `mlops infer` uses: pyarrow's streaming CSV reader with typed feature columns.
    chunks = iter_batch_chunks(work / "batch.csv", spec, config.monitoring.chunk_rows)
    report = check_data_quality(chunks, baseline, spec)
    seconds = time.perf_counter() - start
    flagged = sorted({f"{v.feature_name}:{v.constraint_check_type}" for v in report.violations})
    age = report.drift_tests["Age"]
    test = f"Age {age.status}: adjusted p {age.adjusted_p_value:.2g}, effect size {age.effect_size:.3f}"
    return {"seconds": seconds, "rows": report.row_count, "flagged": [*flagged, test]}


def read_only(work: Path) -> dict:
    """The share of ours that is parsing the CSV: the same chunked read, nothing checked."""
    from ml.config.loader import load_environment
    from ml.data.io import iter_batch_chunks

    config = load_environment("local", REPO / "configs")
    start = time.perf_counter()
    chunks = iter_batch_chunks(work / "batch.csv", config.dataset, config.monitoring.chunk_rows)
    rows = sum(len(chunk) for chunk in chunks)
    return {"seconds": time.perf_counter() - start, "rows": rows, "flagged": []}


def import_only(work: Path) -> dict:
    """What an engine process costs before it reads anything: our modules, pandas and scipy loaded."""
    import ml.data.io
    import ml.monitoring.quality  # noqa: F401

    return {"seconds": 0.0, "rows": 0, "flagged": []}


def run_numpy(work: Path) -> dict:
    import numpy as np
    import pyarrow.csv as pacsv
    from scipy.stats import chi2_contingency, kstwo, wasserstein_distance

    train = np.load(work / "train-arrays.npz")
    start = time.perf_counter()
    # The same reader as ours (pyarrow), so the comparison is about the check, not the CSV parser.
    batch = pacsv.read_csv(
        work / "batch.csv", convert_options=pacsv.ConvertOptions(null_values=["?", ""])
    ).to_pandas()
    ages = batch["Age"].to_numpy(float)
    ages = np.sort(ages[~np.isnan(ages)])
    base = train["Age"]
    grid = np.concatenate([base, ages])
    n, m = base.size, ages.size
    d = np.abs(np.searchsorted(base, grid, "right") / n - np.searchsorted(ages, grid, "right") / m).max()
    result = {"Age": (d, float(kstwo.sf(d, round(n * m / (n + m)))), wasserstein_distance(base, ages))}
    for name in CODES:
        values = batch[name].to_numpy(float)
        counts = np.bincount(values[~np.isnan(values)].astype(int), minlength=10)
        table = np.array([train[name], counts[:10]])
        table = table[:, table.sum(axis=0) > 0]
        linf = np.abs(table[0] / table[0].sum() - table[1] / table[1].sum()).max()
        result[name] = (linf, float(chi2_contingency(table, correction=False).pvalue), None)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "rows": len(batch),
        "flagged": sorted(k for k, v in result.items() if v[0] > 0.1),
    }


EVIDENTLY_SCRIPT = """
import json, resource, sys, time
import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.presets import DataDriftPreset

work = sys.argv[1]
definition = DataDefinition(numerical_columns=["Age"], categorical_columns=["Shape", "Margin", "Density"])
columns = ["Age", "Shape", "Margin", "Density"]
read = lambda name: pd.read_csv(f"{work}/{name}", na_values=["?"], usecols=columns)
# The reference is read before the clock starts, as our baseline files are.
reference = Dataset.from_pandas(read("train.csv"), data_definition=definition)
start = time.perf_counter()
current = Dataset.from_pandas(read("batch.csv"), data_definition=definition)
snapshot = Report([DataDriftPreset()]).run(current, reference)
seconds = time.perf_counter() - start
metrics = snapshot.dict()["metrics"]
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
values = {m["metric_name"]: m["value"] for m in metrics if m["metric_name"].startswith("DriftedColumnsCount")}
print(json.dumps({"seconds": seconds, "peak_rss_mb": peak, "flagged": [str(values)]}))
"""


def run_child(command: list[str], env_note: str = "") -> dict:
    """Run one engine in a fresh process; its last stdout line is a JSON result."""
    completed = subprocess.run(command, capture_output=True, text=True, check=False, env=_child_env())
    if completed.returncode != 0:
        raise RuntimeError(f"{env_note or command[0]} failed: {completed.stderr.strip()[-600:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _child_env() -> dict:
    import os

    # Evidently and the SageMaker SDK both have usage telemetry; the socket guard stops it anyway.
    return {**os.environ, "DO_NOT_TRACK": "1", "PYTHONPATH": str(REPO), "SAGEMAKER_SUPPRESS_V2_WARNING": "1"}


def best_of(repeat: int, command: list[str], note: str = "") -> dict:
    runs = [run_child(command, note) for _ in range(repeat)]
    best = min(runs, key=lambda run: run["seconds"])
    return {**best, "peak_rss_mb": max(run["peak_rss_mb"] for run in runs)}


def evidently_result(work: Path, venv: Path, repeat: int) -> dict | str:
    """Evidently's timing, or why it could not run."""
    python = venv / "bin" / "python"
    if not python.is_file():
        return f"no Evidently environment at {venv}; run with --install-evidently to create it"
    script = work / "evidently_run.py"
    script.write_text(SOCKET_GUARD + EVIDENTLY_SCRIPT)
    try:
        return best_of(repeat, [str(python), str(script), str(work)], "Evidently")
    except RuntimeError as exc:
        return str(exc)


def install_evidently(venv: Path) -> None:
    """Create the throwaway venv with Evidently (from the package registry pip is configured for)."""
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *EVIDENTLY_REQUIREMENTS]
    completed = subprocess.run(pip, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        print(f"Evidently did not install: {completed.stderr.strip()[-600:]}")


def print_table(ours: dict, others: dict[str, dict | str], rows: int) -> None:
    print(f"\n{rows:,} rows; best of the runs; peak RSS of each engine's own process\n")
    header = f"{'comparison':<28}{'ours s':>9}{'other s':>9}{'ours/other':>12}{'ours MB':>9}{'other MB':>10}"
    print(header)
    print("-" * len(header))
    for name, other in others.items():
        if isinstance(other, str):
            print(f"{name:<28}{ours['seconds']:>9.2f}{'-':>9}{'-':>12}{ours['peak_rss_mb']:>9.0f}{'-':>10}")
            print(f"  {other}")
            continue
        ratio = ours["seconds"] / other["seconds"]
        print(
            f"{name:<28}{ours['seconds']:>9.2f}{other['seconds']:>9.2f}{ratio:>12.2f}"
            f"{ours['peak_rss_mb']:>9.0f}{other['peak_rss_mb']:>10.0f}"
        )
    print(f"\nours flagged: {ours['flagged']}")
    for name, other in others.items():
        if not isinstance(other, str):
            print(f"{name} flagged: {other['flagged']}")


def engine_main(engine: str, work: Path, rows: int) -> None:
    """Child-process entry: run one engine and print its JSON result."""
    import resource

    exec(SOCKET_GUARD, {})
    engines = {
        "ours": run_ours,
        "numpy": run_numpy,
        "read": read_only,
        "imports": import_only,
        "prepare": prepare,
    }
    result = engines[engine](work, rows) if engine == "prepare" else engines[engine](work)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def compare_engines(rows: int, repeat: int, evidently_venv: Path) -> dict:
    """Write the data once, then time each engine in its own process; main() prints it, run() makes rows."""
    with tempfile.TemporaryDirectory(prefix="drift-bench-") as folder:
        work = Path(folder)
        child = [sys.executable, __file__, "--work-dir", str(work), "--rows", str(rows), "--engine"]
        # Linux carries a parent's peak RSS into its children, so the parent never holds the data itself.
        run_child([*child, "prepare"])
        ours = best_of(repeat, [*child, "ours"])
        imports = run_child([*child, "imports"])
        read = best_of(repeat, [*child, "read"])
        others = {
            "numpy/scipy, one read": best_of(repeat, [*child, "numpy"]),
            "Evidently DataDriftPreset": evidently_result(work, evidently_venv, max(1, repeat - 2)),
        }
    return {"ours": ours, "imports": imports, "read": read, "others": others}


def run(quick: bool) -> list:
    """Rows for benchmarks/run_all.py: ours against each other engine (quick: 200k rows, one run each)."""
    from common import Result

    rows, repeat = (200_000, 1) if quick else (1_000_000, 3)
    measured = compare_engines(rows, repeat, EVIDENTLY_VENV)
    ours = measured["ours"]
    context = (
        f"best of {repeat}; of ours, the chunked CSV read alone {measured['read']['seconds']:.2f} s; "
        f"an import-only process peaks at {measured['imports']['peak_rss_mb']:.0f} MB"
    )
    results = []
    for name, other in measured["others"].items():
        label = f"drift {rows:,} rows vs {name}"
        if isinstance(other, str):
            results.append(Result(label, ours["seconds"], None, None, other))
            continue
        flagged = ", ".join(other["flagged"]) or "nothing"
        note = f"{name} peaks at {other['peak_rss_mb']:.0f} MB; it flagged {flagged}"
        # The context is the same for every comparison: say it once.
        note = f"{note}; {context}" if not results else note
        results.append(Result(label, ours["seconds"], other["seconds"], ours["peak_rss_mb"], note))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--evidently-venv", type=Path, default=EVIDENTLY_VENV)
    parser.add_argument("--install-evidently", action="store_true")
    parser.add_argument(
        "--engine", choices=["ours", "numpy", "read", "imports", "prepare"], help=argparse.SUPPRESS
    )
    parser.add_argument("--work-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine:
        engine_main(args.engine, args.work_dir, args.rows)
        return
    if args.install_evidently:
        install_evidently(args.evidently_venv)
    measured = compare_engines(args.rows, args.repeat, args.evidently_venv)
    ours, read, imports = measured["ours"], measured["read"], measured["imports"]
    print_table(ours, measured["others"], args.rows)
    print(f"of ours, the chunked CSV read alone (pyarrow, iter_batch_chunks) takes {read['seconds']:.2f} s")
    print(f"an engine process that only starts and imports ours peaks at {imports['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
