"""Run every benchmark under benchmarks/ and print one combined table; also write it as JSON and Markdown.

A benchmark is any module here (not `common`, not this file, not `_*`) that defines
`run(quick: bool) -> list[Result]`; a new file is picked up without changing this one. Each module's
printed details (e.g. start-up's module list) are shown after it finishes and kept in the outputs. A
module that raises becomes a FAILED row, the others still run, and the exit code is 1.

    .venv/bin/python benchmarks/run_all.py             # full (make bench)
    .venv/bin/python benchmarks/run_all.py --quick     # each module in about 30 s (make bench QUICK=1)
    .venv/bin/python benchmarks/run_all.py startup train

Each module runs in a child process of this one, so nothing a module loads reaches the others (see
common.py on inherited peak RSS).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from collections import deque
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from subprocess import PIPE

from common import BENCHMARKS, REPO, Result, markdown_table, print_table

NOT_BENCHMARKS = {"common", "run_all"}
RESULTS = BENCHMARKS / "results"
# xgboost installs as xgboost-cpu from the lock; whichever distribution is present is reported.
LIBRARIES = [
    "numpy",
    "pandas",
    "pyarrow",
    "scipy",
    "scikit-learn",
    "xgboost",
    "xgboost-cpu",
    "pydantic",
    "click",
]


def discover(only: list[str]) -> list[Path]:
    """Benchmark module files, alphabetically; `only` restricts them by stem."""
    paths = [
        path
        for path in sorted(BENCHMARKS.glob("*.py"))
        if path.stem not in NOT_BENCHMARKS and not path.stem.startswith("_")
    ]
    unknown = set(only) - {path.stem for path in paths}
    if unknown:
        raise SystemExit(f"no benchmark module {sorted(unknown)} in {BENCHMARKS}")
    return [path for path in paths if not only or path.stem in only]


def run_module(path: Path, quick: bool) -> dict:
    """Run one module's run(quick) in a child process of its own; its stderr is shown as it comes.

    A module may import pandas or train a model at its top level; in a child that never reaches the
    processes later modules start (on Linux they would inherit its peak RSS), nor can a crash stop the run.
    """
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="run-all-") as folder:
        result_path, stdout_path = Path(folder) / "result.json", Path(folder) / "stdout.txt"
        argv = [sys.executable, __file__, "--child", str(path), "--result", str(result_path)]
        with stdout_path.open("w") as stdout:
            child = subprocess.Popen([*argv, *(["--quick"] if quick else [])], stdout=stdout, stderr=PIPE)
            tail: deque[str] = deque(maxlen=20)
            for line in io.TextIOWrapper(child.stderr, errors="replace"):
                print(f"    {line}", end="", file=sys.stderr)
                tail.append(line)
            child.wait()
        outcome = json.loads(result_path.read_text()) if result_path.is_file() else None
        printed = stdout_path.read_text()
    if outcome is None:
        error = f"{path.name} exited {child.returncode} without a result: {''.join(tail)[-300:]}"
        outcome = {"rows": [_failed(path, error).to_dict()], "error": error, "traceback": "".join(tail)}
    outcome["rows"] = [Result(**{k: v for k, v in row.items() if k != "ratio"}) for row in outcome["rows"]]
    return {**outcome, "printed": printed, "seconds": time.perf_counter() - started}


def call_module(path: Path, quick: bool) -> dict:
    """In the child: import the module by file, call run(quick); an exception becomes a FAILED row."""
    try:
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        # Dataclasses and multiprocessing look modules up by name, so register it like a normal import.
        sys.modules[path.stem] = module
        spec.loader.exec_module(module)
        rows = list(module.run(quick)) if callable(getattr(module, "run", None)) else []
        bad = [row for row in rows if not isinstance(row, Result)]
        if bad:
            raise TypeError(f"run() returned {type(bad[0]).__name__}, not common.Result")
        error = trace = None
    except Exception as exc:  # a broken benchmark must not hide the others' results
        error, trace = f"{type(exc).__name__}: {exc}", traceback.format_exc()
        rows = [_failed(path, error)]
    return {"rows": [row.to_dict() for row in rows], "error": error, "traceback": trace}


def _failed(path: Path, error: str) -> Result:
    return Result(f"{path.stem}: FAILED", None, None, None, " ".join(error.split())[:300])


def machine() -> dict:
    """What the numbers were measured on."""
    cpu = _first_value(Path("/proc/cpuinfo"), "model name") or platform.processor()
    memory_kb = _first_value(Path("/proc/meminfo"), "MemTotal")
    versions = {}
    for name in LIBRARIES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[name] = metadata.version(name)
    return {
        "cpu": cpu,
        "cpus": len(os.sched_getaffinity(0)),
        "memory_gb": round(int(memory_kb.split()[0]) / 1024**2, 1) if memory_kb else None,
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load_average": round(os.getloadavg()[0], 2),
        "libraries": versions,
        "code": _code_version(),
    }


def describe(info: dict) -> str:
    libraries = ", ".join(f"{name} {version}" for name, version in info["libraries"].items())
    return (
        f"{info['cpu']}, {info['cpus']} CPUs, {info['memory_gb']} GB RAM, {info['system']}, "
        f"Python {info['python']}; {libraries}; code {info['code']}; 1-minute load average at the start "
        f"{info['load_average']}"
    )


def write_outputs(report: dict, rows: list[Result], output_dir: Path) -> tuple[Path, Path]:
    output_dir.mkdir(parents=True, exist_ok=True)
    json_path, markdown_path = output_dir / "latest.json", output_dir / "latest.md"
    document = {**report, "rows": [row.to_dict() for row in rows]}
    json_path.write_text(json.dumps(document, indent=2) + "\n")
    mode = "quick" if report["quick"] else "full"
    parts = [
        f"# Benchmarks ({mode} run, {report['created']})",
        "",
        describe(report["machine"]),
        "",
        markdown_table(rows),
    ]
    for name, module in report["modules"].items():
        if module["printed"].strip():
            parts += ["", f"## {name}", "", "```", module["printed"].strip("\n"), "```"]
    markdown_path.write_text("\n".join(parts) + "\n")
    return json_path, markdown_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="Only these benchmark modules (file stems).")
    parser.add_argument("--quick", action="store_true", help="Each module's quick variant (about 30 s).")
    parser.add_argument("--output-dir", type=Path, default=RESULTS)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.result.write_text(json.dumps(call_module(args.child, args.quick)))
        return
    report = {"created": datetime.now(UTC).isoformat(timespec="seconds"), "quick": args.quick, "modules": {}}
    report["machine"] = machine()
    if report["machine"]["load_average"] > report["machine"]["cpus"] / 2:
        print(f"note: the machine is busy (load {report['machine']['load_average']}); expect noisier ratios")
    rows: list[Result] = []
    paths = discover(args.modules)
    for index, path in enumerate(paths, start=1):
        print(
            f"[{index}/{len(paths)}] {path.stem} ({'quick' if args.quick else 'full'}) ...", file=sys.stderr
        )
        outcome = run_module(path, args.quick)
        print(f"    {path.stem} done in {outcome['seconds']:.1f} s", file=sys.stderr)
        if outcome["printed"].strip():
            print(outcome["printed"].rstrip("\n") + "\n")
        rows += outcome["rows"]
        report["modules"][path.stem] = {key: value for key, value in outcome.items() if key != "rows"}
    print(describe(report["machine"]) + "\n")
    print_table(rows)
    json_path, markdown_path = write_outputs(report, rows, args.output_dir)
    print(f"\nwrote {_shown(json_path)} and {_shown(markdown_path)}")
    if any(module.get("error") for module in report["modules"].values()):
        sys.exit(1)


def _first_value(path: Path, key: str) -> str | None:
    with contextlib.suppress(OSError):
        for line in path.read_text().splitlines():
            name, _, value = line.partition(":")
            if name.strip() == key:
                return value.strip()
    return None


def _code_version() -> str:
    """The commit measured, and whether the work tree differed from it (read-only git calls)."""
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, env=env)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short=12", "HEAD")
    if not commit:
        return "unknown"
    return f"{commit} (uncommitted changes)" if git("status", "--porcelain") else commit


def _shown(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.relative_to(REPO))
    return str(path)


if __name__ == "__main__":
    main()
