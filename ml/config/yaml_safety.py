"""Defensive YAML: every configuration and approval file is read through these limits before it is parsed.

A file under review can be hostile: a few hundred bytes of nested aliases ("billion laughs") expand to
billions of nodes when anything walks the document, and deep nesting exhausts the parser's stack. So a
file must be UTF-8 (a BOM is fine), at most `MAX_YAML_BYTES`, nest at most `MAX_DEPTH` levels, and expand
(aliases counted as the nodes they stand for) to at most `MAX_NODES` nodes; keys may not repeat.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ml.errors import ConfigError

MAX_YAML_BYTES = 1 << 20
MAX_DEPTH = 64
MAX_NODES = 100_000


def read_yaml_text(path: Path) -> str:
    """The file's text; a file that cannot be read, is too large or is not UTF-8 is a ConfigError."""
    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise ConfigError(f"{path}: {size} bytes; a configuration file may hold at most {MAX_YAML_BYTES}")
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot be read ({exc.strerror}); check the file and its permissions"
        ) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}: line {line}: byte offset {exc.start}: not UTF-8 text; save it as UTF-8"
        ) from None


def check_yaml_shape(text: str, source: Path | str) -> None:
    """Refuse deep nesting and alias expansion beyond the limits, from parser events (nothing is built)."""
    import yaml

    if len(text.encode("utf-8")) > MAX_YAML_BYTES:
        raise ConfigError(
            f"{source}: longer than {MAX_YAML_BYTES} bytes; a configuration file is not that big"
        )
    weights: dict[str, int] = {}  # anchor -> how many values it stands for
    open_collections: list[list] = []  # [values inside so far, anchor]
    expanded = 0
    try:
        for event in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            if isinstance(event, yaml.CollectionStartEvent):
                open_collections.append([1, event.anchor])
                if len(open_collections) > MAX_DEPTH:
                    raise ConfigError(f"{source}: line {_line(event)}: nested deeper than {MAX_DEPTH} levels")
                continue
            if isinstance(event, yaml.CollectionEndEvent):
                weight, anchor = open_collections.pop()
            elif isinstance(event, yaml.AliasEvent):
                weight, anchor = weights.get(event.anchor, 1), None
                expanded += weight
            elif isinstance(event, yaml.ScalarEvent):
                weight, anchor = 1, event.anchor
                expanded += 1
            else:
                continue
            if anchor:
                weights[anchor] = weight
            if open_collections:
                open_collections[-1][0] += weight
            if expanded > MAX_NODES:
                raise ConfigError(
                    f"{source}: line {_line(event)}: its aliases expand to more than {MAX_NODES} values "
                    "(an alias bomb?); write the values out or use fewer aliases"
                )
    except yaml.YAMLError:
        return  # the loader reports the syntax error with its line and column


def load_unique_yaml(text: str) -> Any:
    """PyYAML's safe loader (libyaml's when present), refusing a key that appears twice in one mapping.

    Raises:
        yaml.YAMLError: malformed YAML, or a repeated key (`DuplicateKeyError`, with its line).
    """
    import yaml

    return yaml.load(text, Loader=_unique_key_loader())


_LOADER: list[type] = []


def _unique_key_loader() -> type:
    if _LOADER:
        return _LOADER[0]
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class UniqueKeyLoader(base):  # type: ignore[misc, valid-type]
        """The safe loader, with a mapping constructor that refuses repeated keys."""

    def construct_mapping(loader, node, deep=False):
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, "a key must be a plain value", key_node.start_mark
                ) from None
            seen[key] = key_node.start_mark.line + 1
            if first is not None:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key {key!r} appears twice (first on line {first}); keep one",
                    key_node.start_mark,
                )
        return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)

    UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    _LOADER.append(UniqueKeyLoader)
    return UniqueKeyLoader


def _line(event: Any) -> int:
    return event.start_mark.line + 1 if event.start_mark else 0
