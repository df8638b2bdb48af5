"""Make the registry agree with the approval file: plan first (like `terraform plan`), then apply.

Every action is one registry call (one transaction), so a sync killed at any point leaves a state from which
the next run's plan converges. Running it again with nothing to do changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ml.registry import ApprovalStatus, ModelRegistry, ModelVersion, check_transition
from ml.registry.approvals import Approval, ApprovalFile, require_digest


@dataclass(frozen=True)
class SyncAction:
    """One status change the sync will make, with the reason and approver it records."""

    model_group: str
    version: int
    current: ApprovalStatus
    target: ApprovalStatus
    reason: str
    changed_by: str
    kind: str  # approve | supersede | reject | revert

    def describe(self) -> str:
        return (
            f"{self.kind:<9} {self.model_group} v{self.version}: {self.current} -> {self.target} "
            f"(by {self.changed_by})"
        )


@dataclass(frozen=True)
class SyncPlan:
    """What the sync will change, and what differs from git but is only reverted with --enforce."""

    actions: tuple[SyncAction, ...]
    drift: tuple[str, ...]

    def describe(self) -> str:
        if not self.actions and not self.drift:
            return "registry already agrees with git: no changes"
        lines = [f"plan: {len(self.actions)} change(s)"] + [f"  {a.describe()}" for a in self.actions]
        lines += [f"  DRIFT {d}" for d in self.drift]
        return "\n".join(lines)


def plan_sync(
    approvals: ApprovalFile,
    registry: ModelRegistry,
    groups: Iterable[str],
    *,
    source: str,
    commit: str,
    enforce: bool = False,
) -> SyncPlan:
    """Compare the file with the registry for each group and list the changes that make them agree.

    Raises:
        ModelNotFoundError: the file names a version that is not registered, or pins another artifact.
        InvalidTransitionError: the file approves a version the registry has rejected.
    """
    actions: list[SyncAction] = []
    drift: list[str] = []
    stamp = f"[{source} @ git {commit[:12]}]"
    for group in sorted({*groups, *(a.model_group for a in approvals.approvals)}):
        versions = registry.list_versions(group)
        declared = approvals.approval_for(group)
        changes, unexpected = (
            _approve_actions(registry, declared, versions, stamp, source)
            if declared is not None
            else ([], [v for v in versions if v.status == ApprovalStatus.APPROVED])
        )
        actions += changes
        for version in unexpected:
            if enforce:
                revert = f"reverted: approved outside git, {source} does not approve it {stamp}"
                actions.append(_action(version, ApprovalStatus.PENDING, revert, "registry-sync", "revert"))
            else:
                drift.append(
                    f"{group} v{version.version} is Approved in the registry but {source} does not "
                    "approve it (use --enforce to revert)"
                )
    actions += _reject_actions(registry, approvals, stamp, source)
    return SyncPlan(tuple(actions), tuple(drift))


def _approve_actions(
    registry: ModelRegistry, declared: Approval, versions: list[ModelVersion], stamp: str, source: str
) -> tuple[list[SyncAction], list[ModelVersion]]:
    """Changes that make the declared version the only approved one, and approvals made outside git."""
    target = registry.get(declared.model_group, declared.version)
    require_digest(target, declared.artifact_digest, source)
    actions, unexpected = [], []
    if target.status != ApprovalStatus.APPROVED:
        check_transition(target.model_group, target.version, target.status, ApprovalStatus.APPROVED)
        reason = f"{declared.reason} {stamp}"
        actions.append(_action(target, ApprovalStatus.APPROVED, reason, declared.approved_by, "approve"))
    # "~" sorts after every timestamp: while the declared version is not yet approved, all others are stale.
    declared_at = _last_approved_at(target) if target.status == ApprovalStatus.APPROVED else "~"
    for other in versions:
        if other.version == target.version or other.status != ApprovalStatus.APPROVED:
            continue
        if _last_approved_at(other) <= declared_at:  # left over from an earlier (maybe interrupted) sync
            reason = f"superseded by version {target.version} {stamp}"
            actions.append(_action(other, ApprovalStatus.PENDING, reason, declared.approved_by, "supersede"))
        else:
            unexpected.append(other)
    return actions, unexpected


def _reject_actions(registry, approvals: ApprovalFile, stamp: str, source: str) -> list[SyncAction]:
    actions = []
    for rejection in approvals.rejections:
        version = registry.get(rejection.model_group, rejection.version)
        require_digest(version, rejection.artifact_digest, source)
        if version.status != ApprovalStatus.REJECTED:
            check_transition(version.model_group, version.version, version.status, ApprovalStatus.REJECTED)
            actions.append(
                _action(
                    version,
                    ApprovalStatus.REJECTED,
                    f"{rejection.reason} {stamp}",
                    rejection.rejected_by,
                    "reject",
                )
            )
    return actions


def _action(version: ModelVersion, target: ApprovalStatus, reason: str, by: str, kind: str) -> SyncAction:
    return SyncAction(version.model_group, version.version, version.status, target, reason, by, kind)


def _last_approved_at(version: ModelVersion) -> str:
    return max((h.changed_at for h in version.history if h.status == ApprovalStatus.APPROVED), default="")


def apply_sync(
    plan: SyncPlan, registry: ModelRegistry, progress: Callable[[str], None]
) -> list[ModelVersion]:
    """Apply the plan's actions in order, one registry transaction each."""
    changed = []
    for number, action in enumerate(plan.actions, start=1):
        changed.append(
            registry.set_status(
                action.model_group,
                action.version,
                action.target,
                reason=action.reason,
                changed_by=action.changed_by,
            )
        )
        progress(f"applied {number}/{len(plan.actions)}: {action.describe()}")
    return changed
