"""What git knows about the code and the config: the commit a run used, and past versions of a file."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ml.errors import ConfigError

# The branch pull requests target; `mlops policy check` reads prior approvals from what is merged there.
DEFAULT_BASE = "origin/main"


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


def base_commit(repo: Path, ref: str | None = None) -> str:
    """The commit whose history counts as merged: `ref`, else merge-base(HEAD, origin/main), else HEAD.

    Raises:
        ConfigError: `ref` is not a commit of `repo`, or origin/main shares no history with HEAD.
    """
    ref = ref or _default_base(repo)
    commit = _commit(repo, ref)
    if commit is None:
        raise ConfigError(
            f"--base {ref!r}: not a commit in {repo}; fetch it (git fetch origin) or name another ref"
        )
    return commit


def _default_base(repo: Path) -> str:
    if _commit(repo, DEFAULT_BASE) is None:
        return "HEAD"
    merge_base = _git(repo, "merge-base", "HEAD", DEFAULT_BASE)
    if merge_base is None:
        # Falling back to HEAD here would count the pull request's own commits as already merged.
        raise ConfigError(
            f"{repo}: HEAD and {DEFAULT_BASE} share no history (a shallow clone?); fetch the full "
            "history (actions/checkout fetch-depth: 0) or pass --base"
        )
    return merge_base.strip()


def _commit(repo: Path, ref: str) -> str | None:
    # A ref starting with "-" would be read as an option.
    found = (
        None if ref.startswith("-") else _git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    )
    return found.strip() if found else None


def is_ancestor(repo: Path, older: str, newer: str) -> bool:
    """Whether commit `older` is in the history of `newer` (a commit is its own ancestor)."""
    return _git(repo, "merge-base", "--is-ancestor", older, newer) is not None


def checkout_problems(repo: Path, branch: str) -> list[str]:
    """Why the checkout is not a commit merged into `branch` (origin/<branch> when fetched), or nothing."""
    head = _commit(repo, "HEAD")
    if head is None:
        return [f"{repo} is not a git checkout with a commit"]
    problems = []
    changed = (_git(repo, "status", "--porcelain") or "").splitlines()
    if changed:
        problems.append(
            f"the work tree has {len(changed)} uncommitted change(s) (e.g. {changed[0][3:]}): the files "
            "are not the reviewed commit"
        )
    ref = next((r for r in (f"origin/{branch}", branch) if _commit(repo, r)), None)
    if ref is None:
        problems.append(f"branch {branch!r} (approvals.branch) is not in {repo}; fetch it")
    elif not is_ancestor(repo, head, ref):
        problems.append(f"HEAD {head[:12]} is not on {ref} (approvals.branch): it was not merged")
    return problems


def file_at(repo: Path, path: Path, ref: str) -> str | None:
    """The file's text at commit `ref`, or None where the commit has no such file."""
    relative = path.resolve().relative_to(repo.resolve()).as_posix()
    return _git(repo, "show", f"{ref}:{relative}")


def changed_paths(repo: Path, ref: str, paths: tuple[str, ...]) -> list[str]:
    """Files under `paths` that differ between commit `ref` and the work tree (committed or not)."""
    return (_git(repo, "diff", "--name-only", ref, "--", *paths) or "").split()
