"""The quality gate: a model that misses the configured minimums is not registered."""

from __future__ import annotations

from dataclasses import dataclass

from ml.config.schema import QualityGate
from ml.train.evaluate import EvaluationMetrics


@dataclass(frozen=True)
class GateDecision:
    """Whether the model may be registered, and the reasons in words a reviewer can check."""

    passed: bool
    reasons: tuple[str, ...]


def apply_quality_gate(metrics: EvaluationMetrics, gate: QualityGate) -> GateDecision:
    """Compare held-out AUC with `quality_gate.min_auc`."""
    if metrics.auc >= gate.min_auc:
        return GateDecision(True, (f"auc {metrics.auc:.3f} >= min_auc {gate.min_auc:.3f}",))
    return GateDecision(False, (f"auc {metrics.auc:.3f} < min_auc {gate.min_auc:.3f}",))
