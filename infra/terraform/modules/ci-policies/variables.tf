variable "name_prefix" {
  description = "<project>-<env>: every resource name of the stack starts with it."
  type        = string
}

variable "partition" {
  description = "AWS partition of the account."
  type        = string
  default     = "aws"
}

variable "region" {
  description = "Region of the stack (aws.region)."
  type        = string
}

variable "account_id" {
  description = "Account of the stack (aws.account_id)."
  type        = string
}

variable "managed_services" {
  description = "Services whose resources the stack manages; the plan role reads them, the deploy role changes them."
  type        = list(string)

  validation {
    condition     = alltrue([for name in var.managed_services : contains(["s3", "kms", "iam", "sns", "sqs", "lambda", "logs", "ecr", "events", "scheduler", "sagemaker"], name)])
    error_message = "managed_services may list s3, kms, iam, sns, sqs, lambda, logs, ecr, events, scheduler and sagemaker."
  }
}

variable "model_package_group_arns" {
  description = "Model package groups the stack manages (their names do not carry the stack prefix)."
  type        = list(string)
  default     = []
}

variable "state_bucket" {
  description = "Bucket of the Terraform state (bucket in backends/<env>.s3.tfbackend)."
  type        = string
}

variable "state_key" {
  description = "Object key of this environment's state (key in backends/<env>.s3.tfbackend)."
  type        = string
}

variable "pass_roles" {
  description = "Roles the deploy role may pass, each only to the named service."
  type = list(object({
    service   = string
    role_arns = list(string)
  }))
  default = []
}
