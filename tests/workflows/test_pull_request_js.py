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
