variable "github_repository" {
  description = "owner/name of the only repository whose workflows may assume the roles (ci.github_repository)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$", var.github_repository))
    error_message = "github_repository must be owner/name; fix ci.github_repository."
  }
}

variable "environment" {
  description = "Name of this environment; equals the GitHub environment the deploy role trusts."
  type        = string
}

variable "plan_role_arn" {
  description = "ARN of the read-only plan role (ci.plan_role_arn); its name and path are taken from it."
  type        = string
}

variable "deploy_role_arn" {
  description = "ARN of the deploy role (ci.deploy_role_arn); its name and path are taken from it."
  type        = string
}

variable "plan_policy_json" {
  description = "Identity policy of the plan role: read-only actions and the state object."
  type        = string
}

variable "deploy_policy_json" {
  description = "Identity policy of the deploy role, scoped to this stack's resources."
  type        = string
}
