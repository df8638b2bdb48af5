"""Which sections each kind of environment takes, and the checks that span several fields of one file.

`kind: workload` runs the pipelines (local, dev, prod); `kind: registry` is the central model-registry
account, which runs none. `backend` says where a workload runs. Every rule is one row of
`SECTION_RULES`, read both by the validator and by the JSON schema export, so editors and `mlops config
validate` refuse the same files.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ml.config.fields import arn_account, arn_region

if TYPE_CHECKING:
    from ml.config.schema import EnvironmentConfig

WORKLOAD, REGISTRY = "workload", "registry"
LOCAL, SAGEMAKER = "local", "sagemaker"
ANY_KIND, ANY_BACKEND = (WORKLOAD, REGISTRY), (LOCAL, SAGEMAKER)
COMBINATIONS = ((WORKLOAD, LOCAL), (WORKLOAD, SAGEMAKER), (REGISTRY, SAGEMAKER))


@dataclass(frozen=True)
class SectionRule:
    """Where a top-level section applies; `required` sections must be present wherever they apply."""

    kinds: tuple[str, ...]
    backends: tuple[str, ...]
    required: bool = False

    def applies(self, kind: str, backend: str) -> bool:
        return kind in self.kinds and backend in self.backends

    def describe(self) -> str:
        kinds = f"kind {' or '.join(self.kinds)}" if self.kinds != ANY_KIND else ""
        backends = f"backend {' or '.join(self.backends)}" if self.backends != ANY_BACKEND else ""
        return " with ".join(part for part in (kinds, backends) if part)


SECTION_RULES = {
    "local": SectionRule((WORKLOAD,), (LOCAL,)),
    "dataset": SectionRule((WORKLOAD,), ANY_BACKEND, required=True),
    "split": SectionRule((WORKLOAD,), ANY_BACKEND),
    "training": SectionRule((WORKLOAD,), ANY_BACKEND),
    "quality_gate": SectionRule((WORKLOAD,), ANY_BACKEND),
    "monitoring": SectionRule((WORKLOAD,), ANY_BACKEND),
    "reactions": SectionRule((WORKLOAD,), ANY_BACKEND),
    "model_quality": SectionRule((WORKLOAD,), ANY_BACKEND),
    "approvals": SectionRule((WORKLOAD,), ANY_BACKEND),
    "governance": SectionRule((WORKLOAD,), ANY_BACKEND),
    "aws": SectionRule(ANY_KIND, (SAGEMAKER,), required=True),
    "registry": SectionRule(ANY_KIND, (SAGEMAKER,), required=True),
    "ci": SectionRule(ANY_KIND, (SAGEMAKER,), required=True),
    "sagemaker": SectionRule((WORKLOAD,), (SAGEMAKER,), required=True),
    "schedule": SectionRule((WORKLOAD,), (SAGEMAKER,), required=True),
    "notifications": SectionRule((WORKLOAD,), (SAGEMAKER,), required=True),
}
# Fields every file has; any other field without a row above is a pipeline setting, so workload-only.
IDENTITY_FIELDS = ("name", "kind", "backend", "project", "model_group")
WORKLOAD_ONLY = SectionRule((WORKLOAD,), ANY_BACKEND)


def section_rules(fields: Iterable[str]) -> dict[str, SectionRule]:
    """The rule of every section of the schema, unlisted ones defaulting to workload-only."""
    return {f: SECTION_RULES.get(f, WORKLOAD_ONLY) for f in fields if f not in IDENTITY_FIELDS}


def section_problems(config: EnvironmentConfig) -> list[str]:
    """Sections missing where they are required, or set where they do not apply."""
    kind, backend = config.kind, config.backend
    if (kind, backend) not in COMBINATIONS:
        return [
            f"backend: kind {kind} is an AWS account and runs on backend sagemaker; set backend: sagemaker"
        ]
    problems = []
    for section, rule in section_rules(type(config).model_fields).items():
        value = getattr(config, section)
        if rule.applies(kind, backend):
            if rule.required and value is None:
                problems.append(
                    f"{section}: required field is missing (kind {kind}, backend {backend}); add it"
                )
        elif section in config.model_fields_set and value is not None:
            problems.append(
                f"{section}: only for {rule.describe()}, and this file is kind {kind}, backend {backend}; "
                "remove the section"
            )
    return problems


def without_refused_sections(config: EnvironmentConfig, data: dict) -> dict:
    """A dump of `config` minus the sections its kind and backend refuse, so the dump validates again."""
    rules = section_rules(type(config).model_fields)
    return {
        key: value
        for key, value in data.items()
        if key not in rules or rules[key].applies(config.kind, config.backend)
    }


def consistency_problems(config: EnvironmentConfig) -> list[str]:
    """Fields of one file that must agree with each other."""
    problems = []
    if config.aws is not None:
        problems += _account_problems(config)
    if config.registry is not None:
        problems += _registry_problems(config)
    if config.backend == SAGEMAKER and config.kind == WORKLOAD and config.approvals.mode != "pull_request":
        problems.append(
            "approvals.mode: a shared AWS registry is changed only by the reviewed approval file; "
            "set mode: pull_request"
        )
    if config.name in config.governance.require_prior_approval_in:
        problems.append(
            f"governance.require_prior_approval_in: names this environment ({config.name}); "
            "list only environments that approve before it"
        )
    return problems


def _account_problems(config: EnvironmentConfig) -> list[str]:
    aws = config.aws
    problems = []
    key_account, key_region = arn_account(aws.kms_key_arn), arn_region(aws.kms_key_arn)
    if key_account != aws.account_id or key_region != aws.region:
        problems.append(
            f"aws.kms_key_arn: key is in account {key_account}, region {key_region}, but the environment is "
            f"account {aws.account_id}, region {aws.region}; use the environment's own key"
        )
    roles = {
        "ci.plan_role_arn": config.ci.plan_role_arn if config.ci else None,
        "ci.deploy_role_arn": config.ci.deploy_role_arn if config.ci else None,
        "sagemaker.execution_role_arn": config.sagemaker.execution_role_arn if config.sagemaker else None,
    }
    for field, arn in roles.items():
        if arn and arn_account(arn) != aws.account_id:
            problems.append(
                f"{field}: role is in account {arn_account(arn)}, not the environment's account "
                f"{aws.account_id} (aws.account_id); use the role Terraform creates in this account"
            )
    return problems


def _registry_problems(config: EnvironmentConfig) -> list[str]:
    registry, aws = config.registry, config.aws
    problems = []
    if registry.model_package_group != config.model_group:
        problems.append(
            f"registry.model_package_group: is {registry.model_package_group!r} but model_group is "
            f"{config.model_group!r}; versions are registered under model_group, so make them equal"
        )
    if aws is not None and registry.region != aws.region:
        problems.append(
            f"registry.region: {registry.region} differs from aws.region {aws.region}; SageMaker registers "
            "only into a model package group of its own region"
        )
    if config.kind == REGISTRY and aws is not None and registry.account_id != aws.account_id:
        problems.append(
            f"registry.account_id: the registry environment must point at itself ({aws.account_id}), "
            f"got {registry.account_id}"
        )
    return problems


def add_section_conditions(schema: dict, model: type) -> None:
    """pydantic `json_schema_extra` hook: the section rules as JSON-schema `allOf` clauses."""
    schema["allOf"] = json_schema_conditions(model.model_fields)


def json_schema_conditions(fields: Iterable[str]) -> list[dict]:
    """`if`/`then` clauses for configs/schema.json, built from the section rules."""
    rules = section_rules(fields)
    conditions: list[dict] = [
        {
            "if": {"properties": {"kind": {"const": REGISTRY}}, "required": ["kind"]},
            "then": {"properties": {"backend": {"const": SAGEMAKER}}},
        }
    ]
    for kind, backend in COMBINATIONS:
        required = sorted(s for s, r in rules.items() if r.applies(kind, backend) and r.required)
        refused = sorted(s for s, r in rules.items() if not r.applies(kind, backend))
        test = {
            "properties": {"kind": {"const": kind}, "backend": {"const": backend}},
            "required": ["backend"],
        }
        if kind != WORKLOAD:
            test["required"] = ["backend", "kind"]
        then = {"required": required, "properties": {s: {"type": "null"} for s in refused}}
        conditions.append({"if": test, "then": then})
    return conditions
