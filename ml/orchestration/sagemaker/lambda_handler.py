"""The inference pipeline's LambdaStep: resolve the approved version exactly as `mlops infer` does locally.

Handler `ml.orchestration.sagemaker.lambda_handler.handler` (runtime python3.11, package built by
`make lambda-package`). The environment's name comes from `MLOPS_ENV`; its file is shipped in the package.
The outputs are what the scoring job needs to fetch and verify the version's artifacts: SageMaker copies
the objects into the job, which runs under network isolation and checks each one against its digest.
"""

from __future__ import annotations

import os
from typing import Any

from ml.registry import ModelVersion

ENVIRONMENT_VARIABLE = "MLOPS_ENV"
# LambdaStep output names, in the order the builder declares them.
OUTPUTS = (
    "ModelVersion",
    "ArtifactDigest",
    "ArtifactUri",
    "StatisticsDigest",
    "StatisticsUri",
    "ConstraintsDigest",
    "ConstraintsUri",
)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Return the approved version's number, artifact and baseline (URIs and SHA-256 digests).

    Raises:
        ConfigError: MLOPS_ENV is unset or its environment file is invalid.
        ModelNotFoundError: nothing is approved; the pipeline stops at this step with that message.
    """
    from ml.config.loader import load_environment
    from ml.errors import ConfigError
    from ml.inference.resolve import resolve_approved_version
    from ml.orchestration.services import build_sagemaker_registry

    name = os.environ.get(ENVIRONMENT_VARIABLE)
    if not name:
        raise ConfigError(
            f"{ENVIRONMENT_VARIABLE} is not set; the Lambda's configuration must name the environment"
        )
    config = load_environment(name)
    version = resolve_approved_version(build_sagemaker_registry(config, None), config.model_group)
    return resolved_outputs(version)


def resolved_outputs(version: ModelVersion) -> dict[str, Any]:
    """The LambdaStep outputs for one version."""
    from ml.errors import ArtifactIntegrityError

    digests, uris = version.lineage.get("baseline") or {}, version.lineage.get("baseline_uri") or {}
    missing = [
        name for name in ("statistics.json", "constraints.json") if name not in digests or name not in uris
    ]
    if missing or not version.artifact_uri.startswith("s3://"):
        raise ArtifactIntegrityError(
            f"{version.model_group} version {version.version}: no S3 artifact or baseline {missing} in its "
            "lineage; it was not registered by a SageMaker-backed train run, so the pipeline cannot fetch it"
        )
    outputs = {
        "ModelVersion": version.version,
        "ArtifactDigest": version.artifact_digest,
        "ArtifactUri": version.artifact_uri,
        "StatisticsDigest": digests["statistics.json"],
        "StatisticsUri": uris["statistics.json"],
        "ConstraintsDigest": digests["constraints.json"],
        "ConstraintsUri": uris["constraints.json"],
    }
    return {name: outputs[name] for name in OUTPUTS}
