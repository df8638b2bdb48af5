"""Model-governance rules, evaluated on every pull request: one line per violation, nothing changed.

Each rule is a function in APPROVAL_RULES: it gets the approval, the registry's version (as the environment
sees it), the registry and the context, and returns its problems. A new rule is one more function there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ml.errors import MlopsError
from ml.registry import ApprovalStatus, ModelRegistry, ModelVersion
from ml.registry.approvals import Approval, ApprovalFile

if TYPE_CHECKING:
    from ml.registry.comparison import ScoresReader


@dataclass(frozen=True)
class ChangeIdentity:
    """Who the platform (GitHub) says opened the change and approved it in review: never the file's text."""

    author: str
    approving_reviewers: tuple[str, ...]

    def approved(self, login: str) -> bool:
        return _same(login) in {_same(r) for r in self.approving_reviewers}


@dataclass(frozen=True)
class PolicyContext:
    """What the rules compare an environment's approvals with; the rules come from the base branch."""

    env: str
    source: str
    min_auc: float
    min_auc_ci_low: float | None
    separation_of_duties: bool
    # environments whose registry state must show the version deployed (synced from git) first
    require_prior_approval_in: tuple[str, ...] = ()
    # logins that may approve (governance.approvers); None: not checked (direct mode, anyone)
    approvers: tuple[str, ...] | None = None
    identity: ChangeIdentity | None = None
    # governance.non_inferiority_margin, and the reader of each version's scores on the locked evaluation set
    non_inferiority_margin: float | None = None
    read_scores: ScoresReader | None = None


ApprovalRule = Callable[[Approval, ModelVersion, ModelRegistry, PolicyContext], list[str]]


def check_policy(approvals: ApprovalFile, registry: ModelRegistry, context: PolicyContext) -> list[str]:
    """Every governance violation of the environment's approval file, as one line each."""
    problems = []
    for index, approval in enumerate(approvals.approvals):
        where = f"{context.source}: approvals.{index} ({approval.model_group} v{approval.version})"
        version = _registered(registry, approval, where, problems)
        if version is not None:
            problems += [
                f"{where}: {p}" for rule in APPROVAL_RULES for p in rule(approval, version, registry, context)
            ]
    for index, rejection in enumerate(approvals.rejections):
        where = f"{context.source}: rejections.{index} ({rejection.model_group} v{rejection.version})"
        version = _registered(registry, rejection, where, problems)
        if version is not None and version.artifact_digest != rejection.artifact_digest:
            problems.append(f"{where}: artifact_digest differs from the registry's {version.artifact_digest}")
    return problems


def _registered(registry: ModelRegistry, entry, where: str, problems: list[str]) -> ModelVersion | None:
    """The registry's version an approval or rejection names; a missing one is recorded as a problem."""
    try:
        return registry.get(entry.model_group, entry.version)
    except MlopsError as exc:
        problems.append(f"{where}: not registered: {exc}")
        return None


def _digest_rule(approval: Approval, version: ModelVersion, registry, context) -> list[str]:
    if version.artifact_digest != approval.artifact_digest:
        return [f"artifact_digest differs from the registry's {version.artifact_digest}"]
    return []


def _rejected_rule(approval: Approval, version: ModelVersion, registry, context: PolicyContext) -> list[str]:
    if version.status == ApprovalStatus.REJECTED:
        return [f"the version is Rejected in {context.env}'s registry state and can never be approved there"]
    return []


def _evidence_rule(approval: Approval, version: ModelVersion, registry, context: PolicyContext) -> list[str]:
    problems = []
    gate = version.lineage.get("gate", {})
    if gate.get("passed") is not True:
        problems.append(f"its quality gate did not pass (lineage.gate = {gate or 'missing'})")
    auc = version.metrics.get("auc")
    if auc is None or auc < context.min_auc:
        problems.append(f"auc {auc} is below {context.env}'s quality_gate.min_auc {context.min_auc}")
    # The locked evaluation set is larger than a version's internal test split and the same for every
    # version, so its interval is the one a floor should judge; versions from before it have only the other.
    name = "evaluation_auc_ci_low" if "evaluation_auc_ci_low" in version.metrics else "auc_ci_low"
    low = version.metrics.get(name)
    if context.min_auc_ci_low is not None and (low is None or low < context.min_auc_ci_low):
        problems.append(f"{name} {low} is below governance.min_auc_ci_low {context.min_auc_ci_low}")
    return problems


def _prior_approval_rule(
    approval: Approval, version: ModelVersion, registry, context: PolicyContext
) -> list[str]:
    return [
        f"not deployed in {env} first: {env}'s registry state shows no approval of v{version.version} synced "
        "from a merged pull request that still stands (not rejected, reverted or rolled back since); "
        f"approve it in {env} and let the sync run before approving it here"
        for env in context.require_prior_approval_in
        if not deployed_in(version, env)
    ]


def deployed_in(version: ModelVersion, env: str) -> bool:
    """Whether a sync approved the version in `env` and it still stands, or `env` moved on to a newer one."""
    decisions = [c for c in version.history if c.environment == env]
    if not any(c.status == ApprovalStatus.APPROVED and c.decision.via == "sync" for c in decisions):
        return False
    last = decisions[-1]
    if last.status == ApprovalStatus.APPROVED:
        return last.decision.via == "sync"
    moved_on = last.decision.action == "supersede" and (last.decision.replaced_by or 0) > version.version
    return last.status == ApprovalStatus.PENDING and last.decision.via == "sync" and moved_on


def _downgrade_rule(approval: Approval, version: ModelVersion, registry: ModelRegistry, context) -> list[str]:
    newest = newest_ever_approved(registry.list_versions(approval.model_group))
    if newest is not None and newest > approval.version and not approval.allow_downgrade:
        return [
            f"downgrade from v{newest} to v{approval.version}: set allow_downgrade: true and give the reason "
            "for the rollback in downgrade_reason (mlops approve: --allow-downgrade --downgrade-reason)"
        ]
    return []


def _separation_rule(
    approval: Approval, version: ModelVersion, registry, context: PolicyContext
) -> list[str]:
    if context.separation_of_duties and _same(approval.approved_by) == _same(version.created_by):
        return [
            f"approved_by {approval.approved_by!r} trained this version; separation of duties "
            "requires another approver"
        ]
    return []


def _approver_rule(approval: Approval, version: ModelVersion, registry, context: PolicyContext) -> list[str]:
    if context.approvers is None:
        return []
    if not context.approvers:
        return [f"governance.approvers of {context.env} is empty on the base branch: declare who may approve"]
    if _same(approval.approved_by) not in context.approvers:
        return [
            f"approved_by {approval.approved_by!r} is not an approver of {context.env} "
            f"(governance.approvers: {', '.join(context.approvers)})"
        ]
    return []


def _identity_rule(approval: Approval, version: ModelVersion, registry, context: PolicyContext) -> list[str]:
    identity = context.identity
    if identity is None:
        return []
    problems = []
    if not identity.approved(approval.approved_by):
        reviewers = ", ".join(identity.approving_reviewers) or "none"
        problems.append(
            f"approved_by {approval.approved_by!r} has not approved this pull request "
            f"(approving reviewers: {reviewers}); the approver must approve the change in review"
        )
    if _same(approval.approved_by) == _same(identity.author):
        problems.append(
            f"approved_by {approval.approved_by!r} is the pull request's author; another person must approve"
        )
    return problems


def non_inferiority_rule(
    approval: Approval, version: ModelVersion, registry: ModelRegistry, context: PolicyContext
) -> list[str]:
    """The challenger's AUC may be worse than the serving version's by at most the margin: the lower bound
    of the paired 95% CI of the difference on the locked evaluation set must be >= -margin."""
    margin = context.non_inferiority_margin
    champion = registry.approved_version(approval.model_group)
    if margin is None or champion is None or champion.version == version.version or approval.allow_downgrade:
        return []
    from ml.registry.comparison import compare_versions, why_not_comparable
    from ml.train.compare import NotComparableError

    escape = (
        "set allow_downgrade: true and give the reason in downgrade_reason "
        "(mlops approve: --allow-downgrade --downgrade-reason)"
    )
    try:
        if context.read_scores is None:
            raise NotComparableError("no reader of the versions' evaluation scores was given")
        comparison = compare_versions(champion, version, context.read_scores)
    except Exception as exc:  # not comparable, or the scores unreadable: say why, as a problem to fix
        why = why_not_comparable(exc)
        if why is None:
            raise
        return [f"non-inferiority to serving v{champion.version} cannot be shown ({why}); {escape}"]
    auc = comparison.auc
    if comparison.non_inferior(margin):
        return []
    return [
        f"AUC difference to serving v{champion.version} on the locked evaluation set is "
        f"{auc.difference:+.3f} [95% CI {auc.low:+.3f}, {auc.high:+.3f}]: the lower bound is below "
        f"-{margin:g} (governance.non_inferiority_margin); {escape}"
    ]


APPROVAL_RULES: tuple[ApprovalRule, ...] = (
    _digest_rule,
    _rejected_rule,
    _evidence_rule,
    _prior_approval_rule,
    _downgrade_rule,
    _separation_rule,
    _approver_rule,
    _identity_rule,
    non_inferiority_rule,
)


def decision_problems(
    approval: Approval,
    version: ModelVersion,
    registry: ModelRegistry,
    separation_of_duties: bool,
    approvers: tuple[str, ...] | None = None,
    non_inferiority_margin: float | None = None,
    read_scores: ScoresReader | None = None,
) -> list[str]:
    """The rules an approval obeys wherever it is made (approval file or `approvals.mode: direct`)."""
    context = PolicyContext(
        version.environment,
        "",
        0.0,
        None,
        separation_of_duties,
        approvers=approvers,
        non_inferiority_margin=non_inferiority_margin,
        read_scores=read_scores,
    )
    rules = (_downgrade_rule, _separation_rule, _approver_rule, non_inferiority_rule)
    return [p for rule in rules for p in rule(approval, version, registry, context)]


def newest_ever_approved(versions: Sequence[ModelVersion]) -> int | None:
    """The highest version ever Approved in the versions' environment: the floor for downgrades."""
    approved = [
        v.version
        for v in versions
        if any(
            h.status == ApprovalStatus.APPROVED and h.environment in ("", v.environment) for h in v.history
        )
    ]
    return max(approved, default=None)


def _same(login: str) -> str:
    """GitHub logins (and the names people type) compare without case or surrounding space."""
    return login.strip().lower()
