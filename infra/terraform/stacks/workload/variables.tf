variable "environment" {
  description = "Workload environment to build: the folder name under configs/ (dev, prod, ...); everything else is read from its environment.yaml."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.environment))
    error_message = "environment must be the name of a folder under configs/ (lower case, e.g. dev or prod)."
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
