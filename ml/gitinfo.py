"""What git knows about the code and the config: the commit a run used, and past versions of a file."""

from __future__ import annotations

import subprocess
from pathlib import Path


def _git(repo: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def code_version(repo: Path) -> dict[str, str | bool]:
    """The commit the code runs from, and whether the work tree had uncommitted changes."""
    commit = (_git(repo, "rev-parse", "HEAD") or "").strip()
    dirty = bool(commit) and bool((_git(repo, "status", "--porcelain") or "").strip())
    return {"git_commit": commit or "unknown", "git_dirty": dirty}


def file_history(repo: Path, path: Path) -> list[str]:
    """The file's text in the work tree, then at every commit that changed it (newest first)."""
    texts = [path.read_text(encoding="utf-8")] if path.is_file() else []
    relative = path.resolve().relative_to(repo.resolve()).as_posix()
    commits = (_git(repo, "log", "--format=%H", "--", relative) or "").split()
    for commit in commits:
        text = _git(repo, "show", f"{commit}:{relative}")
        if text is not None:
            texts.append(text)
    return texts
