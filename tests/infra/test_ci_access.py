"""What the workflows run with each GitHub role of a workload, and that the policies on both sides allow
it: the roles' identity policies (workload stack) and, across accounts, the central group's policy
(registry stack) and the bucket and key policies of the environment a version was trained in.

The plan role runs `mlops policy check`, `mlops compare` and `mlops registry show` on pull requests; the
deploy role runs `mlops approve` and `mlops registry sync`, and checks for an image tag before a push.
Both read the central group's versions and their scores and statistics (content-addressed objects)."""

from __future__ import annotations

from fnmatch import fnmatchcase

import pytest

from ml.config.loader import load_environment
from tests.infra.expressions import Scope
from tests.infra.terraform import (
    CONFIGS,
    MODULES,
    REPO,
    STACK_ENVIRONMENTS,
    STACKS,
    blocks,
    evaluate,
    evaluated,
    for_each_scope,
    locals_of,
    module_dirs,
    module_scope,
    policy_statements,
    resources,
    stack_dirs,
    stack_scope,
    statement_named,
)
from tests.infra.test_config_bindings import stored_object_key

WORKLOADS = STACK_ENVIRONMENTS["workload"]
# Managed policies of the workload stack each role has besides the read policy of ci-policies.
ROLE_DOCUMENTS = {"plan": ("version_evidence",), "deploy": ("version_evidence", "deploy_operations")}
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"  # a created key's id is known only after apply
DIGEST = "ab" + "0" * 62


def key_arn(env: str) -> str:
    alias = load_environment(env, CONFIGS).aws.kms_key_arn
    return alias.rsplit(":", 1)[0] + f":key/{KEY_ID}"


def workload_scope(env: str) -> Scope:
    """The workload stack's scope for `env`, with the module outputs its policies name."""
    scope = stack_scope("workload", env)
    config = load_environment(env, CONFIGS)
    outputs = {
        "kms_key": {"key_arn": key_arn(env)},
        "ecr_repository": {
            "repository_arn": f"arn:aws:ecr:{config.aws.region}:{config.aws.account_id}:repository/"
            f"{config.sagemaker.image_repository}"
        },
    }
    return Scope(scope.locals, scope.variables, {**scope.roots, "module": outputs}, scope.folder)


def identity_grants(env: str, role: str) -> list[dict]:
    scope = workload_scope(env)
    sources = evaluate("${local.promotion_sources}", scope)
    grants = []
    for statement in policy_statements(STACKS / "workload"):
        if not any(f"aws_iam_policy_document.{doc} " in statement.where for doc in ROLE_DOCUMENTS[role]):
            continue
        if " dynamic " in statement.where:  # the only dynamic ones iterate over promotion_sources
            grants += [evaluated(statement, for_each_scope(scope, s["environment"], s)) for s in sources]
        else:
            grants.append(evaluated(statement, scope))
    return grants


def allows(grants: list[dict], action: str, resource: str) -> bool:
    return any(
        action in g["actions"] and any(fnmatchcase(resource, r) for r in g["resources"]) for g in grants
    )


def needs(env: str, role: str) -> list[tuple[str, str]]:
    """(action, resource) of every call the role's workflow commands make for `env`."""
    config = load_environment(env, CONFIGS)
    group = evaluate("${local.model_package_group_arn}", stack_scope("workload", env))
    package = group.replace(":model-package-group/", ":model-package/") + "/7"
    calls = [
        ("sagemaker:DescribeModelPackageGroup", group),
        ("sagemaker:ListModelPackages", group),
        ("sagemaker:DescribeModelPackage", package),
    ]
    # Versions trained here or in an environment this one promotes from (prod compares dev's versions).
    for trained_in in [env, *config.governance.require_prior_approval_in]:
        bucket = load_environment(trained_in, CONFIGS).aws.artifact_bucket
        calls += [
            ("s3:GetObject", f"arn:aws:s3:::{bucket}/{stored_object_key(DIGEST)}"),
            ("kms:Decrypt", key_arn(trained_in)),
        ]
    if role == "deploy":
        repository = f"arn:aws:ecr:{config.aws.region}:{config.aws.account_id}:repository/"
        calls += [
            ("sagemaker:UpdateModelPackage", package),
            ("ecr:DescribeImages", repository + config.sagemaker.image_repository),
        ]
    return calls


@pytest.mark.parametrize("role", sorted(ROLE_DOCUMENTS))
@pytest.mark.parametrize("env", WORKLOADS)
def test_each_github_role_may_make_the_calls_of_its_workflow_commands(env, role):
    grants = identity_grants(env, role)
    assert [call for call in needs(env, role) if not allows(grants, *call)] == []


def test_prod_needs_dev_artifacts_and_key_so_the_check_above_covers_cross_account_reads():
    targets = [target for _, target in needs("prod", "plan")]
    dev = load_environment("dev", CONFIGS)
    assert any(t.startswith(f"arn:aws:s3:::{dev.aws.artifact_bucket}/artifacts/sha256/") for t in targets)
    assert key_arn("dev") in targets


@pytest.mark.parametrize("env", WORKLOADS)
def test_the_plan_role_may_change_nothing_in_the_registry_or_the_buckets(env):
    written = {
        action
        for grant in identity_grants(env, "plan")
        for action in grant["actions"]
        if not action.split(":")[1].startswith(("Get", "Describe", "List", "Decrypt"))
    }
    assert written == set()


def test_both_github_roles_get_the_evidence_policy_and_only_the_deploy_role_the_operations():
    call = blocks(STACKS / "workload", "module")["github_oidc"]
    assert call["shared_policy_jsons"] == {
        "evidence": "${data.aws_iam_policy_document.version_evidence.json}"
    }
    assert "${data.aws_iam_policy_document.deploy_operations.json}" in call["deploy_policy_jsons"].values()

    attached = {
        name: (body["role"], body["for_each"])
        for rtype, name, body in resources(MODULES / "github-oidc")
        if rtype == "aws_iam_role_policy_attachment" and "for_each" in body
    }
    assert attached == {
        "plan_shared": ("${aws_iam_role.plan.name}", "${aws_iam_policy.shared}"),
        "deploy_shared": ("${aws_iam_role.deploy.name}", "${aws_iam_policy.shared}"),
        "deploy": ("${aws_iam_role.deploy.name}", "${aws_iam_policy.deploy}"),
    }


def test_the_central_group_lets_each_plan_role_read_and_each_deploy_role_approve():
    access = evaluate(
        locals_of(MODULES / "model-registry")["access"],
        module_scope("registry", "model_registry", "registry"),
    )
    reads = {
        "sagemaker:DescribeModelPackage",
        "sagemaker:DescribeModelPackageGroup",
        "sagemaker:ListModelPackages",
    }

    for env in WORKLOADS:
        ci = load_environment(env, CONFIGS).ci
        assert ci.plan_role_arn in access["Read"]["roles"] and reads <= set(access["Read"]["actions"])
        assert ci.deploy_role_arn in access["Approve"]["roles"]
        assert reads | {"sagemaker:UpdateModelPackage"} <= set(access["Approve"]["actions"])


def test_dev_bucket_and_key_let_prods_github_roles_read_the_artifacts_and_only_its_execution_role_list():
    dev, prod = workload_scope("dev"), load_environment("prod", CONFIGS)
    workload = STACKS / "workload"
    read, decrypt, listing = (
        evaluated(statement_named(workload, f"PromotingEnvironments{sid}"), dev)
        for sid in ("ReadContentAddressedArtifacts", "DecryptArtifacts", "ListContentAddressedArtifacts")
    )

    def principals(grant: dict) -> list[str]:
        (condition,) = [c for c in grant["condition"] if c["variable"] == "aws:PrincipalArn"]
        return condition["values"]

    ci_roles = {prod.ci.plan_role_arn, prod.ci.deploy_role_arn}
    assert ci_roles <= set(principals(read)) and ci_roles <= set(principals(decrypt))
    assert principals(listing) == [prod.sagemaker.execution_role_arn]
    bucket = load_environment("dev", CONFIGS).aws.artifact_bucket
    assert allows([read], "s3:GetObject", f"arn:aws:s3:::{bucket}/{stored_object_key(DIGEST)}")
    assert not allows([read], "s3:GetObject", f"arn:aws:s3:::{bucket}/data/train.csv")
    (via,) = [c for c in decrypt["condition"] if c["variable"] == "kms:ViaService"]
    assert "kms:Decrypt" in decrypt["actions"] and via["values"] == [f"s3.{prod.aws.region}.amazonaws.com"]


def access_table() -> list[str]:
    """The rows of infra/terraform/README.md's access table; a table interrupted by text fails here."""
    text = (STACKS.parent / "README.md").read_text(encoding="utf-8")
    section = text.split("## Access, in one table", 1)[1].split("\n## ", 1)[0]
    lines = section.strip("\n").splitlines()
    end = next((i for i, line in enumerate(lines) if not line.startswith("|")), len(lines))
    table = lines[:end]
    stray = [line for line in lines[len(table) :] if line.startswith("|")]
    assert stray == [], "the access table is split: these rows follow a paragraph"
    return table[2:]


def test_the_access_table_is_one_table_and_lists_the_sync_lock_group_with_the_deploy_roles_actions():
    rows = access_table()
    (lock,) = [row for row in rows if "<group>-sync-lock" in row]
    granted = evaluated(statement_named(STACKS / "workload", "QueueForTheSyncLock"), workload_scope("dev"))

    assert "deploy role" in lock
    assert [action for action in granted["actions"] if action.split(":")[1] not in lock] == []
    assert any(row.startswith("| EventBridge / Scheduler role |") for row in rows)


def test_no_role_may_simulate_policies_and_the_pipelines_doc_says_why():
    """The SDK only warns when it cannot simulate the execution role; with the right it would refuse this
    role (docs/aws-pipelines.md), so Terraform must not grant it and the doc must not ask for it."""
    folders = [*module_dirs(), *stack_dirs()]
    granted = [
        s.where for f in folders for s in policy_statements(f) if "iam:SimulatePrincipalPolicy" in s.actions
    ]
    in_locals = [f.name for f in folders if "iam:SimulatePrincipalPolicy" in str(locals_of(f))]
    assert granted == in_locals == []

    doc = (REPO / "docs" / "aws-pipelines.md").read_text(encoding="utf-8")
    section = " ".join(doc.split("## What the roles need", 1)[1].split("\n## ", 1)[0].split())
    assert "Terraform does not grant `iam:SimulatePrincipalPolicy`, on purpose" in section
    assert "Proceeding with it." in section


@pytest.mark.parametrize("env", WORKLOADS)
def test_both_github_roles_may_read_the_execution_roles_trust_policy_as_the_sdk_does_before_an_upsert(env):
    iam = evaluate(
        locals_of(MODULES / "ci-policies")["services"], module_scope("workload", "ci_policies", env)
    )["iam"]
    role = load_environment(env, CONFIGS).sagemaker.execution_role_arn
    assert allows([{"actions": iam["read"], "resources": iam["resources"]}], "iam:GetRole", role)
