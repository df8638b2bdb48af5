"""The shared benchmark harness: a result row, best-of-N timing, per-engine processes, one table.

Every benchmark module exposes `run(quick: bool) -> list[Result]`; `run_all.py` collects the rows.
Ratios compare against a baseline measured in the same run, because machines are noisy; nothing here
asserts a speed.

Peak memory is honest per engine only if each engine runs in a process of its own that starts small. On
Linux a process's peak RSS never starts below the RSS of the address space it was exec'd from, and
`subprocess` execs from a vfork of the caller, so a child of a parent that has loaded pandas reports at
least the parent's size. Every measured process is therefore started by a launcher (`python -I -S`, a few
MB, stdlib only) that spawns it and reads its peak back with `os.wait4`.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
REPO = BENCHMARKS.parent

# Spawns argv[1:] with its stdout on a pipe, waits for it alone, and prints one JSON line about it.
LAUNCHER = """
import json, os, sys, time
read, write = os.pipe()
actions = [(os.POSIX_SPAWN_DUP2, write, 1), (os.POSIX_SPAWN_CLOSE, read), (os.POSIX_SPAWN_CLOSE, write)]
start = time.perf_counter()
pid = os.posix_spawnp(sys.argv[1], sys.argv[1:], os.environ, file_actions=actions)
os.close(write)
chunks = []
while chunk := os.read(read, 1 << 16):
    chunks.append(chunk)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
print(json.dumps({
    "seconds": seconds,
    "peak_rss_mb": usage.ru_maxrss / 1024,
    "returncode": os.waitstatus_to_exitcode(status),
    "stdout": b"".join(chunks).decode(errors="replace"),
}))
"""

# Loads a benchmark module from its file and calls one of its engine functions with JSON keyword arguments.
ENGINE = """
import importlib.util, json, resource, sys
path, function, arguments = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
sys.path[:0] = [str(__import__("pathlib").Path(path).parent)]
name = __import__("pathlib").Path(path).stem
spec = importlib.util.spec_from_file_location(name, path)
module = sys.modules[name] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
result = getattr(module, function)(**arguments)
result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(result))
"""


@dataclass(frozen=True)
class Result:
    """One row of the combined table: our time against a baseline measured in the same run."""

    name: str
    ours_s: float | None
    baseline_s: float | None
    peak_rss_mb: float | None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """ours / baseline: below 1 means we are faster."""
        if self.ours_s is None or not self.baseline_s:
            return None
        return self.ours_s / self.baseline_s

    def to_dict(self) -> dict:
        return {**asdict(self), "ratio": self.ratio}


@dataclass(frozen=True)
class Measured:
    """What one isolated process reported: its wall time (or the engine's own), peak RSS, stdout."""

    seconds: float
    peak_rss_mb: float
    stdout: str
    values: dict


def measure(func: Callable[[], object], repeat: int = 3) -> float:
    """Best-of-`repeat` wall time of `func()` in this process, in seconds (memory is not measured)."""
    best = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def child_env(**extra: str) -> dict[str, str]:
    """The environment of every measured process: the repo importable, no telemetry, git read-only."""
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH", "")]))
    # The train pipeline records `git status`; without optional locks it never rewrites the index of a
    # checkout other people are working in.
    return {**os.environ, "PYTHONPATH": path, "DO_NOT_TRACK": "1", "GIT_OPTIONAL_LOCKS": "0", **extra}


def run_isolated(
    argv: Sequence[str], *, cwd: Path = REPO, env: dict[str, str] | None = None, label: str = ""
) -> Measured:
    """Run `argv` once, spawned by a fresh small launcher; its wall time includes start-up.

    Raises:
        RuntimeError: the command exited non-zero (the message names it and ends with its stderr).
    """
    label = label or " ".join(Path(str(a)).name if i == 0 else str(a) for i, a in enumerate(argv[:3]))
    launcher = [sys.executable, "-I", "-S", "-c", LAUNCHER, *argv]
    done = subprocess.run(
        launcher, capture_output=True, text=True, cwd=cwd, env=env or child_env(), check=False
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"launcher failed for {label}: {done.stderr.strip()[-800:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    if report["returncode"] != 0:
        raise RuntimeError(f"{label} exited {report['returncode']}: {done.stderr.strip()[-800:]}")
    lines = report["stdout"].strip().splitlines()
    values = _json_or_empty(lines[-1]) if lines else {}
    return Measured(report["seconds"], report["peak_rss_mb"], report["stdout"], values)


def time_commands(commands: Mapping[str, Sequence[str]], repeat: int, **kwargs) -> dict[str, Measured]:
    """Best-of-`repeat` wall time of each command, every run its own process; peak RSS is the largest run's.

    The commands take turns, so a slow spell of the machine hits all of them rather than one.
    """
    runs: dict[str, list[Measured]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, argv in commands.items():
            runs[name].append(run_isolated(argv, **kwargs))
    return {name: _best_run(measured) for name, measured in runs.items()}


def _best_run(runs: Sequence[Measured]) -> Measured:
    best = min(runs, key=lambda run: run.seconds)
    return Measured(best.seconds, max(run.peak_rss_mb for run in runs), best.stdout, best.values)


def run_engine(module_file: str | Path, function: str, **arguments) -> dict:
    """Call `function(**arguments)` of a benchmark module in a fresh process of its own.

    The function returns a JSON-serialisable dict (timings it took itself, counts); the dict comes back
    with `peak_rss_mb`, the engine process's `ru_maxrss`, added.
    """
    argv = [sys.executable, "-c", ENGINE, str(module_file), function, json.dumps(arguments)]
    measured = run_isolated(argv, label=f"{Path(module_file).name}:{function}")
    if not measured.values:
        raise RuntimeError(f"{Path(module_file).name}:{function} printed no JSON result")
    return measured.values


def print_table(rows: Sequence[Result], file=None) -> None:
    """Print the rows as one aligned table: name, ours, baseline, ratio, peak memory, note."""
    cells = [HEADER, *(format_row(row) for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(HEADER) - 1)]
    for index, line in enumerate(cells):
        aligned = [
            line[0].ljust(widths[0]),
            *(c.rjust(w) for c, w in zip(line[1:-1], widths[1:], strict=True)),
        ]
        print("  ".join([*aligned, line[-1]]).rstrip(), file=file)
        if index == 0:
            print("  ".join("-" * w for w in widths) + "  " + "-" * 4, file=file)


def markdown_table(rows: Sequence[Result]) -> str:
    """The same table in Markdown (for the README and benchmarks/results/latest.md)."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in format_row(row)) + " |" for row in rows]
    return "\n".join(lines)


HEADER = ("benchmark", "ours", "baseline", "ours/baseline", "peak RSS", "note")


def format_row(row: Result) -> tuple[str, ...]:
    ratio = "-" if row.ratio is None else f"{row.ratio:.2f}x"
    peak = "-" if row.peak_rss_mb is None else f"{row.peak_rss_mb:.0f} MB"
    return (row.name, format_seconds(row.ours_s), format_seconds(row.baseline_s), ratio, peak, row.note)


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _json_or_empty(line: str) -> dict:
    try:
        value = json.loads(line)
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}
