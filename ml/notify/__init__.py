"""The notification seam: runners emit RunEvents, a Notifier delivers them (log file, SNS, ...)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol


class EventKind(StrEnum):
    """Everything people are told about; the values are stable names for filters and subscriptions."""

    TRAIN_FAILED = "train_failed"
    GATE_REJECTED = "gate_rejected"
    MODEL_REGISTERED = "model_registered"
    INFERENCE_VIOLATIONS = "inference_violations"
    RETRAINING_STARTED = "retraining_started"
    INFERENCE_FAILED = "inference_failed"
    MODEL_QUALITY_VIOLATIONS = "model_quality_violations"
    MODEL_QUALITY_FAILED = "model_quality_failed"


@dataclass(frozen=True)
class RunEvent:
    """One notification: what happened, in which run, with the details a reader needs to act."""

    kind: EventKind
    pipeline: str
    run_id: str
    message: str
    details: Mapping[str, Any] = field(default_factory=dict)
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "pipeline": self.pipeline,
            "run_id": self.run_id,
            "message": self.message,
            "details": dict(self.details),
            "at": self.at,
        }


class Notifier(Protocol):
    """Delivers events to people."""

    def notify(self, event: RunEvent) -> None:
        """Deliver one event; must not raise for a well-formed event once the notifier is built."""
        ...


__all__ = ["EventKind", "Notifier", "RunEvent"]
