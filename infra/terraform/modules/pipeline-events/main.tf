locals {
  pipeline_arn_prefix = "arn:${var.partition}:sagemaker:${var.region}:${var.account_id}:pipeline"
  # SageMaker reports pipeline ARNs in lower case, whatever the case of the name.
  train_pipeline_arn     = "${local.pipeline_arn_prefix}/${lower(var.train_pipeline_name)}"
  inference_pipeline_arn = "${local.pipeline_arn_prefix}/${lower(var.inference_pipeline_name)}"
  rule_arn_pattern       = "arn:${var.partition}:events:${var.region}:${var.account_id}:rule/${var.name_prefix}-*"

  # Event shapes: "SageMaker pipeline execution state change" and "SageMaker pipeline step state change"
  # in https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html
  # (infra/terraform/README.md lists every field these patterns rely on).
  data_quality_violation_pattern = {
    source        = ["aws.sagemaker"]
    "detail-type" = ["SageMaker Model Building Pipeline Execution Step Status Change"]
    detail = {
      pipelineArn       = [local.inference_pipeline_arn]
      stepName          = [var.data_quality_fail_step_name]
      currentStepStatus = ["Failed"]
    }
  }
  pipeline_failed_pattern = {
    source        = ["aws.sagemaker"]
    "detail-type" = ["SageMaker Model Building Pipeline Execution Status Change"]
    detail = {
      pipelineArn                    = [local.train_pipeline_arn, local.inference_pipeline_arn]
      currentPipelineExecutionStatus = ["Failed"]
    }
  }
}

module "dead_letter_queue" {
  source = "../dead-letter-queue"

  name                       = "${var.name_prefix}-pipeline-events-dlq"
  kms_key_arn                = var.kms_key_arn
  sender_service_source_arns = [local.rule_arn_pattern]
}

data "aws_iam_policy_document" "trust" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com", "scheduler.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = "${var.name_prefix}-pipeline-events"
  description        = "EventBridge rules and schedules start ${var.train_pipeline_name} and ${var.inference_pipeline_name}"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}

data "aws_iam_policy_document" "permissions" {
  statement {
    sid       = "StartThisEnvironmentsPipelines"
    effect    = "Allow"
    actions   = ["sagemaker:StartPipelineExecution"]
    resources = [local.train_pipeline_arn, local.inference_pipeline_arn]
  }

  statement {
    sid       = "DeadLetterUndeliveredStarts"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [module.dead_letter_queue.arn]
  }

  statement {
    sid       = "DecryptScheduleEncryptDeadLetters"
    effect    = "Allow"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "start-pipelines"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.permissions.json
}

resource "aws_scheduler_schedule" "this" {
  name                         = "${var.name_prefix}-inference"
  description                  = "Starts ${var.inference_pipeline_name} on its default batch (schedule.inference)"
  schedule_expression          = var.inference_schedule_expression
  schedule_expression_timezone = "UTC"
  kms_key_arn                  = var.kms_key_arn
  state                        = var.enable_schedule ? "ENABLED" : "DISABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = local.inference_pipeline_arn
    role_arn = aws_iam_role.this.arn

    retry_policy {
      maximum_event_age_in_seconds = var.maximum_event_age_seconds
      maximum_retry_attempts       = var.maximum_retry_attempts
    }

    dead_letter_config {
      arn = module.dead_letter_queue.arn
    }
  }
}

resource "aws_cloudwatch_event_rule" "retrain_on_data_quality_violation" {
  count = var.enable_retraining ? 1 : 0

  name          = "${var.name_prefix}-retrain-on-data-quality-violation"
  description   = "The inference pipeline's data-quality gate failed: retrain on ${var.retrain_training_data}"
  event_pattern = jsonencode(local.data_quality_violation_pattern)
}

resource "aws_cloudwatch_event_target" "retrain" {
  count = var.enable_retraining ? 1 : 0

  rule      = aws_cloudwatch_event_rule.retrain_on_data_quality_violation[0].name
  target_id = "start-train-pipeline"
  arn       = local.train_pipeline_arn
  role_arn  = aws_iam_role.this.arn

  sagemaker_pipeline_target {
    pipeline_parameter_list {
      name  = "TrainingData"
      value = var.retrain_training_data
    }

    # Recorded as the version's created_by: no person trained it, so any approver passes separation of duties.
    pipeline_parameter_list {
      name  = "CreatedBy"
      value = "eventbridge-retraining"
    }
  }

  retry_policy {
    maximum_event_age_in_seconds = var.maximum_event_age_seconds
    maximum_retry_attempts       = var.maximum_retry_attempts
  }

  dead_letter_config {
    arn = module.dead_letter_queue.arn
  }
}

resource "aws_cloudwatch_event_rule" "pipeline_failed" {
  name          = "${var.name_prefix}-pipeline-failed"
  description   = "Any failed execution of ${var.train_pipeline_name} or ${var.inference_pipeline_name}: notify"
  event_pattern = jsonencode(local.pipeline_failed_pattern)
}

resource "aws_cloudwatch_event_target" "notify" {
  rule      = aws_cloudwatch_event_rule.pipeline_failed.name
  target_id = "notify-alerts-topic"
  arn       = var.alerts_topic_arn

  retry_policy {
    maximum_event_age_in_seconds = var.maximum_event_age_seconds
    maximum_retry_attempts       = var.maximum_retry_attempts
  }

  dead_letter_config {
    arn = module.dead_letter_queue.arn
  }
}
