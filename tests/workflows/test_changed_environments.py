"""The job outputs that pick the matrix: which environments a pull request's changed paths touch."""

from __future__ import annotations

import fnmatch
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.workflows.gitrepo import pull_request, seeded_origin
from tests.workflows.rehearsal import Rehearsal
from tests.workflows.workflows import load_workflow

SCRIPT = ".github/scripts/changed_environments.py"


def touch(*paths: str):
    def change(repo: Path) -> None:
        for path in paths:
            target = repo / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(target.read_text() + "\n# changed\n" if target.exists() else "changed\n")

    return change


WORKLOADS = ["dev", "prod"]  # the environments of the workload stack, which deploys the resolve Lambda
CASES = {
    # The Lambda's zip packs all of configs/, so an approval file changes both workload plans too.
    "approval": (["configs/prod/approved-model.yaml"], ["prod"], WORKLOADS),
    "env-file": (["configs/dev/environment.yaml"], [], WORKLOADS),
    "module": (["infra/terraform/modules/kms-key/main.tf"], [], ["registry", "dev", "prod"]),
    "workload-stack": (["infra/terraform/stacks/workload/main.tf"], [], WORKLOADS),
    "registry-stack+backend": (
        ["infra/terraform/stacks/registry/main.tf", "infra/terraform/backends/prod.s3.tfbackend"],
        [],
        ["registry", "prod"],
    ),
    "lambda-code": (["ml/orchestration/sagemaker/lambda_handler.py"], [], WORKLOADS),
    "lambda-distributions": (["requirements.lock"], [], WORKLOADS),
    "local-env-file-in-the-lambda": (["configs/local/environment.yaml"], [], WORKLOADS),
    "unrelated": (
        ["README.md", "requirements-aws.lock", "tests/test_x.py", "infra/terraform/stacks/github/main.tf"],
        [],
        [],
    ),
    "crafted-and-unknown-names": (
        ["configs/$(curl evil)/approved-model.yaml", "configs/staging/approved-model.yaml"],
        ["staging"],
        WORKLOADS,
    ),
}


@pytest.mark.parametrize(("paths", "approvals", "terraform"), list(CASES.values()), ids=list(CASES))
def test_changed_environments_job_output(tmp_path, paths, approvals, terraform):
    origin = seeded_origin(tmp_path)
    pull_request(origin, tmp_path, "feature", touch(*paths))
    for workflow, job, step, expected in [
        ("pr-checks", "changes", "Environments whose approval file changed", approvals),
        ("terraform-plan", "affected", "Environments the change can alter", terraform),
    ]:
        rehearsal = Rehearsal(tmp_path, {"github.event.pull_request.base.ref": "main"})
        [result] = rehearsal.run_job(load_workflow(workflow), job)
        assert (result.name, result.returncode) == (step, 0), result.stderr
        assert json.loads(result.outputs["environments"]) == expected


def test_terraform_plan_triggers_on_every_path_that_alters_an_environment():
    """The workflow's `paths:` filter lets through every change the script finds an environment for."""
    patterns = load_workflow("terraform-plan").triggers["pull_request"]["paths"]
    for paths, _, terraform in CASES.values():
        for path in paths if terraform else ():
            assert any(fnmatch.fnmatch(path, pattern) for pattern in patterns), (path, patterns)


def test_push_to_main_compares_with_the_previous_tip(tmp_path):
    origin = seeded_origin(tmp_path)
    pr = pull_request(origin, tmp_path, "feature", touch("configs/dev/approved-model.yaml"))
    before = subprocess.run(
        ["git", "-C", str(pr), "rev-parse", "main"], capture_output=True, text=True
    ).stdout
    rehearsal = Rehearsal(
        tmp_path, {"github.event.pull_request.base.ref": "", "github.event.before": before.strip()}
    )
    [result] = rehearsal.run_job(load_workflow("model-approval"), "changes")
    assert json.loads(result.outputs["environments"]) == ["dev"], result.stderr


def test_unknown_base_fails_clearly(tmp_path):
    origin = seeded_origin(tmp_path)
    pr = pull_request(origin, tmp_path, "feature", touch("README.md"))
    done = subprocess.run(
        [sys.executable, str(pr / SCRIPT), "approvals", "--repo", str(pr), "--base", "origin/nope"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "git diff origin/nope...HEAD failed" in done.stderr


def test_an_approval_cannot_hide_behind_an_edited_environment_file(tmp_path):
    """A pull request that turns dev into a local environment still has dev's approval checked."""

    def hide(repo: Path) -> None:
        env_file = repo / "configs/dev/environment.yaml"
        env_file.write_text(env_file.read_text().replace("backend: sagemaker", "backend: local"))
        (repo / "configs/dev/approved-model.yaml").write_text("approvals: []\n")

    origin = seeded_origin(tmp_path)
    pull_request(origin, tmp_path, "feature", hide)
    rehearsal = Rehearsal(tmp_path, {"github.event.pull_request.base.ref": "main"})
    [result] = rehearsal.run_job(load_workflow("pr-checks"), "changes")
    assert json.loads(result.outputs["environments"]) == ["dev"]
