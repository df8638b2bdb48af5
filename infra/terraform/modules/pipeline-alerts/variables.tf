variable "topic_name" {
  description = "Topic name (notifications.topic_name)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,256}$", var.topic_name))
    error_message = "topic_name may hold letters, digits, '-' and '_' (at most 256); fix notifications.topic_name."
  }
}

variable "emails" {
  description = "Addresses subscribed by e-mail (notifications.emails); each confirms once."
  type        = list(string)

  validation {
    condition     = length(var.emails) > 0
    error_message = "List at least one address in notifications.emails: alerts nobody receives are not alerts."
  }
}

variable "kms_key_arn" {
  description = "Customer-managed key the topic is encrypted with."
  type        = string
}

variable "partition" {
  description = "AWS partition of the account (aws, aws-cn, aws-us-gov)."
  type        = string
  default     = "aws"
}

variable "account_id" {
  description = "Account that owns the topic."
  type        = string
}

variable "publisher_role_arns" {
  description = "Roles allowed to publish (the pipeline roles); every other IAM principal is denied."
  type        = list(string)
}

variable "event_rule_arn_patterns" {
  description = "ARN patterns of the EventBridge rules allowed to publish (aws:SourceArn)."
  type        = list(string)
}
