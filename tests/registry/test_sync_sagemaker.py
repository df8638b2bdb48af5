"""`mlops registry sync` on the SageMaker registry (moto_server), as separate processes: killed at random
moments and rerun, run twice at once, and fooled from the console.

The environment is dev's own file with the central registry in moto's account; the group and its sync-lock
group exist beforehand, as the registry stack creates them.
"""

import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from ml.registry import ApprovalStatus
from ml.registry.approval_edits import write_approval, write_rejection
from ml.registry.approvals import Approval, Rejection, approval_path
from ml.registry.audit import verify_chain
from ml.registry.sagemaker import SageMakerModelRegistry
from ml.registry.sagemaker_lock import lock_group_name
from tests.aws_server import ACCOUNT_ID, MotoServer, resolve_group_arns_like_aws
from tests.conftest import REPO
from tests.contracts.test_model_registry import make_candidate
from tests.gitops.conftest import commit, git

GROUP = "mammo-severity-model-package"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
RUNNER = Path(__file__).with_name("sync_runner.py")
KILL_ROUNDS = 8


@pytest.fixture
def aws_repo(tmp_path: Path, fresh_moto: MotoServer, monkeypatch) -> Path:
    """A git repository holding dev's environment, its registry in moto, three versions registered."""
    for name in ("GITHUB_ACTIONS", "MLOPS_PR_AUTHOR", "MLOPS_PR_APPROVING_REVIEWERS", "MLOPS_PR_NUMBER"):
        monkeypatch.delenv(name, raising=False)
    root = tmp_path / "repo"
    data = yaml.safe_load((REPO / "configs/dev/environment.yaml").read_text())
    data["registry"]["account_id"] = ACCOUNT_ID
    (root / "configs" / "dev").mkdir(parents=True)
    (root / "configs" / "dev" / "environment.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    git(root, "init", "-q", "-b", "main")
    commit(root, "dev")
    client = fresh_moto.client("sagemaker")
    for group in (GROUP, lock_group_name(GROUP)):
        client.create_model_package_group(ModelPackageGroupName=group)
    registry = dev_registry(fresh_moto)
    for n in (1, 2, 3):
        registry.register(make_candidate(f"{n:064x}", GROUP))
    return root


def dev_registry(moto: MotoServer) -> SageMakerModelRegistry:
    client = moto.client("sagemaker")
    resolve_group_arns_like_aws(client)
    return SageMakerModelRegistry(client, environment="dev", image_uri=IMAGE, registry_account_id=ACCOUNT_ID)


def declare(repo: Path, version: int, *, reject: int | None = None, **extra) -> str:
    """Approve `version` (and reject `reject`) in dev's approval file and merge it; return the commit."""
    path = approval_path(repo / "configs", "dev")
    fields = {"approved_by": "rita", "approved_at": "2026-11-28T12:00:00Z", "reason": "reviewed"}
    write_approval(
        path,
        Approval(model_group=GROUP, version=version, artifact_digest=f"{version:064x}", **fields, **extra),
    )
    if reject is not None:
        write_rejection(
            path,
            Rejection(
                model_group=GROUP,
                version=reject,
                artifact_digest=f"{reject:064x}",
                rejected_by="rita",
                rejected_at="2026-11-28T12:00:00Z",
                reason="calibration off",
            ),
        )
    return commit(repo, f"dev: approve v{version}")


def start_sync(checkout: Path, *extra: str) -> subprocess.Popen:
    command = [sys.executable, str(RUNNER), "registry", "sync", "--env", "dev", *extra]
    command += ["--config-dir", str(checkout / "configs"), "--work-dir", str(checkout / "work")]
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        command, cwd=checkout, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def run_sync(checkout: Path, *extra: str) -> subprocess.CompletedProcess:
    process = start_sync(checkout, *extra)
    out, err = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def dev_statuses(moto: MotoServer) -> dict[int, str]:
    return {v.version: str(v.status) for v in dev_registry(moto).list_versions(GROUP)}


def assert_chain_verifies(moto: MotoServer) -> int:
    """Assert the chain verifies; return its length."""
    registry = dev_registry(moto)
    report = verify_chain(GROUP, registry.list_versions(GROUP), registry.audit_head(GROUP))
    assert report.verified, report.problems
    return len(report.entries)


def test_sync_killed_at_random_moments_converges_on_rerun(aws_repo: Path, fresh_moto: MotoServer) -> None:
    declare(aws_repo, 1)
    started = time.monotonic()
    assert run_sync(aws_repo).returncode == 0
    duration = time.monotonic() - started  # kills land anywhere from start-up to the last registry call
    declare(aws_repo, 2, reject=3)  # approve v2, supersede v1, reject v3: three registry calls
    seed = int(os.environ.get("MLOPS_KILL_SEED", time.time_ns() % 10_000))
    delays = random.Random(seed)
    killed, progress = 0, []
    for _ in range(KILL_ROUNDS):
        process = start_sync(aws_repo)
        time.sleep(delays.uniform(0.3, 1.3) * duration)
        process.send_signal(signal.SIGKILL)
        process.communicate()
        killed += process.returncode == -signal.SIGKILL
        progress.append(assert_chain_verifies(fresh_moto))  # every call is atomic: no half-written decision
    print(f"seed {seed}, one sync {duration:.2f} s, killed {killed}/{KILL_ROUNDS}, chain lengths {progress}")

    final = run_sync(aws_repo)

    assert final.returncode == 0, (seed, final.stdout, final.stderr)
    assert dev_statuses(fresh_moto) == {1: "PendingManualApproval", 2: "Approved", 3: "Rejected"}, seed
    assert_chain_verifies(fresh_moto)
    again = run_sync(aws_repo)
    assert "registry already agrees with git: no changes" in again.stdout, (seed, again.stderr)
    assert killed >= 1, seed  # at least one run died before it finished


def test_two_concurrent_syncs_end_in_the_later_commits_state(
    aws_repo: Path, fresh_moto: MotoServer, tmp_path: Path
) -> None:
    declare(aws_repo, 1)
    assert run_sync(aws_repo).returncode == 0
    upgrade = declare(aws_repo, 2)
    declare(aws_repo, 1, allow_downgrade=True, downgrade_reason="v2 is off")  # the later commit: a rollback
    older = tmp_path / "older"
    git(aws_repo, "worktree", "add", "-q", "--detach", str(older), upgrade)

    runs = [start_sync(older), start_sync(aws_repo)]
    outcomes = [run.communicate(timeout=120) for run in runs]

    assert [run.returncode for run in runs] == [0, 0], outcomes
    assert dev_statuses(fresh_moto) == {1: "Approved", 2: "PendingManualApproval", 3: "PendingManualApproval"}
    assert_chain_verifies(fresh_moto)
    tickets = fresh_moto.client("sagemaker").list_model_packages(ModelPackageGroupName=lock_group_name(GROUP))
    assert {t["ModelApprovalStatus"] for t in tickets["ModelPackageSummaryList"]} <= {"Approved", "Rejected"}


def test_console_changes_are_drift_on_sagemaker(aws_repo: Path, fresh_moto: MotoServer) -> None:
    declare(aws_repo, 1)
    assert run_sync(aws_repo).returncode == 0
    client = fresh_moto.client("sagemaker")
    packages = {
        p["ModelPackageVersion"]: p
        for p in client.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"]
    }
    for version, status in ((2, "Approved"), (1, "PendingManualApproval")):  # approve another, unapprove ours
        described = client.describe_model_package(ModelPackageName=packages[version]["ModelPackageArn"])
        client.update_model_package(
            ModelPackageArn=described["ModelPackageArn"],
            ModelApprovalStatus=status,
            CustomerMetadataProperties=described.get("CustomerMetadataProperties") or {},
        )

    assert dev_registry(fresh_moto).approved_version(GROUP) is None  # neither is served
    drift = run_sync(aws_repo)
    assert drift.returncode == 12
    assert "v1 is PendingManualApproval in the registry itself" in drift.stdout
    assert "v2 is Approved in the registry itself" in drift.stdout
    assert run_sync(aws_repo, "--enforce").returncode == 0
    assert dev_registry(fresh_moto).approved_version(GROUP).version == 1  # type: ignore[union-attr]
    registry = dev_registry(fresh_moto)
    assert registry.get(GROUP, 2).registry_status == ApprovalStatus.PENDING
    assert_chain_verifies(fresh_moto)


def test_a_killed_holder_on_this_machine_does_not_block_the_next_sync(
    aws_repo: Path, fresh_moto: MotoServer
) -> None:
    declare(aws_repo, 1)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    sleeper.kill()
    sleeper.wait()
    client = fresh_moto.client("sagemaker")
    client.create_model_package(  # the ticket a sync killed while holding the lock leaves behind
        ModelPackageGroupName=lock_group_name(GROUP),
        ModelPackageDescription=(
            f"mlops sync env=dev commit={'0' * 40} holder={socket.gethostname()}:{sleeper.pid}:dead lease=900"
        ),
        ModelApprovalStatus="PendingManualApproval",
    )

    result = run_sync(aws_repo)

    assert result.returncode == 0, result.stderr
    assert dev_statuses(fresh_moto)[1] == "Approved"
