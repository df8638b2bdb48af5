"""The last train step: hand the gated model, its evidence and lineage to the registry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ml.artifacts import ArtifactRef
from ml.registry import ModelCandidate, ModelRegistry, ModelVersion
from ml.train.crossval import CrossValidation
from ml.train.evaluate import EvaluationMetrics
from ml.train.gate import GateDecision
from ml.train.locked import LockedEvaluation


@dataclass(frozen=True)
class RegistrationContext:
    """Facts about the run that the steps cannot know: who, which group, which data and code."""

    model_group: str
    created_by: str
    data_digests: Mapping[str, str]
    code_version: Mapping[str, Any]
    parameters: Mapping[str, Any]


def register_model_version(
    registry: ModelRegistry,
    context: RegistrationContext,
    model_refs: Mapping[str, ArtifactRef],
    metrics: EvaluationMetrics,
    locked: LockedEvaluation,
    locked_refs: Mapping[str, ArtifactRef],
    cross_validation: CrossValidation,
    baseline_refs: Mapping[str, ArtifactRef],
    gate: GateDecision,
    run_id: str,
) -> ModelVersion:
    """Register the model pending approval, with its metrics, parameters and lineage.

    The metrics are the internal test split's (gate), the locked evaluation set's (`evaluation_*`) and the
    cross-validation's (`cv_*`); lineage.evaluation names the locked set by its SHA-256 and the stored
    row-by-row scores by theirs, so versions are compared only on the same rows.
    """
    model = model_refs["model.json"]
    scores = locked_refs["locked_evaluation.json"]
    lineage = {
        "run_id": run_id,
        "data": dict(context.data_digests),
        "code": dict(context.code_version),
        "baseline": {name: ref.sha256 for name, ref in baseline_refs.items()},
        "baseline_uri": {name: ref.uri for name, ref in baseline_refs.items()},
        "gate": {"passed": gate.passed, "reasons": list(gate.reasons)},
        "evaluation": {
            "sha256": locked.scores.evaluation_sha256,
            "rows": len(locked.scores.labels),
            "scores": scores.sha256,
            "scores_uri": scores.uri,
        },
    }
    candidate = ModelCandidate(
        model_group=context.model_group,
        artifact_digest=model.sha256,
        artifact_uri=model.uri,
        metrics={**metrics.to_dict(), **locked.registry_metrics(), **cross_validation.registry_metrics()},
        parameters=dict(context.parameters),
        lineage=lineage,
        created_by=context.created_by,
    )
    return registry.register(candidate)
