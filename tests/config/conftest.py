"""The repository's environment files copied to a temporary configs/, to break one thing at a time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "configs"
ENVS = ("dev", "local", "prod", "registry")


def read_env(config_dir: Path, env: str) -> dict:
    return yaml.safe_load((config_dir / env / "environment.yaml").read_text())


def edit_env(config_dir: Path, env: str, change: Callable[[dict], object]) -> Path:
    """Apply `change` to the parsed file and write it back; return the config folder."""
    data = read_env(config_dir, env)
    change(data)
    (config_dir / env / "environment.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return config_dir


def replace_in_env(config_dir: Path, env: str, old: str, new: str) -> Path:
    """Replace text in a file, e.g. an account id everywhere it occurs."""
    path = config_dir / env / "environment.yaml"
    path.write_text(path.read_text().replace(old, new))
    return config_dir


@pytest.fixture
def config_dir(tmp_path) -> Path:
    """Every `configs/<env>/environment.yaml` of the repository, copied."""
    target = tmp_path / "configs"
    for source in CONFIGS.glob("*/environment.yaml"):
        (target / source.parent.name).mkdir(parents=True)
        (target / source.parent.name / "environment.yaml").write_text(source.read_text())
    return target
