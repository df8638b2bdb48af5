"""Environment configuration: one schema, one loader, one YAML file per environment."""

from ml.config.loader import load_all_environments, load_environment
from ml.config.schema import DatasetSpec, EnvironmentConfig

__all__ = ["DatasetSpec", "EnvironmentConfig", "load_all_environments", "load_environment"]
