variable "required_status_checks" {
  description = "Check runs (job names) that must pass on main: pr-checks' jobs and the governance verdict."
  type        = list(string)
  default     = ["lint", "test", "config", "infra", "workflows", "policy / verdict"]

  validation {
    condition     = contains(var.required_status_checks, "policy / verdict")
    error_message = "required_status_checks must keep \"policy / verdict\": without it an approval merges unchecked."
  }
}

variable "prod_reviewer_teams" {
  description = "Slugs of the teams whose members approve deployments to the prod GitHub environment."
  type        = list(string)
  default     = ["model-approvers", "platform-owners"]

  validation {
    condition     = length(var.prod_reviewer_teams) > 0 && length(var.prod_reviewer_teams) <= 6
    error_message = "prod needs 1 to 6 reviewer teams (GitHub allows at most 6 reviewers per environment)."
  }
}

variable "required_approving_review_count" {
  description = "Approvals a pull request into main needs besides the code owners' review."
  type        = number
  default     = 1

  validation {
    condition     = var.required_approving_review_count >= 1
    error_message = "required_approving_review_count must be at least 1: a pull request is never its own judge."
  }
}
