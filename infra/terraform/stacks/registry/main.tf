# The registry account's bucket and key are reserved: models stay in the workload buckets (the versions'
# artifact URIs point there) and nothing writes here yet, so no workload role is granted either. A
# feature that copies approved models here adds its grants with it (infra/terraform/README.md).
module "kms_key" {
  source = "../../modules/kms-key"

  alias_arn   = local.kms_key_alias_arn
  description = "${local.name_prefix}: reserved for registered model artifacts (unused)"
}

module "artifact_bucket" {
  source = "../../modules/artifact-bucket"

  bucket_name = local.artifact_bucket
  account_id  = local.account_id
  kms_key_arn = module.kms_key.key_arn
}

module "model_registry" {
  source = "../../modules/model-registry"

  group_name         = local.group_name
  register_role_arns = local.register_role_arns
  approve_role_arns  = local.approve_role_arns
  read_role_arns     = local.read_role_arns
}

# `mlops registry sync` serialises on a queue of ticket packages in this group (ml/registry/sagemaker_lock.py):
# only the deploy roles, which run the sync, may queue and release tickets.
module "sync_lock_registry" {
  source = "../../modules/model-registry"

  group_name         = "${local.group_name}-sync-lock"
  description        = "Sync lock of ${local.group_name}: one ticket package per `mlops registry sync` run"
  register_role_arns = local.approve_role_arns
  approve_role_arns  = local.approve_role_arns
}

module "ci_policies" {
  source = "../../modules/ci-policies"

  name_prefix              = local.name_prefix
  partition                = local.partition
  region                   = local.region
  account_id               = local.account_id
  managed_services         = ["s3", "kms", "iam", "sagemaker"]
  model_package_group_arns = [module.model_registry.group_arn, module.sync_lock_registry.group_arn]
  state_bucket             = local.state_bucket
  state_key                = local.state_key
}

module "github_oidc" {
  source = "../../modules/github-oidc"

  github_repository = local.github_repository
  environment       = local.env.name
  plan_role_arn     = local.plan_role_arn
  deploy_role_arn   = local.deploy_role_arn
  name_prefix       = local.name_prefix
  read_policy_json  = module.ci_policies.read_policy_json
  deploy_policy_jsons = {
    change = module.ci_policies.change_policy_json
  }
}
