"""Identities and comments as the workflows' github-script steps compute them
(.github/scripts/pull-request.js, on the machine's Node.js): approvers come from the API's reviews, never
from the pull request's text."""

from __future__ import annotations

import json
import subprocess

from tests.conftest import REPO

SCRIPT = REPO / ".github" / "scripts" / "pull-request.js"


def call(function: str, *args) -> object:
    program = (
        f"const m = require({json.dumps(str(SCRIPT))});"
        "const args = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        f"process.stdout.write(JSON.stringify(m.{function}(...args)));"
    )
    done = subprocess.run(
        ["node", "-e", program], input=json.dumps(args), capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def review(login: str, state: str, commit: str = "head") -> dict:
    return {"user": {"login": login}, "state": state, "commit_id": commit}


def test_approvers_are_the_latest_decisive_reviews_of_the_head_commit():
    reviews = [
        review("alice", "APPROVED"),
        review("bob", "APPROVED"),
        review("bob", "CHANGES_REQUESTED"),  # bob changed his mind
        review("carol", "APPROVED", commit="older"),  # approved what is no longer there
        review("dave", "APPROVED"),
        review("dave", "COMMENTED"),  # a comment does not withdraw an approval
        review("erin", "APPROVED"),
        review("erin", "DISMISSED"),
        review("author", "APPROVED"),  # never one's own judge
    ]
    assert call("approvingReviewers", reviews, {"author": "author", "headSha": "head"}) == ["alice", "dave"]


def test_no_reviews_no_approvers():
    assert call("approvingReviewers", [], {"author": "a", "headSha": "h"}) == []


def test_comment_carries_its_marker_and_is_capped():
    assert call("commentBody", "m", "x" * 10) == "<!-- m -->\nxxxxxxxxxx"
    long = call("commentBody", "mlops:terraform-plan", "y" * 200_000)
    assert len(long) <= 60_000
    assert long.startswith("<!-- mlops:terraform-plan -->\n")
    assert long.endswith("the full text is in the run's artifacts.")


def test_plan_comment_marks_failures_and_keeps_each_plans_end():
    plans = [
        {"env": "dev", "exitCode": "0", "text": "x" * 30_000 + "Plan: 1 to add"},
        {"env": "prod", "exitCode": "1", "text": "Error: no credentials"},
    ]
    body = call("planComment", "abcdef0123", plans)
    assert body.startswith("## terraform plan (abcdef0)")
    assert "<summary>dev: plan</summary>" in body
    assert "<summary>prod: plan FAILED (exit 1)</summary>" in body
    assert body.count("x") < 20_100
    assert "Plan: 1 to add" in body


def test_drift_issue_only_for_exit_12():
    results = [
        {"env": "dev", "exitCode": "0", "output": "registry already agrees with git: no changes"},
        {"env": "prod", "exitCode": "12", "output": "DRIFT version 3"},
    ]
    issue = call("driftIssue", "https://run", results)
    assert issue["environments"] == ["prod"]
    assert issue["body"].startswith("<!-- mlops:registry-drift -->")
    assert "DRIFT version 3" in issue["body"]
    assert "no changes" not in issue["body"]
    assert call("driftIssue", "https://run", results[:1]) is None


def rerun_policy(runs: list[dict], jobs: list[dict]) -> dict:
    """rerunPolicy against a fake GitHub API: what it returned and which jobs it asked to re-run."""
    program = (
        f"const m = require({json.dumps(str(SCRIPT))});"
        "const { runs, jobs } = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "const rerun = [];"
        "const github = { paginate: async (method, args) => method(args), rest: { actions: {"
        "  listWorkflowRuns: async (a) => ({ data: { workflow_runs: runs.filter((r) => r.head_sha ==="
        "    a.head_sha && a.workflow_id === 'pr-checks.yml' && a.event === 'pull_request') } }),"
        "  listJobsForWorkflowRun: (a) => jobs.filter((j) => j.run_id === a.run_id),"
        "  reRunJobForWorkflowRun: async (a) => { rerun.push(a.job_id); } } } };"
        "m.rerunPolicy({ github, owner: 'o', repo: 'r', headSha: 'head' })"
        "  .then((job) => process.stdout.write(JSON.stringify({ job, rerun })))"
        "  .catch((e) => process.stdout.write(JSON.stringify({ error: e.message, rerun })));"
    )
    done = subprocess.run(
        ["node", "-e", program],
        input=json.dumps({"runs": runs, "jobs": jobs}),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def test_a_review_reruns_the_policy_of_the_pull_requests_own_checks_run():
    """Re-run in pr-checks (event pull_request: the OIDC subject the plan role trusts), identities first."""
    runs = [{"id": 7, "head_sha": "head"}, {"id": 5, "head_sha": "older"}]
    jobs = [
        {"id": 70, "run_id": 7, "name": "test", "conclusion": "success"},
        {"id": 71, "run_id": 7, "name": "policy / identities", "conclusion": "success"},
        {"id": 72, "run_id": 7, "name": "policy / check (dev)", "conclusion": "failure"},
        {"id": 51, "run_id": 5, "name": "policy / identities", "conclusion": "success"},
    ]
    assert rerun_policy(runs, jobs) == {"job": 71, "rerun": [71]}


def test_no_policy_to_rerun_and_no_run_at_all():
    skipped = [{"id": 71, "run_id": 7, "name": "policy / identities", "conclusion": "skipped"}]
    assert rerun_policy([{"id": 7, "head_sha": "head"}], skipped) == {"job": None, "rerun": []}
    assert rerun_policy([], []) == {
        "error": "no pr-checks run for head: push again to start one",
        "rerun": [],
    }
