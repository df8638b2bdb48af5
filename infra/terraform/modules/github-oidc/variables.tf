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

variable "name_prefix" {
  description = "<project>-<env>: the managed policies are named <name_prefix>-github-<purpose>."
  type        = string
}

variable "read_policy_json" {
  description = "Policy of both roles: read-only actions on the stack's resources and its state."
  type        = string
}

variable "shared_policy_jsons" {
  description = "Further policies of both roles, by purpose (e.g. evidence: what the approval workflows read); each at most 6,144 characters."
  type        = map(string)
  default     = {}
}

variable "deploy_policy_jsons" {
  description = "Further policies of the deploy role only, by purpose (e.g. change, operations); each at most 6,144 characters."
  type        = map(string)
}
