"""The rules tflint and a reviewer would apply to infra/terraform, as functions that list what a folder
breaks, so a test can run them on the real modules (expecting nothing) and on a module broken on purpose
(expecting the break to be named)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from tests.infra.terraform import (
    blocks,
    display,
    locals_of,
    parse_file,
    policy_statements,
    resources,
    tf_files,
)

MODULE_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md")

# Actions AWS gives no resource-level permissions for: the only ones an identity policy may grant on "*".
UNSCOPABLE_ACTIONS = {
    "ecr:GetAuthorizationToken": "the registry login token is account-wide",
    "cloudwatch:PutMetricData": "metrics have no ARN; a cloudwatch:namespace condition scopes it",
    "xray:PutTraceSegments": "X-Ray segments have no ARN",
    "xray:PutTelemetryRecords": "X-Ray telemetry has no ARN",
    "kms:ListAliases": "listing is account-wide",
    "kms:CreateKey": "the key does not exist before the call",
}


def module_problems(folder: Path) -> list[str]:
    """Four files and a README, typed and described variables and outputs, `this` for a module's only
    resource of a type, lower bounds only in its version constraints."""
    problems = [f"{folder.name}: missing {name}" for name in MODULE_FILES if not (folder / name).exists()]
    problems += interface_problems(folder)
    counts = Counter(rtype for rtype, _, _ in resources(folder))
    problems += [
        f"{folder.name}: {rtype}.{name} is the module's only {rtype}; name it `this`"
        for rtype, name, _ in resources(folder)
        if counts[rtype] == 1 and name != "this"
    ]
    for constraint in version_constraints(folder):
        if not constraint.startswith(">=") or "<" in constraint.replace(">=", "") or "~>" in constraint:
            problems.append(
                f"{folder.name}: version constraint {constraint!r}: modules state lower bounds only"
            )
    return problems


def stack_problems(folder: Path) -> list[str]:
    """A root: pinned Terraform and provider versions, an S3 backend, typed and described interface."""
    problems = interface_problems(folder)
    terraform = [entry for path in tf_files(folder) for entry in parse_file(path).get("terraform", [])]
    required = [t["required_version"] for t in terraform if "required_version" in t]
    if not required or "<" not in required[0]:
        problems.append(f"{folder.name}: required_version must have an upper bound, got {required}")
    for constraint in version_constraints(folder):
        if not constraint.startswith("~>") and "<" not in constraint:
            problems.append(f"{folder.name}: provider constraint {constraint!r} must be pinned (~> x.y)")
    if not any("s3" in backend for t in terraform for backend in t.get("backend", [])):
        problems.append(f'{folder.name}: no backend "s3" block')
    return problems


def interface_problems(folder: Path) -> list[str]:
    problems = []
    for name, spec in blocks(folder, "variable").items():
        if "type" not in spec:
            problems.append(f"{folder.name}: variable {name} has no type")
        if not str(spec.get("description", "")).strip():
            problems.append(f"{folder.name}: variable {name} has no description")
    for name, spec in blocks(folder, "output").items():
        if not str(spec.get("description", "")).strip():
            problems.append(f"{folder.name}: output {name} has no description")
    return problems


def version_constraints(folder: Path) -> list[str]:
    """The provider version constraints and Terraform's required_version of a folder."""
    found = []
    for path in tf_files(folder):
        for terraform in parse_file(path).get("terraform", []):
            if "required_version" in terraform and folder.parent.name == "modules":
                found.append(terraform["required_version"])
            for providers in terraform.get("required_providers", []):
                found += [spec["version"] for spec in providers.values() if isinstance(spec, dict)]
    return found


def policy_problems(folder: Path) -> list[str]:
    """No wildcard action in an Allow, no `*` resource for an action AWS can scope, no public Allow in a
    resource policy, no AWS-managed policy (`*FullAccess` or any other) attached."""
    problems = []
    for statement in policy_statements(folder):
        if statement.effect != "Allow":
            continue
        wildcards = [action for action in statement.actions if "*" in action]
        if wildcards:
            problems.append(f"{statement.where}: wildcard action(s) {wildcards}; list the actions")
        if statement.is_resource_policy:
            problems += _public_principal(statement)
        elif "*" in statement.resources:
            scopable = [a for a in statement.actions if a not in UNSCOPABLE_ACTIONS]
            if scopable:
                problems.append(
                    f'{statement.where}: resource "*" for {scopable}, which AWS lets you scope by ARN'
                )
    problems += [
        f"{display(folder)}: locals hold wildcard action {action!r}; list the actions"
        for action in _strings(locals_of(folder))
        if _WILDCARD_ACTION.fullmatch(action)
    ]
    for path in tf_files(folder):
        text = path.read_text(encoding="utf-8")
        if re.search(r"FullAccess|arn:[^:\"]*:iam::aws:policy/", text):
            problems.append(f"{display(path)}: attaches an AWS-managed policy")
    return problems


# An IAM action with a wildcard ("s3:Get*", "kms:*"), as dynamic statements take them from locals.
_WILDCARD_ACTION = re.compile(r"[a-z0-9-]+:[A-Za-z0-9]*\*[A-Za-z0-9*]*|\*")


def _strings(value) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def _public_principal(statement) -> list[str]:
    principals = statement.body.get("principals", [])
    if any("*" in principal.get("identifiers", []) for principal in principals):
        return [f'{statement.where}: Allow to principal "*"']
    return []
