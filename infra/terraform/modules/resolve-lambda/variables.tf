variable "function_name" {
  description = "Name of the function and of its role (sagemaker.resolve_function_name)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.function_name))
    error_message = "function_name must be 1-64 letters, digits, '-' or '_'; fix sagemaker.resolve_function_name."
  }
}

variable "environment_name" {
  description = "Environment the function resolves for; passed as MLOPS_ENV."
  type        = string
}

variable "account_id" {
  description = "Account the function runs in; only its Lambda service may assume the role."
  type        = string
}

variable "package_path" {
  description = "Path of the zip built by `make lambda-package` (build/resolve-lambda.zip)."
  type        = string
}

variable "kms_key_arn" {
  description = "Key that encrypts the environment variables, the log group and the dead-letter queue."
  type        = string
}

variable "model_package_group_arn" {
  description = "ARN of the central model package group the function reads."
  type        = string
}

variable "reserved_concurrent_executions" {
  description = "Concurrent executions reserved (and capped) for the function; one inference run calls it once."
  type        = number
  default     = 5
}

variable "log_retention_days" {
  description = "Days the function's logs are kept."
  type        = number
  default     = 365
}
