locals {
  train_pipeline_name     = "${local.name_prefix}-train"
  inference_pipeline_name = "${local.name_prefix}-inference"
  lambda_package_path     = coalesce(var.lambda_package_path, "${local.repository_root}/build/resolve-lambda.zip")
  resolve_function_arn    = "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${local.resolve_function}"
  resolve_log_group_arn   = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/${local.resolve_function}"
  # Key prefix of content-addressed artifacts: the S3 store's prefix (ml/artifacts/s3.py) + content_key of
  # ml/artifacts/codecs.py; tests/infra derives it from the store itself.
  content_addressed_prefix = "artifacts/sha256/"
  # Who in the environments that promote from this one reads its content-addressed artifacts: the
  # execution roles (models, baselines) and the CI roles (versions' scores and statistics for approvals).
  promotion_readers = concat(local.promotion_consumer_roles, local.promotion_consumer_ci_roles)
  # Policies name their accounts as principals and the roles in an aws:PrincipalArn condition.
  promotion_reader_accounts = distinct([for arn in local.promotion_readers : "arn:${local.partition}:iam::${split(":", arn)[4]}:root"])
}

data "aws_iam_policy_document" "key" {
  statement {
    sid       = "EventBridgeDeliversToEncryptedTopicAndQueues"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  statement {
    sid       = "CloudWatchLogsOfTheResolveFunction"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = [local.resolve_log_group_arn]
    }
  }

  # Environments that promote from this one deploy the artifacts it trained (architecture.md: prod
  # decrypts dev-encrypted model artifacts) and approve versions by their scores, through S3 only.
  dynamic "statement" {
    for_each = length(local.promotion_consumer_roles) > 0 ? [1] : []

    content {
      sid       = "PromotingEnvironmentsDecryptArtifacts"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:DescribeKey"]
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = local.promotion_reader_accounts
      }

      condition {
        test     = "ArnEquals"
        variable = "aws:PrincipalArn"
        values   = local.promotion_readers
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
  description      = "${local.name_prefix}: artifacts, image, topic, queues, function environment and logs"
  policy_documents = [data.aws_iam_policy_document.key.json]
}

data "aws_iam_policy_document" "artifact_readers" {
  dynamic "statement" {
    for_each = length(local.promotion_consumer_roles) > 0 ? [1] : []

    content {
      sid       = "PromotingEnvironmentsReadContentAddressedArtifacts"
      effect    = "Allow"
      actions   = ["s3:GetObject"]
      resources = ["arn:${local.partition}:s3:::${local.artifact_bucket}/${local.content_addressed_prefix}*"]

      principals {
        type        = "AWS"
        identifiers = local.promotion_reader_accounts
      }

      condition {
        test     = "ArnEquals"
        variable = "aws:PrincipalArn"
        values   = local.promotion_readers
      }
    }
  }

  # Processing inputs are S3Prefix channels: SageMaker lists the prefix before it copies the objects.
  dynamic "statement" {
    for_each = length(local.promotion_consumer_roles) > 0 ? [1] : []

    content {
      sid       = "PromotingEnvironmentsListContentAddressedArtifacts"
      effect    = "Allow"
      actions   = ["s3:ListBucket"]
      resources = ["arn:${local.partition}:s3:::${local.artifact_bucket}"]

      principals {
        type        = "AWS"
        identifiers = local.promotion_reader_accounts
      }

      condition {
        test     = "ArnEquals"
        variable = "aws:PrincipalArn"
        values   = local.promotion_consumer_roles
      }

      condition {
        test     = "StringLike"
        variable = "s3:prefix"
        values   = ["${local.content_addressed_prefix}*"]
      }
    }
  }
}

module "artifact_bucket" {
  source = "../../modules/artifact-bucket"

  bucket_name      = local.artifact_bucket
  account_id       = local.account_id
  kms_key_arn      = module.kms_key.key_arn
  policy_documents = [data.aws_iam_policy_document.artifact_readers.json]
}

module "ecr_repository" {
  source = "../../modules/ecr-repository"

  name        = local.image_repository
  kms_key_arn = module.kms_key.key_arn
}

module "resolve_lambda" {
  source = "../../modules/resolve-lambda"

  function_name           = local.resolve_function
  environment_name        = local.env.name
  account_id              = local.account_id
  package_path            = local.lambda_package_path
  kms_key_arn             = module.kms_key.key_arn
  model_package_group_arn = local.model_package_group_arn
}

module "sagemaker_execution_role" {
  source = "../../modules/sagemaker-execution-role"

  role_arn                 = local.execution_role_arn
  region                   = local.region
  name_prefix              = local.name_prefix
  artifact_bucket_arn      = module.artifact_bucket.bucket_arn
  kms_key_arn              = module.kms_key.key_arn
  model_package_group_arn  = local.model_package_group_arn
  promotion_sources        = local.promotion_sources
  content_addressed_prefix = local.content_addressed_prefix
  ecr_repository_arn       = module.ecr_repository.repository_arn
  resolve_function_arn     = module.resolve_lambda.function_arn
  alerts_topic_arn         = module.pipeline_alerts.topic_arn
}

module "pipeline_alerts" {
  source = "../../modules/pipeline-alerts"

  topic_name              = local.topic_name
  emails                  = local.alert_emails
  kms_key_arn             = module.kms_key.key_arn
  partition               = local.partition
  account_id              = local.account_id
  publisher_role_arns     = [local.execution_role_arn]
  event_rule_arn_patterns = ["arn:${local.partition}:events:${local.region}:${local.account_id}:rule/${local.name_prefix}-*"]
}

module "pipeline_events" {
  source = "../../modules/pipeline-events"

  name_prefix                   = local.name_prefix
  partition                     = local.partition
  region                        = local.region
  account_id                    = local.account_id
  train_pipeline_name           = local.train_pipeline_name
  inference_pipeline_name       = local.inference_pipeline_name
  inference_schedule_expression = local.schedule
  enable_schedule               = local.schedule_enabled
  enable_retraining             = local.retrain
  retrain_training_data         = local.retrain_training_data
  alerts_topic_arn              = module.pipeline_alerts.topic_arn
  kms_key_arn                   = module.kms_key.key_arn
}
