locals {
  # The repository named in the environment files (ci.github_repository), the same one the AWS roles' OIDC
  # trust accepts; every workload and registry file names the same repository (config rules check it).
  config     = yamldecode(file("${path.module}/../../../../configs/prod/environment.yaml"))
  repository = local.config.ci.github_repository
  owner      = split("/", local.repository)[0]
  name       = split("/", local.repository)[1]

  # GitHub environments the deploy jobs run in; each deploy role trusts only its own
  # (repo:<owner>/<name>:environment:<env>). Only prod waits for reviewers.
  environments = toset(["registry", "dev", "prod"])

  # The GitHub Actions app: a required check must come from it, not from any app that can post a status.
  github_actions_app_id = 15368
}

data "github_team" "prod_reviewers" {
  for_each = toset(var.prod_reviewer_teams)

  slug = each.value
}

resource "github_repository_ruleset" "main" {
  name        = "main"
  repository  = local.name
  target      = "branch"
  enforcement = "active"

  conditions {
    ref_name {
      include = ["~DEFAULT_BRANCH"]
      exclude = []
    }
  }

  rules {
    deletion                = true
    non_fast_forward        = true # no force-push
    required_linear_history = true

    pull_request {
      required_approving_review_count   = var.required_approving_review_count
      require_code_owner_review         = true # .github/CODEOWNERS: model approvers own approved-model.yaml
      dismiss_stale_reviews_on_push     = true # an approval covers the commit it was given on
      require_last_push_approval        = true # whoever pushed last cannot be the approval
      required_review_thread_resolution = true
      allowed_merge_methods             = ["squash"] # one commit per pull request: the sync finds its PR
    }

    required_status_checks {
      strict_required_status_checks_policy = true

      dynamic "required_check" {
        for_each = var.required_status_checks
        content {
          context        = required_check.value
          integration_id = local.github_actions_app_id
        }
      }
    }
  }
}

resource "github_repository_environment" "this" {
  for_each = local.environments

  repository          = local.name
  environment         = each.value
  prevent_self_review = each.value == "prod"
  can_admins_bypass   = false

  dynamic "reviewers" {
    for_each = each.value == "prod" ? [1] : []
    content {
      teams = [for team in data.github_team.prod_reviewers : team.id]
    }
  }

  # Deploy roles are assumed only by jobs of main (pushes, and workflow_dispatch started on main).
  deployment_branch_policy {
    protected_branches     = true
    custom_branch_policies = false
  }
}
