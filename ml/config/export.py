"""What other tools read from the schema and the environment files: configs/schema.json for editors and
CI, and single values for workflows and Terraform wrappers (`mlops config get aws.region --env prod`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ml.config.loader import display_path
from ml.config.schema import EnvironmentConfig
from ml.errors import ConfigError

SCHEMA_FILE = "schema.json"
SCHEMA_COMMAND = "mlops config schema --write"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def render_schema() -> str:
    """The JSON schema of `EnvironmentConfig`, with sorted keys, so the same model gives the same bytes."""
    schema = {"$schema": JSON_SCHEMA_DIALECT, **EnvironmentConfig.model_json_schema()}
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schema(config_dir: Path) -> Path:
    """Write `<config_dir>/schema.json`; return its path as messages show it."""
    path = Path(config_dir) / SCHEMA_FILE
    path.write_text(render_schema(), encoding="utf-8")
    return display_path(path)


def effective_values(config: EnvironmentConfig) -> dict[str, Any]:
    """Every value the environment has, defaults included (the dump leaves out sections it does not take)."""
    return config.model_dump(mode="json")


def get_value(config: EnvironmentConfig, key: str) -> Any:
    """The value at a dotted key (`aws.region`, `notifications.emails.0`).

    Raises:
        ConfigError: the key does not exist; the message lists the keys at the level where it stopped.
    """
    value: Any = effective_values(config)
    walked: list[str] = []
    for part in key.split("."):
        children = _children(value)
        if part not in children:
            where = ".".join(walked) or "the top level"
            available = ", ".join(children) or f"none: {where} is {render_value(value)}"
            raise ConfigError(
                f"environment {config.name}: unknown key {key!r}: no {part!r} under {where}; "
                f"keys there: {available}"
            )
        value = value[int(part)] if isinstance(value, list) else value[part]
        walked.append(part)
    return value


def _children(value: Any) -> list[str]:
    if isinstance(value, dict):
        return list(value)
    if isinstance(value, list):
        return [str(index) for index in range(len(value))]
    return []


def render_value(value: Any) -> str:
    """Strings raw (no quotes, for `$(mlops config get ...)`); everything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value)
