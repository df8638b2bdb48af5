variable "role_arn" {
  description = "ARN of the role (sagemaker.execution_role_arn); its account, path and name are taken from it."
  type        = string

  validation {
    condition     = can(regex("^arn:[^:]+:iam::\\d{12}:role(/(?:[^/]+/)*)[^/]+$", var.role_arn))
    error_message = "role_arn must be an IAM role ARN; fix sagemaker.execution_role_arn."
  }
}

variable "region" {
  description = "Region the pipelines run in (aws.region)."
  type        = string
}

variable "name_prefix" {
  description = "<project>-<env> of the pipelines this role runs."
  type        = string
}

variable "artifact_bucket_arn" {
  description = "ARN of the environment's artifact bucket (read and write)."
  type        = string
}

variable "kms_key_arn" {
  description = "ARN of the environment's key (artifacts, job volumes)."
  type        = string
}

variable "model_package_group_arn" {
  description = "ARN of the central model package group the role registers versions in."
  type        = string
}

variable "promotion_sources" {
  description = "Environments this one promotes versions from (governance.require_prior_approval_in): their bucket and key alias, read-only."
  type = list(object({
    environment   = string
    bucket_arn    = string
    key_alias_arn = string
  }))
  default = []
}

variable "content_addressed_prefix" {
  description = "Key prefix of content-addressed artifacts (models, baselines) in a bucket, e.g. artifacts/sha256/ (the S3 store's); promoted environments read and list only these."
  type        = string

  validation {
    condition     = endswith(var.content_addressed_prefix, "/")
    error_message = "content_addressed_prefix must end with / so that <prefix>* matches only that folder."
  }
}

variable "ecr_repository_arn" {
  description = "ARN of the pipeline image repository (pull only)."
  type        = string
}

variable "resolve_function_arn" {
  description = "ARN of the resolve Lambda the inference pipeline invokes."
  type        = string
}

variable "alerts_topic_arn" {
  description = "ARN of the alerts topic the notifier publishes to."
  type        = string
}
