"""The model registry seam: a narrow Protocol, its value types and the transition rules all backends obey."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from ml.errors import InvalidTransitionError


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


class ModelRegistry(Protocol):
    """Versions of models, their status and evidence. Every backend raises the errors of ml.errors."""

    def register(self, candidate: ModelCandidate) -> ModelVersion:
        """Create a `PendingManualApproval` version, or return the existing one for the same artifact.

        Args:
            candidate: the artifact digest/URI, metrics, parameters and lineage to record.

        Returns:
            The new version (numbered one above the group's highest), or the version already holding
            `candidate.artifact_digest` in that group.
        """
        ...

    def get(self, model_group: str, version: int) -> ModelVersion:
        """Return one version.

        Raises:
            ModelNotFoundError: the group or the version does not exist.
        """
        ...

    def list_versions(self, model_group: str) -> list[ModelVersion]:
        """Return every version of the group, oldest first (empty for an unknown group)."""
        ...

    def set_status(
        self, model_group: str, version: int, status: ApprovalStatus, *, reason: str, changed_by: str
    ) -> ModelVersion:
        """Change a version's status and append who/when/why to its history.

        Setting the status it already has changes nothing and returns the version unchanged.

        Raises:
            ModelNotFoundError: the version does not exist.
            InvalidTransitionError: the rules in ALLOWED_TRANSITIONS forbid the change.
        """
        ...

    def approved_version(self, model_group: str) -> ModelVersion | None:
        """Return the highest-numbered `Approved` version of the group, or None."""
        ...


__all__ = [
    "ALLOWED_TRANSITIONS",
    "ApprovalStatus",
    "ModelCandidate",
    "ModelRegistry",
    "ModelVersion",
    "StatusChange",
    "check_transition",
]
