variable "name_prefix" {
  description = "<project>-<env>: prefix of every rule, schedule, role and queue this module creates."
  type        = string
}

variable "partition" {
  description = "AWS partition of the account."
  type        = string
  default     = "aws"
}

variable "region" {
  description = "Region of the pipelines (aws.region)."
  type        = string
}

variable "account_id" {
  description = "Account of the pipelines (aws.account_id)."
  type        = string
}

variable "train_pipeline_name" {
  description = "Name of the train pipeline (<project>-<env>-train), started on a data-quality violation."
  type        = string
}

variable "inference_pipeline_name" {
  description = "Name of the inference pipeline (<project>-<env>-inference), started by the schedule."
  type        = string
}

variable "data_quality_fail_step_name" {
  description = "FailStep of the inference pipeline that only a data-quality violation reaches; its Failed status starts retraining."
  type        = string
  default     = "data_quality_gate-failed"
}

variable "inference_schedule_expression" {
  description = "cron(...) or rate(...) expression of the scheduled inference (schedule.inference), evaluated in UTC."
  type        = string

  validation {
    condition     = can(regex("^(cron|rate)\\(.+\\)$", var.inference_schedule_expression))
    error_message = "inference_schedule_expression must be cron(...) or rate(...); fix schedule.inference."
  }
}

variable "enable_schedule" {
  description = "Whether the schedule is ENABLED (schedule.enabled); false keeps it, DISABLED."
  type        = bool
}

variable "enable_retraining" {
  description = "Whether a data-quality violation starts the train pipeline (reactions.retrain_on_violation)."
  type        = bool
}

variable "retrain_training_data" {
  description = "TrainingData parameter of a retraining run: comma-separated S3 URIs of reactions.retrain_data."
  type        = string

  validation {
    condition     = alltrue([for uri in split(",", var.retrain_training_data) : can(regex("^s3://[a-z0-9][a-z0-9-]{1,61}[a-z0-9]/.+$", uri))])
    error_message = "retrain_training_data must be S3 URIs joined with commas."
  }
}

variable "alerts_topic_arn" {
  description = "SNS topic that failed pipeline executions are sent to."
  type        = string
}

variable "kms_key_arn" {
  description = "Key that encrypts the schedule and the dead-letter queue."
  type        = string
}

variable "maximum_retry_attempts" {
  description = "Delivery retries of each target before the event goes to the dead-letter queue."
  type        = number
  default     = 10
}

variable "maximum_event_age_seconds" {
  description = "How long a target delivery is retried before the event goes to the dead-letter queue."
  type        = number
  default     = 3600
}
