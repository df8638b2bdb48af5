"""CODEOWNERS gives model approvals to the model approvers and what runs where to the platform owners."""

from __future__ import annotations

import fnmatch

import pytest

from tests.conftest import REPO

APPROVERS = "@example-org/model-approvers"
PLATFORM = "@example-org/platform-owners"


def owners(path: str) -> list[str]:
    """GitHub's rule: the last matching line wins (patterns as gitignore, anchored when they start with /)."""
    found: list[str] = []
    for line in (REPO / ".github" / "CODEOWNERS").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        pattern, *teams = line.split()
        anchored = pattern.lstrip("/")
        if (
            pattern == "*"
            or fnmatch.fnmatch(path, anchored)
            or (anchored.endswith("/") and path.startswith(anchored))
        ):
            found = teams
    return found


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("configs/prod/approved-model.yaml", [APPROVERS]),
        ("configs/dev/approved-model.yaml", [APPROVERS]),
        ("configs/prod/environment.yaml", [PLATFORM]),
        ("infra/terraform/stacks/github/main.tf", [PLATFORM]),
        (".github/workflows/deploy.yml", [PLATFORM]),
        ("ml/train/train.py", [PLATFORM]),
    ],
)
def test_owner_of(path, expected):
    assert owners(path) == expected
