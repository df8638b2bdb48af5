"""The model registry seam: a narrow Protocol, its value types and the transition rules all backends obey."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
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
class Decision:
    """What the audit trail records about a decision beyond who, when and why."""

    action: str = ""  # approve | supersede | reject | revert | restore (empty: derived from the status)
    via: str = "direct"  # direct: a person through mlops or the registry API; sync: a merged pull request
    evidence: str = ""
    downgrade_reason: str = ""
    author: str = ""  # who opened the pull request
    approving_reviewers: tuple[str, ...] = ()
    pull_request: int | None = None
    merge_commit: str = ""
    replaced_by: int | None = None  # supersede: the version that took this one's place


@dataclass(frozen=True)
class StatusChange:
    """One entry of a version's audit trail: who changed its status in which environment, when and why.

    Decisions are chained (`sequence` >= 1, `previous_hash` = the previous decision's hash; see
    ml.registry.audit).
    The registration entry, and entries written before approvals were kept per environment, have no
    environment and no place in the chain (`sequence` 0); they apply to every environment.
    """

    status: ApprovalStatus
    changed_by: str
    changed_at: str
    reason: str
    environment: str = ""
    decision: Decision = field(default_factory=Decision)
    sequence: int = 0
    previous_hash: str = ""


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
    # The view: `status` is the status in `environment`; `registry_status` is what the registry itself
    # stores for the version (SageMaker's ModelApprovalStatus: Approved while some environment approves it).
    environment: str = ""
    registry_status: ApprovalStatus | None = None


@dataclass(frozen=True)
class ChainHead:
    """The last decision of a model group's audit chain, as the registry stores it apart from the entries."""

    sequence: int
    entry_hash: str


def environment_status(history: Iterable[StatusChange], environment: str) -> ApprovalStatus:
    """The version's status in `environment`: its latest entry there (or for every environment)."""
    status = ApprovalStatus.PENDING
    for change in history:
        if change.environment in ("", environment):
            status = change.status
    return status


def environment_statuses(history: Sequence[StatusChange]) -> dict[str, ApprovalStatus]:
    """Status per environment that has decided on the version; "" holds decisions made for all of them."""
    names = {change.environment for change in history}
    return {name: environment_status(history, name) for name in sorted(names)}


def combined_status(history: Sequence[StatusChange]) -> ApprovalStatus:
    """What the registry stores for the version: Approved while any environment approves it, else Rejected
    if any environment rejected it, else pending."""
    statuses = set(environment_statuses(history).values())
    for status in (ApprovalStatus.APPROVED, ApprovalStatus.REJECTED):
        if status in statuses:
            return status
    return ApprovalStatus.PENDING


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
    """Return the most recently approved version its environment may serve (ties: the higher), or None.

    A version the registry itself no longer approves (returned to pending in the console) is never served,
    whatever the environment decided: the sync reports that as drift.
    """
    approved = [
        v
        for v in versions
        if v.status == ApprovalStatus.APPROVED and v.registry_status in (None, ApprovalStatus.APPROVED)
    ]
    return max(approved, key=_approval_order, default=None)


def _approval_order(version: ModelVersion) -> tuple[datetime, int]:
    """Sort key: when the version last became Approved in its environment, then its number."""
    # A package approved by another tool has no history: it ranks below every approval recorded here.
    times = [
        _as_utc(c.changed_at)
        for c in version.history
        if c.status == ApprovalStatus.APPROVED and c.environment in ("", version.environment)
    ]
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
        self,
        model_group: str,
        version: int,
        status: ApprovalStatus,
        *,
        reason: str,
        changed_by: str,
        decision: Decision | None = None,
    ) -> ModelVersion:
        """Change a version's status in the registry's environment and append the decision to the chain.

        Setting the status it already has changes nothing and returns the version unchanged, unless the
        registry's own status (`registry_status`) disagrees with the recorded decisions: then it is restored
        and the restoration recorded. `status` may be an ApprovalStatus or its string value. Other
        environments' statuses never change.

        Raises:
            ConfigError: an argument `check_status_change` refuses (the message names it), checked before
                the version is looked up.
            ModelNotFoundError: the version does not exist.
            InvalidTransitionError: the rules in ALLOWED_TRANSITIONS forbid the change.
        """
        ...

    def approved_version(self, model_group: str) -> ModelVersion | None:
        """Return the version the registry's environment serves: its most recently approved one, or None.

        "Most recently" is the latest `Approved` entry of the environment in each version's history, ties
        going to the higher version (`latest_approved`). So a rollback, which approves an older version
        before the newer one is superseded, serves the older version at once.

        Raises:
            ConfigError: `model_group` is not a valid group name (`check_model_group`).
        """
        ...

    def audit_head(self, model_group: str) -> ChainHead | None:
        """Return the last decision of the group's audit chain as stored apart from the entries (None: none).

        `ml.registry.audit.verify_chain` compares it with the entries, so removing the newest entry shows.
        """
        ...

    def sync_lock(self, model_group: str, commit: str) -> AbstractContextManager[SyncLease]:
        """Hold the group's sync lock (one holder across every environment and machine) while the body runs.

        Waits while a live holder has it; a holder whose lease ran out, or whose process on this machine
        is gone, no longer counts. The lease says which commit the environment was last synced from.

        Raises:
            MlopsError: another holder kept the lock beyond the wait (the message names it).
        """
        ...


class SyncLease(Protocol):
    """A held sync lock: which commit the environment was last synced from, and how to record this one."""

    previous_commit: str | None

    def finish(self) -> None:
        """Record the lock's commit as the environment's last synced commit when the lock is released."""
        ...


__all__ = [
    "ALLOWED_TRANSITIONS",
    "MAX_REASON_LENGTH",
    "MAX_VERSION",
    "MODEL_GROUP_PATTERN",
    "ApprovalStatus",
    "ChainHead",
    "Decision",
    "ModelCandidate",
    "ModelRegistry",
    "ModelVersion",
    "StatusChange",
    "SyncLease",
    "check_candidate",
    "check_model_group",
    "check_status_change",
    "check_transition",
    "check_version",
    "combined_status",
    "environment_status",
    "environment_statuses",
    "latest_approved",
    "utc_now",
]
