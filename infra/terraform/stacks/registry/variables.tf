variable "environment" {
  description = "Registry environment to build: the folder name under configs/ (registry); everything else is read from its environment.yaml."
  type        = string
  default     = "registry"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.environment))
    error_message = "environment must be the name of a folder under configs/ (lower case, e.g. registry)."
  }

  # Refused here, before any local reads a section this kind of file does not have.
  validation {
    condition     = try([for config in [yamldecode(file("${coalesce(var.config_dir, "${path.module}/../../../../configs")}/${var.environment}/environment.yaml"))] : config.name == var.environment && config.kind == "registry"][0], false)
    error_message = "configs/${var.environment}/environment.yaml must exist with name: ${var.environment} and kind: registry for this stack (use stacks/workload for dev and prod)."
  }
}

variable "config_dir" {
  description = "Folder of the environment files; default configs/ of this repository."
  type        = string
  default     = null
}
