"""The approval file `configs/<env>/approved-model.yaml`: which version each model group serves, by whom, why.

Git is the source of truth for shared environments: `mlops approve` edits this file (comments and key order
kept) and a pull request reviews it; after merge `mlops registry sync` makes the registry agree. The same
`approve_version` rule (approve one, supersede the previously approved one) serves the embedded
environment's direct approvals and the sync, so both backends and both modes obey one code path.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from ml.errors import ConfigError, InvalidTransitionError, ModelNotFoundError
from ml.registry import MAX_VERSION, ApprovalStatus, Decision, ModelRegistry, ModelVersion, check_transition

APPROVAL_FILE = "approved-model.yaml"
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def _utc_timestamp(value: object) -> str:
    """A UTC timestamp in ISO 8601 (quoted, or as YAML reads it unquoted), kept as YYYY-MM-DDTHH:MM:SSZ."""
    moment = value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            moment = datetime.fromisoformat(value)
    if not isinstance(moment, datetime) or moment.utcoffset() != timedelta(0):
        raise ValueError(
            f"expected an ISO-8601 UTC timestamp such as 2026-11-25T12:00:00Z, got {str(value)!r}"
        )
    return moment.strftime(TIMESTAMP_FORMAT)


UTCTimestamp = Annotated[str, BeforeValidator(_utc_timestamp)]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model_group: str = Field(min_length=1)
    version: int = Field(ge=1, le=MAX_VERSION)
    artifact_digest: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the model artifact")
    # The registry keeps reasons up to 1024 characters; the sync appends its source and commit (~100).
    reason: str = Field(min_length=1, max_length=900)
    evidence: str = Field(default="", description="pull request, run id or report the decision rests on")


class Approval(_Entry):
    """One model group's approved version, pinned to its exact artifact."""

    approved_by: str = Field(min_length=1)
    approved_at: UTCTimestamp
    allow_downgrade: bool = False
    downgrade_reason: str = ""

    @model_validator(mode="after")
    def _downgrade_needs_reason(self) -> Approval:
        if self.allow_downgrade and not self.downgrade_reason.strip():
            raise ValueError("allow_downgrade: true needs downgrade_reason: why rolling back is right")
        return self


class Rejection(_Entry):
    """A version reviewers turned down; the sync marks it Rejected in the registry."""

    rejected_by: str = Field(min_length=1)
    rejected_at: UTCTimestamp


class ApprovalFile(BaseModel):
    """The whole file; at most one approval per model group, and never one for a rejected version."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    approvals: list[Approval] = Field(default_factory=list)
    rejections: list[Rejection] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_approval_per_group(self) -> ApprovalFile:
        seen: dict[str, int] = {}
        for index, approval in enumerate(self.approvals):
            if approval.model_group in seen:
                raise ValueError(
                    f"approvals.{index}.model_group: {approval.model_group!r} is approved twice (also at "
                    f"approvals.{seen[approval.model_group]}); keep exactly one approval per model group"
                )
            seen[approval.model_group] = index
        return self

    @model_validator(mode="after")
    def _rejected_stays_rejected(self) -> ApprovalFile:
        for index, approval in enumerate(self.approvals):
            if self.rejects(approval.model_group, approval.version):
                raise ValueError(
                    f"approvals.{index}: {approval.model_group} v{approval.version} is also listed under "
                    "rejections; a rejected version can never be approved: register a new version"
                )
        return self

    def approval_for(self, model_group: str) -> Approval | None:
        return next((a for a in self.approvals if a.model_group == model_group), None)

    def rejects(self, model_group: str, version: int) -> bool:
        return any((r.model_group, r.version) == (model_group, version) for r in self.rejections)


# What each part of the file takes, for "unknown key" messages (configs/schema.json describes only
# environment files, so pointing there would mislead).
EXPECTED_KEYS = {
    "": "an approval file takes: approvals, rejections",
    "approvals": f"an approval takes: {', '.join(Approval.model_fields)}",
    "rejections": f"a rejection takes: {', '.join(Rejection.model_fields)}",
}


def approval_path(config_dir: Path, env: str) -> Path:
    return config_dir / env / APPROVAL_FILE


def environments_with_approvals(config_dir: Path) -> list[str]:
    """Every environment folder that holds an approval file."""
    return sorted(path.parent.name for path in config_dir.glob(f"*/{APPROVAL_FILE}"))


def load_approval_file(path: Path) -> ApprovalFile:
    """Read and validate an approval file; only a file that does not exist means nothing is approved yet.

    Raises:
        ConfigError: see `parse_approval_file`; also a file that exists but cannot be read (a folder, no
            permission, not UTF-8, too large): that is never "nothing approved".
    """
    from ml.config.yaml_safety import read_yaml_text

    if not path.exists() and not path.is_symlink():
        return ApprovalFile()
    return parse_approval_file(read_yaml_text(path), path)


def parse_approval_file(text: str, source: Path | str) -> ApprovalFile:
    """Validate the text of an approval file: the file itself, or one of its versions in git history.

    Raises:
        ConfigError: malformed YAML, a merge conflict marker, unknown keys, bad digests or timestamps, two
            approvals for one group, an approved version that is also rejected; the message names
            `source` and the dotted field.
    """
    data = read_round_trip(text, source)
    return _validate_file(_plain(data) if data else {}, source)


def _validate_file(data: Any, source: Path | str) -> ApprovalFile:
    from ml.config.loader import describe_error

    try:
        return ApprovalFile.model_validate(data)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"])
            if error["type"] == "extra_forbidden":
                section = str(error["loc"][0]) if len(error["loc"]) > 1 else ""
                message = f"unknown key; remove it or fix its spelling ({EXPECTED_KEYS[section]})"
            else:
                message = describe_error(error)
            lines.append(f"{source}: {field}: {message}" if field else f"{source}: {message}")
        raise ConfigError("\n".join(lines)) from None


def read_round_trip(text: str, source: Path | str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    from ml.config.yaml_safety import check_yaml_shape

    if any(line.startswith(("<<<<<<<", "=======", ">>>>>>>")) for line in text.splitlines()):
        raise ConfigError(
            f"{source}: contains a merge conflict marker; resolve the conflict and commit again"
        )
    check_yaml_shape(text, source)
    try:
        data = YAML(typ="rt").load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}:" if mark else ""
        raise ConfigError(f"{source}:{where} not valid YAML ({getattr(exc, 'problem', exc)})") from None
    except TypeError:  # found by tests/fuzz: a list or mapping as a key (`? [a]`) is unhashable
        raise ConfigError(f"{source}: a key must be a plain value, not a list or mapping") from None
    if data is not None and not hasattr(data, "items"):
        raise ConfigError(f"{source}: expected a mapping with 'approvals' (and optionally 'rejections')")
    return data


def _plain(value: Any) -> Any:
    """ruamel's commented containers as plain dicts/lists, for validation."""
    if hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def now_utc() -> str:
    return datetime.now(UTC).strftime(TIMESTAMP_FORMAT)


def approve_version(
    registry: ModelRegistry,
    model_group: str,
    version: int,
    *,
    changed_by: str,
    reason: str,
    decision: Decision | None = None,
) -> list[ModelVersion]:
    """Approve one version and supersede any other version the environment approves (back to pending).

    Returns the versions that changed, the approved one first. Each call is a separate registry
    transaction, approving before superseding so the environment is never left with nothing to serve.
    `decision` is recorded with the approval; the supersessions record the same pull request or person.
    """
    decision = decision or Decision(action="approve")
    target = registry.get(model_group, version)
    changed = []
    if target.status != ApprovalStatus.APPROVED:
        changed.append(
            registry.set_status(
                model_group,
                version,
                ApprovalStatus.APPROVED,
                reason=reason,
                changed_by=changed_by,
                decision=decision,
            )
        )
    superseded = replace(decision, action="supersede", replaced_by=version, evidence="", downgrade_reason="")
    for other in registry.list_versions(model_group):
        if other.version != version and other.status == ApprovalStatus.APPROVED:
            changed.append(
                registry.set_status(
                    model_group,
                    other.version,
                    ApprovalStatus.PENDING,
                    reason=f"superseded by version {version}: {reason}",
                    changed_by=changed_by,
                    decision=superseded,
                )
            )
    return changed


def require_approvable(approvals: ApprovalFile, version: ModelVersion, source: Path | str) -> None:
    """Refuse approving a version that the registry or the approval file has rejected.

    Raises:
        InvalidTransitionError: the version is Rejected in the registry or listed under the file's rejections.
    """
    listed = approvals.rejects(version.model_group, version.version)
    status = ApprovalStatus.REJECTED if listed else version.status
    try:
        check_transition(version.model_group, version.version, status, ApprovalStatus.APPROVED)
    except InvalidTransitionError as exc:
        raise InvalidTransitionError(f"{source}: rejections: {exc}" if listed else str(exc)) from None


def require_digest(version: ModelVersion, digest: str, source: str) -> None:
    """Refuse a version whose registered artifact is not the one the approval pins."""
    if version.artifact_digest != digest:
        raise ModelNotFoundError(
            f"{source}: {version.model_group} version {version.version} has artifact_digest "
            f"{version.artifact_digest} in the registry, but the file pins {digest}; "
            "the file must name the exact artifact that was reviewed"
        )
