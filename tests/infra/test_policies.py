"""IAM and resource policies: no wildcard actions, `*` resources only where AWS cannot scope, no managed
`*FullAccess`, GitHub OIDC trust exactly as the environment files say, the registry group's policy."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from ml.config.loader import load_environment
from tests.infra.rules import policy_problems
from tests.infra.terraform import (
    CONFIGS,
    MODULES,
    STACK_ENVIRONMENTS,
    STACKS,
    blocks,
    evaluate,
    locals_of,
    module_dirs,
    module_folder,
    module_scope,
    policy_statements,
    resources,
    stack_dirs,
)

FOLDERS = module_dirs() + stack_dirs()
STACK_ENVS = [(stack, env) for stack, envs in STACK_ENVIRONMENTS.items() for env in envs]


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_policies_grant_no_wildcards_and_attach_no_managed_policy(folder):
    assert policy_problems(folder) == []


def test_a_wildcard_action_in_a_module_is_caught(tmp_path):
    broken = tmp_path / "resolve-lambda"
    shutil.copytree(MODULES / "resolve-lambda", broken)
    main = broken / "main.tf"
    main.write_text(main.read_text().replace('actions   = ["sqs:SendMessage"]', 'actions   = ["sqs:*"]', 1))

    assert policy_problems(broken) == [
        "resolve-lambda: data.aws_iam_policy_document.permissions statement DeadLetterFailedInvocations: "
        "wildcard action(s) ['sqs:*']; list the actions"
    ]


def test_a_star_resource_for_a_scopable_action_and_full_access_are_caught(tmp_path):
    broken = tmp_path / "resolve-lambda"
    shutil.copytree(MODULES / "resolve-lambda", broken)
    main = broken / "main.tf"
    text = main.read_text().replace("resources = [module.dead_letter_queue.arn]", 'resources = ["*"]', 1)
    main.write_text(text + "\n# arn:aws:iam::aws:policy/AmazonSageMakerFullAccess\n")

    problems = policy_problems(broken)

    assert any("resource \"*\" for ['sqs:SendMessage']" in p for p in problems), problems
    assert any("attaches an AWS-managed policy" in p for p in problems), problems


def test_roles_get_only_inline_policies_or_this_stacks_own_managed_policies():
    attachments = [
        (folder.name, name, body["policy_arn"])
        for folder in FOLDERS
        for rtype, name, body in resources(folder)
        if rtype in ("aws_iam_role_policy_attachment", "aws_iam_policy_attachment")
    ]
    assert [
        a for a in attachments if not re.fullmatch(r"\$\{(aws_iam_policy\.\w+|each\.value)\.arn\}", a[2])
    ] == []
    assert [
        name for folder in FOLDERS for rtype, name, _ in resources(folder) if rtype == "aws_iam_user"
    ] == []


@pytest.mark.parametrize(("stack", "env"), STACK_ENVS)
def test_oidc_subjects_are_exactly_the_repository_pull_requests_and_the_environment(stack, env):
    config = load_environment(env, CONFIGS)
    repository = config.ci.github_repository

    subjects = evaluate(
        locals_of(module_folder(stack, "github_oidc"))["subjects"], module_scope(stack, "github_oidc", env)
    )

    assert subjects == {
        "plan": f"repo:{repository}:pull_request",
        "deploy": f"repo:{repository}:environment:{env}",
    }


def test_each_github_role_trusts_its_own_subject_for_the_sts_audience_only():
    folder = MODULES / "github-oidc"
    (trust,) = [body for rtype, name, body in resources(folder, "data") if name == "trust"]
    (statement,) = trust["statement"]
    conditions = {c["variable"]: c for c in statement["condition"]}

    assert trust["for_each"] == "${local.subjects}"
    assert statement["actions"] == ["sts:AssumeRoleWithWebIdentity"]
    assert {v: (c["test"], c["values"]) for v, c in conditions.items()} == {
        "${local.issuer}:aud": ("StringEquals", ["${local.audience}"]),
        "${local.issuer}:sub": ("StringEquals", ["${each.value}"]),
    }
    assert locals_of(folder)["audience"] == "sts.amazonaws.com"
    roles = {name: body for rtype, name, body in resources(folder) if rtype == "aws_iam_role"}
    assert roles["plan"]["assume_role_policy"] == '${data.aws_iam_policy_document.trust["plan"].json}'
    assert roles["deploy"]["assume_role_policy"] == '${data.aws_iam_policy_document.trust["deploy"].json}'


def test_every_service_role_trusts_its_service_from_its_own_account_only():
    trusts = [
        (folder.name, name, body)
        for folder in FOLDERS
        for rtype, name, body in resources(folder, "data")
        if rtype == "aws_iam_policy_document" and name == "trust" and folder.name != "github-oidc"
    ]
    assert len(trusts) == 3, trusts
    for module, _, body in trusts:
        (statement,) = body["statement"]
        condition = statement["condition"][0]
        assert (condition["test"], condition["variable"]) == ("StringEquals", "aws:SourceAccount"), module


def test_the_registry_group_policy_names_each_role_and_grants_approval_to_deploy_roles_only():
    access = locals_of(MODULES / "model-registry")["access"]
    register, approve, read = (set(access[name]["actions"]) for name in ("Register", "Approve", "Read"))

    assert "sagemaker:CreateModelPackage" in register and "sagemaker:UpdateModelPackage" not in register
    assert "sagemaker:UpdateModelPackage" in approve and "sagemaker:CreateModelPackage" not in approve
    assert read == {
        "sagemaker:DescribeModelPackage",
        "sagemaker:DescribeModelPackageGroup",
        "sagemaker:ListModelPackages",
    }
    scope = module_scope("registry", "model_registry", "registry")
    workloads = [load_environment(env, CONFIGS) for env in STACK_ENVIRONMENTS["workload"]]
    assert scope.variables["register_role_arns"] == [c.sagemaker.execution_role_arn for c in workloads]
    assert scope.variables["approve_role_arns"] == [c.ci.deploy_role_arn for c in workloads]


# IAM's limit for one customer-managed policy, whitespace not counted.
MANAGED_POLICY_LIMIT = 6_144


@pytest.mark.parametrize(("stack", "env"), STACK_ENVS)
def test_each_github_policy_fits_iams_managed_policy_limit(stack, env):
    scope = module_scope(stack, "ci_policies", env)
    folder = module_folder(stack, "ci_policies")
    services = evaluate(locals_of(folder)["services"], scope)
    static = policy_statements(folder)
    documents = {
        purpose: [
            {
                "Sid": name,
                "Effect": "Allow",
                "Action": services[name][kind],
                "Resource": services[name]["resources"],
            }
            for name in scope.variables["managed_services"]
        ]
        + [s.body for s in static if f"aws_iam_policy_document.{document} " in s.where]
        for purpose, kind, document in (("read", "read", "plan"), ("change", "write", "change"))
    }
    for purpose, document in (("operations", "deploy_operations"), ("evidence", "version_evidence")):
        documents[purpose] = [
            s.body
            for s in policy_statements(STACKS / stack)
            if f"aws_iam_policy_document.{document} " in s.where
        ]
    sizes = {
        purpose: len(json.dumps({"Version": "2012-10-17", "Statement": statements}, separators=(",", ":")))
        for purpose, statements in documents.items()
    }

    assert {purpose: size for purpose, size in sizes.items() if size > MANAGED_POLICY_LIMIT - 500} == {}
    assert sizes["read"] > 1_000 and sizes["change"] > 1_000, sizes


def test_the_registry_bucket_and_key_are_reserved_and_grant_no_workload_role_anything():
    """Nothing writes to the registry account's bucket (models stay in the workload buckets), so neither
    its policies nor the execution roles grant any access to it (README: reserved)."""
    calls = blocks(STACKS / "registry", "module")
    assert "policy_documents" not in calls["artifact_bucket"] and "policy_documents" not in calls["kms_key"]

    registry = load_environment("registry", CONFIGS).aws
    for env in STACK_ENVIRONMENTS["workload"]:
        passed = json.dumps(module_scope("workload", "sagemaker_execution_role", env).variables)
        assert registry.artifact_bucket not in passed and registry.kms_key_arn not in passed, env
