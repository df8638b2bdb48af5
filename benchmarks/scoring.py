"""Batch scoring: `mlops infer` (check + score in one streamed pass) against a hand-written read + predict.

- ours: `run_inference` exactly as `mlops infer` runs it — resolve the approved version, stream the batch
  (pyarrow, chunks of `monitoring.chunk_rows`), check every chunk against the baseline and score it, gate,
  publish the predictions, record the check in the history and write its HTML report.
- baseline: what someone would write without the platform — read the whole file with pyarrow, apply the
  same model (transform + the booster's in-place predict, as ours), write the predictions with pyarrow,
  the ids taken straight from the Arrow table; no check, no records.

Each engine runs in a fresh process of its own (benchmarks/common.py), so its peak RSS is its own: ours
should stay flat as rows grow, the baseline grows with the file. Batches are synthetic rows drawn from
the sample's clean batch (same schema and distribution, unique record ids), as CSV and as Parquet.

Run alone: `.venv/bin/python benchmarks/scoring.py [--quick] [--repeat N]`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, Result, print_table, run_engine

QUICK_ROWS = (100_000, 1_000_000)
FULL_ROWS = (100_000, 1_000_000, 10_000_000)
FORMATS = ("csv", "parquet")


def make_batch(source: str, target: str, rows: int) -> dict:
    """Write `rows` rows drawn (seeded) from the clean sample batch, with unique ids, as CSV or Parquet."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    sample = pacsv.read_csv(source).drop_columns(["record_id"])
    rng = np.random.default_rng(7)
    writer = None
    for start in range(0, rows, 1_000_000):
        size = min(1_000_000, rows - start)
        table = sample.take(pa.array(rng.integers(0, sample.num_rows, size)))
        ids = pa.array([f"b{i:09d}" for i in range(start, start + size)])
        table = table.add_column(0, "record_id", ids)
        if writer is None:
            parquet = target.endswith(".parquet")
            writer = (
                pq.ParquetWriter(target, table.schema) if parquet else pacsv.CSVWriter(target, table.schema)
            )
        writer.write_table(table)
    writer.close()
    return {"rows": rows}


def ours(work: str, batch: str, out: str) -> dict:
    """`mlops infer --input batch --output-dir out` in process, timed from the call to its return."""
    sys.path.insert(0, str(REPO))
    from ml.config.loader import load_environment
    from ml.orchestration.services import Workspace, build_services
    from ml.orchestration.workflows import run_inference

    config = load_environment("local", REPO / "configs")
    workspace = Workspace(Path(work))
    services = build_services(config, workspace)
    started = time.perf_counter()
    outcome = run_inference(config, services, workspace, Path(batch), Path(out))
    seconds = time.perf_counter() - started
    if outcome.run.status != "succeeded":
        raise RuntimeError(
            f"inference {outcome.run.status}: {outcome.run.record.reasons or outcome.run.record.error}"
        )
    return {"seconds": seconds, "rows": outcome.run.values["predictions"].rows}


def baseline(work: str, batch: str, out: str) -> dict:
    """Read everything, predict with the same model, write the predictions: no check, no records."""
    sys.path.insert(0, str(REPO))
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from ml.artifacts.codecs import get_content
    from ml.artifacts.local import LocalArtifactStore
    from ml.registry.sqlite import SQLiteModelRegistry
    from ml.train.train import ModelBundle

    version = SQLiteModelRegistry(Path(work) / "registry.db").approved_version("mammo-severity-model-package")
    model = ModelBundle.from_bytes(
        get_content(LocalArtifactStore(Path(work) / "artifacts"), version.artifact_digest)
    )
    started = time.perf_counter()
    parquet = batch.endswith(".parquet")
    read = pq.read_table(batch) if parquet else pacsv.read_csv(batch)
    frame = read.to_pandas()
    # The booster's in-place prediction, as `score_batch` uses (bit for bit `predict_proba`, no DMatrix).
    matrix = model.preprocessor.transform(frame)
    probability = model.booster().inplace_predict(matrix, iteration_range=(0, model.best_iteration + 1))
    table = pa.table(
        {
            "record_id": read.column("record_id"),
            "probability": probability.astype("float64").round(6),
            "label": (probability >= model.threshold).astype("int64"),
            "model_version": np.full(len(frame), version.version, dtype="int64"),
        }
    )
    target = Path(out) / ("predictions.parquet" if parquet else "predictions.csv")
    target.parent.mkdir(parents=True, exist_ok=True)
    (pq.write_table if parquet else pacsv.write_csv)(table, target)
    return {"seconds": time.perf_counter() - started, "rows": len(frame)}


def _approved_workspace(root: Path) -> Path:
    """A work dir with the sample prepared and v1 trained on part1 and approved."""
    sys.path.insert(0, str(REPO))
    from ml.config.loader import load_environment
    from ml.data.workflow import prepare_sample_data
    from ml.orchestration.services import Workspace, build_services
    from ml.orchestration.workflows import run_train
    from ml.registry.approvals import approve_version

    config = load_environment("local", REPO / "configs")
    workspace = Workspace(root / "work")
    prepare_sample_data(config, REPO / config.dataset.source, workspace.data_dir)
    services = build_services(config, workspace)
    version = run_train(config, services, workspace, [workspace.data_dir / "train-part1.csv"]).values[
        "model_version"
    ]
    approve_version(
        services.registry, config.model_group, version.version, changed_by="bench", reason="bench"
    )
    return workspace.root


def run(quick: bool, repeat: int | None = None) -> list[Result]:
    """One row per size and format: ours vs the baseline, with ours' peak RSS (the baseline's in the note).

    The two engines take turns `repeat` times (default: 3, quick: 1); a row shows each one's best time and
    largest peak. Single runs at 1M rows moved the baseline by up to 40% on this machine.
    """
    repeat = repeat or (1 if quick else 3)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-scoring-") as tmp:
        root = Path(tmp)
        work = _approved_workspace(root)
        for size in QUICK_ROWS if quick else FULL_ROWS:
            for fmt in FORMATS:
                batch = root / f"batch-{size}.{fmt}"
                run_engine(
                    __file__, "make_batch", source=str(work / "data/batch.csv"), target=str(batch), rows=size
                )
                rows.append(_compare(work, batch, size, fmt, root, repeat))
                batch.unlink()
                shutil.rmtree(root / "out", ignore_errors=True)
    return rows


def _compare(work: Path, batch: Path, size: int, fmt: str, root: Path, repeat: int) -> Result:
    runs: dict[str, list[dict]] = {"ours": [], "baseline": []}
    for _ in range(repeat):
        for engine, found in runs.items():
            out = str(root / "out" / engine)
            found.append(run_engine(__file__, engine, work=str(work), batch=str(batch), out=out))
    mine, theirs = (_best(runs["ours"]), _best(runs["baseline"]))
    throughput = theirs["seconds"] / mine["seconds"]
    note = (
        f"{size / mine['seconds'] / 1e6:.2f} M rows/s; throughput {throughput:.0%} of baseline; "
        f"baseline peak {theirs['peak_rss_mb']:.0f} MB; best of {repeat}"
    )
    return Result(f"infer {size:,} rows {fmt}", mine["seconds"], theirs["seconds"], mine["peak_rss_mb"], note)


def _best(runs: list[dict]) -> dict:
    return {
        "seconds": min(run["seconds"] for run in runs),
        "peak_rss_mb": max(run["peak_rss_mb"] for run in runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"sizes {QUICK_ROWS} only")
    parser.add_argument("--repeat", type=int, help="runs per engine, taking turns (default 3, quick 1)")
    arguments = parser.parse_args()
    print_table(run(arguments.quick, arguments.repeat))


if __name__ == "__main__":
    main()
