locals {
  pipeline_arns = [
    "arn:${local.partition}:sagemaker:${local.region}:${local.account_id}:pipeline/${local.train_pipeline_name}",
    "arn:${local.partition}:sagemaker:${local.region}:${local.account_id}:pipeline/${local.inference_pipeline_name}",
  ]
}

# What the deploy role does besides `terraform apply`: upsert and run the pipelines, push the image (via
# the ecr write actions of ci-policies), upload the prepared data, and sync approvals to the registry.
data "aws_iam_policy_document" "deploy_operations" {
  statement {
    sid       = "UpsertAndRunPipelines"
    effect    = "Allow"
    actions   = ["sagemaker:AddTags", "sagemaker:CreatePipeline", "sagemaker:DescribePipeline", "sagemaker:DescribePipelineDefinitionForExecution", "sagemaker:ListPipelineExecutions", "sagemaker:StartPipelineExecution", "sagemaker:UpdatePipeline"]
    resources = local.pipeline_arns
  }

  statement {
    sid       = "FollowPipelineExecutions"
    effect    = "Allow"
    actions   = ["sagemaker:DescribePipelineExecution", "sagemaker:ListPipelineExecutionSteps", "sagemaker:StopPipelineExecution"]
    resources = [for arn in local.pipeline_arns : "${arn}/execution/*"]
  }

  statement {
    sid       = "UploadPreparedData"
    effect    = "Allow"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["arn:${local.partition}:s3:::${local.artifact_bucket}/data/*"]
  }

  # Reading the group comes with version_evidence (both roles); only the deploy role changes approvals.
  statement {
    sid       = "SyncApprovalsToCentralRegistry"
    effect    = "Allow"
    actions   = ["sagemaker:UpdateModelPackage"]
    resources = ["${replace(local.model_package_group_arn, ":model-package-group/", ":model-package/")}/*"]
  }

  statement {
    sid       = "QueueForTheSyncLock"
    effect    = "Allow"
    actions   = ["sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages", "sagemaker:UpdateModelPackage"]
    resources = [local.sync_lock_group_arn, "${replace(local.sync_lock_group_arn, ":model-package-group/", ":model-package/")}/*"]
  }

  # The IMMUTABLE repository refuses a second push of a tag: the deploy workflow asks first whether it exists.
  statement {
    sid       = "CheckImageTags"
    effect    = "Allow"
    actions   = ["ecr:DescribeImages"]
    resources = [module.ecr_repository.repository_arn]
  }

  statement {
    sid     = "EcrLogin"
    effect  = "Allow"
    actions = ["ecr:GetAuthorizationToken"]
    # GetAuthorizationToken supports no resource-level permissions.
    resources = ["*"]
  }
}

# What both roles read for the approval workflows: the plan role runs `mlops policy check`, `mlops compare`
# and `mlops registry show` on pull requests, the deploy role `mlops approve` and `mlops registry sync`.
# They read the central group's versions and those versions' scores and statistics, which are
# content-addressed objects in this bucket or, for versions trained there, in the buckets of the
# environments this one promotes from (their bucket and key policies name these roles).
data "aws_iam_policy_document" "version_evidence" {
  statement {
    sid       = "ReadCentralRegistryVersions"
    effect    = "Allow"
    actions   = ["sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup", "sagemaker:ListModelPackages"]
    resources = [local.model_package_group_arn, "${replace(local.model_package_group_arn, ":model-package-group/", ":model-package/")}/*"]
  }

  statement {
    sid     = "ReadVersionScoresAndStatistics"
    effect  = "Allow"
    actions = ["s3:GetObject"]
    resources = concat(
      ["arn:${local.partition}:s3:::${local.artifact_bucket}/${local.content_addressed_prefix}*"],
      [for source in local.promotion_sources : "${source.bucket_arn}/${local.content_addressed_prefix}*"],
    )
  }

  statement {
    sid       = "DecryptThemThroughS3"
    effect    = "Allow"
    actions   = ["kms:Decrypt"]
    resources = [module.kms_key.key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }
  }

  # Other accounts' keys are known by alias only (as in the execution role's policy).
  dynamic "statement" {
    for_each = { for source in local.promotion_sources : source.environment => source }

    content {
      sid       = "DecryptThemThroughS3In${title(statement.key)}"
      effect    = "Allow"
      actions   = ["kms:Decrypt"]
      resources = ["${join(":", slice(split(":", statement.value.key_alias_arn), 0, 5))}:key/*"]

      condition {
        test     = "ForAnyValue:StringEquals"
        variable = "kms:ResourceAliases"
        values   = [regex(":(alias/.+)$", statement.value.key_alias_arn)[0]]
      }

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${local.region}.amazonaws.com"]
      }
    }
  }
}

module "ci_policies" {
  source = "../../modules/ci-policies"

  name_prefix      = local.name_prefix
  partition        = local.partition
  region           = local.region
  account_id       = local.account_id
  managed_services = ["s3", "kms", "iam", "sns", "sqs", "lambda", "logs", "ecr", "events", "scheduler"]
  state_bucket     = local.state_bucket
  state_key        = local.state_key
  pass_roles = [
    { service = "sagemaker.amazonaws.com", role_arns = [local.execution_role_arn] },
    { service = "lambda.amazonaws.com", role_arns = [module.resolve_lambda.role_arn] },
    { service = "events.amazonaws.com", role_arns = [module.pipeline_events.role_arn] },
    { service = "scheduler.amazonaws.com", role_arns = [module.pipeline_events.role_arn] },
  ]
}

module "github_oidc" {
  source = "../../modules/github-oidc"

  github_repository = local.github_repository
  environment       = local.env.name
  plan_role_arn     = local.plan_role_arn
  deploy_role_arn   = local.deploy_role_arn
  name_prefix       = local.name_prefix
  read_policy_json  = module.ci_policies.read_policy_json
  shared_policy_jsons = {
    evidence = data.aws_iam_policy_document.version_evidence.json
  }
  deploy_policy_jsons = {
    change     = module.ci_policies.change_policy_json
    operations = data.aws_iam_policy_document.deploy_operations.json
  }
}
