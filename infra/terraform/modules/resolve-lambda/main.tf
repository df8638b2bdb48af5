locals {
  log_group_name = "/aws/lambda/${var.function_name}"
}

module "dead_letter_queue" {
  source = "../dead-letter-queue"

  name        = "${var.function_name}-dlq"
  kms_key_arn = var.kms_key_arn
}

data "aws_iam_policy_document" "trust" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

# Named like the function, so the registry account's group policy can name it from the environment file
# (sagemaker.resolve_function_name) before this account is applied.
resource "aws_iam_role" "this" {
  name               = var.function_name
  description        = "Runs ${var.function_name}: reads the central model registry, nothing else"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}

data "aws_iam_policy_document" "permissions" {
  statement {
    sid       = "WriteOwnLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  statement {
    sid     = "XRayTraces"
    effect  = "Allow"
    actions = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    # X-Ray's PutTraceSegments and PutTelemetryRecords support no resource-level permissions.
    resources = ["*"]
  }

  statement {
    sid       = "DeadLetterFailedInvocations"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [module.dead_letter_queue.arn]
  }

  statement {
    sid       = "UseOwnKey"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }

  statement {
    sid     = "ReadCentralRegistry"
    effect  = "Allow"
    actions = ["sagemaker:DescribeModelPackageGroup", "sagemaker:ListModelPackages", "sagemaker:DescribeModelPackage"]
    resources = [
      var.model_package_group_arn,
      "${replace(var.model_package_group_arn, ":model-package-group/", ":model-package/")}/*",
    ]
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "resolve-approved-version"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.permissions.json
}

resource "aws_cloudwatch_log_group" "this" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_lambda_function" "this" {
  # checkov:skip=CKV_AWS_117:The function only calls the SageMaker API; without a VPC it needs no NAT or endpoints, and it reaches no private resource.
  # checkov:skip=CKV_AWS_272:The package is built by `make lambda-package` from the reviewed, merged commit in CI; AWS Signer profiles are not part of this footprint yet.
  function_name                  = var.function_name
  description                    = "Resolves the model version approved for ${var.environment_name} in the central registry"
  role                           = aws_iam_role.this.arn
  runtime                        = "python3.11"
  handler                        = "ml.orchestration.sagemaker.lambda_handler.handler"
  filename                       = var.package_path
  source_code_hash               = fileexists(var.package_path) ? filebase64sha256(var.package_path) : null
  timeout                        = 60
  memory_size                    = 512
  reserved_concurrent_executions = var.reserved_concurrent_executions
  kms_key_arn                    = var.kms_key_arn

  environment {
    variables = {
      MLOPS_ENV = var.environment_name
    }
  }

  tracing_config {
    mode = "Active"
  }

  dead_letter_config {
    target_arn = module.dead_letter_queue.arn
  }

  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy.this]

  lifecycle {
    precondition {
      condition     = fileexists(var.package_path)
      error_message = "No Lambda package at ${var.package_path}: run `make lambda-package` first (or set -var lambda_package_path=...)."
    }
  }
}
