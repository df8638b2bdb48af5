"""checkov 3 over infra/terraform: zero failed checks, every skip inline with a written reason, and a
module broken on purpose is caught. checkov runs from its own venv (`make checkov-setup`, part of
`make test`), through infra/checkov/run.py, which refuses any connection beyond loopback."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from tests.infra.terraform import MODULES, REPO, TERRAFORM

CHECKOV_PYTHON = REPO / ".venv-checkov" / "bin" / "python"
RUNNER = REPO / "infra" / "checkov" / "run.py"
# Each skip is reported once per stack that calls the module; this counts the comments in the source.
INLINE_SKIPS = 11
_SKIP = re.compile(r"checkov:skip=([A-Z0-9_]+)(?::(.*))?")


def run_checkov(*target: str, framework: str = "terraform") -> dict:
    if not CHECKOV_PYTHON.exists():
        pytest.fail("no .venv-checkov: run `make checkov-setup` (`make test` does it first)")
    result = subprocess.run(
        [str(CHECKOV_PYTHON), str(RUNNER), "--framework", framework, "-o", "json", *target],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
    )
    assert "must run offline" not in result.stderr, result.stderr[-2000:]
    assert result.stdout.strip(), result.stderr[-2000:]
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def report() -> dict:
    return run_checkov("-d", str(TERRAFORM))


def test_checkov_finds_no_failed_check(report):
    summary = report["summary"]
    failed = [(c["check_id"], c["resource"], c["file_path"]) for c in report["results"]["failed_checks"]]
    assert (summary["failed"], summary["parsing_errors"], failed) == (0, 0, [])
    assert summary["passed"] > 200
    assert summary["checkov_version"].startswith("3.")


def test_every_skip_checkov_applied_has_a_written_reason(report):
    skipped = report["results"]["skipped_checks"]
    assert skipped
    assert [c["check_id"] for c in skipped if len(c["check_result"].get("suppress_comment", "")) < 20] == []


def test_every_inline_skip_in_the_source_gives_a_reason():
    skips = [
        (path.relative_to(TERRAFORM), match.group(1), (match.group(2) or "").strip())
        for path in sorted(TERRAFORM.rglob("*.tf"))
        for match in _SKIP.finditer(path.read_text(encoding="utf-8"))
    ]
    assert [skip for skip in skips if len(skip[2]) < 20] == []
    assert len(skips) == INLINE_SKIPS, "a skip was added or removed: update INLINE_SKIPS and the README"


def test_checkov_catches_a_wildcard_action_put_into_a_module(tmp_path):
    modules = tmp_path / "modules"
    for name in ("resolve-lambda", "dead-letter-queue"):
        shutil.copytree(MODULES / name, modules / name)
    main = modules / "resolve-lambda" / "main.tf"
    text = main.read_text()
    main.write_text(text.replace('actions   = ["sqs:SendMessage"]', 'actions   = ["*"]', 1))

    failed = {c["check_id"] for c in run_checkov("-d", str(modules))["results"]["failed_checks"]}

    assert "CKV_AWS_49" in failed, failed


@pytest.mark.skipif(not (REPO / "Dockerfile").exists(), reason="no Dockerfile in this checkout yet")
def test_checkov_finds_no_failed_check_in_the_dockerfile():
    summary = run_checkov("-f", str(REPO / "Dockerfile"), framework="dockerfile")["summary"]
    assert (summary["failed"], summary["parsing_errors"]) == (0, 0)
