"""One source of truth: what the stacks read from configs/<env>/environment.yaml exists in the schema and
in every file they read, and what they create is exactly what each file names."""

from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase

import pytest

from ml.artifacts.codecs import content_key
from ml.artifacts.s3 import S3ArtifactStore
from ml.config.export import get_value
from ml.config.loader import load_environment
from tests.infra.expressions import Scope, TemplateError
from tests.infra.terraform import (
    CONFIGS,
    MODULES,
    STACK_ENVIRONMENTS,
    STACKS,
    TERRAFORM,
    blocks,
    environment_file,
    evaluate,
    evaluated,
    for_each_scope,
    locals_of,
    module_folder,
    module_scope,
    parse_text,
    resources,
    stack_scope,
    statement_named,
    tf_files,
)

STACK_ENVS = [(stack, env) for stack, envs in STACK_ENVIRONMENTS.items() for env in envs]
AWS_ENVIRONMENTS = [env for envs in STACK_ENVIRONMENTS.values() for env in envs]
# Names a stack binds to decoded environment files: in config.tf the file of the environment being built,
# the registry's file, and `other`, each file of a for-expression over all of them; in variables.tf
# `config`, the environment's file as the validation of `environment` reads it.
YAML_ROOTS = {"local.env": "env", "config": "env", "local.registry_env": "registry", "other": "other"}
_YAML_READ = re.compile(r"\b(local\.env|config|local\.registry_env|other)((?:\.[a-z_][a-z0-9_]*)+)")


def yaml_reads(stack: str) -> set[tuple[str, str]]:
    """(root, dotted key) of every environment-file value a stack's .tf files read."""
    reads = set()
    for path in tf_files(STACKS / stack):
        for root, dotted in _YAML_READ.findall(path.read_text(encoding="utf-8")):
            reads.add((YAML_ROOTS[root], dotted.lstrip(".")))
    return reads


def schema_has(key: str) -> bool:
    schema = json.loads((CONFIGS / "schema.json").read_text(encoding="utf-8"))
    node = schema
    for part in key.split("."):
        node = _object_schema(node, schema)
        if part not in node.get("properties", {}):
            return False
        node = node["properties"][part]
    return True


def _object_schema(node: dict, schema: dict) -> dict:
    if "$ref" in node:
        return _object_schema(schema["$defs"][node["$ref"].rsplit("/", 1)[1]], schema)
    for option in node.get("anyOf", []):
        if option.get("type") != "null":
            return _object_schema(option, schema)
    return node


def present(document: dict, key: str) -> bool:
    for part in key.split("."):
        if not isinstance(document, dict) or part not in document:
            return False
        document = document[part]
    return True


def files_behind(stack: str, env: str, root: str) -> list[str]:
    """The environment files a root stands for when `stack` is built for `env`."""
    if root == "env":
        return [env]
    if root == "registry":
        return ["registry"]
    # `other` reads that are not wrapped in try() run over the AWS workloads (config.tf filters on kind).
    return list(STACK_ENVIRONMENTS["workload"])


@pytest.mark.parametrize("stack", sorted(STACK_ENVIRONMENTS))
def test_environment_files_are_decoded_only_in_config_tf_and_the_environment_validation(stack):
    decoding = [p.name for p in tf_files(STACKS / stack) if "yamldecode(" in p.read_text()]
    assert decoding == ["config.tf", "variables.tf"]


@pytest.mark.parametrize("stack", sorted(STACK_ENVIRONMENTS))
def test_every_key_a_stack_reads_exists_in_the_schema(stack):
    reads = yaml_reads(stack)
    assert len(reads) > 10, reads
    assert sorted(key for _, key in reads if not schema_has(key)) == []


def test_a_renamed_config_field_is_reported():
    assert schema_has("sagemaker.execution_role_arn")
    assert not schema_has("sagemaker.execution_role")
    assert not schema_has("aws.kms_key")


@pytest.mark.parametrize(("stack", "env"), STACK_ENVS)
def test_every_key_a_stack_reads_is_set_in_the_files_it_reads(stack, env):
    text = "\n".join(p.read_text() for p in tf_files(STACKS / stack))
    missing = [
        f"configs/{name}/environment.yaml: {key}"
        for root, key in sorted(yaml_reads(stack))
        if f"try({_root_text(root)}.{key}" not in text
        for name in files_behind(stack, env, root)
        if not present(environment_file(name), key)
    ]
    assert missing == []


def _root_text(root: str) -> str:
    return {"env": "local.env", "registry": "local.registry_env", "other": "other"}[root]


# (stack, module, argument, config key): ARNs whose resource names the modules take from the ARN.
ROLE_ARNS = [
    (
        "workload",
        "sagemaker_execution_role",
        "role_arn",
        "aws_iam_role",
        "this",
        "sagemaker.execution_role_arn",
    ),
    ("workload", "github_oidc", "plan_role_arn", "aws_iam_role", "plan", "ci.plan_role_arn"),
    ("workload", "github_oidc", "deploy_role_arn", "aws_iam_role", "deploy", "ci.deploy_role_arn"),
    ("registry", "github_oidc", "plan_role_arn", "aws_iam_role", "plan", "ci.plan_role_arn"),
    ("registry", "github_oidc", "deploy_role_arn", "aws_iam_role", "deploy", "ci.deploy_role_arn"),
]
CASES = [(*case, env) for case in ROLE_ARNS for env in STACK_ENVIRONMENTS[case[0]]]


def created(stack: str, module: str, rtype: str, name: str, env: str) -> dict:
    """The arguments of a module's resource, evaluated for one environment."""
    scope = module_scope(stack, module, env)
    (body,) = [b for t, n, b in resources(module_folder(stack, module)) if (t, n) == (rtype, name)]
    return {
        key: evaluate(value, scope)
        for key, value in body.items()
        if key in ("name", "path", "bucket", "function_name", "model_package_group_name")
    }


def provider_account(stack: str, env: str) -> tuple[str, str]:
    """(account, region) the stack's provider is pinned to (allowed_account_ids, region)."""
    scope = stack_scope(stack, env)
    return evaluate("${local.account_id}", scope), evaluate("${local.region}", scope)


@pytest.mark.parametrize(("stack", "module", "argument", "rtype", "name", "key", "env"), CASES)
def test_each_role_terraform_creates_has_the_arn_of_the_file(stack, module, argument, rtype, name, key, env):
    arn = get_value(load_environment(env, CONFIGS), key)
    assert module_scope(stack, module, env).variables[argument] == arn
    account, _ = provider_account(stack, env)
    role = created(stack, module, rtype, name, env)

    assert f"arn:aws:iam::{account}:role{role['path']}{role['name']}" == arn
    (body,) = [b for t, n, b in resources(module_folder(stack, module)) if (t, n) == (rtype, name)]
    (check,) = body["lifecycle"][0]["postcondition"]
    assert check["condition"] == f"${{self.arn == var.{argument}}}"


@pytest.mark.parametrize(("stack", "env"), STACK_ENVS)
def test_the_key_alias_terraform_creates_is_aws_kms_key_arn(stack, env):
    account, region = provider_account(stack, env)
    alias = evaluate(
        locals_of(module_folder(stack, "kms_key"))["alias_name"], module_scope(stack, "kms_key", env)
    )

    assert f"arn:aws:kms:{region}:{account}:{alias}" == get_value(
        load_environment(env, CONFIGS), "aws.kms_key_arn"
    )


NAMES = [
    ("workload", "artifact_bucket", "aws_s3_bucket", "bucket", "aws.artifact_bucket"),
    ("workload", "ecr_repository", "aws_ecr_repository", "name", "sagemaker.image_repository"),
    ("workload", "resolve_lambda", "aws_lambda_function", "function_name", "sagemaker.resolve_function_name"),
    ("workload", "pipeline_alerts", "aws_sns_topic", "name", "notifications.topic_name"),
    ("registry", "artifact_bucket", "aws_s3_bucket", "bucket", "aws.artifact_bucket"),
    (
        "registry",
        "model_registry",
        "aws_sagemaker_model_package_group",
        "model_package_group_name",
        "model_group",
    ),
]


@pytest.mark.parametrize(
    ("stack", "module", "rtype", "attribute", "key", "env"),
    [(*case, env) for case in NAMES for env in STACK_ENVIRONMENTS[case[0]]],
)
def test_each_named_resource_has_the_name_of_the_file(stack, module, rtype, attribute, key, env):
    assert created(stack, module, rtype, "this", env)[attribute] == get_value(
        load_environment(env, CONFIGS), key
    )


@pytest.mark.parametrize("env", STACK_ENVIRONMENTS["workload"])
def test_workloads_name_the_group_and_lambda_role_the_registry_stack_creates_and_trusts(env):
    config = load_environment(env, CONFIGS)
    registry = load_environment("registry", CONFIGS)
    group = created("registry", "model_registry", "aws_sagemaker_model_package_group", "this", "registry")
    registry_scope = stack_scope("registry", "registry")

    group_arn = evaluate("${local.model_package_group_arn}", stack_scope("workload", env))
    assert group_arn == (
        f"arn:aws:sagemaker:{registry.aws.region}:{registry.aws.account_id}:"
        f"model-package-group/{group['model_package_group_name']}"
    )
    lambda_role = created("workload", "resolve_lambda", "aws_iam_role", "this", env)["name"]
    assert f"arn:aws:iam::{config.aws.account_id}:role/{lambda_role}" in evaluate(
        "${local.read_role_arns}", registry_scope
    )
    assert config.sagemaker.execution_role_arn in evaluate("${local.register_role_arns}", registry_scope)
    assert config.ci.deploy_role_arn in evaluate("${local.approve_role_arns}", registry_scope)


def test_prod_reads_and_decrypts_what_dev_trained_and_nothing_promotes_from_prod():
    dev, prod = (stack_scope("workload", env) for env in ("dev", "prod"))
    prod_role = load_environment("prod", CONFIGS).sagemaker.execution_role_arn

    assert evaluate("${local.promotion_consumer_roles}", dev) == [prod_role]
    assert evaluate("${local.promotion_consumer_roles}", prod) == []
    assert [s["environment"] for s in evaluate("${local.promotion_sources}", prod)] == ["dev"]


def stored_object_key(digest: str) -> str:
    """The object key the S3 artifact store (as the sagemaker backend builds it) writes this content under."""
    store = S3ArtifactStore(None, bucket="bucket", kms_key_arn="key")
    return store.uri_for(content_key(digest)).removeprefix("s3://bucket/")


def grant(folder, sid: str, scope) -> dict:
    return evaluated(statement_named(folder, sid), scope)


def test_prod_reads_and_lists_exactly_the_keys_the_s3_store_writes_in_dev():
    key = stored_object_key("ab" + "0" * 62)
    dev_bucket = load_environment("dev", CONFIGS).aws.artifact_bucket
    prefix = evaluate("${local.content_addressed_prefix}", stack_scope("workload", "dev"))
    assert fnmatchcase(key, f"{prefix}*") and prefix.endswith("/sha256/")
    assert not fnmatchcase("data/train.csv", f"{prefix}*")

    # dev's bucket policy (the resource side) and prod's execution role (the identity side) must both allow
    # GetObject on the object and ListBucket of the prefix an S3Prefix channel lists (the key itself).
    workload = STACKS / "workload"
    dev = stack_scope("workload", "dev")
    role = MODULES / "sagemaker-execution-role"
    (source,) = module_scope("workload", "sagemaker_execution_role", "prod").variables["promotion_sources"]
    in_role = for_each_scope(module_scope("workload", "sagemaker_execution_role", "prod"), "dev", source)
    granted = {
        "bucket policy": (
            grant(workload, "PromotingEnvironmentsReadContentAddressedArtifacts", dev),
            grant(workload, "PromotingEnvironmentsListContentAddressedArtifacts", dev),
        ),
        "execution role": (
            grant(role, "PromotedFromArtifacts${title(statement.key)}", in_role),
            grant(role, "ListPromotedFromArtifacts${title(statement.key)}", in_role),
        ),
    }
    for where, (read, listing) in granted.items():
        assert read["actions"] == ["s3:GetObject"], where
        assert any(fnmatchcase(f"arn:aws:s3:::{dev_bucket}/{key}", r) for r in read["resources"]), where
        assert (listing["actions"], listing["resources"]) == (
            ["s3:ListBucket"],
            [f"arn:aws:s3:::{dev_bucket}"],
        )
        (condition,) = [c for c in listing["condition"] if c["variable"] == "s3:prefix"]
        assert condition["test"] == "StringLike" and fnmatchcase(key, condition["values"][0]), where


@pytest.mark.parametrize("env", AWS_ENVIRONMENTS)
def test_every_name_starts_with_the_prefix_the_ci_policies_scope_to(env):
    config = load_environment(env, CONFIGS)
    prefix = f"{config.project}-{env}-"
    names = [config.aws.artifact_bucket, config.aws.kms_key_arn.rsplit("alias/", 1)[1]]
    names += [arn.rsplit("/", 1)[1] for arn in (config.ci.plan_role_arn, config.ci.deploy_role_arn)]
    if config.sagemaker is not None:
        names += [
            config.sagemaker.execution_role_arn.rsplit("/", 1)[1],
            config.sagemaker.image_repository,
            config.sagemaker.resolve_function_name,
            config.notifications.topic_name,
        ]
        buckets = {
            uri.removeprefix("s3://").split("/", 1)[0]
            for uri in config.sagemaker.data.model_dump().values()
            if uri
        }
        assert buckets == {config.aws.artifact_bucket}, "the execution role reads only its own bucket"

    assert [name for name in names if not name.startswith(prefix)] == []


@pytest.mark.parametrize(("stack", "env"), STACK_ENVS)
def test_backend_file_names_the_state_bucket_and_key_the_stack_grants_its_roles(stack, env):
    backend = parse_text((TERRAFORM / "backends" / f"{env}.s3.tfbackend").read_text())
    scope = stack_scope(stack, env)

    assert backend == {
        "bucket": evaluate("${local.state_bucket}", scope),
        "key": evaluate("${local.state_key}", scope),
        "region": load_environment(env, CONFIGS).aws.region,
        "encrypt": True,
        "use_lockfile": True,
    }


def test_there_is_one_backend_file_per_aws_environment():
    assert sorted(p.name for p in (TERRAFORM / "backends").iterdir()) == sorted(
        f"{env}.s3.tfbackend" for env in AWS_ENVIRONMENTS
    )


def _arn_keys(document, prefix="") -> list[str]:
    if isinstance(document, dict):
        return [key for name, value in document.items() for key in _arn_keys(value, f"{prefix}{name}.")]
    return [prefix.rstrip(".")] if isinstance(document, str) and document.startswith("arn:") else []


def test_every_arn_of_every_aws_environment_file_is_one_the_tests_above_compare():
    compared = {key for *_, key in ROLE_ARNS} | {"aws.kms_key_arn"}
    arns = {(env, key) for env in AWS_ENVIRONMENTS for key in _arn_keys(environment_file(env))}

    assert len(arns) == 11  # 4 in dev, 4 in prod, 3 in registry
    assert sorted((env, key) for env, key in arns if key not in compared) == []


# AWS's length limits for the names the modules build (documented per service).
NAME_LIMITS = {
    "aws_s3_bucket": ("bucket", 63),
    "aws_iam_role": ("name", 64),
    "aws_iam_policy": ("name", 128),
    "aws_lambda_function": ("function_name", 64),
    "aws_cloudwatch_event_rule": ("name", 64),
    "aws_scheduler_schedule": ("name", 64),
    "aws_sqs_queue": ("name", 80),
    "aws_sns_topic": ("name", 256),
    "aws_ecr_repository": ("name", 256),
    "aws_sagemaker_model_package_group": ("model_package_group_name", 63),
}


@pytest.mark.parametrize(("stack", "env"), STACK_ENVS)
def test_every_name_built_for_an_environment_fits_awss_limits(stack, env):
    checked, too_long = 0, []
    for call in blocks(STACKS / stack, "module"):
        for module, scope in _module_and_nested(stack, call, env):
            for rtype, name, body in resources(module):
                if rtype not in NAME_LIMITS or NAME_LIMITS[rtype][0] not in body:
                    continue
                attribute, limit = NAME_LIMITS[rtype]
                # A for_each name is measured with the longest key a stack passes ("operations").
                value = evaluate(body[attribute].replace("each.key", '"operations"'), scope)
                checked += 1
                if len(value) > limit:
                    too_long.append(f"{module.name}: {rtype}.{name} {value!r} is {len(value)} > {limit}")
    assert checked >= (12 if stack == "workload" else 5)
    assert too_long == []


def _module_and_nested(stack: str, call: str, env: str):
    """A stack's module call and the modules it calls in turn, each with its variables for `env`."""
    folder = module_folder(stack, call)
    scope = module_scope(stack, call, env)
    yield folder, scope
    for nested in blocks(folder, "module").values():
        inner = (folder / nested["source"]).resolve()
        arguments = {k: v for k, v in nested.items() if k != "source"}
        variables = {}
        for name, argument in arguments.items():
            try:
                variables[name] = evaluate(argument, scope)
            except (TemplateError, KeyError):
                continue
        yield inner, Scope(locals_of(inner), variables, folder=inner)
