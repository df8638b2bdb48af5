"""The workflows' run: steps, rehearsed against moto_server on 127.0.0.1 and scratch git repositories.

Steps not run here, and why (everything else of each rehearsed job runs):
- `make lint`, `make test`, `make checkov`, `make workflow-lint`: they are this test suite and its linters.
- `terraform plan/apply`: needs the providers from the Terraform registry, which this machine cannot
  reach; tests/infra (checkov, python-hcl2) and test_terraform_commands below check those steps' paths.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.aws_server import MotoServer
from tests.conftest import REPO
from tests.contracts.test_model_registry import make_candidate
from tests.registry.test_sagemaker import resolve_group_arns_like_aws
from tests.workflows.gitrepo import clone, commit_all, git, pull_request, seeded_origin
from tests.workflows.rehearsal import ROUTING, Rehearsal, base_environment
from tests.workflows.workflows import load_workflow, load_workflows

REGISTRY_ACCOUNT = "333333333333"
GROUP = "mammo-severity-model-package"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
PIPELINE_REPOSITORY = "mammo-severity-dev-pipeline"
COMMIT = "a" * 40
TERRAFORM_APPLY = {"terraform apply": "needs the providers from the Terraform registry"}


@pytest.fixture
def central_registry(fresh_moto: MotoServer):
    """The central registry account's model package group and its sync-lock group (Terraform's registry
    stack creates both)."""
    from ml.registry.sagemaker import SageMakerModelRegistry
    from ml.registry.sagemaker_lock import lock_group_name

    for group in (GROUP, lock_group_name(GROUP)):
        fresh_moto.client("sagemaker", account_id=REGISTRY_ACCOUNT).create_model_package_group(
            ModelPackageGroupName=group
        )

    client = fresh_moto.client("sagemaker")
    resolve_group_arns_like_aws(client)
    return SageMakerModelRegistry(
        client, environment="dev", image_uri=IMAGE, registry_account_id=REGISTRY_ACCOUNT
    )


def register_trained_version(registry):
    """A version as the train pipeline registers it: gate passed, AUC and its CI above prod's floors."""
    return registry.register(
        make_candidate(
            group=GROUP,
            metrics={"auc": 0.9, "auc_ci_low": 0.85, "auc_ci_high": 0.94},
            lineage={"git_sha": "0" * 40, "gate": {"passed": True}},
            created_by="train-pipeline",
        )
    )


def approver(env: str = "dev") -> str:
    """A login allowed to approve in `env`: the first of governance.approvers where the schema declares
    them (the per-environment approvers of the approvals issue), else a login no rule restricts."""
    from ml.config.loader import load_environment

    approvers = getattr(load_environment(env).governance, "approvers", None)
    return approvers[0].login if approvers else "alice"


APPROVER = approver()


def rehearsal(root: Path, config_root: Path | None = None, **expressions: str) -> Rehearsal:
    """A rehearsal whose `mlops` reads the checkout's own configs, as the editable install does there."""
    run = Rehearsal(root, dict(expressions))
    run.environment["MLOPS_CONFIG_DIR"] = str((config_root or root) / "configs")
    return run


def aws_job(command: str, environment: str, **inputs: str) -> dict[str, str]:
    values = {"pr-number": "", "approving-reviewers": "", "pipeline": "", "input-uri": "", "artifact": ""}
    values.update({k.replace("_", "-"): v for k, v in inputs.items()})
    return {
        "inputs.environment": environment,
        "inputs.command": command,
        **{f"inputs.{key}": value for key, value in values.items()},
    }


def caller_input(workflow: str, job: str, key: str) -> str:
    return load_workflow(workflow).jobs[job]["with"][key]


def test_pr_checks_validates_every_environment_file(tmp_path):
    root = clone(seeded_origin(tmp_path), tmp_path / "checkout")
    [result] = rehearsal(root).run_job(load_workflow("pr-checks"), "config")
    assert result.returncode == 0, result.stderr
    assert "cross-file rules: checked" in result.stdout


def test_governance_verdict_fails_when_a_check_failed(tmp_path):
    verdict = load_workflow("reusable-governance")
    for identities, check, code in [
        ("success", "success", 0),
        ("skipped", "skipped", 0),
        ("success", "failure", 1),
    ]:
        run = Rehearsal(tmp_path, {"needs.identities.result": identities, "needs.check.result": check})
        [result] = run.run_job(verdict, "verdict")
        assert result.returncode == code, (identities, check)


def test_registry_drift_fails_with_exit_12_and_keeps_the_plan(tmp_path, central_registry):
    version = register_trained_version(central_registry)
    central_registry.set_status(GROUP, version.version, "Approved", reason="console click", changed_by="eve")
    root = clone(seeded_origin(tmp_path), tmp_path / "checkout")
    command = load_workflow("registry-drift").jobs["check"]["with"]["command"]
    run = rehearsal(root, **aws_job(command, "dev", artifact="drift"))

    steps = run.run_job(load_workflow("reusable-aws-job"), "run")

    assert [s.returncode for s in steps] == [0, 12], steps[-1].stderr
    assert steps[0].outputs["arn"] == "arn:aws:iam::111111111111:role/mammo-severity-dev-github-deploy"
    result = root / ".runner-temp" / "result"
    assert (result / "exit-code").read_text().strip() == "12"
    assert "DRIFT" in (result / "output.txt").read_text()


def approve_in(checkout: Path, env: str, version: int) -> str:
    """`mlops approve` by APPROVER in a checkout (as on a branch); the approval file's text."""
    command = (
        f".venv/bin/mlops approve --env {env} --version {version} --by {APPROVER} --reason ok"
        " --pr-body body.md"
    )
    result = rehearsal(checkout).run_script(command, {}, checkout, "approve")
    assert result.returncode == 0, result.stderr
    (checkout / "body.md").unlink()
    return (checkout / f"configs/{env}/approved-model.yaml").read_text()


def open_pull_request(origin: Path, root: Path, env: str, approval: str, also=lambda pr: None) -> Path:
    """A pull request that puts `approval` into configs/<env>/approved-model.yaml (and `also` changes)."""

    def change(pr: Path) -> None:
        (pr / f"configs/{env}/approved-model.yaml").write_text(approval)
        also(pr)

    pull_request(origin, root, f"approve/{env}", change)
    return root


def run_governance(checks: Path, env: str, author: str, reviewers: str) -> list:
    governance = rehearsal(
        checks,
        config_root=checks / "base",
        **{
            "matrix.environment": env,
            "github.event.pull_request.base.ref": "main",
            "needs.identities.outputs.author": author,
            "needs.identities.outputs.approving-reviewers": reviewers,
        },
    )
    return governance.run_job(load_workflow("reusable-governance"), "check")


def test_approval_path_end_to_end(tmp_path, central_registry):
    """propose → policy check with author and reviewers → squash merge → sync → the registry approves."""
    register_trained_version(central_registry)
    origin = seeded_origin(tmp_path)

    # propose-approval, started by the approver from the Actions page
    proposal = tmp_path / "proposal"
    clone(origin, proposal)
    propose = rehearsal(
        proposal,
        **{
            "inputs.environment": "dev",
            "inputs.version": "1",
            "inputs.reason": "AUC CI above 0.8",
            "github.actor": APPROVER,
            "github.server_url": "https://github.com",
            "github.repository": "example-org/mlops-gitops",
            "github.run_id": "7",
        },
    )
    steps = propose.run_job(load_workflow("propose-approval"), "propose")
    assert [s.returncode for s in steps] == [0, 0], steps[-1].stderr
    assert f"approved_by: {APPROVER}" in (proposal / "configs/dev/approved-model.yaml").read_text()
    assert (proposal / ".runner-temp" / "pr-body.md").is_file()

    # the pull request create-pull-request opens (author: the bot), and the governance job judging it
    approval = (proposal / "configs/dev/approved-model.yaml").read_text()
    checks = open_pull_request(origin, tmp_path / "checks", "dev", approval)
    steps = run_governance(checks, "dev", author="github-actions[bot]", reviewers=APPROVER)
    assert [s.returncode for s in steps] == [0, 0, 0], steps[-1].stdout + steps[-1].stderr

    # squash merge into main, then model-approval's sync with the deploy role
    main = tmp_path / "main"
    clone(origin, main)
    git(main, "merge", "--squash", "origin/approve/dev")
    commit_all(main, "Approve model version 1 in dev (#42)")
    git(main, "push", "-q", "origin", "main")  # merged: the sync applies only commits on origin/main
    sync = rehearsal(
        main,
        **aws_job(
            caller_input("model-approval", "sync", "command"),
            "dev",
            pr_number="42",
            approving_reviewers=APPROVER,
        ),
    )
    steps = sync.run_job(load_workflow("reusable-aws-job"), "run")
    assert [s.returncode for s in steps] == [0, 0], steps[-1].stdout + steps[-1].stderr

    assert central_registry.get(GROUP, 1).status == "Approved"


def test_governance_refuses_an_approver_who_did_not_approve_the_pull_request(tmp_path, central_registry):
    register_trained_version(central_registry)
    origin = seeded_origin(tmp_path)
    approval = approve_in(clone(origin, tmp_path / "proposal"), "dev", 1)
    checks = open_pull_request(origin, tmp_path / "checks", "dev", approval)

    steps = run_governance(checks, "dev", author="mallory", reviewers="bob")

    assert steps[-1].returncode == 13, steps[-1].stdout + steps[-1].stderr


def test_governance_judges_with_the_base_branchs_rules(tmp_path, central_registry):
    """A pull request that also loosens its environment file is still judged by the base's file."""
    register_trained_version(central_registry)
    origin = seeded_origin(tmp_path)
    approval = approve_in(clone(origin, tmp_path / "proposal"), "prod", 1)

    def loosen(pr: Path) -> None:
        env_file = pr / "configs/prod/environment.yaml"
        env_file.write_text(
            env_file.read_text().replace("require_prior_approval_in: [dev]", "require_prior_approval_in: []")
        )

    checks = open_pull_request(origin, tmp_path / "checks", "prod", approval, also=loosen)

    steps = run_governance(checks, "prod", author="github-actions[bot]", reviewers=APPROVER)

    assert steps[-1].returncode == 13  # never approved in dev on main: the base's rule still holds
    assert "dev" in steps[-1].stdout


def link_make_files(root: Path) -> None:
    """The Makefile and the files its stamps depend on, so `make lambda-package` finds .venv up to date."""
    for name in ("Makefile", "requirements.lock", "pyproject.toml"):
        (root / name).symlink_to(REPO / name)


def deploy_apply(root: Path, image: str) -> Rehearsal:
    """The dev deploy job's apply, with the image the build (or the earlier push) gives; `aws` CLI on PATH."""
    aws = shutil.which("aws")
    if aws is None:
        pytest.skip("the image step calls the aws CLI (GitHub's runners have it; this machine does not)")
    apply = rehearsal(
        root,
        **{
            "inputs.environment": "dev",
            "inputs.mode": "apply",
            "inputs.publish-image": "true",
            "inputs.after-apply": caller_input("deploy", "dev", "after-apply"),
            "steps.role.outputs.stack": "infra/terraform/stacks/workload",
            "github.sha": COMMIT,
            "inputs.publish-image && format('{0}/{1}@{2}', steps.ecr.outputs.registry, "
            "steps.image.outputs.repository, steps.build.outputs.digest || steps.image.outputs.pushed) "
            "|| ''": image,
        },
    )
    apply.environment["PATH"] = f"{base_environment()['PATH']}:{Path(aws).parent}"
    return apply


def test_deploy_upserts_the_pipelines_and_run_pipeline_reports_the_execution(tmp_path, fresh_moto):
    root = clone(seeded_origin(tmp_path), tmp_path / "checkout")
    link_make_files(root)
    image = "111111111111.dkr.ecr.us-east-1.amazonaws.com/mammo-severity-dev-pipeline@sha256:" + "b" * 64
    apply = deploy_apply(root, image)
    fresh_moto.client("s3").create_bucket(Bucket="mammo-severity-dev-artifacts-111111111111")
    fresh_moto.client("ecr").create_repository(repositoryName=PIPELINE_REPOSITORY)
    steps = apply.run_job(load_workflow("reusable-terraform"), "apply", skip=TERRAFORM_APPLY)
    assert [s.returncode for s in steps] == [0] * len(steps), steps[-1].stdout + steps[-1].stderr
    assert steps[0].outputs["stack"] == "infra/terraform/stacks/workload"
    assert (root / "build/resolve-lambda.zip").is_file()
    assert steps[2].name == "Image repository"
    assert steps[2].outputs == {"repository": PIPELINE_REPOSITORY}  # nothing pushed yet: build and push

    command = load_workflow("run-pipeline").jobs["run"]["with"]["command"]
    run = rehearsal(root, **aws_job(command, "dev", pipeline="train", input_uri=""))
    # run-pipeline sets up without the aws extra: `pipelines run` must work with no SageMaker SDK.
    no_sdk = tmp_path / "no-sdk" / "sagemaker"
    no_sdk.mkdir(parents=True)
    (no_sdk / "__init__.py").write_text("raise ImportError('the SageMaker SDK is not installed')\n")
    run.environment["PYTHONPATH"] = f"{no_sdk.parent}:{ROUTING}:{REPO}"
    run.environment["GITHUB_ACTOR"] = "octocat"  # the runner sets it to who dispatched the workflow
    steps = run.run_job(load_workflow("reusable-aws-job"), "run")
    assert [s.returncode for s in steps] == [0, 0], steps[-1].stdout + steps[-1].stderr
    summary = (root / ".runner-temp" / "summary.md").read_text()
    assert "## train pipeline in dev" in summary
    assert "arn:aws:sagemaker:us-east-1:" in summary
    client = fresh_moto.client("sagemaker")
    [execution] = client.list_pipeline_executions(PipelineName="mammo-severity-dev-train")[
        "PipelineExecutionSummaries"
    ]
    listed = client.list_pipeline_parameters_for_execution(
        PipelineExecutionArn=execution["PipelineExecutionArn"]
    )
    # the version's created_by, so whoever dispatched the run cannot approve what it registers
    assert listed["PipelineParameters"] == [{"Name": "CreatedBy", "Value": "octocat"}]


def test_redeploying_a_commit_reuses_its_pushed_image(tmp_path, fresh_moto):
    """ECR tags are immutable: a second deploy of the same commit skips the build and upserts the first
    push's digest; a lookup that fails for another reason than a missing image fails the step."""
    root = clone(seeded_origin(tmp_path), tmp_path / "checkout")
    workflow = load_workflow("reusable-terraform")
    apply = deploy_apply(root, "unused")
    only_image = {
        name: "not this test"
        for name in (
            "Build the resolve Lambda's package the stack references",
            "After apply",
            "Read the deploy role, the stack and the image repository from the environment file",
        )
    }
    ecr = fresh_moto.client("ecr")
    steps = apply.run_job(workflow, "apply", skip={**TERRAFORM_APPLY, **only_image})
    assert steps[-1].returncode != 0 and "RepositoryNotFoundException" in steps[-1].stderr

    ecr.create_repository(repositoryName=PIPELINE_REPOSITORY, imageTagMutability="IMMUTABLE")
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"digest": "sha256:" + "c" * 64, "size": 1},
            "layers": [],
        }
    )
    pushed = ecr.put_image(repositoryName=PIPELINE_REPOSITORY, imageManifest=manifest, imageTag=COMMIT)
    apply.results.clear()
    [step] = apply.run_job(workflow, "apply", skip={**TERRAFORM_APPLY, **only_image})
    assert step.returncode == 0, step.stderr
    assert step.outputs["pushed"] == pushed["image"]["imageId"]["imageDigest"]

    apply_steps = {step.get("id"): step for step in workflow.jobs["apply"]["steps"]}
    assert apply_steps["build"]["if"] == "inputs.publish-image && steps.image.outputs.pushed == ''"


def test_the_image_is_built_with_its_commit():
    """The Dockerfile's GIT_COMMIT (model packages point at :<commit>) comes from the build's build-args."""
    build = next(
        s for s in load_workflow("reusable-terraform").jobs["apply"]["steps"] if s.get("id") == "build"
    )
    assert build["with"]["build-args"] == "GIT_COMMIT=${{ github.sha }}"
    assert "ARG GIT_COMMIT=" in (REPO / "Dockerfile").read_text()


def test_terraform_steps_name_real_stacks_and_backends():
    """The paths the skipped terraform steps use exist: stacks per kind, a backend file per environment."""
    for env, kind in [("registry", "registry"), ("dev", "workload"), ("prod", "workload")]:
        assert (REPO / f"infra/terraform/stacks/{kind}").is_dir(), kind
        assert (REPO / f"infra/terraform/backends/{env}.s3.tfbackend").is_file(), env


def approval_pull_request(tmp_path: Path, central_registry, *, approve_first_on_main: bool) -> Path:
    """A pull request approving the newest version in dev; with a champion approved on main first."""
    register_trained_version(central_registry)
    origin = seeded_origin(tmp_path)
    main = clone(origin, tmp_path / "main")
    if approve_first_on_main:
        central_registry.register(make_candidate(digest="c" * 64, group=GROUP, created_by="train-pipeline"))
        approve_in(main, "dev", 1)
        commit_all(main, "approve v1 in dev")
        git(main, "push", "-q", "origin", "main")
    approval = approve_in(main, "dev", 2 if approve_first_on_main else 1)
    return open_pull_request(origin, tmp_path / "checks", "dev", approval)


def evidence(checks: Path) -> list:
    run = rehearsal(
        checks,
        config_root=checks / "base",
        **{"matrix.environment": "dev", "github.event.pull_request.base.ref": "main"},
    )
    return run.run_job(load_workflow("model-approval"), "evidence")


def test_evidence_of_a_first_approval_shows_the_version(tmp_path, central_registry):
    checks = approval_pull_request(tmp_path, central_registry, approve_first_on_main=False)
    steps = evidence(checks)
    assert [s.returncode for s in steps] == [0, 0, 0], steps[-1].stderr
    assert steps[0].outputs == {"champion": "", "challenger": "1"}
    assert "version" in (checks / "evidence/dev/comparison.md").read_text().lower()


def test_evidence_compares_challenger_with_champion(tmp_path, central_registry):
    checks = approval_pull_request(tmp_path, central_registry, approve_first_on_main=True)
    steps = evidence(checks)
    assert steps[0].outputs == {"champion": "1", "challenger": "2"}
    assert [s.returncode for s in steps] == [0, 0, 0], steps[-1].stdout + steps[-1].stderr
    # Registered without locked-set scores: the comment says why they cannot be compared and shows v2
    # (comparisons themselves: tests/gitops/test_comparison_cli.py).
    comparison = (checks / "evidence/dev/comparison.md").read_text()
    assert comparison.startswith("**Not comparable with v1:** error: v1 has no scores on a locked evaluation")
    assert "version 2" in comparison.lower() or "v2" in comparison


def test_terraform_plan_reads_the_plan_role_and_stack(tmp_path):
    root = clone(seeded_origin(tmp_path), tmp_path / "checkout")
    link_make_files(root)
    run = rehearsal(root, **{"inputs.environment": "registry", "inputs.mode": "plan"})
    steps = run.run_job(
        load_workflow("reusable-terraform"), "plan", skip={"terraform plan": "needs the Terraform registry"}
    )
    assert steps[0].outputs == {
        "arn": "arn:aws:iam::333333333333:role/mammo-severity-registry-github-plan",
        "region": "us-east-1",
        "stack": "infra/terraform/stacks/registry",
    }
    assert [s.returncode for s in steps] == [0, 0], steps[-1].stderr


# Which test rehearses each job that has run: steps; a new job must be added to one of the two.
REHEARSED = {
    ("pr-checks", "changes"): "test_changed_environments",
    ("terraform-plan", "affected"): "test_changed_environments",
    ("model-approval", "changes"): "test_changed_environments",
    ("pr-checks", "config"): "test_pr_checks_validates_every_environment_file",
    ("reusable-governance", "verdict"): "test_governance_verdict_fails_when_a_check_failed",
    ("reusable-governance", "check"): "test_approval_path_end_to_end and the governance tests",
    ("propose-approval", "propose"): "test_approval_path_end_to_end",
    ("reusable-aws-job", "run"): "drift, approval path (sync), run-pipeline",
    ("model-approval", "evidence"): "test_evidence_*",
    (
        "reusable-terraform",
        "apply",
    ): "test_deploy_upserts_the_pipelines_and_run_pipeline_reports_the_execution",
    ("reusable-terraform", "plan"): "test_terraform_plan_reads_the_plan_role_and_stack",
}
NOT_REHEARSED = {
    ("pr-checks", "lint"): "make lint is what `make test` starts with",
    ("pr-checks", "test"): "make test is this suite",
    ("pr-checks", "infra"): "make checkov runs in tests/infra",
    ("pr-checks", "workflows"): "make workflow-lint runs the tools test_linters runs",
}


def test_every_job_with_scripts_is_rehearsed_or_excused():
    with_scripts = {
        (workflow.name, job_id)
        for workflow in load_workflows()
        for job_id, job in workflow.jobs.items()
        if any("run" in step for step in job.get("steps", []))
    }
    assert with_scripts == set(REHEARSED) | set(NOT_REHEARSED)
