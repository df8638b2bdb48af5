"""The repository's GitHub workflows as data: jobs, steps, their scripts and the `mlops` calls in them."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.conftest import REPO

WORKFLOWS = REPO / ".github" / "workflows"
# Inputs of our reusable workflows whose value is run as a shell command.
COMMAND_INPUTS = ("command", "after-apply")
MLOPS_CALL = re.compile(r"(?:^|(?<=[\s(\"]))(?:[\w./-]*/)?mlops[ \t]+([^|;&)\n>]*)", re.MULTILINE)


@dataclass(frozen=True)
class Workflow:
    name: str
    path: Path
    text: str
    data: dict

    @property
    def jobs(self) -> dict[str, dict]:
        return self.data.get("jobs") or {}

    @property
    def triggers(self) -> dict:
        # PyYAML reads the key `on` as the boolean True (YAML 1.1).
        on = self.data.get("on", self.data.get(True))
        return {on: None} if isinstance(on, str) else dict.fromkeys(on) if isinstance(on, list) else on or {}


def parse_workflow(path: Path, text: str | None = None) -> Workflow:
    text = path.read_text(encoding="utf-8") if text is None else text
    return Workflow(path.stem, path, text, yaml.safe_load(text))


def load_workflows() -> list[Workflow]:
    return [parse_workflow(path) for path in sorted(WORKFLOWS.glob("*.yml"))]


def load_workflow(name: str) -> Workflow:
    return parse_workflow(WORKFLOWS / f"{name}.yml")


def steps(workflow: Workflow) -> Iterator[tuple[str, dict]]:
    for job_id, job in workflow.jobs.items():
        for step in job.get("steps", []):
            yield job_id, step


def scripts(workflow: Workflow) -> Iterator[tuple[str, str]]:
    """(where, shell text) for every run: step and every command input passed to a reusable workflow."""
    for job_id, step in steps(workflow):
        if "run" in step:
            yield f"{workflow.name}/{job_id}/{step.get('name', step.get('id', '?'))}", step["run"]
    for job_id, job in workflow.jobs.items():
        for key in COMMAND_INPUTS:
            if key in (job.get("with") or {}):
                yield f"{workflow.name}/{job_id}/with.{key}", job["with"][key]


def mlops_calls(script: str) -> list[list[str]]:
    """The argument lists of every `mlops` (or `<dir>/.venv/bin/mlops`) call in a shell script.

    A call ends at a shell operator, a redirection, a `)` or the end of its line (continuations joined);
    quotes are dropped, so `"$VAR"` stays one word.
    """
    calls = []
    for match in MLOPS_CALL.finditer(script.replace("\\\n", " ")):
        words = shlex.split(match.group(1).replace('"', "").replace("'", ""))
        calls.append(words)
    return calls
