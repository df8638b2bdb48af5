"""Train pipeline wall time on the sample data, step by step, against raw xgboost on the same matrices.

- pipeline: the sample data prepared with `prepare_sample_data` into a temporary work dir, services from
  `build_services`, then `run_train` on train-part1 + train-part2 (the retraining set, the largest the
  sample has): once cold (lazy imports of xgboost, scikit-learn, scipy), then `repeat` timed runs. Each
  step's time is the run record's own (`RunRecord.steps[*].seconds`), best over the timed runs.
- cross_validate (the k-fold CV AUC, `training.cv_folds` fits): against k times the raw fit below.
- raw: a hand-written `xgboost.train` with the same parameters on the same train/validation matrices (the
  pipeline's own split and preprocessor output), and a plain evaluation (predict, scikit-learn
  `roc_auc_score`) on the same test matrix; no pipeline, no artifacts. It is timed in the pipeline's
  process, alternating with `run_train` round by round, so a busy spell of a shared 2-core machine hits
  both alike. Its memory comes from a process of its own that loads the saved matrices and fits once.
- demo: `mlops demo --work-dir <fresh tmp>` as a whole process, against the sum of the step times its own
  run records report, so the ratio is the demo's cost around the step functions (start-up, imports, data
  preparation, artifacts, registry, HTML reports).

Run alone: `.venv/bin/python benchmarks/train.py [--quick]`.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from common import REPO, Result, measure, print_table, run_engine, run_isolated

TRAIN_FILES = ["train-part1.csv", "train-part2.csv"]
ROUNDS_KEYS = ("num_boost_round", "early_stopping_rounds")


def raw_fit(data, params: dict):
    """The fit a data scientist would write by hand: DMatrix from arrays, xgboost.train, early stopping."""
    import xgboost as xgb

    names = [str(name) for name in data["names"]]
    dtrain = xgb.DMatrix(data["train_x"], label=data["train_y"], feature_names=names)
    dvalid = xgb.DMatrix(data["valid_x"], label=data["valid_y"], feature_names=names)
    booster_params = {"objective": "binary:logistic", "eval_metric": "auc", "tree_method": "hist"}
    booster_params |= {key: value for key, value in params.items() if key not in ROUNDS_KEYS}
    return xgb.train(
        booster_params,
        dtrain,
        num_boost_round=params["num_boost_round"],
        evals=[(dvalid, "validation")],
        early_stopping_rounds=params["early_stopping_rounds"],
        verbose_eval=False,
    )


def raw_evaluate(booster, data) -> float:
    """Predict the test matrix and take scikit-learn's ROC AUC."""
    import xgboost as xgb
    from sklearn.metrics import roc_auc_score

    dtest = xgb.DMatrix(data["test_x"], feature_names=[str(name) for name in data["names"]])
    scores = booster.predict(dtest, iteration_range=(0, booster.best_iteration + 1))
    return float(roc_auc_score(data["test_y"], scores))


def pipeline_engine(work: str, repeat: int) -> dict:
    """Engine: prepare the sample data, run `run_train` cold once, then alternate it with the raw fit."""
    from ml.config.loader import load_environment
    from ml.data.workflow import prepare_sample_data
    from ml.orchestration.services import Workspace, build_services
    from ml.orchestration.workflows import run_train

    config = load_environment("local", REPO / "configs")
    workspace = Workspace(Path(work))
    services = build_services(config, workspace)
    prepare_sample_data(config, REPO / config.dataset.source, workspace.data_dir)
    paths = [workspace.data_dir / name for name in TRAIN_FILES]
    params = config.training.xgboost.model_dump()

    def train() -> tuple[dict, object]:
        started, start = datetime.now(UTC), time.perf_counter()
        result = run_train(config, services, workspace, paths, created_by="benchmark")
        seconds = time.perf_counter() - start
        record = result.record
        if result.status != "succeeded":
            raise RuntimeError(f"run_train {result.status}: {record.error or record.reasons}")
        # The runner stamps the record (to the millisecond) when it starts and finishes; what run_train
        # does before (read, contract, digests, git) and after (notify) lies outside those stamps.
        runner_start, runner_end = map(datetime.fromisoformat, (record.started_at, record.finished_at))
        timing = {
            "total": seconds,
            "steps": {step["name"]: step["seconds"] for step in record.steps},
            "before": (runner_start - started).total_seconds(),
            "runner": (runner_end - runner_start).total_seconds(),
        }
        return timing, result

    cold, result = train()
    split, model = result.values["training_split"], result.values["model"]
    data = _save_matrices(Path(work) / "matrices.npz", split, model.preprocessor, config.dataset.label.name)
    booster = raw_fit(data, params)
    raw_auc = raw_evaluate(booster, data)
    runs, fits, evaluations = [], [], []
    for _ in range(repeat):
        timing, result = train()
        runs.append(timing)
        fits.append(measure(lambda: raw_fit(data, params), 1))
        evaluations.append(measure(lambda: raw_evaluate(booster, data), 1))
    return {
        "cold": cold["total"],
        "runs": runs,
        "raw_fit_s": min(fits),
        "raw_evaluate_s": min(evaluations),
        "rows": [len(split.train), len(split.validation), len(split.test)],
        "best_iteration": [model.best_iteration, int(booster.best_iteration)],
        "auc": [result.values["metrics"].auc, raw_auc],
        "xgboost": params,
        "cv_folds": config.training.cv_folds,
    }


def raw_engine(work: str, params: dict) -> dict:
    """Engine: the raw fit and evaluation alone in a process, for its peak memory."""
    import numpy as np

    data = dict(np.load(Path(work) / "matrices.npz"))
    booster = raw_fit(data, params)
    return {"best_iteration": int(booster.best_iteration), "auc": raw_evaluate(booster, data)}


def run_demo_once(folder: Path) -> dict:
    """`mlops demo` in a fresh work dir; its wall time, peak RSS and the step times its runs recorded."""
    mlops = Path(sys.executable).parent / "mlops"
    measured = run_isolated([str(mlops), "demo", "--work-dir", str(folder)])
    records = [json.loads(path.read_text()) for path in sorted(folder.glob("runs/*/run.json"))]
    steps = sum(step.get("seconds", 0.0) for record in records for step in record["steps"])
    inside = measured.stdout.rsplit("demo finished in ", 1)[-1].split("s", 1)[0]
    return {
        "seconds": measured.seconds,
        "peak_rss_mb": measured.peak_rss_mb,
        "steps_s": steps,
        "runs": len(records),
        "inside_s": float(inside) if inside.replace(".", "").isdigit() else None,
    }


def run(quick: bool) -> list[Result]:
    repeat, demo_repeat = (5, 1) if quick else (20, 3)
    with tempfile.TemporaryDirectory(prefix="train-bench-") as folder:
        pipeline = run_engine(__file__, "pipeline_engine", work=folder, repeat=repeat)
        raw = run_engine(__file__, "raw_engine", work=folder, params=pipeline["xgboost"])
        demos = [run_demo_once(Path(folder) / f"demo-{i}") for i in range(demo_repeat)]
    return [*pipeline_rows(pipeline, raw), demo_row(min(demos, key=lambda d: d["seconds"]), demo_repeat)]


def pipeline_rows(pipeline: dict, raw: dict) -> list[Result]:
    runs = pipeline["runs"]
    best_run = min(runs, key=lambda run: run["total"])
    total = best_run["total"]
    steps = {name: min(run["steps"][name] for run in runs) for name in best_run["steps"]}
    fit, evaluation = pipeline["raw_fit_s"], pipeline["raw_evaluate_s"]
    iterations = {*pipeline["best_iteration"], raw["best_iteration"]}
    aucs = {round(auc, 9) for auc in [*pipeline["auc"], raw["auc"]]}
    train, valid, test = pipeline["rows"]
    folds = pipeline["cv_folds"]
    rows = [
        Result(
            f"train: run_train total ({train + valid + test} rows)",
            total,
            fit + evaluation,
            pipeline["peak_rss_mb"],
            f"{train}/{valid}/{test} rows train/valid/test; best of {len(runs)} (cold first run "
            f"{pipeline['cold']:.2f} s); baseline: raw fit + evaluation, alternating with it; raw alone "
            f"in a process peaks at {raw['peak_rss_mb']:.0f} MB",
        )
    ]
    agree = "same" if len(iterations) == 1 else f"DIFFERENT {sorted(iterations)}"
    notes = {
        "train": f"baseline hand-written xgboost.train, same params and matrices; best_iteration {agree} "
        f"({pipeline['best_iteration'][0]})",
        "evaluate": "baseline predict + roc_auc_score; "
        + (f"same AUC {aucs.pop():.3f}" if len(aucs) == 1 else f"AUCs DIFFER {sorted(aucs)}")
        + "; ours adds a 1000-round bootstrap CI, PR AUC, confusion matrix",
        "cross_validate": f"{folds} stratified folds, each split + preprocessor + fit (1 thread) + AUC; "
        f"baseline {folds} x the raw fit",
        "evaluate_locked": "score the locked evaluation set, metrics with bootstrap CI, keep every "
        "row's probability",
    }
    baselines = {"train": fit, "evaluate": evaluation, "cross_validate": folds * fit}
    for name, seconds in steps.items():
        share = f"{seconds / total:.0%} of run_train"
        note = f"{share}; {notes[name]}" if name in notes else share
        rows.append(Result(f"train step: {name}", seconds, baselines.get(name), None, note))
    outside = total - sum(best_run["steps"].values())
    around = best_run["runner"] - sum(best_run["steps"].values())
    after = total - best_run["before"] - best_run["runner"]
    rows.append(
        Result(
            "train: outside the steps",
            outside,
            None,
            None,
            f"{outside / total:.0%} of run_train: {_ms(best_run['before'])} before the runner (read CSVs, "
            f"data contract, digests, git commit), {_ms(around)} in the runner around the steps "
            f"(artifacts, run records), {_ms(after)} after (notification)",
        )
    )
    return rows


def demo_row(demo: dict, repeat: int) -> Result:
    inside = "" if demo["inside_s"] is None else f"{demo['inside_s']:.1f} s inside run_demo; "
    return Result(
        "demo: mlops demo (whole process)",
        demo["seconds"],
        demo["steps_s"],
        demo["peak_rss_mb"],
        f"best of {repeat}; baseline: the step time its {demo['runs']} run records report (2 train, "
        f"3 inference; first calls include lazy imports); {inside}the rest is start-up, imports, data "
        "preparation, artifacts, registry, HTML reports",
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def _save_matrices(path: Path, split, preprocessor, label: str) -> dict:
    """The arrays the pipeline's train and evaluate steps build from this split, saved for the raw engine."""
    import numpy as np

    data = {"names": np.array(preprocessor.encoded_names)}
    for name, frame in (("train", split.train), ("valid", split.validation), ("test", split.test)):
        data[f"{name}_x"] = preprocessor.transform(frame)
        data[f"{name}_y"] = frame[label].to_numpy(float)
    np.savez(path, **data)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    print_table(run(parser.parse_args().quick))


if __name__ == "__main__":
    main()
