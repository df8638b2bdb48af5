variable "name" {
  description = "Queue name."
  type        = string
}

variable "kms_key_arn" {
  description = "ARN of the customer-managed key the queue is encrypted with."
  type        = string
}

variable "retention_days" {
  description = "Days a failed delivery waits in the queue for someone to look at it (SQS allows at most 14)."
  type        = number
  default     = 14

  validation {
    condition     = var.retention_days >= 1 && var.retention_days <= 14
    error_message = "retention_days must be between 1 and 14 (the SQS limit)."
  }
}

variable "sender_services" {
  description = "Service principals that deliver failures here on their own behalf (EventBridge rules); roles that send need sqs:SendMessage in their own policy instead."
  type        = list(string)
  default     = ["events.amazonaws.com"]
}

variable "sender_service_source_arns" {
  description = "ARN patterns of the rules allowed to send (aws:SourceArn); empty: no service may send."
  type        = list(string)
  default     = []
}
