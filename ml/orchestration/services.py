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
        "registry": "ml.orchestration.services:build_sagemaker_registry",
        # Until the S3 artifact store exists the approval pull request shows no baseline statistics.
        "statistics": "ml.orchestration.services:build_no_statistics_reader",
        # Likewise the locked-set scores: comparisons of SageMaker-registered versions say "not readable".
        "scores": "ml.orchestration.services:build_unreadable_scores_reader",
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


def build_no_statistics_reader(config: EnvironmentConfig, workspace: Workspace) -> StatisticsReader:
    from ml.registry.evidence import no_statistics

    return no_statistics


def build_local_scores_reader(config: EnvironmentConfig, workspace: Workspace) -> ScoresReader:
    from ml.registry.comparison import scores_reader

    return scores_reader(_local_artifacts(workspace))


def build_unreadable_scores_reader(config: EnvironmentConfig, workspace: Workspace) -> ScoresReader:
    from ml.registry.comparison import unreadable_scores

    return unreadable_scores(config.backend)


def _local_artifacts(workspace: Workspace) -> ArtifactStore:
    from ml.artifacts.local import LocalArtifactStore

    return LocalArtifactStore(workspace.root / "artifacts")


def build_sagemaker_registry(config: EnvironmentConfig, workspace: Workspace) -> ModelRegistry:
    from functools import partial

    from ml.aws import build_client
    from ml.orchestration.sagemaker import xgboost_image_uri
    from ml.registry.sagemaker import SageMakerModelRegistry

    client = build_client("sagemaker", region=config.registry.region)
    return SageMakerModelRegistry(
        client,
        environment=config.name,
        image_uri=partial(xgboost_image_uri, config.registry.region),
        registry_account_id=config.registry.account_id,
    )
