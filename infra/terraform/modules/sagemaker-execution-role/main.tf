locals {
  role_parts = regex("^arn:([^:]+):iam::(\\d{12}):role(/(?:[^/]+/)*)([^/]+)$", var.role_arn)
  partition  = local.role_parts[0]
  account_id = local.role_parts[1]
  sagemaker  = "arn:${local.partition}:sagemaker:${var.region}:${local.account_id}"

  # Keys of other accounts are known here only by alias (the environment files name aliases), so their
  # statements name the account's keys and require the alias with kms:ResourceAliases.
  foreign_keys = [for source in var.promotion_sources : { sid = "PromotedFromKey${title(source.environment)}", alias_arn = source.key_alias_arn, actions = ["kms:Decrypt", "kms:DescribeKey"] }]
}

data "aws_iam_policy_document" "trust" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["sagemaker.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = local.role_parts[3]
  path                 = local.role_parts[2]
  description          = "SageMaker pipelines and jobs of ${var.name_prefix}"
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = 43200

  lifecycle {
    postcondition {
      condition     = self.arn == var.role_arn
      error_message = "Created ${self.arn}, but sagemaker.execution_role_arn says ${var.role_arn}: apply with credentials of the account in the ARN."
    }
  }
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "OwnArtifactBucket"
    effect    = "Allow"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:GetBucketLocation"]
    resources = [var.artifact_bucket_arn, "${var.artifact_bucket_arn}/*"]
  }

  statement {
    sid       = "OwnKey"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }

  statement {
    sid       = "OwnKeyGrantsForJobVolumes"
    effect    = "Allow"
    actions   = ["kms:CreateGrant"]
    resources = [var.kms_key_arn]

    condition {
      test     = "Bool"
      variable = "kms:GrantIsForAWSResource"
      values   = ["true"]
    }
  }

  dynamic "statement" {
    for_each = { for key in local.foreign_keys : key.sid => key }

    content {
      sid     = statement.key
      effect  = "Allow"
      actions = statement.value.actions
      resources = [
        "${join(":", slice(split(":", statement.value.alias_arn), 0, 5))}:key/*",
      ]

      condition {
        test     = "ForAnyValue:StringEquals"
        variable = "kms:ResourceAliases"
        values   = [regex(":(alias/.+)$", statement.value.alias_arn)[0]]
      }
    }
  }

  dynamic "statement" {
    for_each = { for source in var.promotion_sources : source.environment => source }

    content {
      sid       = "PromotedFromArtifacts${title(statement.key)}"
      effect    = "Allow"
      actions   = ["s3:GetObject"]
      resources = ["${statement.value.bucket_arn}/${var.content_addressed_prefix}*"]
    }
  }

  # Processing inputs are S3Prefix channels, which SageMaker lists before it copies them.
  dynamic "statement" {
    for_each = { for source in var.promotion_sources : source.environment => source }

    content {
      sid       = "ListPromotedFromArtifacts${title(statement.key)}"
      effect    = "Allow"
      actions   = ["s3:ListBucket"]
      resources = [statement.value.bucket_arn]

      condition {
        test     = "StringLike"
        variable = "s3:prefix"
        values   = ["${var.content_addressed_prefix}*"]
      }
    }
  }

  statement {
    sid       = "RegisterInCentralRegistry"
    effect    = "Allow"
    actions   = ["sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup", "sagemaker:ListModelPackages"]
    resources = [var.model_package_group_arn, "${replace(var.model_package_group_arn, ":model-package-group/", ":model-package/")}/*"]
  }

  statement {
    sid     = "RunPipelineJobs"
    effect  = "Allow"
    actions = ["sagemaker:AddTags", "sagemaker:CreateModel", "sagemaker:CreateProcessingJob", "sagemaker:CreateTrainingJob", "sagemaker:CreateTransformJob", "sagemaker:DescribeModel", "sagemaker:DescribeProcessingJob", "sagemaker:DescribeTrainingJob", "sagemaker:DescribeTransformJob", "sagemaker:StopProcessingJob", "sagemaker:StopTrainingJob", "sagemaker:StopTransformJob"]
    # SageMaker Pipelines names the jobs it starts "pipelines-<execution>-<step>-<suffix>".
    resources = [
      "${local.sagemaker}:processing-job/pipelines-*",
      "${local.sagemaker}:training-job/pipelines-*",
      "${local.sagemaker}:transform-job/pipelines-*",
      "${local.sagemaker}:model/*",
    ]
  }

  statement {
    sid       = "PassOnlyItselfToSageMaker"
    effect    = "Allow"
    actions   = ["iam:PassRole"]
    resources = [var.role_arn]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["sagemaker.amazonaws.com"]
    }
  }

  statement {
    sid       = "ResolveApprovedVersion"
    effect    = "Allow"
    actions   = ["lambda:InvokeFunction"]
    resources = [var.resolve_function_arn]
  }

  statement {
    sid       = "PullPipelineImage"
    effect    = "Allow"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = [var.ecr_repository_arn]
  }

  statement {
    sid     = "EcrLogin"
    effect  = "Allow"
    actions = ["ecr:GetAuthorizationToken"]
    # GetAuthorizationToken supports no resource-level permissions.
    resources = ["*"]
  }

  statement {
    sid       = "JobLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
    resources = ["arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:/aws/sagemaker/*"]
  }

  statement {
    sid     = "JobMetrics"
    effect  = "Allow"
    actions = ["cloudwatch:PutMetricData"]
    # PutMetricData supports no resource-level permissions; the namespace condition scopes it.
    resources = ["*"]

    condition {
      test     = "StringLike"
      variable = "cloudwatch:namespace"
      values   = ["/aws/sagemaker/*"]
    }
  }

  statement {
    sid       = "NotifyAlerts"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = [var.alerts_topic_arn]
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "pipelines"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}
