"""Use cases behind `mlops approve/reject` (both approval modes), `registry sync` and `policy check`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ml.config.schema import EnvironmentConfig
from ml.errors import ConfigError, PolicyViolationError
from ml.registry import ApprovalStatus, Decision, ModelRegistry, ModelVersion
from ml.registry.approval_edits import write_approval, write_rejection
from ml.registry.approvals import (
    Approval,
    ApprovalFile,
    Rejection,
    approval_path,
    approve_version,
    load_approval_file,
    now_utc,
    require_approvable,
)
from ml.registry.audit import AuditReport, verify_chain
from ml.registry.comparison import ScoresReader, comparison_section
from ml.registry.evidence import StatisticsReader, no_statistics, render_pr_body
from ml.registry.policy import ChangeIdentity, PolicyContext, check_policy, decision_problems


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
    names = {a.login.lower(): a.name for a in config.governance.approvers}
    baselines = {k: v for k, v in statistics.items() if v}
    margin = config.governance.non_inferiority_margin
    comparison = comparison_section(champion, challenger, read_scores, margin) if read_scores else []
    body = render_pr_body(config.name, challenger, champion, approval, baselines, names, comparison)
    write_approval(path, approval)
    return ApprovalRequest(path, body)


def approve_directly(
    config: EnvironmentConfig,
    registry: ModelRegistry,
    decision: Mapping[str, Any],
    read_scores: ScoresReader | None = None,
) -> list[ModelVersion]:
    """Approve in the registry at once (`approvals.mode: direct`), under the policy's decision rules
    (`read_scores` reads the locked-set scores that `governance.non_inferiority_margin` compares).

    Returns the versions that changed, or the requested one alone when it was approved already.

    Raises:
        ModelNotFoundError: the version is not registered.
        InvalidTransitionError: the version is Rejected.
        ConfigError: the decision is incomplete (e.g. a downgrade without a reason).
        PolicyViolationError: a downgrade without allow_downgrade, the trainer approving their own version,
            or a challenger that may be worse than the serving version by more than the margin.
    """
    version = registry.get(config.model_group, int(decision["version"]))
    require_approvable(ApprovalFile(), version, "registry")
    approval = _decision_approval(version, decision)
    governance = config.governance
    approvers = governance.approver_logins() or None  # none declared: anyone may approve directly
    problems = decision_problems(
        approval,
        version,
        registry,
        governance.separation_of_duties,
        approvers,
        governance.non_inferiority_margin,
        read_scores,
    )
    if problems:
        raise PolicyViolationError(f"{config.model_group} v{version.version}: " + "; ".join(problems))
    reason = approval.reason
    if approval.allow_downgrade:  # the registry history is the only record of a direct rollback's reason
        reason += f" (downgrade: {approval.downgrade_reason})"
    record = Decision(
        action="rollback" if approval.allow_downgrade else "approve",
        evidence=approval.evidence,
        downgrade_reason=approval.downgrade_reason,
    )
    # The lock keeps direct decisions from interleaving with a sync's (or each other's) chain entries.
    with registry.sync_lock(config.model_group, "direct"):
        changed = approve_version(
            registry,
            config.model_group,
            version.version,
            changed_by=approval.approved_by,
            reason=reason,
            decision=record,
        )
    return changed or [version]


def reject_directly(
    config: EnvironmentConfig, registry: ModelRegistry, version: int, *, by: str, reason: str
) -> ModelVersion:
    """Reject in the registry at once (`approvals.mode: direct`), under the group's lock."""
    with registry.sync_lock(config.model_group, "direct"):
        return registry.set_status(
            config.model_group,
            version,
            ApprovalStatus.REJECTED,
            reason=reason,
            changed_by=by,
            decision=Decision(action="reject"),
        )


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


@dataclass(frozen=True)
class PullRequest:
    """What the platform says about the change being checked or synced (options or MLOPS_PR_* variables)."""

    number: int | None = None
    author: str | None = None
    approving_reviewers: tuple[str, ...] | None = None

    def identity(self) -> ChangeIdentity | None:
        if self.author is None or self.approving_reviewers is None:
            return None
        return ChangeIdentity(self.author, self.approving_reviewers)

    def record(self) -> Decision:
        return Decision(
            author=self.author or "",
            approving_reviewers=self.approving_reviewers or (),
            pull_request=self.number,
        )


def audit_environment(config: EnvironmentConfig, registry: ModelRegistry) -> AuditReport:
    """The model group's audit chain, verified against the stored head."""
    group = config.model_group
    return verify_chain(group, registry.list_versions(group), registry.audit_head(group))


def check_environment_policy(
    config: EnvironmentConfig,
    config_dir: Path,
    registry: ModelRegistry,
    *,
    base: str | None = None,
    pull_request: PullRequest = PullRequest(),
    strict: bool = False,
    note: Callable[[str], None] = lambda message: None,
    read_scores: ScoresReader | None = None,
) -> list[str]:
    """Every governance violation of the environment's approval file, under the base branch's rules.

    Args:
        base: the ref the pull request targets; its environment file supplies the rules (see
            `ml.gitinfo.base_commit` for the default, which `strict` forbids).
        pull_request: the change's author and approving reviewers, from the platform.
        strict: running in CI (GITHUB_ACTIONS=true): a missing `base` or identity is an error.
        note: receives remarks that are not violations (which base was read, missing identities).
        read_scores: reads versions' locked-set scores for `governance.non_inferiority_margin`.

    Raises:
        ConfigError: in CI without --base or identities; an unknown base; a base environment file that
            no longer validates.
    """
    from ml.config.loader import repository_root
    from ml.gitinfo import base_commit

    identity = pull_request.identity()
    if strict and base is None:
        raise ConfigError(
            "--base is required in CI (GITHUB_ACTIONS=true): pass --base origin/<target branch>"
        )
    if strict and identity is None:
        raise ConfigError(
            "in CI (GITHUB_ACTIONS=true) the change's identities are required: --author and "
            "--approving-reviewers (or MLOPS_PR_AUTHOR and MLOPS_PR_APPROVING_REVIEWERS)"
        )
    if identity is None:
        note(f"{config.name}: no --author/--approving-reviewers: approvers are not checked against reviews")
    repo = repository_root(config_dir)
    commit = base_commit(repo, base)
    where = f"--base {base}" if base else "the default base"
    note(f"{config.name}: rules are read from {where}, commit {commit[:12]}")
    path = approval_path(config_dir, config.name)
    rules, problems = _base_rules(config, config_dir, repo, commit, path)
    if rules is None:
        return problems
    governance = rules.governance
    logins = governance.approver_logins()
    context = PolicyContext(
        env=config.name,
        source=_shown(path),
        min_auc=rules.quality_gate.min_auc,
        min_auc_ci_low=governance.min_auc_ci_low,
        separation_of_duties=governance.separation_of_duties,
        require_prior_approval_in=tuple(governance.require_prior_approval_in),
        approvers=logins if rules.approvals.mode == "pull_request" or logins else None,
        identity=identity,
        non_inferiority_margin=governance.non_inferiority_margin,
        read_scores=read_scores,
    )
    return problems + check_policy(load_approval_file(path), registry, context)


# What decides whether an approval passes: a change to any of it must land before an approval relies on it.
RULE_SECTIONS = ("approvals", "governance", "quality_gate")
POLICY_CODE = ("ml/registry", "ml/config", "ml/gitinfo.py", "ml/commands/approvals.py")


def _base_rules(
    config: EnvironmentConfig, config_dir: Path, repo: Path, commit: str, path: Path
) -> tuple[EnvironmentConfig | None, list[str]]:
    """The environment as the base branch declares it, and the problem of changing rules with approvals."""
    from ml.gitinfo import changed_paths, file_at

    environment_file = config_dir / config.name / "environment.yaml"
    text = file_at(repo, environment_file, commit)
    if text is None:
        return None, [f"{_shown(environment_file)} is not on the base branch: land the environment first"]
    rules = _environment_from_text(config.name, text, f"{_shown(environment_file)} at {commit[:12]}")
    current = path.read_text(encoding="utf-8") if path.is_file() else None
    if file_at(repo, path, commit) == current:
        return rules, []
    edited = [
        f"{_shown(environment_file)}: {s}" for s in RULE_SECTIONS if getattr(rules, s) != getattr(config, s)
    ]
    edited += changed_paths(repo, commit, POLICY_CODE)
    if not edited:
        return rules, []
    return rules, [
        f"{_shown(path)}: this change edits the rules approvals are checked by ({', '.join(edited)}) and "
        "an approval at once; land the rule change in its own pull request first"
    ]


def _environment_from_text(name: str, text: str, source: str) -> EnvironmentConfig:
    """Validate an environment file's text as `load_environment` would, naming `source` in errors."""
    import tempfile

    from ml.config.loader import load_environment

    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / name).mkdir()
        (Path(folder) / name / "environment.yaml").write_text(text, encoding="utf-8")
        try:
            return load_environment(name, Path(folder))
        except ConfigError as exc:
            raise ConfigError(f"{source} (the base branch's rules): {exc}") from None


def _shown(path: Path) -> str:
    from ml.config.loader import display_path

    return str(display_path(path))
