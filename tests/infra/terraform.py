"""A parsed view of infra/terraform for the offline checks: no provider can be downloaded here, so nothing
runs `terraform init` or `validate`; python-hcl2 reads the files and these helpers answer questions about
them (blocks, policy statements, and the value of simple string templates for one environment).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
import yaml
from hcl2 import SerializationOptions

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


@functools.cache
def environment_file(name: str) -> dict[str, Any]:
    """The raw YAML document, as `yamldecode` gives it to Terraform (no schema defaults)."""
    return yaml.safe_load((CONFIGS / name / "environment.yaml").read_text(encoding="utf-8"))


class TemplateError(ValueError):
    """The expression is more than string templates over references; the caller checks it another way."""


_REFERENCE = re.compile(r"^[A-Za-z_][\w-]*(?:\.[\w-]+|\[\d+\])*$")


@dataclass
class Scope:
    """What a template's references mean: the folder's locals (evaluated on demand), its variables, and
    extra roots such as a for-expression's `other` bound to an environment file."""

    locals: Mapping[str, Any]
    variables: Mapping[str, Any] = field(default_factory=dict)
    roots: Mapping[str, Any] = field(default_factory=dict)
    folder: Path | None = None

    def resolve(self, reference: str) -> Any:
        head, *path = re.findall(r"[\w-]+", reference)
        if head == "local":
            name, *path = path
            value = self.roots[name] if name in self.roots else evaluate(self.locals[name], self)
        elif head == "var":
            name, *path = path
            value = self.variables[name]
        elif head == "path" and path == ["module"] and self.folder is not None:
            return str(self.folder)
        elif head in self.roots:
            value = self.roots[head]
        else:
            raise TemplateError(f"cannot resolve {reference!r}")
        for part in path:
            value = value[int(part)] if isinstance(value, list) else value[part]
        return value


def evaluate(expression: Any, scope: Scope) -> Any:
    """The value of an expression as python-hcl2 gives it: literals, lists and objects element by element,
    string templates, and inside `${...}` references, string literals, `[for x in c : e if cond]`,
    `==`, `&&` and the functions lower, regex, split, try, contains, one and join. Anything else raises
    `TemplateError`, and the caller checks that part another way."""
    if isinstance(expression, list):
        return [evaluate(item, scope) for item in expression]
    if isinstance(expression, dict):
        return {key: evaluate(value, scope) for key, value in expression.items()}
    if not isinstance(expression, str):
        return expression
    return _template(expression, scope)


def _template(text: str, scope: Scope) -> Any:
    parts = _split_interpolations(text)
    if len(parts) == 1 and parts[0][0] == "expr":
        return _expression(parts[0][1], scope)
    return "".join(value if kind == "text" else str(_expression(value, scope)) for kind, value in parts)


def _split_interpolations(text: str) -> list[tuple[str, str]]:
    """Literal text and `${...}` bodies, with nested braces and quoted strings inside the bodies."""
    parts, position = [], 0
    while (start := text.find("${", position)) >= 0:
        if start > position:
            parts.append(("text", text[position:start]))
        end = _closing(text, start + 2, "{", "}")
        parts.append(("expr", text[start + 2 : end].strip()))
        position = end + 1
    if position < len(text) or not parts:
        parts.append(("text", text[position:]))
    return parts


def _closing(text: str, index: int, opening: str, closing: str) -> int:
    depth, quoted = 1, False
    while index < len(text):
        char = text[index]
        if quoted:
            if char == "\\":
                index += 1
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char in opening:
            depth += 1
        elif char in closing:
            depth -= 1
            if depth == 0:
                return index
        index += 1
    raise TemplateError(f"unbalanced {opening} in {text!r}")


def _unescape(text: str) -> str:
    """HCL's string escapes (\\\\, \\", \\n, \\t) turned into the characters they stand for."""
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), text)


def _string_end(text: str) -> int:
    """Index of the quote that closes the string literal `text` starts with."""
    index = 1
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text[index] == '"':
            return index
        index += 1
    raise TemplateError(f"unterminated string in {text!r}")


def _top_level_split(text: str, separator: str) -> list[str]:
    """`text` split at `separator` where it is outside brackets, braces, parentheses and strings."""
    parts, depth, quoted, start, index = [], 0, False, 0, 0
    while index < len(text):
        char = text[index]
        if quoted:
            if char == "\\":
                index += 1
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0 and text.startswith(separator, index):
            parts.append(text[start:index].strip())
            start = index + len(separator)
            index = start
            continue
        index += 1
    parts.append(text[start:].strip())
    return parts


def _expression(text: str, scope: Scope) -> Any:
    text = text.strip()
    for operator, combine in (("&&", all), ("==", None)):
        terms = _top_level_split(text, operator)
        if len(terms) > 1:
            values = [_expression(term, scope) for term in terms]
            return combine(values) if combine else values[0] == values[1]
    if text.startswith('"') and _string_end(text) == len(text) - 1:
        return _template(_unescape(text[1:-1]), scope)
    if text.startswith("[for "):
        return _for_expression(text, scope)
    call = re.fullmatch(r"(\w+)\((.*)\)((?:\[\d+\])*)", text, re.DOTALL)
    if call and _closing(text, len(call.group(1)) + 1, "(", ")") == len(text) - 1 - len(call.group(3)):
        value = _call(call.group(1), _top_level_split(call.group(2), ","), scope)
        for index in re.findall(r"\d+", call.group(3)):
            value = value[int(index)]
        return value
    if text == "null":
        return None
    if text == "[]":
        return []
    if text.startswith("{") and _closing(text, 1, "{", "}") == len(text) - 1:
        pairs = [_top_level_split(item, "=") for item in _top_level_split(text[1:-1], ",") if item]
        return {key.strip(): _expression(value, scope) for key, value in pairs}
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if not _REFERENCE.fullmatch(text):
        raise TemplateError(f"unsupported expression: {text!r}")
    return scope.resolve(text)


def _call(name: str, arguments: list[str], scope: Scope) -> Any:
    if name == "try":
        try:
            return _expression(arguments[0], scope)
        except (KeyError, IndexError, TypeError):
            return _expression(arguments[1], scope)
    values = [_expression(argument, scope) for argument in arguments]
    functions = {
        "lower": lambda text: text.lower(),
        "split": lambda separator, text: text.split(separator),
        "join": lambda separator, items: separator.join(items),
        "contains": lambda items, item: item in items,
        "lookup": lambda mapping, key, default: mapping.get(key, default),
        "coalesce": lambda *values: next(v for v in values if v not in (None, "")),
        "abspath": lambda path: str(Path(path).resolve()),
        "one": lambda items: items[0] if len(items) == 1 else None,
        "regex": _regex,
    }
    if name not in functions:
        raise TemplateError(f"unsupported function {name}()")
    return functions[name](*values)


def _regex(pattern: str, text: str) -> Any:
    match = re.search(pattern, text)
    if match is None:
        raise TemplateError(f"regex {pattern!r} does not match {text!r}")
    return list(match.groups()) if match.groups() else match.group(0)


def _for_expression(text: str, scope: Scope) -> list[Any]:
    header, _, rest = text[len("[for ") : -1].partition(" in ")
    collection, _, body = rest.partition(" : ")
    parts = _top_level_split(body, " if ")
    results = []
    for item in _expression(collection, scope):
        inner = Scope(scope.locals, scope.variables, {**scope.roots, header.strip(): item}, scope.folder)
        if len(parts) == 1 or _expression(parts[1], inner):
            results.append(_expression(parts[0], inner))
    return results


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
