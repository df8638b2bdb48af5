"""Errors shared by every backend, each with the exit code the CLI returns for it.

Exit codes are part of the CLI's contract (documented in README.md): scripts and schedulers branch on them.
"""

from __future__ import annotations


class MlopsError(Exception):
    """Base class: a problem the user can fix, with a message that says how."""

    exit_code = 1


class ConfigError(MlopsError):
    """A configuration file is missing, malformed or fails the schema."""

    exit_code = 2


class DataError(MlopsError):
    """An input data file cannot be used: missing, empty, wrong header, bad values."""

    exit_code = 3


class ModelNotFoundError(MlopsError):
    """A model group or version that was asked for does not exist, or none is approved."""

    exit_code = 4


class InvalidTransitionError(MlopsError):
    """A status change that the approval rules do not allow (e.g. approving a rejected version)."""

    exit_code = 5


class ArtifactIntegrityError(MlopsError):
    """A stored artifact is missing or its bytes no longer match its SHA-256 key."""

    exit_code = 6


class ArtifactMissingError(ArtifactIntegrityError):
    """A stored artifact is not there at all (readers of optional evidence treat it as absent)."""


class PipelineFailedError(MlopsError):
    """A pipeline step raised; the run record holds the step and the error."""

    exit_code = 7


class QualityGateRejectedError(MlopsError):
    """The trained model did not meet the quality gate, so it was not registered."""

    exit_code = 8


class DataQualityViolationError(MlopsError):
    """The batch violates its baseline's constraints; no predictions were written."""

    exit_code = 10


class ModelQualityViolationError(MlopsError):
    """Scored predictions, joined with their late true labels, violate the model-quality constraints."""

    exit_code = 11


class RegistryDriftError(MlopsError):
    """The registry approves a version that git does not; reported by the sync, reverted with --enforce."""

    exit_code = 12


class PolicyViolationError(MlopsError):
    """An approval file breaks a governance rule of its environment."""

    exit_code = 13
