"""The model registry seam: a narrow Protocol, its value types and the transition rules all backends obey."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

from ml.artifacts.codecs import is_sha256
from ml.errors import ConfigError, InvalidTransitionError

# SageMaker's ModelPackageGroupName pattern (botocore's service model): every backend accepts the same
# names, so a group that works locally also works in the shared registry.
MODEL_GROUP_PATTERN = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
# SageMaker's ApprovalDescription holds at most 1,024 characters; refusing longer reasons in every backend
# keeps the audit trail whole instead of cut differently per backend.
MAX_REASON_LENGTH = 1024


class ApprovalStatus(StrEnum):
    """The statuses SageMaker's model registry uses, so both backends speak the same words."""

    PENDING = "PendingManualApproval"
    APPROVED = "Approved"
    REJECTED = "Rejected"


# A rejected version stays rejected: re-using it needs a new registration, so the audit trail never
# shows a model that was turned down and then quietly served. An approved version that another one
# supersedes goes back to pending (reason recorded), so a reviewed rollback can approve it again.
ALLOWED_TRANSITIONS: Mapping[ApprovalStatus, frozenset[ApprovalStatus]] = {
    ApprovalStatus.PENDING: frozenset({ApprovalStatus.APPROVED, ApprovalStatus.REJECTED}),
    ApprovalStatus.APPROVED: frozenset({ApprovalStatus.PENDING, ApprovalStatus.REJECTED}),
    ApprovalStatus.REJECTED: frozenset(),
}


def check_transition(model_group: str, version: int, current: ApprovalStatus, target: ApprovalStatus) -> None:
    """Raise InvalidTransitionError unless `current -> target` is allowed (same status is a no-op)."""
    if current == target or target in ALLOWED_TRANSITIONS[current]:
        return
    allowed = ", ".join(sorted(ALLOWED_TRANSITIONS[current])) or "none"
    raise InvalidTransitionError(
        f"{model_group} version {version} is {current}; it cannot become {target} "
        f"(allowed from {current}: {allowed}). Register a new version instead."
    )


@dataclass(frozen=True)
class StatusChange:
    """One entry of a version's audit trail: who changed its status, when and why."""

    status: ApprovalStatus
    changed_by: str
    changed_at: str
    reason: str


@dataclass(frozen=True)
class ModelCandidate:
    """What a train run hands to the registry: the artifact and the evidence behind it."""

    model_group: str
    artifact_digest: str
    artifact_uri: str
    metrics: Mapping[str, Any]
    parameters: Mapping[str, Any]
    lineage: Mapping[str, Any]
    created_by: str


@dataclass(frozen=True)
class ModelVersion:
    """A registered version: the candidate plus its number, status and history."""

    model_group: str
    version: int
    status: ApprovalStatus
    artifact_digest: str
    artifact_uri: str
    metrics: Mapping[str, Any]
    parameters: Mapping[str, Any]
    lineage: Mapping[str, Any]
    created_by: str
    created_at: str
    history: tuple[StatusChange, ...] = field(default_factory=tuple)


def check_model_group(model_group: object) -> None:
    """Raise ConfigError unless `model_group` is a name SageMaker accepts for a model package group."""
    if not isinstance(model_group, str) or not MODEL_GROUP_PATTERN.fullmatch(model_group):
        raise ConfigError(
            f"model_group {model_group!r}: expected 1-63 letters, digits and hyphens, starting and "
            "ending with a letter or digit (SageMaker's model package group name)"
        )


# The largest version number: a 32-bit signed int, what SageMaker's ModelPackageVersion and most JSON
# readers hold; beyond it SQLite would overflow (a traceback) instead of answering "not found".
MAX_VERSION = 2**31 - 1


def check_version(version: object) -> None:
    """Raise ConfigError unless `version` is a version number (an int from 1 to MAX_VERSION)."""
    # bool is an int, and SQLite would match the text "1" to version 1 where SageMaker would not.
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= MAX_VERSION:
        raise ConfigError(f"version {version!r}: expected a whole number from 1 to {MAX_VERSION}")


def check_candidate(candidate: ModelCandidate) -> None:
    """Raise ConfigError naming the first field of `candidate` that no backend may store."""
    check_model_group(candidate.model_group)
    if not is_sha256(candidate.artifact_digest):
        raise ConfigError(
            f"artifact_digest {candidate.artifact_digest!r}: expected a SHA-256 (64 lowercase hex characters)"
        )
    _check_text("created_by", candidate.created_by)


def check_status_change(
    model_group: str, version: int, status: ApprovalStatus | str, *, reason: str, changed_by: str
) -> ApprovalStatus:
    """Return `status` as an ApprovalStatus, or raise ConfigError naming the argument no backend may store."""
    check_model_group(model_group)
    check_version(version)
    try:
        target = ApprovalStatus(status)
    except ValueError:
        allowed = ", ".join(ApprovalStatus)
        raise ConfigError(f"status {status!r}: expected one of {allowed}") from None
    _check_text("changed_by", changed_by)
    _check_text("reason", reason)
    if len(reason) > MAX_REASON_LENGTH:
        raise ConfigError(
            f"reason: {len(reason)} characters, at most {MAX_REASON_LENGTH} are kept in the audit trail; "
            "shorten it and link the details (e.g. the pull request)"
        )
    return target


def _check_text(name: str, value: object) -> None:
    """Raise ConfigError unless `value` is a string with something other than whitespace."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{name} {value!r}: must not be blank: the audit trail records who and why")


def latest_approved(versions: Iterable[ModelVersion]) -> ModelVersion | None:
    """Return the most recently approved `Approved` version (ties: the higher version), or None."""
    approved = [v for v in versions if v.status == ApprovalStatus.APPROVED]
    return max(approved, key=_approval_order, default=None)


def _approval_order(version: ModelVersion) -> tuple[datetime, int]:
    """Sort key: when the version last became Approved, then its number."""
    # A package approved by another tool has no history: it ranks below every approval recorded here.
    times = [_as_utc(c.changed_at) for c in version.history if c.status == ApprovalStatus.APPROVED]
    return max(times, default=datetime.min.replace(tzinfo=UTC)), version.version


def _as_utc(timestamp: str) -> datetime:
    """Parse an ISO-8601 timestamp, reading one without an offset as UTC."""
    parsed = datetime.fromisoformat(timestamp)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def utc_now() -> str:
    """Return the current time as ISO-8601 in UTC, the format of every registry timestamp."""
    return datetime.now(UTC).isoformat()


class ModelRegistry(Protocol):
    """Versions of models, their status and evidence. Every backend raises the errors of ml.errors."""

    def register(self, candidate: ModelCandidate) -> ModelVersion:
        """Create a `PendingManualApproval` version, or return the existing one for the same artifact.

        Every backend checks the candidate with `check_candidate` first. The artifact URI is the one
        difference between backends: SQLite records any URI (`file://` or `s3://`), SageMaker needs
        `s3://` because SageMaker itself loads the model from it.

        Args:
            candidate: the artifact digest/URI, metrics, parameters and lineage to record.

        Returns:
            The new version (numbered one above the group's highest), or the version already holding
            `candidate.artifact_digest` in that group.

        Raises:
            ConfigError: a field `check_candidate` refuses (the message names it), or, in SageMaker, an
                artifact URI that is not `s3://`.
        """
        ...

    def get(self, model_group: str, version: int) -> ModelVersion:
        """Return one version.

        Raises:
            ConfigError: `model_group` or `version` is malformed (`check_model_group`, `check_version`).
            ModelNotFoundError: the group or the version does not exist.
        """
        ...

    def list_versions(self, model_group: str) -> list[ModelVersion]:
        """Return every version of the group, oldest first (empty for an unknown group).

        Raises:
            ConfigError: `model_group` is not a valid group name (`check_model_group`).
        """
        ...

    def set_status(
        self, model_group: str, version: int, status: ApprovalStatus, *, reason: str, changed_by: str
    ) -> ModelVersion:
        """Change a version's status and append who/when/why to its history.

        Setting the status it already has changes nothing and returns the version unchanged. `status`
        may be an ApprovalStatus or its string value.

        Raises:
            ConfigError: an argument `check_status_change` refuses (the message names it), checked before
                the version is looked up.
            ModelNotFoundError: the version does not exist.
            InvalidTransitionError: the rules in ALLOWED_TRANSITIONS forbid the change.
        """
        ...

    def approved_version(self, model_group: str) -> ModelVersion | None:
        """Return the version to serve: the most recently approved `Approved` version, or None.

        "Most recently" is the latest `Approved` entry in each version's history, ties going to the higher
        version (`latest_approved`). So a rollback, which approves an older version before the newer one
        is superseded, serves the older version at once.

        Raises:
            ConfigError: `model_group` is not a valid group name (`check_model_group`).
        """
        ...


__all__ = [
    "ALLOWED_TRANSITIONS",
    "MAX_REASON_LENGTH",
    "MAX_VERSION",
    "MODEL_GROUP_PATTERN",
    "ApprovalStatus",
    "ModelCandidate",
    "ModelRegistry",
    "ModelVersion",
    "StatusChange",
    "check_candidate",
    "check_model_group",
    "check_status_change",
    "check_transition",
    "check_version",
    "latest_approved",
    "utc_now",
]
