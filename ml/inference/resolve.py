"""Find the model version to serve and load its artifacts, checking them against the registry's digests."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ml.artifacts import ArtifactStore
from ml.artifacts.codecs import get_content, get_json
from ml.errors import ModelNotFoundError
from ml.registry import ModelRegistry, ModelVersion

if TYPE_CHECKING:  # numpy/pandas/xgboost: the resolve Lambda imports this module and ships none of them
    from ml.monitoring.baseline import DataBaseline
    from ml.train.train import ModelBundle


def resolve_approved_version(registry: ModelRegistry, model_group: str) -> ModelVersion:
    """The latest approved version of the group.

    Raises:
        ModelNotFoundError: nothing is approved yet; the message says how to approve a version.
    """
    version = registry.approved_version(model_group)
    if version is None:
        pending = [
            v.version for v in registry.list_versions(model_group) if v.status == "PendingManualApproval"
        ]
        hint = (
            f"pending versions: {pending}; "
            if pending
            else "no versions registered yet (run `mlops train`); "
        )
        raise ModelNotFoundError(
            f"model group {model_group!r} has no approved version; {hint}"
            "approve one with `mlops approve --version N --by NAME --reason TEXT`"
        )
    return version


def load_model_artifacts(artifacts: ArtifactStore, version: ModelVersion) -> tuple[ModelBundle, DataBaseline]:
    """The model bundle and data-quality baseline a version was registered with, digest-verified."""
    from ml.monitoring.baseline import baseline_from_json
    from ml.train.train import ModelBundle

    model = ModelBundle.from_bytes(get_content(artifacts, version.artifact_digest))
    baseline_digests = version.lineage["baseline"]
    baseline = baseline_from_json(
        get_json(artifacts, baseline_digests["statistics.json"]),
        get_json(artifacts, baseline_digests["constraints.json"]),
    )
    return model, baseline
