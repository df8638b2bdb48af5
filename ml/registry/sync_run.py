"""`mlops registry sync` as the workflow runs it after a merge: only a clean commit of the configured branch,
under the model group's lock, never older than the last sync, on a verified audit chain, and only approvals
their approvers reviewed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ml.config.schema import EnvironmentConfig
from ml.errors import ConfigError, MlopsError, PolicyViolationError, RegistryDriftError
from ml.registry import ModelRegistry
from ml.registry.approvals import approval_path, load_approval_file
from ml.registry.audit import format_head, require_verified, verify_chain
from ml.registry.gitops import PullRequest
from ml.registry.policy import ChangeIdentity
from ml.registry.sync import SyncPlan, apply_sync, plan_sync


def sync_environment(
    config: EnvironmentConfig,
    config_dir: Path,
    registry: ModelRegistry,
    *,
    dry_run: bool,
    enforce: bool,
    progress: Callable[[str], None],
    allow_dirty: bool = False,
    pull_request: PullRequest | None = None,
    strict: bool = False,
) -> SyncPlan:
    """Plan, and unless `dry_run` apply under the group's lock; fail on drift that was not enforced away.

    Args:
        allow_dirty: sync a checkout that is not a clean commit of `approvals.branch` (local use; refused
            when `strict`).
        strict: running in CI: the pull request's number and approving reviewers are required for changes.

    Raises:
        MlopsError: the checkout is not a clean commit on the branch, or it is unrelated to the last sync.
        AuditChainError: the registry's audit chain does not verify; nothing is changed.
        PolicyViolationError: an approver is not among the pull request's approving reviewers.
        RegistryDriftError: the registry holds changes no sync made (after applying the rest; with
            `dry_run`, after printing the plan and changing nothing).
    """
    from ml.config.loader import repository_root

    pull_request = pull_request or PullRequest()
    repo = repository_root(config_dir)
    commit = _synced_commit(repo, config.approvals.branch, allow_dirty, strict)
    path = approval_path(config_dir, config.name)
    approvals = load_approval_file(path)
    if dry_run:
        plan = _plan(approvals, registry, config, path, commit, enforce, pull_request)
        progress(plan.describe())
        _require_no_drift(plan, path)
        return plan
    with registry.sync_lock(config.model_group, commit) as lease:
        if not allow_dirty and _older_than_last_sync(repo, commit, lease.previous_commit, progress):
            return SyncPlan((), ())
        versions = registry.list_versions(config.model_group)
        require_verified(verify_chain(config.model_group, versions, registry.audit_head(config.model_group)))
        plan = _plan(approvals, registry, config, path, commit, enforce, pull_request)
        _require_reviewed(plan, pull_request, strict)
        progress(plan.describe())
        apply_sync(plan, registry, progress)
        if not allow_dirty:
            lease.finish()
    progress(f"audit chain head: {format_head(registry.audit_head(config.model_group))}")
    _require_no_drift(plan, path)
    return plan


def _require_no_drift(plan: SyncPlan, path: Path) -> None:
    """Drift fails the run, dry or not: the daily drift check relies on the exit code (12)."""
    from ml.config.loader import display_path

    if plan.drift:
        raise RegistryDriftError(
            f"{len(plan.drift)} change(s) in the registry were not made by a sync of {display_path(path)}; "
            "run with --enforce to turn them back, or make them through a pull request"
        )


def _plan(approvals, registry, config, path, commit, enforce, pull_request: PullRequest) -> SyncPlan:
    from ml.config.loader import display_path

    source = str(display_path(path))
    record = pull_request.record()
    return plan_sync(
        approvals,
        registry,
        [config.model_group],
        source=source,
        commit=commit,
        enforce=enforce,
        record=record,
    )


def _synced_commit(repo: Path, branch: str, allow_dirty: bool, strict: bool) -> str:
    """HEAD, once it is known to be a clean commit of the branch (or --allow-dirty outside CI)."""
    from ml.gitinfo import checkout_problems, code_version

    if allow_dirty and strict:
        raise ConfigError(
            "--allow-dirty is for local use; in CI (GITHUB_ACTIONS=true) sync the merged commit"
        )
    problems = [] if allow_dirty else checkout_problems(repo, branch)
    if problems:
        raise MlopsError(
            "registry sync applies only a merged commit: "
            + "; ".join(problems)
            + ". Check out the branch, or pass --allow-dirty on your own machine"
        )
    return str(code_version(repo)["git_commit"])


def _older_than_last_sync(
    repo: Path, commit: str, previous: str | None, progress: Callable[[str], None]
) -> bool:
    """True when the environment was already synced from a commit that contains this one (nothing to do).

    Raises:
        MlopsError: the last synced commit is not in this commit's history (rewritten history?).
    """
    from ml.gitinfo import is_ancestor

    if previous is None or previous == commit or is_ancestor(repo, previous, commit):
        return False
    if is_ancestor(repo, commit, previous):
        progress(f"registry already synced from {previous[:12]}, which contains {commit[:12]}: no changes")
        return True
    raise MlopsError(
        f"the registry was last synced from commit {previous[:12]}, which is not in the history of "
        f"{commit[:12]} (rewritten history, or a shallow clone: fetch with fetch-depth: 0); sync from the "
        f"branch that holds {previous[:12]}"
    )


def _require_reviewed(plan: SyncPlan, pull_request: PullRequest, strict: bool) -> None:
    """Every approval the sync applies must have been approved in review by its approver (reviewers known)."""
    decided = [a for a in plan.actions if a.kind in ("approve", "rollback", "reject")]
    if not decided:
        return
    if strict and (pull_request.number is None or pull_request.approving_reviewers is None):
        raise ConfigError(
            "in CI (GITHUB_ACTIONS=true) a sync that approves or rejects needs the merged pull request: "
            "--pr-number (MLOPS_PR_NUMBER) and MLOPS_PR_APPROVING_REVIEWERS"
        )
    identity = pull_request.identity() or (
        ChangeIdentity("", pull_request.approving_reviewers)
        if pull_request.approving_reviewers is not None
        else None
    )
    unreviewed = [a for a in decided if identity is not None and not identity.approved(a.changed_by)]
    if unreviewed:
        raise PolicyViolationError(
            "; ".join(
                f"v{a.version}: {a.changed_by!r} did not approve pull request #{pull_request.number}"
                for a in unreviewed
            )
            + "; nothing was changed"
        )
