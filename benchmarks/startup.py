"""Cold start of the `mlops` CLI against a bare interpreter, and what `import ml.cli` loads.

- `mlops --help` and `mlops config validate` (the embedded local environment), each a fresh process, best
  of N, against `python -c pass` and `python -c "import click"` from the same venv; the commands take turns.
  Times include interpreter start-up; every process's peak RSS is its own (see common.py).
- The modules `import ml.cli` adds to `sys.modules` beyond those the interpreter has before `-c` code runs,
  grouped by top-level package, with counts, self import time (best of three `-X importtime` runs) and
  the module that was loading when each package was first imported. The same, shorter, for
  `mlops config validate`.

tests/test_cli_imports.py guards that the heavy libraries stay out of `import ml.cli`; this only reports.
Run alone: `.venv/bin/python benchmarks/startup.py [--quick]`.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from common import Result, child_env, print_table, time_commands

PYTHON = sys.executable
MLOPS = str(Path(sys.executable).parent / "mlops")
COMMANDS = {
    "python -c pass": [PYTHON, "-c", "pass"],
    "python -c 'import click'": [PYTHON, "-c", "import click"],
    "mlops --help": [MLOPS, "--help"],
    "mlops config validate": [MLOPS, "config", "validate"],
}
REFERENCES = ["python -c pass", "python -c 'import click'"]
# Runs under -X importtime; the modules present before it are the interpreter's baseline.
LOADED = """
import sys
before = set(sys.modules)
{statement}
added = sorted(set(sys.modules) - before)
import json
print(json.dumps(added))
"""
IMPORT_CLI = "import ml.cli"
VALIDATE = """
from ml.cli import cli
try:
    cli(["config", "validate"], prog_name="mlops")
except SystemExit:
    pass
"""
SLOWEST = 6
IMPORTTIME = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


@dataclass
class Package:
    """The modules of one top-level package that a statement loaded."""

    modules: int = 0
    self_us: int = 0
    via: set[str] = field(default_factory=set)


def run(quick: bool) -> list[Result]:
    repeat = 10 if quick else 30
    timed = time_commands(COMMANDS, repeat)
    loaded = {"mlops --help": loaded_modules(IMPORT_CLI), "mlops config validate": loaded_modules(VALIDATE)}
    print_modules("import ml.cli", loaded["mlops --help"])
    print_modules("mlops config validate", loaded["mlops config validate"], limit=12)
    rows = []
    for command in ("mlops --help", "mlops config validate"):
        ours = timed[command]
        for reference in REFERENCES:
            base = timed[reference]
            note = (
                f"best of {repeat}; +{(ours.seconds - base.seconds) * 1000:.0f} ms; the reference peaks at "
                f"{base.peak_rss_mb:.0f} MB; {loaded[command].modules} modules beyond the interpreter's"
            )
            rows.append(
                Result(
                    f"startup: {command} vs {reference}", ours.seconds, base.seconds, ours.peak_rss_mb, note
                )
            )
    return rows


@dataclass(frozen=True)
class Loaded:
    """What one statement imported: by top-level package, and the modules slowest to import themselves."""

    packages: dict[str, Package]
    slowest: list[tuple[str, int]]

    @property
    def modules(self) -> int:
        return sum(package.modules for package in self.packages.values())


def loaded_modules(statement: str, runs: int = 3) -> Loaded:
    """What `statement` loaded beyond the interpreter's modules; self times are the best of `runs`."""
    added, tree, best_us = set(), [], {}
    for _ in range(runs):
        done = subprocess.run(
            [PYTHON, "-X", "importtime", "-c", LOADED.format(statement=statement)],
            capture_output=True,
            text=True,
            check=True,
            env=child_env(),
        )
        added = set(json.loads(done.stdout.strip().splitlines()[-1]))
        tree = [(len(m[3]), m[4], int(m[1])) for m in map(IMPORTTIME.match, done.stderr.splitlines()) if m]
        for _, name, self_us in tree:
            best_us[name] = min(self_us, best_us.get(name, self_us))
    packages: dict[str, Package] = defaultdict(Package)
    for index, (_, name, _) in enumerate(tree):
        if name not in added:
            continue
        package = packages[name.split(".")[0]]
        package.modules += 1
        package.self_us += best_us[name]
        importer = _importer(tree, index)
        if importer and importer.split(".")[0] != name.split(".")[0]:
            package.via.add(importer)
    for name in added - {name for _, name, _ in tree}:
        # Built-in modules loaded as a side effect (no import statement of their own) have no timing line.
        packages[name.split(".")[0]].modules += 1
    slowest = sorted(((name, best_us[name]) for _, name, _ in tree if name in added), key=lambda x: -x[1])
    return Loaded(dict(packages), slowest[:SLOWEST])


def _importer(tree: list[tuple[int, str, int]], index: int) -> str | None:
    """-X importtime prints a module after everything it imported, one level less indented."""
    depth = tree[index][0]
    for later_depth, name, _ in tree[index + 1 :]:
        if later_depth < depth:
            return name
    return None


def print_modules(title: str, loaded: Loaded, limit: int | None = None) -> None:
    """The grouped list, then the slowest single modules (self time, one run: read it as a rough order)."""
    ordered = sorted(loaded.packages.items(), key=lambda item: -item[1].self_us)
    print(
        f"\n`{title}` loads {loaded.modules} modules beyond the interpreter's, "
        f"in {len(ordered)} top-level packages"
    )
    print(f"{'package':<24}{'modules':>8}{'self ms':>9}  first imported while loading")
    for name, package in ordered[:limit]:
        # No importer: imported by the statement itself, or by a function it called (not at import time).
        via = ", ".join(sorted(package.via)) or "(the statement, or at run time)"
        print(f"{name:<24}{package.modules:>8}{package.self_us / 1000:>9.1f}  {via}")
    if limit and len(ordered) > limit:
        rest = ordered[limit:]
        print(f"... and {len(rest)} more packages ({sum(p.modules for _, p in rest)} modules)")
    slowest = ", ".join(f"{name} {us / 1000:.1f} ms" for name, us in loaded.slowest)
    print(f"slowest modules (self time): {slowest}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    print_table(run(parser.parse_args().quick))


if __name__ == "__main__":
    main()
