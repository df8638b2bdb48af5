variable "bucket_name" {
  description = "Name of the artifact bucket (aws.artifact_bucket of the environment file); the log bucket is <name>-logs."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,56}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be 3-58 lower-case letters, digits or hyphens (58 so that <name>-logs fits 63); fix aws.artifact_bucket."
  }
}

variable "account_id" {
  description = "Account that owns the bucket (aws.account_id); only its bucket may deliver access logs."
  type        = string

  validation {
    condition     = can(regex("^\\d{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "kms_key_arn" {
  description = "ARN of the customer-managed key every object is encrypted with by default (SSE-KMS with bucket keys)."
  type        = string
}

variable "policy_documents" {
  description = "Extra bucket policy statements (JSON documents), e.g. cross-account read access; TLS-only and KMS-only statements are always added."
  type        = list(string)
  default     = []
}

variable "noncurrent_version_expiration_days" {
  description = "Days a replaced or deleted object version is kept before it expires."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1
    error_message = "noncurrent_version_expiration_days must be at least 1."
  }
}

variable "log_retention_days" {
  description = "Days S3 server access logs are kept."
  type        = number
  default     = 365

  validation {
    condition     = var.log_retention_days >= 90
    error_message = "log_retention_days must be at least 90 so an audit can still see last quarter's access."
  }
}
