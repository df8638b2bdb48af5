import os
import signal
import subprocess
import sys

import yaml

from ml.registry.sqlite import SQLiteModelRegistry
from tests.gitops.conftest import commit, git

GROUP = "mammo-severity-model-package"


def view(repo, env="dev"):
    return SQLiteModelRegistry(repo / "work" / "registry.db", environment=env)


def statuses(repo, env="dev"):
    return {v.version: str(v.status) for v in view(repo, env).list_versions(GROUP)}


def approve(mlops, env, version, by="rita", *extra):
    return mlops(
        "approve", "--env", env, "--version", str(version), "--by", by, "--reason", "AUC CI ok", *extra
    )


def merged(repo, mlops, env, version, message=None, *extra):
    """Approve, merge (commit on main) and sync: what a reviewed pull request leads to."""
    assert approve(mlops, env, version, "rita", *extra).exit_code == 0
    commit(repo, message or f"approve v{version} in {env}")
    result = mlops("registry", "sync", "--env", env)
    assert result.exit_code == 0, result.output


def test_approve_edits_the_file_and_writes_the_pr_body_but_not_the_registry(repo, mlops, trained):
    result = approve(mlops, "dev", 1, "rita", "--evidence", "PR #7", "--pr-body", str(repo / "pr.md"))
    assert result.exit_code == 0, result.output
    approval = yaml.safe_load((repo / "configs/dev/approved-model.yaml").read_text())["approvals"][0]
    assert (approval["version"], approval["approved_by"], approval["evidence"]) == (1, "rita", "PR #7")
    assert len(approval["artifact_digest"]) == 64
    body = (repo / "pr.md").read_text()
    assert "## Approve mammo-severity-model-package v1 in dev" in body and "95% CI" in body
    assert "| Age | mean" in body  # baseline statistics read from the artifact store
    assert statuses(repo) == {1: "PendingManualApproval", 2: "PendingManualApproval"}


def test_sync_plans_applies_and_is_idempotent(repo, mlops, trained):
    approve(mlops, "dev", 1)
    commit(repo, "approve v1 in dev")
    dry = mlops("registry", "sync", "--env", "dev", "--dry-run")
    assert dry.exit_code == 0 and "approve   mammo-severity-model-package v1" in dry.output
    assert statuses(repo)[1] == "PendingManualApproval"
    assert mlops("registry", "sync", "--env", "dev").exit_code == 0
    assert statuses(repo)[1] == "Approved"
    again = mlops("registry", "sync", "--env", "dev")
    assert again.exit_code == 0 and "registry already agrees with git: no changes" in again.output
    history = view(repo).get(GROUP, 1).history[-1]
    assert (
        history.changed_by == "rita" and "git " in history.reason and "approved-model.yaml" in history.reason
    )
    assert (history.environment, history.decision.via) == ("dev", "sync")
    assert history.decision.merge_commit == git(repo, "rev-parse", "HEAD").strip()


def test_sync_killed_between_operations_converges_on_rerun(repo, mlops, trained, tmp_path):
    merged(repo, mlops, "dev", 1)
    approve(mlops, "dev", 2)
    commit(repo, "approve v2 in dev")
    script = tmp_path / "die_after_first_change.py"
    script.write_text(
        "import os, signal, sys\n"
        "from ml.registry.sqlite import SQLiteModelRegistry\n"
        "original = SQLiteModelRegistry.set_status\n"
        "def dying(self, *args, **kwargs):\n"
        "    original(self, *args, **kwargs)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "SQLiteModelRegistry.set_status = dying\n"
        "from ml.cli import main\n"
        "sys.argv = ['mlops', *sys.argv[1:]]\n"
        "main()\n"
    )
    args = [
        "registry",
        "sync",
        "--env",
        "dev",
        "--config-dir",
        str(repo / "configs"),
        "--work-dir",
        str(repo / "work"),
    ]
    killed = subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        cwd=repo,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    assert killed.returncode == -signal.SIGKILL
    assert statuses(repo) == {1: "Approved", 2: "Approved"}  # approved first, superseding never happened
    resumed = mlops("registry", "sync", "--env", "dev")
    assert resumed.exit_code == 0 and "supersede mammo-severity-model-package v1" in resumed.output
    assert statuses(repo) == {1: "PendingManualApproval", 2: "Approved"}


def test_drift_is_reported_then_enforced(repo, mlops, trained):
    merged(repo, mlops, "dev", 1)
    view(repo).set_status(GROUP, 2, "Approved", reason="console", changed_by="eve")
    drift = mlops("registry", "sync", "--env", "dev")
    assert drift.exit_code == 12
    assert "DRIFT mammo-severity-model-package v2 is Approved in the registry" in drift.output
    assert mlops("registry", "sync", "--env", "dev", "--enforce").exit_code == 0
    assert statuses(repo) == {1: "Approved", 2: "PendingManualApproval"}


def test_dry_run_exits_12_on_drift_and_changes_nothing(repo, mlops, trained):
    """The daily drift workflow runs `registry sync --dry-run` and relies on exit code 12."""
    merged(repo, mlops, "dev", 1)
    clean = mlops("registry", "sync", "--env", "dev", "--dry-run")
    assert clean.exit_code == 0, clean.output
    view(repo).set_status(GROUP, 2, "Approved", reason="console", changed_by="eve")
    history = [len(v.history) for v in view(repo).list_versions(GROUP)]
    drift = mlops("registry", "sync", "--env", "dev", "--dry-run")
    assert drift.exit_code == 12, drift.output
    assert "DRIFT mammo-severity-model-package v2 is Approved in the registry" in drift.output
    assert statuses(repo) == {1: "Approved", 2: "Approved"}
    assert [len(v.history) for v in view(repo).list_versions(GROUP)] == history
    enforced = mlops("registry", "sync", "--env", "dev", "--dry-run", "--enforce")
    assert enforced.exit_code == 0 and statuses(repo)[2] == "Approved"  # the plan turns it back; dry: not


def test_policy_requires_dev_first_and_separation_of_duties(repo, mlops, trained):
    approve(mlops, "prod", 1)
    commit(repo, "approve v1 in prod only")
    result = mlops("policy", "check", "--env", "prod")
    assert result.exit_code == 13
    assert "not deployed in dev first" in result.output
    approve(mlops, "dev", 1)
    commit(repo, "approve v1 in dev")
    assert mlops("policy", "check", "--env", "prod").exit_code == 13  # merged, but dev has not synced it
    assert mlops("registry", "sync", "--env", "dev").exit_code == 0
    assert mlops("policy", "check", "--env", "prod").exit_code == 0
    approve(mlops, "dev", 2, "tom")
    selfish = mlops("policy", "check", "--env", "dev")
    assert selfish.exit_code == 13 and "separation of duties" in selfish.output


def test_policy_check_without_env_checks_every_approval_file(repo, mlops, trained):
    merged(repo, mlops, "dev", 1)
    approve(mlops, "prod", 1)
    result = mlops("policy", "check")
    assert result.exit_code == 0, result.output
    assert "policy ok: dev, prod" in result.output


def test_downgrade_needs_flag_and_reason(repo, mlops, trained):
    merged(repo, mlops, "dev", 2)
    refused = approve(mlops, "dev", 1, "rita", "--allow-downgrade")
    assert refused.exit_code == 2 and "downgrade_reason" in refused.stderr
    approve(mlops, "dev", 1)
    assert "downgrade from v2 to v1" in mlops("policy", "check", "--env", "dev").output
    approve(mlops, "dev", 1, "rita", "--allow-downgrade", "--downgrade-reason", "v2 miscalibrated")
    assert mlops("policy", "check", "--env", "dev").exit_code == 0


def test_approving_a_version_the_registry_rejected_exits_5_and_keeps_the_rejection(repo, mlops, trained):
    result = mlops("reject", "--env", "dev", "--version", "2", "--by", "rita", "--reason", "calibration off")
    assert result.exit_code == 0, result.output
    commit(repo, "reject v2 in dev")
    mlops("registry", "sync", "--env", "dev")
    assert statuses(repo)[2] == "Rejected"
    path = repo / "configs/dev/approved-model.yaml"
    before = path.read_text()
    again = approve(mlops, "dev", 2)
    assert again.exit_code == 5 and "is Rejected; it cannot become Approved" in again.stderr
    assert path.read_text() == before


def test_approving_a_version_the_file_rejects_exits_5_and_keeps_the_rejection(repo, mlops, trained):
    mlops("reject", "--env", "dev", "--version", "2", "--by", "rita", "--reason", "calibration off")
    assert statuses(repo)[2] == "PendingManualApproval"  # not synced: only the file says so
    again = approve(mlops, "dev", 2)
    assert again.exit_code == 5
    assert "approved-model.yaml: rejections:" in again.stderr and "cannot become Approved" in again.stderr
    file = yaml.safe_load((repo / "configs/dev/approved-model.yaml").read_text())
    assert [r["version"] for r in file["rejections"]] == [2] and file["approvals"] == []


def test_digest_mismatch_in_the_file_is_refused(repo, mlops, trained):
    approve(mlops, "dev", 1)
    path = repo / "configs/dev/approved-model.yaml"
    text = path.read_text()
    digest = yaml.safe_load(text)["approvals"][0]["artifact_digest"]
    path.write_text(text.replace(digest, "ab" * 32))
    commit(repo, "a digest nobody reviewed")
    result = mlops("registry", "sync", "--env", "dev")
    assert result.exit_code == 4 and "the file pins " + "ab" * 32 in result.stderr


def test_one_commit_approving_dev_and_prod_is_not_deployed_in_dev_first(repo, mlops, trained):
    git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")  # the base the pull request targets
    approve(mlops, "dev", 1)
    approve(mlops, "prod", 1)
    commit(repo, "approve v1 in dev and prod at once")
    for base in ([], ["--base", "origin/main"]):  # default: merge-base of HEAD with origin/main
        result = mlops("policy", "check", "--env", "prod", *base)
        assert result.exit_code == 13, result.output
        assert "not deployed in dev first" in result.output


def test_dev_approval_synced_first_then_prod_is_ok(repo, mlops, trained):
    merged(repo, mlops, "dev", 1)
    base = git(repo, "rev-parse", "HEAD").strip()
    approve(mlops, "prod", 1)
    commit(repo, "approve v1 in prod")
    result = mlops("policy", "check", "--env", "prod", "--base", base)
    assert result.exit_code == 0, result.output
    assert f"commit {base[:12]}" in result.stderr


def test_unknown_base_is_refused_naming_it(repo, mlops, trained):
    approve(mlops, "prod", 1)
    result = mlops("policy", "check", "--env", "prod", "--base", "origin/nowhere")
    assert result.exit_code == 2 and "--base 'origin/nowhere': not a commit" in result.stderr


def test_blank_approver_or_reason_is_refused(mlops, trained):
    for option in ("--by", "--reason"):
        args = {"--by": "rita", "--reason": "ok", option: "  "}
        for command in ("approve", "reject"):
            result = mlops(command, "--env", "lab", "--version", "1", *[x for kv in args.items() for x in kv])
            assert result.exit_code == 2, result.output
            assert f"Invalid value for '{option}': must not be blank" in result.stderr


def test_direct_downgrade_needs_flag_and_reason(repo, mlops, trained):
    assert approve(mlops, "lab", 2).exit_code == 0
    refused = approve(mlops, "lab", 1)
    assert refused.exit_code == 13 and "downgrade from v2 to v1" in refused.stderr
    assert statuses(repo, "lab") == {1: "PendingManualApproval", 2: "Approved"}
    no_reason = approve(mlops, "lab", 1, "rita", "--allow-downgrade")
    assert no_reason.exit_code == 2 and "downgrade_reason" in no_reason.stderr
    rollback = approve(mlops, "lab", 1, "rita", "--allow-downgrade", "--downgrade-reason", "v2 miscalibrated")
    assert rollback.exit_code == 0, rollback.output
    assert statuses(repo, "lab") == {1: "Approved", 2: "PendingManualApproval"}
    latest = view(repo, "lab").get(GROUP, 1).history[-1]
    assert "downgrade: v2 miscalibrated" in latest.reason


def test_direct_approval_keeps_separation_of_duties(repo, mlops, trained):
    result = approve(mlops, "lab", 1, "Tom")
    assert result.exit_code == 13
    assert "'Tom' trained this version; separation of duties requires another approver" in result.stderr
    assert statuses(repo, "lab")[1] == "PendingManualApproval"
