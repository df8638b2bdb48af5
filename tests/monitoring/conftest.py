import pytest

from ml.config.schema import DatasetSpec, MonitoringConfig


@pytest.fixture(scope="module")
def spec(config) -> DatasetSpec:
    return config.dataset


@pytest.fixture(scope="module")
def monitoring(config) -> MonitoringConfig:
    return config.monitoring
