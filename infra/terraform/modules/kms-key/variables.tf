variable "alias_arn" {
  description = "Alias ARN from the environment file (aws.kms_key_arn); the key is created in its account and the alias gets its name."
  type        = string

  validation {
    condition     = can(regex("^arn:[^:]+:kms:[^:]+:\\d{12}:alias/[A-Za-z0-9/_-]+$", var.alias_arn))
    error_message = "alias_arn must be a KMS alias ARN like arn:aws:kms:<region>:<account>:alias/<name>; fix aws.kms_key_arn in the environment file."
  }
}

variable "description" {
  description = "What the key encrypts, shown in the KMS console."
  type        = string
}

variable "policy_documents" {
  description = "Key policy statements (JSON documents) for the services and cross-account roles that use the key; the account-root statement is added here."
  type        = list(string)
  default     = []
}

variable "rotation_period_days" {
  description = "Days between automatic rotations of the key material (rotation is always on)."
  type        = number
  default     = 365

  validation {
    condition     = var.rotation_period_days >= 90 && var.rotation_period_days <= 2560
    error_message = "rotation_period_days must be between 90 and 2560 (the KMS limits)."
  }
}

variable "deletion_window_days" {
  description = "Waiting period before a scheduled deletion of the key takes effect."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_days >= 7 && var.deletion_window_days <= 30
    error_message = "deletion_window_days must be between 7 and 30."
  }
}
