"""Edits of `approved-model.yaml` that keep comments and key order: the reviewed diff is only the change."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ml.registry.approvals import Approval, ApprovalFile, Rejection, parse_approval_file, read_round_trip

HEADER = """\
# Which model version this environment serves. Change it only through a pull request:
#   mlops approve --env <env> --version N --by NAME --reason TEXT
# edits this file and writes the pull-request description with the evidence; after merge,
#   mlops registry sync --env <env>
# makes the model registry agree with this file. Git history is the audit trail.
"""
# Wide enough that no value (a 64-character digest, a long reason) is folded onto a second line, which
# would make the reviewed diff harder to read and to grep.
LINE_WIDTH = 4096


def write_approval(path: Path, approval: Approval) -> None:
    """Set the group's approval in place (comments and key order kept); rejections are never dropped.

    Raises:
        ConfigError: the file is invalid, or it lists the version under rejections.
    """
    _, data = _document(path)
    entries = data.setdefault("approvals", [])
    entry = approval.model_dump(exclude_defaults=False)
    index = next((i for i, e in enumerate(entries) if e.get("model_group") == approval.model_group), None)
    if index is None:
        entries.append(entry)
    else:
        _update_in_place(entries[index], entry)
    _save(path, data)


def write_rejection(path: Path, rejection: Rejection) -> None:
    """Record a rejection; if the rejected version is the approved one, the approval is removed."""
    _, data = _document(path)
    _drop(data, "approvals", rejection.model_group, rejection.version)
    rejections = data.setdefault("rejections", [])
    if not any(_same(e, rejection.model_group, rejection.version) for e in rejections):
        rejections.append(rejection.model_dump())
    _save(path, data)


def _document(path: Path) -> tuple[ApprovalFile, Any]:
    """The file validated and as an editable round-trip document; an invalid file is never edited."""
    from ruamel.yaml import YAML

    from ml.config.yaml_safety import read_yaml_text

    if not path.exists():
        return ApprovalFile(), YAML(typ="rt").load(HEADER + "approvals: []\n")
    text = read_yaml_text(path)
    current = parse_approval_file(text, path)
    return current, read_round_trip(text, path) or YAML(typ="rt").load("approvals: []\n")


def _update_in_place(target: Any, values: dict) -> None:
    for key in list(target):
        if key not in values:
            del target[key]
    for key, value in values.items():
        target[key] = value


def _same(entry: Any, model_group: str, version: int) -> bool:
    return entry.get("model_group") == model_group and entry.get("version") == version


def _drop(data: Any, section: str, model_group: str, version: int) -> None:
    entries = data.get(section) or []
    for index in reversed(range(len(entries))):
        if _same(entries[index], model_group, version):
            del entries[index]


def _save(path: Path, data: Any) -> None:
    from ruamel.yaml import YAML

    from ml.artifacts.local import write_bytes_atomically

    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = LINE_WIDTH
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    parse_approval_file(buffer.getvalue(), path)  # never write a file the next reader would refuse
    write_bytes_atomically(path, buffer.getvalue().encode("utf-8"))
