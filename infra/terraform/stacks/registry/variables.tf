variable "environment" {
  description = "Registry environment to build: the folder name under configs/ (registry); everything else is read from its environment.yaml."
  type        = string
  default     = "registry"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.environment))
    error_message = "environment must be the name of a folder under configs/ (lower case, e.g. registry)."
  }
}

variable "config_dir" {
  description = "Folder of the environment files; default configs/ of this repository."
  type        = string
  default     = null
}
