"""Use cases behind `mlops approve/reject` (both approval modes), `registry sync` and `policy check`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ml.config.schema import EnvironmentConfig
from ml.errors import ConfigError, PolicyViolationError, RegistryDriftError
from ml.registry import ModelRegistry, ModelVersion
from ml.registry.approval_edits import write_approval, write_rejection
from ml.registry.approvals import (
    Approval,
    ApprovalFile,
    Rejection,
    approval_path,
    approve_version,
    load_approval_file,
    now_utc,
    parse_approval_file,
    require_approvable,
)
from ml.registry.comparison import ScoresReader, comparison_section
from ml.registry.evidence import StatisticsReader, no_statistics, render_pr_body
from ml.registry.policy import PolicyContext, check_policy, decision_problems
from ml.registry.sync import SyncPlan, apply_sync, plan_sync


@dataclass(frozen=True)
class ApprovalRequest:
    """The edited approval file and the pull-request description that goes with it."""

    path: Path
    body: str


def request_approval(
    config: EnvironmentConfig,
    config_dir: Path,
    registry: ModelRegistry,
    decision: Mapping[str, Any],
    read_statistics: StatisticsReader = no_statistics,
    read_scores: ScoresReader | None = None,
) -> ApprovalRequest:
    """Pin the version's digest in the approval file and describe it next to the current champion.

    Args:
        decision: `version`, `approved_by`, `reason` and optionally `evidence`, `allow_downgrade`,
            `downgrade_reason` — the fields of an `Approval` that people supply.

    Raises:
        ModelNotFoundError: the version is not registered.
        InvalidTransitionError: the registry or the approval file has rejected the version.
        ConfigError: the decision is incomplete (e.g. a downgrade without a reason) or the file is invalid.
    """
    path = approval_path(config_dir, config.name)
    approvals = load_approval_file(path)
    challenger = registry.get(config.model_group, int(decision["version"]))
    require_approvable(approvals, challenger, _shown(path))
    approval = _decision_approval(challenger, decision)
    current = approvals.approval_for(config.model_group)
    champion = registry.get(current.model_group, current.version) if current else None
    statistics = {v.version: read_statistics(v) for v in (challenger, champion) if v is not None}
    comparison = (
        comparison_section(champion, challenger, read_scores, config.governance.non_inferiority_margin)
        if read_scores
        else []
    )
    body = render_pr_body(
        config.name, challenger, champion, approval, {k: v for k, v in statistics.items() if v}, comparison
    )
    write_approval(path, approval)
    return ApprovalRequest(path, body)


def approve_directly(
    config: EnvironmentConfig, registry: ModelRegistry, decision: Mapping[str, Any]
) -> list[ModelVersion]:
    """Approve in the registry at once (`approvals.mode: direct`), under the policy's decision rules.

    Returns the versions that changed, or the requested one alone when it was approved already.

    Raises:
        ModelNotFoundError: the version is not registered.
        InvalidTransitionError: the version is Rejected.
        ConfigError: the decision is incomplete (e.g. a downgrade without a reason).
        PolicyViolationError: a downgrade without allow_downgrade, or the trainer approving their own version.
    """
    version = registry.get(config.model_group, int(decision["version"]))
    require_approvable(ApprovalFile(), version, "registry")
    approval = _decision_approval(version, decision)
    problems = decision_problems(approval, version, registry, config.governance.separation_of_duties)
    if problems:
        raise PolicyViolationError(f"{config.model_group} v{version.version}: " + "; ".join(problems))
    reason = approval.reason
    if approval.allow_downgrade:  # the registry history is the only record of a direct rollback's reason
        reason += f" (downgrade: {approval.downgrade_reason})"
    changed = approve_version(
        registry, config.model_group, version.version, changed_by=approval.approved_by, reason=reason
    )
    return changed or [version]


def _decision_approval(version: ModelVersion, decision: Mapping[str, Any]) -> Approval:
    """The people-supplied decision as an `Approval` pinned to the version's artifact, stamped now."""
    fields = {"model_group": version.model_group, "artifact_digest": version.artifact_digest}
    return _validated(Approval, {**decision, **fields, "approved_at": now_utc()})


def _validated(model: type, data: dict) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(map(str, e['loc'])) or 'decision'}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        ]
        raise ConfigError("; ".join(problems)) from None


def request_rejection(
    config: EnvironmentConfig,
    config_dir: Path,
    registry: ModelRegistry,
    model_group: str,
    version: int,
    *,
    by: str,
    reason: str,
) -> Path:
    """Record a rejection in the approval file (the sync marks the version Rejected after merge)."""
    rejected = registry.get(model_group, version)
    path = approval_path(config_dir, config.name)
    write_rejection(
        path,
        Rejection(
            model_group=model_group,
            version=version,
            artifact_digest=rejected.artifact_digest,
            rejected_by=by,
            rejected_at=now_utc(),
            reason=reason,
        ),
    )
    return path


def sync_environment(
    config: EnvironmentConfig,
    config_dir: Path,
    registry: ModelRegistry,
    *,
    dry_run: bool,
    enforce: bool,
    progress: Callable[[str], None],
) -> SyncPlan:
    """Print the plan, apply it unless `dry_run`, and fail on drift that was not enforced away."""
    from ml.config.loader import repository_root
    from ml.gitinfo import code_version

    path = approval_path(config_dir, config.name)
    commit = str(code_version(repository_root(config_dir))["git_commit"])
    plan = plan_sync(
        load_approval_file(path),
        registry,
        [config.model_group],
        source=_shown(path),
        commit=commit,
        enforce=enforce,
    )
    progress(plan.describe())
    if not dry_run:
        apply_sync(plan, registry, progress)
    if plan.drift:
        raise RegistryDriftError(
            f"{len(plan.drift)} approval(s) in the registry are not in {_shown(path)}; "
            "run with --enforce to revert them, or approve them through a pull request"
        )
    return plan


def check_environment_policy(
    config: EnvironmentConfig,
    config_dir: Path,
    registry: ModelRegistry,
    *,
    base: str | None = None,
    note: Callable[[str], None] = lambda message: None,
    read_scores: ScoresReader | None = None,
) -> list[str]:
    """Every governance violation of the environment's approval file.

    Args:
        base: the ref the pull request targets; prior approvals count only if merged there (see
            `ml.gitinfo.base_commit` for the default).
        note: receives remarks that are not violations (which base was read, old files skipped).
        read_scores: reads versions' locked-set scores for `governance.non_inferiority_margin`.
    """
    path = approval_path(config_dir, config.name)
    context = PolicyContext(
        env=config.name,
        source=_shown(path),
        min_auc=config.quality_gate.min_auc,
        min_auc_ci_low=config.governance.min_auc_ci_low,
        separation_of_duties=config.governance.separation_of_duties,
        prior_approvals=_prior_approvals(config, config_dir, base, note),
        non_inferiority_margin=config.governance.non_inferiority_margin,
        read_scores=read_scores,
    )
    return check_policy(load_approval_file(path), registry, context)


def _prior_approvals(
    config: EnvironmentConfig, config_dir: Path, base: str | None, note: Callable[[str], None]
) -> dict[str, list[ApprovalFile]]:
    """Each required environment's approval file at every commit already merged into the base."""
    envs = config.governance.require_prior_approval_in
    if not envs:
        return {}
    from ml.config.loader import repository_root
    from ml.gitinfo import base_commit, file_history

    repo = repository_root(config_dir)
    commit = base_commit(repo, base)
    where = f"--base {base}" if base else "the default base"
    note(f"{config.name}: prior approvals are read from {where}, commit {commit[:12]}, and its history")
    prior = {}
    for env in envs:
        path = approval_path(config_dir, env)
        prior[env], ignored = _valid_versions(file_history(repo, path, commit), _shown(path))
        if ignored:
            note(f"ignored {ignored} old version(s) of {_shown(path)} that no longer validate")
    return prior


def _valid_versions(texts: list[str], source: str) -> tuple[list[ApprovalFile], int]:
    """The versions that pass today's schema, and how many did not (they approve nothing)."""
    valid = []
    for text in texts:
        try:
            valid.append(parse_approval_file(text, source))
        except ConfigError:
            continue
    return valid, len(texts) - len(valid)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
