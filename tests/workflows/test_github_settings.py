"""infra/terraform/stacks/github declares the settings the approval policy relies on, in the project's
4-file layout: a ruleset on main (required checks that exist, code owners, no force-push, squash only)
and the GitHub environments the deploy roles trust, prod with required reviewers."""

from __future__ import annotations

import io
import subprocess

import hcl2
import pytest

from tests.conftest import REPO
from tests.workflows.workflows import load_workflow

STACK = REPO / "infra" / "terraform" / "stacks" / "github"


def unquote(value):
    if isinstance(value, str):
        return value.strip('"')
    if isinstance(value, list):
        return [unquote(v) for v in value]
    if isinstance(value, dict):
        return {unquote(k): unquote(v) for k, v in value.items() if not k.startswith("__")}
    return value


def parse(text: str) -> dict:
    return unquote(hcl2.load(io.StringIO(text)))


def resources(main: dict) -> dict:
    return {kind: body for block in main["resource"] for kind, body in block.items()}


def settings_problems(main_text: str, variables_text: str) -> list[str]:
    """What is missing from the ruleset and environments the policy relies on."""
    found = resources(parse(main_text))
    rules = found["github_repository_ruleset"]["main"]["rules"][0]
    pull = rules["pull_request"][0]
    problems = [
        f"ruleset: {key} must be true"
        for key in ("deletion", "non_fast_forward")
        if rules.get(key) is not True
    ]
    problems += [
        f"ruleset: pull_request.{key} must be true"
        for key in (
            "require_code_owner_review",
            "dismiss_stale_reviews_on_push",
            "require_last_push_approval",
        )
        if pull.get(key) is not True
    ]
    if pull.get("allowed_merge_methods") != ["squash"]:
        problems.append("ruleset: squash merges only")
    environment = found["github_repository_environment"]["this"]
    dynamic = {k: v for block in environment.get("dynamic", []) for k, v in block.items()}
    reviewers = str(dynamic.get("reviewers", {}).get("for_each"))
    if "prod" not in reviewers or "prod" not in str(environment.get("prevent_self_review")):
        problems.append("environments: prod must wait for reviewers who cannot approve their own run")
    checks = {k: v for block in parse(variables_text)["variable"] for k, v in block.items()}
    if "policy / verdict" not in checks["required_status_checks"]["default"]:
        problems.append("required checks must include policy / verdict")
    return problems


def test_the_stack_declares_every_setting_the_policy_relies_on():
    assert settings_problems((STACK / "main.tf").read_text(), (STACK / "variables.tf").read_text()) == []


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            "non_fast_forward        = true",
            "non_fast_forward        = false",
            "ruleset: non_fast_forward must be true",
        ),
        (
            'allowed_merge_methods             = ["squash"]',
            'allowed_merge_methods             = ["merge", "squash"]',
            "ruleset: squash merges only",
        ),
        (
            "require_code_owner_review         = true",
            "require_code_owner_review         = false",
            "ruleset: pull_request.require_code_owner_review must be true",
        ),
    ],
)
def test_a_weakened_setting_is_caught(old, new, problem):
    text = (STACK / "main.tf").read_text()
    assert old in text
    assert problem in settings_problems(text.replace(old, new), (STACK / "variables.tf").read_text())


def test_required_checks_are_the_jobs_pr_checks_runs():
    variables = {
        k: v for block in parse((STACK / "variables.tf").read_text())["variable"] for k, v in block.items()
    }
    pr_checks = load_workflow("pr-checks").jobs
    governance = load_workflow("reusable-governance").jobs
    expected = [job for job, spec in pr_checks.items() if "uses" not in spec and job != "changes"]
    assert "verdict" in governance
    assert variables["required_status_checks"]["default"] == [*expected, "policy / verdict"]


def test_environments_are_the_ones_the_deploy_jobs_use():
    main = parse((STACK / "main.tf").read_text())
    [locals_block] = main["locals"]
    deploy = load_workflow("deploy").jobs
    assert sorted(job["with"]["environment"] for job in deploy.values()) == sorted(
        locals_block["environments"]
        .removeprefix("${toset(")
        .removesuffix(")}")
        .strip("[]")
        .replace('"', "")
        .split(", ")
    )


def test_four_files_documented_and_formatted():
    assert {p.name for p in STACK.iterdir()} >= {
        "main.tf",
        "variables.tf",
        "outputs.tf",
        "versions.tf",
        "README.md",
    }
    for block in parse((STACK / "variables.tf").read_text())["variable"]:
        for name, body in block.items():
            assert body.get("description") and body.get("type"), name
    for block in parse((STACK / "outputs.tf").read_text())["output"]:
        for name, body in block.items():
            assert body.get("description"), name
    done = subprocess.run(["terraform", "fmt", "-check", "-diff", str(STACK)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout
