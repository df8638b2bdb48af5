locals {
  p      = var.partition
  prefix = var.name_prefix
  at     = "${var.region}:${var.account_id}"

  # What Terraform reads (plan) and changes (deploy) per service, on the ARNs this stack's names can have.
  # Every name the environment file gives starts with <project>-<env> (tests/infra checks it), which is
  # what keeps these patterns from reaching another stack's resources.
  services = {
    s3 = {
      resources = ["arn:${local.p}:s3:::${local.prefix}-*"]
      read      = ["s3:GetAccelerateConfiguration", "s3:GetBucketAcl", "s3:GetBucketCORS", "s3:GetBucketLocation", "s3:GetBucketLogging", "s3:GetBucketObjectLockConfiguration", "s3:GetBucketOwnershipControls", "s3:GetBucketPolicy", "s3:GetBucketPublicAccessBlock", "s3:GetBucketRequestPayment", "s3:GetBucketTagging", "s3:GetBucketVersioning", "s3:GetBucketWebsite", "s3:GetEncryptionConfiguration", "s3:GetLifecycleConfiguration", "s3:GetReplicationConfiguration", "s3:ListBucket"]
      write     = ["s3:CreateBucket", "s3:DeleteBucketPolicy", "s3:PutBucketLogging", "s3:PutBucketOwnershipControls", "s3:PutBucketPolicy", "s3:PutBucketPublicAccessBlock", "s3:PutBucketTagging", "s3:PutBucketVersioning", "s3:PutEncryptionConfiguration", "s3:PutLifecycleConfiguration"]
    }
    kms = {
      resources = ["arn:${local.p}:kms:${local.at}:key/*", "arn:${local.p}:kms:${local.at}:alias/${local.prefix}-*"]
      read      = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"]
      write     = ["kms:CreateAlias", "kms:CreateGrant", "kms:Decrypt", "kms:EnableKeyRotation", "kms:Encrypt", "kms:GenerateDataKey", "kms:PutKeyPolicy", "kms:TagResource", "kms:UntagResource", "kms:UpdateAlias", "kms:UpdateKeyDescription"]
    }
    iam = {
      resources = ["arn:${local.p}:iam::${var.account_id}:role/${local.prefix}-*", "arn:${local.p}:iam::${var.account_id}:policy/${local.prefix}-*", "arn:${local.p}:iam::${var.account_id}:oidc-provider/token.actions.githubusercontent.com"]
      read      = ["iam:GetOpenIDConnectProvider", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole", "iam:ListPolicyVersions", "iam:ListRolePolicies"]
      write     = ["iam:AddClientIDToOpenIDConnectProvider", "iam:CreateOpenIDConnectProvider", "iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:CreateRole", "iam:DeletePolicyVersion", "iam:DeleteRole", "iam:DeleteRolePolicy", "iam:PutRolePolicy", "iam:RemoveClientIDFromOpenIDConnectProvider", "iam:TagOpenIDConnectProvider", "iam:TagPolicy", "iam:TagRole", "iam:UntagOpenIDConnectProvider", "iam:UntagRole", "iam:UpdateAssumeRolePolicy", "iam:UpdateOpenIDConnectProviderThumbprint", "iam:UpdateRole", "iam:UpdateRoleDescription"]
    }
    sns = {
      resources = ["arn:${local.p}:sns:${local.at}:${local.prefix}-*"]
      read      = ["sns:GetSubscriptionAttributes", "sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic", "sns:ListTagsForResource"]
      write     = ["sns:CreateTopic", "sns:SetSubscriptionAttributes", "sns:SetTopicAttributes", "sns:Subscribe", "sns:TagResource", "sns:Unsubscribe", "sns:UntagResource"]
    }
    sqs = {
      resources = ["arn:${local.p}:sqs:${local.at}:${local.prefix}-*"]
      read      = ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ListQueueTags"]
      write     = ["sqs:CreateQueue", "sqs:SetQueueAttributes", "sqs:TagQueue", "sqs:UntagQueue"]
    }
    lambda = {
      resources = ["arn:${local.p}:lambda:${local.at}:function:${local.prefix}-*"]
      read      = ["lambda:GetFunction", "lambda:GetFunctionCodeSigningConfig", "lambda:GetFunctionConcurrency", "lambda:GetFunctionRecursionConfig", "lambda:GetPolicy", "lambda:GetRuntimeManagementConfig", "lambda:ListTags", "lambda:ListVersionsByFunction"]
      write     = ["lambda:CreateFunction", "lambda:DeleteFunctionConcurrency", "lambda:PutFunctionConcurrency", "lambda:TagResource", "lambda:UntagResource", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration"]
    }
    logs = {
      resources = ["arn:${local.p}:logs:${local.at}:log-group:/aws/lambda/${local.prefix}-*"]
      read      = ["logs:ListTagsForResource", "logs:ListTagsLogGroup"]
      write     = ["logs:AssociateKmsKey", "logs:CreateLogGroup", "logs:PutRetentionPolicy", "logs:TagLogGroup", "logs:TagResource", "logs:UntagResource"]
    }
    ecr = {
      resources = ["arn:${local.p}:ecr:${local.at}:repository/${local.prefix}-*"]
      read      = ["ecr:DescribeRepositories", "ecr:GetLifecyclePolicy", "ecr:GetRepositoryPolicy", "ecr:ListTagsForResource"]
      write     = ["ecr:BatchCheckLayerAvailability", "ecr:CompleteLayerUpload", "ecr:CreateRepository", "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:PutImageScanningConfiguration", "ecr:PutLifecyclePolicy", "ecr:TagResource", "ecr:UntagResource", "ecr:UploadLayerPart"]
    }
    events = {
      resources = ["arn:${local.p}:events:${local.at}:rule/${local.prefix}-*"]
      read      = ["events:DescribeRule", "events:ListTagsForResource", "events:ListTargetsByRule"]
      write     = ["events:DeleteRule", "events:DisableRule", "events:EnableRule", "events:PutRule", "events:PutTargets", "events:RemoveTargets", "events:TagResource", "events:UntagResource"]
    }
    scheduler = {
      resources = ["arn:${local.p}:scheduler:${local.at}:schedule/default/${local.prefix}-*"]
      read      = ["scheduler:GetSchedule", "scheduler:ListTagsForResource"]
      write     = ["scheduler:CreateSchedule", "scheduler:TagResource", "scheduler:UntagResource", "scheduler:UpdateSchedule"]
    }
    sagemaker = {
      resources = var.model_package_group_arns
      read      = ["sagemaker:DescribeModelPackageGroup", "sagemaker:GetModelPackageGroupPolicy", "sagemaker:ListTags"]
      write     = ["sagemaker:AddTags", "sagemaker:CreateModelPackageGroup", "sagemaker:DeleteModelPackageGroupPolicy", "sagemaker:DeleteTags", "sagemaker:PutModelPackageGroupPolicy"]
    }
  }
  managed = { for name in var.managed_services : name => local.services[name] }

  state_bucket_arn = "arn:${local.p}:s3:::${var.state_bucket}"
  state_object_arn = "${local.state_bucket_arn}/${var.state_key}"
}

data "aws_iam_policy_document" "plan" {
  dynamic "statement" {
    for_each = local.managed

    content {
      sid       = "Read${title(statement.key)}"
      effect    = "Allow"
      actions   = statement.value.read
      resources = statement.value.resources
    }
  }

  statement {
    sid     = "ReadAccountLevelLists"
    effect  = "Allow"
    actions = ["kms:ListAliases"]
    # kms:ListAliases supports no resource-level permissions.
    resources = ["*"]
  }

  dynamic "statement" {
    for_each = contains(var.managed_services, "logs") ? [1] : []

    content {
      sid       = "ReadLogGroupList"
      effect    = "Allow"
      actions   = ["logs:DescribeLogGroups"]
      resources = ["arn:${local.p}:logs:${local.at}:log-group:*"]
    }
  }

  statement {
    sid       = "ReadState"
    effect    = "Allow"
    actions   = ["s3:GetObject", "s3:ListBucket"]
    resources = [local.state_bucket_arn, local.state_object_arn]
  }

  # use_lockfile: even a plan takes the lock, which is a separate object next to the state.
  statement {
    sid       = "LockState"
    effect    = "Allow"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.state_object_arn}.tflock"]
  }
}

data "aws_iam_policy_document" "change" {
  # Only this stack's own policies may be attached, never an AWS-managed one such as AdministratorAccess.
  dynamic "statement" {
    for_each = contains(var.managed_services, "iam") ? [1] : []

    content {
      sid       = "AttachOwnPolicies"
      effect    = "Allow"
      actions   = ["iam:AttachRolePolicy", "iam:DetachRolePolicy"]
      resources = ["arn:${local.p}:iam::${var.account_id}:role/${local.prefix}-*"]

      condition {
        test     = "ArnLike"
        variable = "iam:PolicyARN"
        values   = ["arn:${local.p}:iam::${var.account_id}:policy/${local.prefix}-*"]
      }
    }
  }

  dynamic "statement" {
    for_each = local.managed

    content {
      sid       = "Change${title(statement.key)}"
      effect    = "Allow"
      actions   = statement.value.write
      resources = statement.value.resources
    }
  }

  dynamic "statement" {
    for_each = contains(var.managed_services, "kms") ? [1] : []

    content {
      sid     = "CreateKeys"
      effect  = "Allow"
      actions = ["kms:CreateKey"]
      # CreateKey has no resource to scope (the key does not exist yet).
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = var.pass_roles

    content {
      sid       = "PassRoleTo${replace(title(replace(statement.value.service, ".amazonaws.com", "")), "-", "")}"
      effect    = "Allow"
      actions   = ["iam:PassRole"]
      resources = statement.value.role_arns

      condition {
        test     = "StringEquals"
        variable = "iam:PassedToService"
        values   = [statement.value.service]
      }
    }
  }

  statement {
    sid       = "WriteState"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = [local.state_object_arn]
  }
}
