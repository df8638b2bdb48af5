"""GitOps use cases behind `mlops approve/reject` (pull-request mode), `registry sync` and `policy check`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ml.artifacts import ArtifactStore
from ml.artifacts.codecs import content_key
from ml.config.schema import EnvironmentConfig
from ml.errors import ConfigError, RegistryDriftError
from ml.registry import ModelRegistry, ModelVersion
from ml.registry.approvals import (
    Approval,
    ApprovalFile,
    Rejection,
    approval_path,
    load_approval_file,
    now_utc,
    write_approval,
    write_rejection,
)
from ml.registry.evidence import render_pr_body
from ml.registry.policy import PolicyContext, check_policy
from ml.registry.sync import SyncPlan, apply_sync, plan_sync

StatisticsReader = Callable[[ModelVersion], Mapping[str, Any] | None]


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
    read_statistics: StatisticsReader = lambda version: None,
) -> ApprovalRequest:
    """Pin the version's digest in the approval file and describe it next to the current champion.

    Args:
        decision: `version`, `approved_by`, `reason` and optionally `evidence`, `allow_downgrade`,
            `downgrade_reason` — the fields of an `Approval` that people supply.

    Raises:
        ModelNotFoundError: the version is not registered.
        ConfigError: the decision is incomplete (e.g. a downgrade without a reason) or the file is invalid.
    """
    challenger = registry.get(config.model_group, int(decision["version"]))
    approval = _validated(
        Approval,
        {
            **decision,
            "model_group": config.model_group,
            "artifact_digest": challenger.artifact_digest,
            "approved_at": now_utc(),
        },
    )
    path = approval_path(config_dir, config.name)
    current = load_approval_file(path).approval_for(config.model_group)
    champion = registry.get(current.model_group, current.version) if current else None
    statistics = {v.version: read_statistics(v) for v in (challenger, champion) if v is not None}
    body = render_pr_body(
        config.name, challenger, champion, approval, {k: v for k, v in statistics.items() if v}
    )
    write_approval(path, approval)
    return ApprovalRequest(path, body)


def statistics_reader(artifacts: ArtifactStore) -> StatisticsReader:
    """Read a version's training-data statistics.json from the artifact store, if it is there."""
    from ml.artifacts.codecs import get_json

    def read(version: ModelVersion) -> Mapping[str, Any] | None:
        digest = version.lineage.get("baseline", {}).get("statistics.json")
        return get_json(artifacts, digest) if digest and artifacts.exists(content_key(digest)) else None

    return read


def _validated(model: type, data: dict) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())) from None


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
    config: EnvironmentConfig, config_dir: Path, registry: ModelRegistry
) -> list[str]:
    """Every governance violation of the environment's approval file."""
    from ml.config.loader import repository_root
    from ml.gitinfo import file_history

    repo = repository_root(config_dir)
    path = approval_path(config_dir, config.name)
    prior = {
        env: [_parse(text) for text in file_history(repo, approval_path(config_dir, env))]
        for env in config.governance.require_prior_approval_in
    }
    context = PolicyContext(
        env=config.name,
        source=_shown(path),
        min_auc=config.quality_gate.min_auc,
        min_auc_ci_low=config.governance.min_auc_ci_low,
        separation_of_duties=config.governance.separation_of_duties,
        prior_approvals=prior,
    )
    return check_policy(load_approval_file(path), registry, context)


def _parse(text: str) -> ApprovalFile:
    """An approval file from git history; an old version that no longer validates approves nothing."""
    import yaml

    try:
        return ApprovalFile.model_validate(yaml.safe_load(text) or {})
    except (ValueError, yaml.YAMLError):  # history may hold files written before today's schema
        return ApprovalFile()


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
