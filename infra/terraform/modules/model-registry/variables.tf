variable "group_name" {
  description = "Model package group name (model_group / registry.model_package_group)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", var.group_name))
    error_message = "group_name must match SageMaker's group name pattern (letters, digits, single hyphens, at most 63)."
  }
}

variable "description" {
  description = "Description shown in the SageMaker console."
  type        = string
  default     = "Central model registry; approvals are synced from configs/<env>/approved-model.yaml"
}

variable "register_role_arns" {
  description = "Roles that register versions (the workload accounts' SageMaker execution roles)."
  type        = list(string)
}

variable "approve_role_arns" {
  description = "Roles that change approval status (the workload accounts' deploy roles, which run `mlops registry sync`)."
  type        = list(string)
}

variable "read_role_arns" {
  description = "Roles that only read versions (the workload accounts' resolve Lambdas and plan roles)."
  type        = list(string)
  default     = []
}
