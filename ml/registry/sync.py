"""Make the registry agree with the approval file: plan first (like `terraform plan`), then apply.

Every action is one registry call (one transaction), so a sync killed at any point leaves a state from which
the next run's plan converges. Running it again with nothing to do changes nothing. The registry is the
environment's view (`ModelRegistry.environment`): other environments' approvals are never touched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from ml.registry import (
    ApprovalStatus,
    Decision,
    ModelRegistry,
    ModelVersion,
    check_transition,
    combined_status,
)
from ml.registry.approvals import Approval, ApprovalFile, require_digest


@dataclass(frozen=True)
class SyncAction:
    """One status change the sync will make, with the reason, approver and record it leaves."""

    model_group: str
    version: int
    current: ApprovalStatus
    target: ApprovalStatus
    reason: str
    changed_by: str
    kind: str  # approve | rollback | supersede | reject; with --enforce: revert | reapprove | restore
    decision: Decision = field(default_factory=Decision)

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
    record: Decision | None = None,
) -> SyncPlan:
    """Compare the file with the registry for each group and list the changes that make them agree.

    Args:
        record: the pull request behind the commit (number, author, approving reviewers), recorded with
            every change; `via`, `action` and `merge_commit` are filled in here.

    Raises:
        ModelNotFoundError: the file names a version that is not registered, or pins another artifact.
        InvalidTransitionError: the file approves a version the registry has rejected.
    """
    planner = _Planner(registry, source, commit, enforce, replace(record or Decision(), via="sync"))
    for group in sorted({*groups, *(a.model_group for a in approvals.approvals)}):
        planner.plan_group(group, approvals.approval_for(group))
    for rejection in approvals.rejections:
        planner.plan_rejection(rejection)
    return SyncPlan(tuple(planner.actions), tuple(planner.drift))


@dataclass
class _Planner:
    """Collects the actions and drift of one sync plan."""

    registry: ModelRegistry
    source: str
    commit: str
    enforce: bool
    record: Decision
    actions: list[SyncAction] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)

    @property
    def stamp(self) -> str:
        return f"[{self.source} @ git {self.commit[:12]}]"

    def plan_group(self, group: str, declared: Approval | None) -> None:
        versions = self.registry.list_versions(group)
        for version in versions:
            self._check_registry_status(version)
        unexpected = [v for v in versions if v.status == ApprovalStatus.APPROVED]
        if declared is not None:
            unexpected = self._approve(declared, versions)
        for version in unexpected:
            self._flag(version, "is Approved in the registry but {source} does not approve it", "revert")

    def plan_rejection(self, rejection) -> None:
        version = self.registry.get(rejection.model_group, rejection.version)
        require_digest(version, rejection.artifact_digest, self.source)
        if version.status != ApprovalStatus.REJECTED:
            check_transition(version.model_group, version.version, version.status, ApprovalStatus.REJECTED)
            reason = f"{rejection.reason} {self.stamp}"
            self._add(
                version,
                ApprovalStatus.REJECTED,
                reason,
                rejection.rejected_by,
                "reject",
                evidence=rejection.evidence,
            )

    def _approve(self, declared: Approval, versions: list[ModelVersion]) -> list[ModelVersion]:
        """Plan the declared version's approval and the supersessions; return approvals made outside git."""
        target = self.registry.get(declared.model_group, declared.version)
        require_digest(target, declared.artifact_digest, self.source)
        if target.status != ApprovalStatus.APPROVED:
            check_transition(target.model_group, target.version, target.status, ApprovalStatus.APPROVED)
            if _changed_outside_git(target):
                self._flag(target, "was returned to {status} outside git; {source} approves it", "reapprove")
            else:
                kind = "rollback" if declared.allow_downgrade else "approve"
                extra = {"evidence": declared.evidence, "downgrade_reason": declared.downgrade_reason}
                self._add(
                    target,
                    ApprovalStatus.APPROVED,
                    f"{declared.reason} {self.stamp}",
                    declared.approved_by,
                    kind,
                    **extra,
                )
        unexpected = []
        # "~" sorts after every timestamp: until the declared version is approved, all others are stale.
        declared_at = _last_approved_at(target) if target.status == ApprovalStatus.APPROVED else "~"
        for other in versions:
            if other.version == target.version or other.status != ApprovalStatus.APPROVED:
                continue
            if _changed_outside_git(other) or _last_approved_at(other) > declared_at:
                unexpected.append(other)
            else:  # left over from an earlier (maybe interrupted) sync
                reason = f"superseded by version {target.version} {self.stamp}"
                self._add(
                    other,
                    ApprovalStatus.PENDING,
                    reason,
                    declared.approved_by,
                    "supersede",
                    replaced_by=target.version,
                )
        return unexpected

    def _check_registry_status(self, version: ModelVersion) -> None:
        """The registry's own status must be what the recorded decisions make it (nobody used the console)."""
        expected = combined_status(version.history)
        if version.registry_status not in (None, expected):
            what = (
                f"is {version.registry_status} in the registry itself, but the recorded decisions make it "
                f"{expected}; changed outside git"
            )
            self._flag(version, what, "restore", target=version.status)

    def _flag(
        self, version: ModelVersion, what: str, kind: str, target: ApprovalStatus | None = None
    ) -> None:
        """Drift: reported, or with --enforce turned back to what git says."""
        target = target or (ApprovalStatus.APPROVED if kind == "reapprove" else ApprovalStatus.PENDING)
        text = what.format(source=self.source, status=version.status)
        if self.enforce:
            self._add(version, target, f"{kind}: {text} {self.stamp}", "registry-sync", kind)
        else:
            self.drift.append(f"{version.model_group} v{version.version} {text} (use --enforce to {kind} it)")

    def _add(
        self, version: ModelVersion, target: ApprovalStatus, reason: str, by: str, kind: str, **extra
    ) -> None:
        decision = replace(self.record, action=kind, merge_commit=self.commit, **extra)
        self.actions.append(
            SyncAction(
                version.model_group, version.version, version.status, target, reason, by, kind, decision
            )
        )


def _changed_outside_git(version: ModelVersion) -> bool:
    """Whether the version's latest decision in the environment was made directly, not by a sync."""
    own = [c for c in version.history if c.environment and c.environment == version.environment]
    return bool(own) and own[-1].decision.via != "sync"


def _last_approved_at(version: ModelVersion) -> str:
    return max(
        (
            h.changed_at
            for h in version.history
            if h.status == ApprovalStatus.APPROVED and h.environment in ("", version.environment)
        ),
        default="",
    )


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
                decision=action.decision,
            )
        )
        progress(f"applied {number}/{len(plan.actions)}: {action.describe()}")
    return changed
