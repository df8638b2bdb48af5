"""An insider's attacks on the approvals, in a scratch repository whose branches stand in for pull requests.

Each test is one attack from the issue; the registry is the embedded one (the SageMaker backend runs the
same sync and policy code: tests/registry/test_sync_sagemaker.py and the contract suite).
"""

import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys

import yaml

from tests.gitops.conftest import commit, git
from tests.gitops.test_gitops_cli import GROUP, approve, merged, statuses, view


def sync(mlops, env, *extra):
    return mlops("registry", "sync", "--env", env, *extra)


def set_governance(repo, env, **changes):
    path = repo / "configs" / env / "environment.yaml"
    data = yaml.safe_load(path.read_text())
    data["governance"].update(changes)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


# ---- dev and prod used to share one approval status ----------------------------------------------------


def test_a_dev_sync_never_changes_what_prod_serves(repo, mlops, trained):
    merged(repo, mlops, "dev", 1)
    merged(repo, mlops, "prod", 1)
    merged(repo, mlops, "dev", 2)

    assert view(repo, "prod").approved_version(GROUP).version == 1
    assert view(repo, "dev").approved_version(GROUP).version == 2
    listed = mlops("registry", "list", "--env", "prod", "--format", "json")  # the CLI builds prod's view
    assert [(v["version"], v["status"]) for v in json.loads(listed.output)] == [
        (1, "Approved"),
        (2, "PendingManualApproval"),
    ]
    for env in ("prod", "dev", "prod"):  # no flip-flop: each environment already agrees with its file
        again = sync(mlops, env)
        assert again.exit_code == 0 and "registry already agrees with git: no changes" in again.output


def test_a_prod_approval_of_a_version_dev_approved_is_recorded(repo, mlops, trained):
    merged(repo, mlops, "dev", 1)
    merged(repo, mlops, "prod", 1)

    history = view(repo, "prod").get(GROUP, 1).history
    assert [(c.environment, str(c.status)) for c in history[1:]] == [
        ("dev", "Approved"),
        ("prod", "Approved"),
    ]


# ---- identities come from the platform -----------------------------------------------------------------


def test_typing_a_colleagues_name_does_not_pass_review(repo, mlops, trained):
    approve(mlops, "dev", 1, "rita")  # tom writes rita's login into the file; rita never reviewed
    typed = mlops("policy", "check", "--env", "dev", "--author", "tom", "--approving-reviewers", "")
    assert typed.exit_code == 13
    assert "approved_by 'rita' has not approved this pull request (approving reviewers: none)" in typed.output
    own = mlops("policy", "check", "--env", "dev", "--author", "rita", "--approving-reviewers", "rita")
    assert own.exit_code == 13 and "is the pull request's author" in own.output
    approve(mlops, "dev", 1, "zed")
    stranger = mlops("policy", "check", "--env", "dev", "--author", "tom", "--approving-reviewers", "zed")
    assert stranger.exit_code == 13 and "'zed' is not an approver of dev" in stranger.output


def test_identities_are_read_from_the_workflows_variables(repo, mlops, trained, monkeypatch):
    approve(mlops, "dev", 1, "rita")
    monkeypatch.setenv("MLOPS_PR_AUTHOR", "tom")
    monkeypatch.setenv("MLOPS_PR_APPROVING_REVIEWERS", "sam, Rita")
    result = mlops("policy", "check", "--env", "dev")
    assert result.exit_code == 0, result.output


def test_in_ci_a_missing_identity_or_base_is_an_error(repo, mlops, trained, monkeypatch):
    approve(mlops, "dev", 1, "rita")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    no_base = mlops("policy", "check", "--env", "dev", "--author", "tom", "--approving-reviewers", "rita")
    assert no_base.exit_code == 2 and "--base is required in CI" in no_base.stderr
    no_identity = mlops("policy", "check", "--env", "dev", "--base", "main")
    assert no_identity.exit_code == 2 and "identities are required" in no_identity.stderr
    both = mlops(
        "policy",
        "check",
        "--env",
        "dev",
        "--base",
        "main",
        "--author",
        "tom",
        "--approving-reviewers",
        "rita",
    )
    assert both.exit_code == 0, both.output


# ---- rules come from the base branch -------------------------------------------------------------------


def test_a_pull_request_cannot_relax_a_rule_and_use_it(repo, mlops, trained):
    merged(repo, mlops, "dev", 1)
    set_governance(repo, "prod", min_auc_ci_low=0.99)  # a floor no version meets, on the base branch
    commit(repo, "prod: strict floor")
    git(repo, "checkout", "-q", "-b", "relax-and-approve")
    set_governance(repo, "prod", min_auc_ci_low=None)
    approve(mlops, "prod", 1)
    commit(repo, "relax the floor and approve v1 in prod")

    result = mlops("policy", "check", "--env", "prod", "--base", "main")

    assert result.exit_code == 13
    assert "edits the rules approvals are checked by" in result.output and ": governance" in result.output
    assert "land the rule change in its own pull request first" in result.output
    assert "is below governance.min_auc_ci_low 0.99" in result.output  # the base's rule, not the branch's


def test_a_pull_request_that_changes_the_policy_code_cannot_approve(repo, mlops, trained):
    merged(repo, mlops, "dev", 1)
    git(repo, "checkout", "-q", "-b", "patch-the-checker")
    (repo / "ml" / "registry").mkdir(parents=True)
    (repo / "ml" / "registry" / "policy.py").write_text("APPROVAL_RULES = ()\n")
    approve(mlops, "prod", 1)
    commit(repo, "skip the rules and approve v1 in prod")

    result = mlops("policy", "check", "--env", "prod", "--base", "main")

    assert result.exit_code == 13 and "ml/registry/policy.py" in result.output


def test_a_rule_change_alone_passes(repo, mlops, trained):
    git(repo, "checkout", "-q", "-b", "stricter")
    set_governance(repo, "dev", min_auc_ci_low=0.6)
    commit(repo, "dev: a floor")
    assert mlops("policy", "check", "--env", "dev", "--base", "main").exit_code == 0


# ---- "approved in dev first" means deployed in dev -----------------------------------------------------


def test_approve_then_revert_in_dev_does_not_launder_a_version(repo, mlops, trained):
    approve(mlops, "dev", 1)
    approved = commit(repo, "approve v1 in dev")
    git(repo, "revert", "--no-edit", approved)  # merged and reverted before any sync ran
    approve(mlops, "prod", 1)
    commit(repo, "approve v1 in prod")

    result = mlops("policy", "check", "--env", "prod", "--base", "main")

    assert result.exit_code == 13 and "not deployed in dev first" in result.output


def test_a_version_dev_rolled_back_does_not_count(repo, mlops, trained):
    merged(repo, mlops, "dev", 1)
    merged(repo, mlops, "dev", 2)
    merged(repo, mlops, "dev", 1, "roll dev back", "--allow-downgrade", "--downgrade-reason", "v2 is off")
    approve(mlops, "prod", 2)

    result = mlops("policy", "check", "--env", "prod", "--base", "main")

    assert result.exit_code == 13 and "not deployed in dev first" in result.output


# ---- the sync runs only merged commits, under a lock, and reports every outside change -------------------


def test_sync_refuses_a_dirty_tree_and_an_unmerged_branch(repo, mlops, trained, monkeypatch):
    approve(mlops, "dev", 1)
    dirty = sync(mlops, "dev")
    assert dirty.exit_code == 1 and "uncommitted change(s)" in dirty.stderr
    git(repo, "checkout", "-q", "-b", "not-merged")
    commit(repo, "approve v1 in dev, never merged")
    unmerged = sync(mlops, "dev")
    assert (
        unmerged.exit_code == 1 and "is not on main (approvals.branch): it was not merged" in unmerged.stderr
    )
    assert statuses(repo)[1] == "PendingManualApproval"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert sync(mlops, "dev", "--allow-dirty").exit_code == 2
    monkeypatch.delenv("GITHUB_ACTIONS")
    assert sync(mlops, "dev", "--allow-dirty").exit_code == 0  # on one's own machine
    assert statuses(repo)[1] == "Approved"


def test_sync_in_ci_applies_only_what_the_approver_reviewed(repo, mlops, trained, monkeypatch):
    approve(mlops, "dev", 1, "rita", "--evidence", "https://example.org/pull/7")
    merge = commit(repo, "Merge pull request #7")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert sync(mlops, "dev").exit_code == 2  # which pull request? which reviewers?
    monkeypatch.setenv("MLOPS_PR_NUMBER", "7")
    monkeypatch.setenv("MLOPS_PR_AUTHOR", "tom")
    monkeypatch.setenv("MLOPS_PR_APPROVING_REVIEWERS", "sam")
    refused = sync(mlops, "dev")
    assert refused.exit_code == 13 and "'rita' did not approve pull request #7" in refused.stderr
    assert statuses(repo)[1] == "PendingManualApproval"
    monkeypatch.setenv("MLOPS_PR_APPROVING_REVIEWERS", "sam,rita")
    assert sync(mlops, "dev").exit_code == 0

    decision = view(repo).get(GROUP, 1).history[-1].decision
    assert (decision.pull_request, decision.author, decision.approving_reviewers) == (
        7,
        "tom",
        ("sam", "rita"),
    )
    assert (decision.merge_commit, decision.evidence, decision.via) == (
        merge,
        "https://example.org/pull/7",
        "sync",
    )


def test_returning_the_synced_version_to_pending_is_drift(repo, mlops, trained):
    merged(repo, mlops, "dev", 1)
    eve = view(repo, "dev")
    eve.set_status(GROUP, 2, "Approved", reason="console", changed_by="eve")
    eve.set_status(GROUP, 1, "PendingManualApproval", reason="console", changed_by="eve")

    drift = sync(mlops, "dev")

    assert drift.exit_code == 12
    assert "v1 was returned to PendingManualApproval outside git" in drift.output
    assert "v2 is Approved in the registry but" in drift.output
    assert statuses(repo) == {1: "PendingManualApproval", 2: "Approved"}  # reported, not silently fixed
    # Turning drift back needs no reviewer: it restores what the last reviewed change declared.
    enforced = sync(mlops, "dev", "--enforce", "--approving-reviewers", "sam")
    assert enforced.exit_code == 0, enforced.output
    assert "reapprove mammo-severity-model-package v1" in enforced.output
    assert statuses(repo) == {1: "Approved", 2: "PendingManualApproval"}


def test_a_registry_status_changed_behind_the_decisions_is_drift(repo, mlops, trained):
    merged(repo, mlops, "dev", 1)
    with sqlite3.connect(repo / "work" / "registry.db") as conn:  # someone with write access to the store
        conn.execute("UPDATE model_versions SET status = 'PendingManualApproval' WHERE version = 1")

    assert view(repo).approved_version(GROUP) is None  # never served while the registry disagrees
    drift = sync(mlops, "dev")
    assert drift.exit_code == 12 and "v1 is PendingManualApproval in the registry itself" in drift.output
    assert sync(mlops, "dev", "--enforce").exit_code == 0
    assert view(repo).approved_version(GROUP).version == 1


def test_concurrent_syncs_end_in_the_state_of_the_later_commit(repo, mlops, trained, tmp_path):
    merged(repo, mlops, "dev", 1)
    approve(mlops, "dev", 2)
    upgrade = commit(repo, "approve v2 in dev")
    approve(mlops, "dev", 1, "rita", "--allow-downgrade", "--downgrade-reason", "v2 is off")
    commit(repo, "roll dev back to v1")  # the later commit: the rollback must win
    older = tmp_path / "older"
    git(repo, "worktree", "add", "-q", "--detach", str(older), upgrade)
    seeds = random.Random(20261128)
    for trial in range(3):
        work = tmp_path / f"work-{trial}"
        shutil.copytree(repo / "work", work)
        checkouts = [older, repo]
        seeds.shuffle(checkouts)
        runs = [_start_sync(checkout, work) for checkout in checkouts]
        outcomes = [run.communicate(timeout=120) for run in runs]
        assert [run.returncode for run in runs] == [0, 0], outcomes
        registry = view(repo).__class__(work / "registry.db", environment="dev")
        assert {v.version: str(v.status) for v in registry.list_versions(GROUP)} == {
            1: "Approved",
            2: "PendingManualApproval",
        }, (trial, outcomes)


def _start_sync(checkout, work):
    command = [sys.executable, "-m", "ml.cli", "registry", "sync", "--env", "dev"]
    options = ["--config-dir", str(checkout / "configs"), "--work-dir", str(work)]
    environment = {**os.environ, "PYTHONPATH": os.getcwd()}
    return subprocess.Popen(
        [*command, *options],
        cwd=checkout,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# ---- the audit trail -----------------------------------------------------------------------------------


def test_show_and_audit_tell_the_whole_story_and_catch_tampering(repo, mlops, trained, monkeypatch):
    merged(repo, mlops, "dev", 1)
    merged(repo, mlops, "dev", 2)
    monkeypatch.setenv("MLOPS_PR_NUMBER", "9")
    monkeypatch.setenv("MLOPS_PR_APPROVING_REVIEWERS", "rita")
    merged(repo, mlops, "dev", 1, "roll back", "--allow-downgrade", "--downgrade-reason", "v2 is off")
    merged(repo, mlops, "prod", 1)

    shown = mlops("registry", "show", "--env", "prod", "--version", "1")
    assert shown.exit_code == 0
    for text in (
        "prod",
        "rollback",
        "downgrade reason: v2 is off",
        "pull request: #9",
        "approving reviewers: rita",
    ):
        assert text in shown.output, text
    assert "merge commit: " + git(repo, "rev-parse", "HEAD").strip() in shown.output
    audit = mlops("registry", "audit", "--env", "dev")
    assert audit.exit_code == 0 and "5 decision(s) in dev" in audit.output
    assert "audit chain verified: 6 entries" in audit.output  # the whole chain is verified, dev's is printed

    with sqlite3.connect(repo / "work" / "registry.db") as conn:
        conn.execute("UPDATE status_history SET changed_by = 'sam' WHERE sequence = 3")
    tampered = mlops("registry", "audit", "--env", "prod")
    assert tampered.exit_code == 6 and "entry #4 " in tampered.stderr and "was changed" in tampered.stderr
    assert sync(mlops, "dev").exit_code == 6  # nothing is synced on top of a broken trail


def test_audit_compares_the_chain_with_a_head_the_sync_printed(repo, mlops, trained):
    approve(mlops, "dev", 1)
    commit(repo, "approve v1 in dev")
    synced = sync(mlops, "dev")
    head = synced.output.split("audit chain head: ")[1].split()[0]

    assert mlops("registry", "audit", "--env", "dev", "--head", head).exit_code == 0
    forged = head.split(":")[0] + ":" + "0" * 64
    rewritten = mlops("registry", "audit", "--env", "dev", "--head", forged)
    assert rewritten.exit_code == 6 and "entry #1 is not the one --head anchors" in rewritten.stderr
    assert mlops("registry", "audit", "--env", "dev", "--head", "seven").exit_code == 2


def test_direct_approval_honours_declared_approvers(repo, mlops, trained):
    set_governance(repo, "lab", approvers=[{"login": "rita", "name": "Dr. Rita Reviewer"}])
    refused = approve(mlops, "lab", 1, "zed")
    assert refused.exit_code == 13 and "'zed' is not an approver of lab" in refused.stderr
    assert approve(mlops, "lab", 1, "rita").exit_code == 0
