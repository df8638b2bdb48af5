"""Model-governance rules, evaluated on every pull request: one line per violation, nothing changed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ml.errors import MlopsError
from ml.registry import ApprovalStatus, ModelRegistry, ModelVersion
from ml.registry.approvals import Approval, ApprovalFile

if TYPE_CHECKING:
    from ml.registry.comparison import ScoresReader


@dataclass(frozen=True)
class PolicyContext:
    """What the rules compare an environment's approvals with."""

    env: str
    source: str
    min_auc: float
    min_auc_ci_low: float | None
    separation_of_duties: bool
    # env -> its approval file at every commit already merged into the pull request's base branch (never the
    # work tree or the pull request's own commits): was the version approved there first?
    prior_approvals: Mapping[str, Sequence[ApprovalFile]]
    # governance.non_inferiority_margin, and the reader of each version's scores on the locked evaluation set
    non_inferiority_margin: float | None = None
    read_scores: ScoresReader | None = None


def check_policy(approvals: ApprovalFile, registry: ModelRegistry, context: PolicyContext) -> list[str]:
    """Every governance violation of the environment's approval file, as one line each."""
    problems = []
    for index, approval in enumerate(approvals.approvals):
        where = f"{context.source}: approvals.{index} ({approval.model_group} v{approval.version})"
        version = _registered(registry, approval, where, problems)
        if version is not None:
            problems += [f"{where}: {p}" for p in _approval_problems(approval, version, registry, context)]
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


def _approval_problems(
    approval: Approval, version: ModelVersion, registry: ModelRegistry, context: PolicyContext
) -> list[str]:
    problems = []
    if version.artifact_digest != approval.artifact_digest:
        problems.append(f"artifact_digest differs from the registry's {version.artifact_digest}")
    if version.status == ApprovalStatus.REJECTED:
        problems.append("the version is Rejected in the registry and can never be approved")
    problems += _evidence_problems(version, context)
    for env in _missing_prior_approvals(approval, context):
        problems.append(
            f"not approved in {env} first (no version of configs/{env}/approved-model.yaml already merged "
            f"into the base branch approves v{approval.version} with this digest)"
        )
    problems += non_inferiority_problems(approval, version, registry, context)
    return problems + decision_problems(approval, version, registry, context.separation_of_duties)


def decision_problems(
    approval: Approval, version: ModelVersion, registry: ModelRegistry, separation_of_duties: bool
) -> list[str]:
    """The rules an approval obeys wherever it is made (approval file or `approvals.mode: direct`)."""
    problems = []
    newest = newest_ever_approved(registry.list_versions(approval.model_group))
    if newest is not None and newest > approval.version and not approval.allow_downgrade:
        problems.append(
            f"downgrade from v{newest} to v{approval.version}: set allow_downgrade: true and give the reason "
            "for the rollback in downgrade_reason (mlops approve: --allow-downgrade --downgrade-reason)"
        )
    if separation_of_duties and approval.approved_by.strip().lower() == version.created_by.strip().lower():
        problems.append(
            f"approved_by {approval.approved_by!r} trained this version; separation of duties "
            "requires another approver"
        )
    return problems


def non_inferiority_problems(
    approval: Approval, version: ModelVersion, registry: ModelRegistry, context: PolicyContext
) -> list[str]:
    """The challenger's AUC may be worse than the serving version's by at most the margin: the lower bound
    of the paired 95% CI of the difference on the locked evaluation set must be >= -margin."""
    margin = context.non_inferiority_margin
    champion = registry.approved_version(approval.model_group)
    if margin is None or champion is None or champion.version == version.version or approval.allow_downgrade:
        return []
    from ml.registry.comparison import compare_versions
    from ml.train.compare import NotComparableError

    escape = (
        "set allow_downgrade: true and give the reason in downgrade_reason "
        "(mlops approve: --allow-downgrade --downgrade-reason)"
    )
    try:
        if context.read_scores is None:
            raise NotComparableError("no reader of the versions' evaluation scores was given")
        comparison = compare_versions(champion, version, context.read_scores)
    except NotComparableError as exc:
        return [f"non-inferiority to serving v{champion.version} cannot be shown ({exc}); {escape}"]
    auc = comparison.auc
    if comparison.non_inferior(margin):
        return []
    return [
        f"AUC difference to serving v{champion.version} on the locked evaluation set is "
        f"{auc.difference:+.3f} [95% CI {auc.low:+.3f}, {auc.high:+.3f}]: the lower bound is below "
        f"-{margin:g} (governance.non_inferiority_margin); {escape}"
    ]


def _evidence_problems(version: ModelVersion, context: PolicyContext) -> list[str]:
    problems = []
    gate = version.lineage.get("gate", {})
    if gate.get("passed") is not True:
        problems.append(f"its quality gate did not pass (lineage.gate = {gate or 'missing'})")
    auc = version.metrics.get("auc")
    if auc is None or auc < context.min_auc:
        problems.append(f"auc {auc} is below {context.env}'s quality_gate.min_auc {context.min_auc}")
    low = version.metrics.get("auc_ci_low")
    if context.min_auc_ci_low is not None and (low is None or low < context.min_auc_ci_low):
        problems.append(f"auc_ci_low {low} is below governance.min_auc_ci_low {context.min_auc_ci_low}")
    return problems


def _missing_prior_approvals(approval: Approval, context: PolicyContext) -> list[str]:
    missing = []
    for env, history in context.prior_approvals.items():
        if not any(_approves(file, approval) for file in history):
            missing.append(env)
    return missing


def _approves(file: ApprovalFile, approval: Approval) -> bool:
    earlier = file.approval_for(approval.model_group)
    return earlier is not None and (earlier.version, earlier.artifact_digest) == (
        approval.version,
        approval.artifact_digest,
    )


def newest_ever_approved(versions: Sequence[ModelVersion]) -> int | None:
    """The highest version number that was ever Approved, even if superseded since: the downgrade floor."""
    approved = [v.version for v in versions if any(h.status == ApprovalStatus.APPROVED for h in v.history)]
    return max(approved, default=None)
