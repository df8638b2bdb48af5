locals {
  workload_accounts = distinct([for arn in concat(local.register_role_arns, local.approve_role_arns) : "arn:${local.partition}:iam::${split(":", arn)[4]}:root"])
}

# Registered model artifacts are written by the workloads' execution roles and read by their deploy roles,
# always through S3; the key and the bucket policy grant the same roles.
locals {
  artifact_access = {
    WorkloadsWriteRegisteredArtifacts = {
      roles = local.register_role_arns
      kms   = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]
      s3    = ["s3:GetObject", "s3:PutObject"]
    }
    DeployRolesReadRegisteredArtifacts = {
      roles = local.approve_role_arns
      kms   = ["kms:Decrypt", "kms:DescribeKey"]
      s3    = ["s3:GetObject"]
    }
  }
}

data "aws_iam_policy_document" "key" {
  dynamic "statement" {
    for_each = local.artifact_access

    content {
      sid       = statement.key
      effect    = "Allow"
      actions   = statement.value.kms
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = local.workload_accounts
      }

      condition {
        test     = "ArnEquals"
        variable = "aws:PrincipalArn"
        values   = statement.value.roles
      }

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${local.region}.amazonaws.com"]
      }
    }
  }
}

module "kms_key" {
  source = "../../modules/kms-key"

  alias_arn        = local.kms_key_alias_arn
  description      = "${local.name_prefix}: registered model artifacts"
  policy_documents = [data.aws_iam_policy_document.key.json]
}

data "aws_iam_policy_document" "bucket" {
  dynamic "statement" {
    for_each = local.artifact_access

    content {
      sid       = statement.key
      effect    = "Allow"
      actions   = statement.value.s3
      resources = ["arn:${local.partition}:s3:::${local.artifact_bucket}/*"]

      principals {
        type        = "AWS"
        identifiers = local.workload_accounts
      }

      condition {
        test     = "ArnEquals"
        variable = "aws:PrincipalArn"
        values   = statement.value.roles
      }
    }
  }
}

module "artifact_bucket" {
  source = "../../modules/artifact-bucket"

  bucket_name      = local.artifact_bucket
  account_id       = local.account_id
  kms_key_arn      = module.kms_key.key_arn
  policy_documents = [data.aws_iam_policy_document.bucket.json]
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
