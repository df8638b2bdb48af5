"""Shared fixtures: the embedded environment's config and the sample data prepared once per session."""

from __future__ import annotations

import os
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
# Property-based tests (hypothesis): a bounded, reproducible run in `make test`; `make fuzz` sets
# MLOPS_HYPOTHESIS_PROFILE=fuzz for a long random one (see docs/monitoring.md, "Fuzzing the readers").
from hypothesis import HealthCheck, settings  # noqa: E402

from tests.aws_server import fresh_moto, moto_server, socket_guard  # noqa: E402, F401

settings.register_profile(
    "ci",
    max_examples=100,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "fuzz",
    max_examples=3000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("MLOPS_HYPOTHESIS_PROFILE", "ci"))
