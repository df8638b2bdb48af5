"""Scratch git repositories standing in for a workflow's checkout: a bare `origin` with main, a pull
request branch, and clones laid out as the workflows check them out (`pr/` and `base/`)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.conftest import REPO

IDENTITY = ["-c", "user.name=ci", "-c", "user.email=ci@example.org", "-c", "commit.gpgsign=false"]


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *IDENTITY, "-C", str(repo), *args], capture_output=True, text=True)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


def seeded_origin(tmp_path: Path, *, configs: Path = REPO / "configs") -> Path:
    """A bare origin whose main holds the project's configs, the workflow scripts and a .venv link."""
    work = tmp_path / "seed"
    shutil.copytree(configs, work / "configs")
    shutil.copytree(REPO / ".github", work / ".github")
    (work / ".gitignore").write_text(".venv\n.runner-temp/\n")
    git(work.parent, "init", "-q", "-b", "main", str(work))
    commit_all(work, "main")
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(origin))
    return origin


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def clone(origin: Path, target: Path, branch: str = "main") -> Path:
    """A checkout like actions/checkout's with fetch-depth 0, with the project's .venv linked in."""
    git(origin.parent, "clone", "-q", "-b", branch, str(origin), str(target))
    (target / ".venv").symlink_to(REPO / ".venv")
    return target


def pull_request(origin: Path, root: Path, branch: str, change) -> Path:
    """Push a branch made by `change(checkout)`, and lay out `root/pr` (the branch) and `root/base` (main)."""
    pr = clone(origin, root / "pr")
    git(pr, "checkout", "-q", "-b", branch)
    change(pr)
    commit_all(pr, f"change on {branch}")
    git(pr, "push", "-q", "origin", branch)
    clone(origin, root / "base")
    return pr
