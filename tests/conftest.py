"""Shared fixtures: the embedded environment's config and the sample data prepared once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from ml.config.loader import load_environment
from ml.config.schema import EnvironmentConfig

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def config() -> EnvironmentConfig:
    return load_environment("local", REPO / "configs")


@pytest.fixture(scope="session")
def prepared_dir(tmp_path_factory, config) -> Path:
    """The sample splits, written by the real `prepare_sample_data`."""
    from ml.data.workflow import prepare_sample_data

    target = tmp_path_factory.mktemp("prepared")
    prepare_sample_data(config, REPO / config.dataset.source, target)
    return target


def with_changes(config: EnvironmentConfig, **sections) -> EnvironmentConfig:
    """A copy of the config with some sections updated, validated like a file would be."""
    data = config.model_dump()
    for section, values in sections.items():
        if isinstance(values, dict):
            data[section] = {**data[section], **values}
        else:
            data[section] = values
    return EnvironmentConfig.model_validate(data)


# AWS test fixtures: a session moto server on 127.0.0.1 (`moto_server`, `fresh_moto` resets it per test)
# and the autouse `socket_guard` that refuses any connection beyond loopback.
from tests.aws_server import fresh_moto, moto_server, socket_guard  # noqa: E402, F401
