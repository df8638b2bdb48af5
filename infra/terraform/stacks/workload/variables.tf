variable "environment" {
  description = "Workload environment to build: the folder name under configs/ (dev, prod, ...); everything else is read from its environment.yaml."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.environment))
    error_message = "environment must be the name of a folder under configs/ (lower case, e.g. dev or prod)."
  }

  # Refused here, before any local reads a section this kind of file does not have.
  validation {
    condition     = try([for config in [yamldecode(file("${coalesce(var.config_dir, "${path.module}/../../../../configs")}/${var.environment}/environment.yaml"))] : config.name == var.environment && config.kind == "workload" && config.backend == "sagemaker"][0], false)
    error_message = "configs/${var.environment}/environment.yaml must exist with name: ${var.environment} and kind: workload, backend: sagemaker for this stack (use stacks/registry for the registry account)."
  }
}

variable "lambda_package_path" {
  description = "Zip of the resolve Lambda built by `make lambda-package`; default build/resolve-lambda.zip of this repository."
  type        = string
  default     = null
}

variable "config_dir" {
  description = "Folder of the environment files; default configs/ of this repository."
  type        = string
  default     = null
}
