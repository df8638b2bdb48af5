"""Load and validate `configs/<env>/environment.yaml`; every error names the file, the field and the fix."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import ValidationError

from ml.config.schema import EnvironmentConfig
from ml.errors import ConfigError

ENVIRONMENT_FILE = "environment.yaml"
CONFIG_DIR_VARIABLE = "MLOPS_CONFIG_DIR"


def default_config_dir() -> Path:
    """`$MLOPS_CONFIG_DIR`, else the `configs/` folder of the checkout this package runs from."""
    configured = os.environ.get(CONFIG_DIR_VARIABLE)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "configs"


def repository_root(config_dir: Path) -> Path:
    """Relative paths in environment files (e.g. `dataset.source`) are relative to this folder."""
    return config_dir.resolve().parent


def load_environment(name: str, config_dir: Path | None = None) -> EnvironmentConfig:
    """Read and validate one environment file.

    Raises:
        ConfigError: the file is missing, is not YAML, or fails the schema; the message names the
            file and the dotted field, one problem per line.
    """
    path = display_path((config_dir or default_config_dir()) / name / ENVIRONMENT_FILE)
    data = read_yaml_mapping(path)
    try:
        config = EnvironmentConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(path, exc)) from None
    if config.name != name:
        raise ConfigError(
            f"{path}: name: is {config.name!r} but the file lives in folder {name!r}; "
            f"set name: {name} (folder and name must agree)"
        )
    return config


def environment_names(config_dir: Path) -> list[str]:
    """Every folder of `config_dir` that holds an environment file, sorted."""
    return sorted(p.parent.name for p in Path(config_dir).glob(f"*/{ENVIRONMENT_FILE}"))


def read_environments(config_dir: Path) -> tuple[dict[str, EnvironmentConfig], dict[str, list[str]]]:
    """Load every environment file; return the valid configs and, per broken file, its error lines."""
    configs: dict[str, EnvironmentConfig] = {}
    errors: dict[str, list[str]] = {}
    for name in environment_names(config_dir):
        try:
            configs[name] = load_environment(name, config_dir)
        except ConfigError as exc:
            errors[name] = str(exc).splitlines()
    return configs, errors


def load_all_environments(config_dir: Path | None = None) -> dict[str, EnvironmentConfig]:
    """Every `configs/*/environment.yaml`, validated.

    Raises:
        ConfigError: one or more files fail; the message holds every file's errors, not just the first.
    """
    configs, errors = read_environments(config_dir or default_config_dir())
    if errors:
        raise ConfigError("\n".join(line for lines in errors.values() for line in lines))
    return configs


def display_path(path: Path) -> Path:
    """`path` relative to the current directory when it lies below it, so messages read configs/prod/..."""
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path


def read_yaml_mapping(path: Path) -> dict:
    """Parse a YAML file that must hold a mapping, turning every failure into a ConfigError."""
    import yaml

    from ml.config.yaml_safety import check_yaml_shape, load_unique_yaml, read_yaml_text

    if not path.exists():
        raise ConfigError(f"{path}: file not found; create it or pass --env with an existing environment")
    text = read_yaml_text(path)
    if any(line.startswith(("<<<<<<<", ">>>>>>>")) for line in text.splitlines()):
        raise ConfigError(f"{path}: contains a merge conflict marker; resolve the conflict and commit again")
    check_yaml_shape(text, path)
    try:
        # libyaml's safe loader when present: ~10x faster than the pure-Python one, same safe subset.
        data = load_unique_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{path}:{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys at the top level, got {type(data).__name__}")
    return data


def format_validation_error(path: Path, exc: ValidationError) -> str:
    """One line per problem: `<file>: <dotted.field>: <what is wrong>; <fix>`."""
    lines = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"])
        for message in describe_error(error).splitlines():
            # Model-level checks start their message with the dotted field they are about.
            lines.append(f"{path}: {field}: {message}" if field else f"{path}: {message}")
    return "\n".join(lines)


def describe_error(error: dict) -> str:
    """pydantic's message, reworded where it does not say what to write instead."""
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        return "unknown key; remove it or fix its spelling (see configs/schema.json for allowed keys)"
    if kind == "missing":
        return "required field is missing; add it"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a section of key: value lines, got {type(value).__name__} {value!r}"
    if kind == "value_error":
        return error["msg"].removeprefix("Value error, ")
    if isinstance(value, str | int | float | bool):
        return f"{error['msg']}, got {value!r}"
    return error["msg"]
