"""A parsed view of infra/terraform for the offline checks: no provider can be downloaded here, so nothing
runs `terraform init` or `validate`; python-hcl2 reads the files and these helpers answer questions about
them (blocks, policy statements, and the value of simple string templates for one environment).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2
import yaml
from hcl2 import SerializationOptions

from tests.infra.expressions import Scope, TemplateError, evaluate

REPO = Path(__file__).resolve().parents[2]
TERRAFORM = REPO / "infra" / "terraform"
MODULES = TERRAFORM / "modules"
STACKS = TERRAFORM / "stacks"
CONFIGS = REPO / "configs"
# The environments each stack is applied for (docs: infra/terraform/README.md).
STACK_ENVIRONMENTS = {"workload": ("dev", "prod"), "registry": ("registry",)}
_META_KEYS = {"__is_block__", "__comments__", "__inline_comments__"}
_OPTIONS = SerializationOptions(strip_string_quotes=True)


@functools.cache
def parse_file(path: Path) -> dict[str, Any]:
    """One .tf file as python-hcl2 reads it, without its comment and block markers."""
    with path.open(encoding="utf-8") as handle:
        return _without_meta(hcl2.load(handle, serialization_options=_OPTIONS))


def parse_text(text: str) -> dict[str, Any]:
    return _without_meta(hcl2.loads(text, serialization_options=_OPTIONS))


def _without_meta(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_meta(v) for k, v in value.items() if k not in _META_KEYS}
    if isinstance(value, list):
        return [_without_meta(v) for v in value]
    return value


def display(path: Path) -> str:
    """A path as messages show it: relative to infra/terraform, or its name for a copy elsewhere."""
    return str(path.relative_to(TERRAFORM)) if path.is_relative_to(TERRAFORM) else path.name


def tf_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.tf"))


def module_dirs() -> list[Path]:
    return sorted(p for p in MODULES.iterdir() if p.is_dir())


def stack_dirs() -> list[Path]:
    return sorted(p for p in STACKS.iterdir() if p.is_dir())


def blocks(folder: Path, kind: str) -> dict[str, Any]:
    """Every labelled block of one kind (`variable`, `output`, `module`) in a folder, by label."""
    found: dict[str, Any] = {}
    for path in tf_files(folder):
        for entry in parse_file(path).get(kind, []):
            found.update(entry)
    return found


def resources(folder: Path, kind: str = "resource") -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(type, name, body) of every resource (or data source) in a folder."""
    for path in tf_files(folder):
        for entry in parse_file(path).get(kind, []):
            for rtype, named in entry.items():
                for name, body in named.items():
                    yield rtype, name, body


def locals_of(folder: Path) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for path in tf_files(folder):
        for entry in parse_file(path).get("locals", []):
            merged.update(entry)
    return merged


@dataclass(frozen=True)
class Statement:
    """One statement of a `data "aws_iam_policy_document"`, and where it is written."""

    where: str
    body: dict[str, Any]

    @property
    def effect(self) -> str:
        return self.body.get("effect", "Allow")

    @property
    def actions(self) -> list[str]:
        value = self.body.get("actions", [])
        return value if isinstance(value, list) else [value]

    @property
    def resources(self) -> list[str]:
        value = self.body.get("resources", [])
        return value if isinstance(value, list) else [value]

    @property
    def is_resource_policy(self) -> bool:
        """Statements with principals belong to resource policies (key, bucket, topic, queue, group)."""
        return "principals" in self.body


def policy_statements(folder: Path) -> list[Statement]:
    """Every statement of every policy document in a folder, dynamic ones included (their `content`)."""
    found = []
    for rtype, name, body in resources(folder, "data"):
        if rtype != "aws_iam_policy_document":
            continue
        where = f"{display(folder)}: data.aws_iam_policy_document.{name}"
        for statement in body.get("statement", []):
            found.append(Statement(f"{where} statement {statement.get('sid', '?')}", statement))
        for dynamic in body.get("dynamic", []):
            for content in dynamic.get("statement", {}).get("content", []):
                found.append(Statement(f"{where} dynamic statement {content.get('sid', '?')}", content))
    return found


def statement_named(folder: Path, sid: str) -> Statement:
    """The one policy statement of a folder whose `sid` is written as `sid` (a template for dynamic ones)."""
    (found,) = [s for s in policy_statements(folder) if s.body.get("sid") == sid]
    return found


def evaluated(statement: Statement, scope: Scope) -> dict[str, Any]:
    """A statement's actions, resources and conditions in `scope` (principals are left out)."""
    return {
        part: evaluate(statement.body.get(part, []), scope) for part in ("actions", "resources", "condition")
    }


def for_each_scope(scope: Scope, key: str, value: Any) -> Scope:
    """`scope` inside a dynamic block iterated with `statement.key` = key and `statement.value` = value."""
    roots = {**scope.roots, "statement": {"key": key, "value": value}}
    return Scope(scope.locals, scope.variables, roots, scope.folder)


@functools.cache
def environment_file(name: str) -> dict[str, Any]:
    """The raw YAML document, as `yamldecode` gives it to Terraform (no schema defaults)."""
    return yaml.safe_load((CONFIGS / name / "environment.yaml").read_text(encoding="utf-8"))


def stack_scope(stack: str, environment: str) -> Scope:
    """A stack's locals with `local.env` bound to the environment file it is applied for."""
    folder = STACKS / stack
    # `local.others` is every environment file (config.tf: yamldecode over fileset).
    others = [environment_file(path.parent.name) for path in sorted(CONFIGS.glob("*/environment.yaml"))]
    roots = {"env": environment_file(environment), "others": others}
    variables = {name: spec.get("default") for name, spec in blocks(folder, "variable").items()}
    return Scope(locals_of(folder), {**variables, "environment": environment}, roots, folder)


def module_scope(stack: str, module: str, environment: str) -> Scope:
    """A module's locals, with each variable the stack passes as a template evaluated for `environment`
    and the rest at their defaults."""
    call = blocks(STACKS / stack, "module")[module]
    folder = (STACKS / stack / call["source"]).resolve()
    outer = stack_scope(stack, environment)
    variables = {
        name: spec["default"] for name, spec in blocks(folder, "variable").items() if "default" in spec
    }
    for name, argument in call.items():
        if name in ("source", "depends_on"):
            continue
        try:
            variables[name] = evaluate(argument, outer)
        except (TemplateError, KeyError):
            continue
    return Scope(locals_of(folder), variables, folder=folder)


def module_folder(stack: str, module: str) -> Path:
    return (STACKS / stack / blocks(STACKS / stack, "module")[module]["source"]).resolve()
