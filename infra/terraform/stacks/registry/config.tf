# Every value this stack takes from the environment files is read here, and only here; the rest of the
# stack uses these locals. tests/infra checks each key read below against configs/schema.json.
locals {
  config_dir = coalesce(var.config_dir, abspath("${path.module}/../../../../configs"))
  env        = yamldecode(file("${local.config_dir}/${var.environment}/environment.yaml"))
  others     = [for path in fileset(local.config_dir, "*/environment.yaml") : yamldecode(file("${local.config_dir}/${path}"))]

  project           = local.env.project
  name_prefix       = "${local.env.project}-${local.env.name}"
  account_id        = local.env.aws.account_id
  region            = local.env.aws.region
  artifact_bucket   = local.env.aws.artifact_bucket
  kms_key_alias_arn = local.env.aws.kms_key_arn
  partition         = split(":", local.env.aws.kms_key_arn)[1]
  group_name        = local.env.registry.model_package_group
  github_repository = local.env.ci.github_repository
  plan_role_arn     = local.env.ci.plan_role_arn
  deploy_role_arn   = local.env.ci.deploy_role_arn

  # The AWS workloads that register into this account, and the roles they do it with.
  workloads          = [for other in local.others : other if other.kind == "workload" && other.backend == "sagemaker" && try(other.registry.account_id, "") == local.account_id]
  register_role_arns = [for other in local.workloads : other.sagemaker.execution_role_arn]
  approve_role_arns  = [for other in local.workloads : other.ci.deploy_role_arn]
  # Readers: the resolve Lambdas (whose role is named like the function, modules/resolve-lambda) and the
  # plan roles, which run `mlops policy check|compare|registry show` on pull requests.
  read_role_arns = concat(
    [for other in local.workloads : "arn:${local.partition}:iam::${other.aws.account_id}:role/${other.sagemaker.resolve_function_name}"],
    [for other in local.workloads : other.ci.plan_role_arn],
  )

  state_bucket = "${local.name_prefix}-tfstate-${local.account_id}"
  state_key    = "${local.project}/${local.env.name}/terraform.tfstate"

  tags = {
    project     = local.project
    environment = local.env.name
    managed-by  = "terraform"
    repository  = local.github_repository
  }
}

resource "terraform_data" "config_guard" {
  input = local.name_prefix

  lifecycle {
    precondition {
      condition     = length(local.workloads) > 0
      error_message = "No kind: workload, backend: sagemaker environment names registry.account_id ${local.account_id}; the group would have no writers."
    }
    precondition {
      condition     = startswith(local.artifact_bucket, "${local.name_prefix}-")
      error_message = "aws.artifact_bucket must start with ${local.name_prefix}- so the CI roles' policies cover it."
    }
  }
}
