"""Every workflow follows the security and process rules, and each rule catches its own breach."""

from __future__ import annotations

import pytest

from tests.workflows.rules import RULES, violations
from tests.workflows.workflows import WORKFLOWS, load_workflows, parse_workflow

CHECKOUT = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1  # v7.0.1"

# Each rule broken once: (rule, workflow, text replaced, replacement).
BREACHES = [
    ("top_level_permissions", "pr-checks", "permissions:\n  contents: read\n", "permissions: write-all\n"),
    (
        "id_token_only_where_a_role_is_assumed",
        "pr-checks",
        "  lint:\n    runs-on: ubuntu-latest\n",
        "  lint:\n    permissions:\n      id-token: write\n    runs-on: ubuntu-latest\n",
    ),
    (
        "writes_only_where_written",
        "model-approval",
        "      contents: read\n      pull-requests: read\n    outputs:\n      number",
        "      contents: read\n      pull-requests: write\n    outputs:\n      number",
    ),
    ("actions_pinned_by_sha", "pr-checks", CHECKOUT, "actions/checkout@v7"),
    (
        "no_aws_secrets",
        "reusable-aws-job",
        "role-to-assume: ${{ steps.role.outputs.arn }}",
        "role-to-assume: ${{ secrets.AWS_DEPLOY_ROLE }}",
    ),
    # (propose-approval: terraform-plan would also break plan_role_only_on_pull_request)
    (
        "no_pull_request_target",
        "propose-approval",
        "on:\n  workflow_dispatch:\n",
        "on:\n  pull_request_target:\n  workflow_dispatch:\n",
    ),
    (
        "checkout_without_credentials",
        "deploy",
        "jobs:\n",
        f"jobs:\n  extra:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: {CHECKOUT}\n",
    ),
    (
        "no_expressions_in_scripts",
        "reusable-governance",
        '"origin/$BASE_REF"',
        '"origin/${{ github.event.pull_request.base.ref }}"',
    ),
    ("opens_with_a_comment", "run-pipeline", "# run-pipeline — ", "# Runs a pipeline: "),
    (
        "deploy_jobs_are_guarded",
        "deploy",
        "      cancel-in-progress: false\n",
        "      cancel-in-progress: true\n",
    ),
    (
        "pull_request_runs_cancel",
        "pr-checks",
        "  cancel-in-progress: true\n",
        "  cancel-in-progress: false\n",
    ),
    ("sdk_where_pipelines_are_built", "deploy", "      aws-sdk: true\n", ""),
    (
        "history_where_commands_read_it",
        "model-approval",
        "jobs:\n",
        "jobs:\n  shallow:\n    runs-on: ubuntu-latest\n    steps:\n"
        f"      - uses: {CHECKOUT}\n        with:\n          persist-credentials: false\n"
        "      - run: .venv/bin/mlops registry sync --env dev\n",
    ),
    ("terraform_version_pinned", "pr-checks", "          terraform_version: 1.11.4\n", ""),
    (
        "plan_role_only_on_pull_request",
        "model-approval",
        "  evidence:\n    needs: changes\n    if: github.event_name == 'pull_request' &&",
        "  evidence:\n    needs: changes\n    if: github.event_name == 'pull_request_review' &&",
    ),
]


@pytest.mark.parametrize("workflow", load_workflows(), ids=lambda wf: wf.name)
def test_workflow_follows_every_rule(workflow):
    assert violations(workflow) == {}


def test_every_rule_has_a_breach_fixture():
    assert {rule for rule, *_ in BREACHES} == set(RULES)


@pytest.mark.parametrize(("rule", "name", "old", "new"), BREACHES, ids=[b[0] for b in BREACHES])
def test_rule_catches_its_breach(rule, name, old, new):
    path = WORKFLOWS / f"{name}.yml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, f"fixture no longer matches {name}.yml"
    broken = parse_workflow(path, text.replace(old, new, 1))

    assert set(violations(broken)) == {rule}


def test_reusable_workflow_breach_is_caught_through_its_caller(tmp_path, monkeypatch):
    """A caller is judged by what the reusable workflow it calls does (here: no role, so no id-token)."""
    import tests.workflows.rules as rules

    (tmp_path / "reusable-aws-job.yml").write_text(
        (WORKFLOWS / "reusable-aws-job.yml")
        .read_text()
        .replace("aws-actions/configure-aws-credentials", "x/y")
    )
    monkeypatch.setattr(rules, "WORKFLOWS", tmp_path)
    caller = parse_workflow(WORKFLOWS / "run-pipeline.yml")

    assert rules.id_token_only_where_a_role_is_assumed(caller) == [
        "run-pipeline/run: id-token: write but the job assumes no role"
    ]


def test_a_shallow_clone_in_the_reusable_job_is_caught_through_its_callers(tmp_path, monkeypatch):
    import tests.workflows.rules as rules

    (tmp_path / "reusable-aws-job.yml").write_text(
        (WORKFLOWS / "reusable-aws-job.yml").read_text().replace("          fetch-depth: 0\n", "")
    )
    monkeypatch.setattr(rules, "WORKFLOWS", tmp_path)

    assert rules.history_where_commands_read_it(parse_workflow(WORKFLOWS / "model-approval.yml")) == [
        "model-approval/sync: runs mlops registry sync on a shallow clone (fetch-depth: 0)"
    ]
    assert rules.history_where_commands_read_it(parse_workflow(WORKFLOWS / "registry-drift.yml")) == [
        "registry-drift/check: runs mlops registry sync on a shallow clone (fetch-depth: 0)"
    ]


def test_the_setup_action_installs_the_sdk_only_when_asked():
    """`aws: true` runs `make setup-aws` (the SageMaker SDK); by default only the base lock is installed."""
    import yaml

    action = yaml.safe_load((WORKFLOWS.parent / "actions/setup/action.yml").read_text())
    installs = {step.get("run"): step.get("if") for step in action["runs"]["steps"] if "run" in step}
    assert installs == {"make setup": None, "make setup-aws": "inputs.aws == 'true'"}
    assert action["inputs"]["aws"]["default"] == "false"


def test_every_workflow_pins_the_same_terraform():
    from tests.workflows.rules import TERRAFORM_ACTION
    from tests.workflows.workflows import steps

    pinned = {
        f"{wf.name}/{job_id}": str(step["with"]["terraform_version"])
        for wf in load_workflows()
        for job_id, step in steps(wf)
        if step.get("uses", "").startswith(TERRAFORM_ACTION)
    }
    assert {"pr-checks/test", "reusable-terraform/plan", "reusable-terraform/apply"} <= set(pinned)
    assert len(set(pinned.values())) == 1, pinned
