"""The value of the simple HCL expressions the stacks build names and ARNs from, for one environment:
literals, references, string templates, `[for ... : ... if ...]`, `==`, `&&` and a few functions. What
this cannot evaluate raises `TemplateError`, and the tests check that part by its text instead."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


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
    string templates, and inside `${...}` references, string literals, lists, `[for x in c : e if cond]`,
    `==`, `&&` and the functions lower, regex, split, try, contains, concat, slice, replace, one and join.
    Anything else raises `TemplateError`, and the caller checks that part another way."""
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
    if text.startswith("[") and _closing(text, 1, "[", "]") == len(text) - 1:
        return [_expression(item, scope) for item in _top_level_split(text[1:-1], ",") if item]
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
        "concat": lambda *lists: [item for items in lists for item in items],
        "slice": lambda items, start, end: items[start:end],
        # Terraform's replace() with a plain (not /regex/) search string.
        "replace": lambda text, search, replacement: text.replace(search, replacement),
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
