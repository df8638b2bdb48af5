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
