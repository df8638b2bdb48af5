"""Build the backend services an environment's config asks for; the only code that reads `config.backend`."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from ml.artifacts import ArtifactStore
from ml.config.schema import EnvironmentConfig
from ml.errors import ConfigError
from ml.notify import Notifier
from ml.registry import ModelRegistry

# Backend name -> "module:function"; a backend's modules (and SDKs) are imported only when it is picked.
BACKENDS = {
    "local": "ml.orchestration.services:build_local_services",
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
    target = BACKENDS.get(config.backend)
    if target is None:
        raise ConfigError(
            f"environment {config.name}: backend {config.backend!r} is not available in this version; "
            f"use one of {sorted(BACKENDS)}"
        )
    module_name, function_name = target.split(":")
    return getattr(importlib.import_module(module_name), function_name)(config, workspace)


def build_registry(config: EnvironmentConfig, workspace: Workspace) -> ModelRegistry:
    """Only the registry: what approvals, sync and policy checks need, on either backend."""
    if config.backend == "sagemaker":
        from functools import partial

        from ml.aws import build_client
        from ml.orchestration.sagemaker import xgboost_image_uri
        from ml.registry.sagemaker import SageMakerModelRegistry

        client = build_client("sagemaker", region=config.registry.region)
        return SageMakerModelRegistry(
            client,
            image_uri=partial(xgboost_image_uri, config.registry.region),
            registry_account_id=config.registry.account_id,
        )
    return build_services(config, workspace).registry


def build_local_services(config: EnvironmentConfig, workspace: Workspace) -> Services:
    from ml.artifacts.local import LocalArtifactStore
    from ml.notify.log import LogNotifier
    from ml.registry.sqlite import SQLiteModelRegistry

    return Services(
        artifacts=LocalArtifactStore(workspace.root / "artifacts"),
        registry=SQLiteModelRegistry(workspace.root / "registry.db"),
        notifier=LogNotifier(workspace.root / "notifications.jsonl"),
    )
