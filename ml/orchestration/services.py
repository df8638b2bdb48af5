"""Build the backend services an environment's config asks for; the only code that reads `config.backend`."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ml.artifacts import ArtifactStore
from ml.config.schema import EnvironmentConfig
from ml.errors import ConfigError
from ml.notify import Notifier
from ml.registry import ModelRegistry

if TYPE_CHECKING:
    from ml.registry.comparison import ScoresReader
    from ml.registry.evidence import StatisticsReader

# Backend name -> role -> "module:function"; a backend's modules (and SDKs) are imported only when it is
# picked. A role a backend lacks is a clear ConfigError, so a command that needs only the registry (approve,
# sync, policy check, registry list) works on a backend whose pipelines are not wired here yet.
BACKENDS: dict[str, dict[str, str]] = {
    "local": {
        "services": "ml.orchestration.services:build_local_services",
        "registry": "ml.orchestration.services:build_local_registry",
        "statistics": "ml.orchestration.services:build_local_statistics_reader",
        "scores": "ml.orchestration.services:build_local_scores_reader",
    },
    "sagemaker": {
        "services": "ml.orchestration.services:build_sagemaker_services",
        "registry": "ml.orchestration.services:build_sagemaker_registry",
        "statistics": "ml.orchestration.services:build_sagemaker_statistics_reader",
        "scores": "ml.orchestration.services:build_sagemaker_scores_reader",
    },
}
ROLES = {
    "services": "the artifact store, registry and notifier the pipelines need",
    "registry": "a model registry",
    "statistics": "a reader of training-data statistics",
    "scores": "a reader of the versions' scores on the locked evaluation set",
}


@dataclass(frozen=True)
class Workspace:
    """The folder where the embedded backend keeps its state (`local.work_dir`, or `--work-dir`)."""

    root: Path

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"


@dataclass(frozen=True)
class Services:
    """The three seams every pipeline talks through."""

    artifacts: ArtifactStore
    registry: ModelRegistry
    notifier: Notifier


def build_services(config: EnvironmentConfig, workspace: Workspace) -> Services:
    """Instantiate the artifact store, registry and notifier for `config.backend`."""
    return _build("services", config, workspace)


def build_registry(config: EnvironmentConfig, workspace: Workspace) -> ModelRegistry:
    """Only the registry: what approvals, sync and policy checks need, on either backend."""
    return _build("registry", config, workspace)


def build_statistics_reader(config: EnvironmentConfig, workspace: Workspace) -> StatisticsReader:
    """Reads a version's training-data statistics for the approval pull request (None where unavailable)."""
    return _build("statistics", config, workspace)


def build_scores_reader(config: EnvironmentConfig, workspace: Workspace) -> ScoresReader:
    """Reads a version's stored scores on the locked evaluation set, for paired comparisons."""
    return _build("scores", config, workspace)


def _build(role: str, config: EnvironmentConfig, workspace: Workspace) -> Any:
    roles = BACKENDS.get(config.backend)
    if roles is None:
        raise ConfigError(
            f"environment {config.name}: backend {config.backend!r} is not available in this version; "
            f"use one of {sorted(BACKENDS)}"
        )
    if role not in roles:
        raise ConfigError(
            f"environment {config.name}: backend {config.backend!r} does not provide {ROLES[role]} in "
            f"this version (it provides: {', '.join(sorted(roles))}); use an environment whose backend "
            f"does: {sorted(name for name, provided in BACKENDS.items() if role in provided)}"
        )
    module_name, function_name = roles[role].split(":")
    return getattr(importlib.import_module(module_name), function_name)(config, workspace)


def build_local_services(config: EnvironmentConfig, workspace: Workspace) -> Services:
    from ml.notify.log import LogNotifier

    return Services(
        artifacts=_local_artifacts(workspace),
        registry=build_local_registry(config, workspace),
        notifier=LogNotifier(workspace.root / "notifications.jsonl"),
    )


def build_local_registry(config: EnvironmentConfig, workspace: Workspace) -> ModelRegistry:
    from ml.registry.sqlite import SQLiteModelRegistry

    return SQLiteModelRegistry(workspace.root / "registry.db", environment=config.name)


def build_local_statistics_reader(config: EnvironmentConfig, workspace: Workspace) -> StatisticsReader:
    from ml.registry.evidence import statistics_reader

    return statistics_reader(_local_artifacts(workspace))


def build_local_scores_reader(config: EnvironmentConfig, workspace: Workspace) -> ScoresReader:
    from ml.registry.comparison import scores_reader

    return scores_reader(_local_artifacts(workspace))


def _local_artifacts(workspace: Workspace) -> ArtifactStore:
    from ml.artifacts.local import LocalArtifactStore

    return LocalArtifactStore(workspace.root / "artifacts")


def build_sagemaker_services(config: EnvironmentConfig, workspace: Workspace) -> Services:
    """S3 (SSE-KMS) artifacts, the central SageMaker registry and SNS: what the pipeline jobs use, and what
    `mlops train|infer --env dev` use when they run the steps on this machine against the environment."""
    return Services(
        artifacts=build_sagemaker_artifacts(config),
        registry=build_sagemaker_registry(config, workspace),
        notifier=build_sagemaker_notifier(config),
    )


def build_sagemaker_artifacts(config: EnvironmentConfig) -> ArtifactStore:
    from ml.artifacts.s3 import S3ArtifactStore
    from ml.aws import build_client

    aws = _section(config, "aws")
    client = build_client("s3", region=aws.region)
    return S3ArtifactStore(client, bucket=aws.artifact_bucket, kms_key_arn=aws.kms_key_arn)


def build_sagemaker_notifier(config: EnvironmentConfig) -> Notifier:
    from ml.aws import build_client
    from ml.notify.sns import SNSNotifier, topic_arn

    aws, notifications = _section(config, "aws"), _section(config, "notifications")
    topic = topic_arn(aws.region, aws.account_id, notifications.topic_name)
    return SNSNotifier(build_client("sns", region=aws.region), topic, environment=config.name)


def build_sagemaker_registry(config: EnvironmentConfig, workspace: Workspace | None) -> ModelRegistry:
    from functools import partial

    from ml.aws import build_client
    from ml.orchestration.sagemaker.naming import pipeline_image_uri
    from ml.registry.sagemaker import SageMakerModelRegistry

    registry = _section(config, "registry")
    client = build_client("sagemaker", region=registry.region)
    # The version's container is the pipeline image: it holds the code that loads and scores the bundle.
    image = partial(pipeline_image_uri, config) if config.sagemaker else ""
    # A group in this environment's own account is addressed by name (and created on first use).
    own = config.aws is not None and config.aws.account_id == registry.account_id
    return SageMakerModelRegistry(
        client,
        environment=config.name,
        image_uri=image,
        registry_account_id=None if own else registry.account_id,
    )


# The evidence readers read each file in the bucket the version's lineage names (prod approves versions
# trained in dev's bucket); this environment's bucket only when a version recorded no S3 URI.
def build_sagemaker_statistics_reader(config: EnvironmentConfig, workspace: Workspace) -> StatisticsReader:
    from ml.registry.evidence import statistics_reader

    return statistics_reader(build_sagemaker_artifacts(config))


def build_sagemaker_scores_reader(config: EnvironmentConfig, workspace: Workspace) -> ScoresReader:
    from ml.registry.comparison import scores_reader

    return scores_reader(build_sagemaker_artifacts(config))


def _section(config: EnvironmentConfig, name: str) -> Any:
    section = getattr(config, name)
    if section is None:
        raise ConfigError(f"environment {config.name}: backend sagemaker needs the {name}: section; add it")
    return section
