locals {
  # The one place the OIDC subjects are written: the plan role accepts only pull-request runs of the
  # repository, the deploy role only jobs that run in the GitHub environment of the same name as this one
  # (which is where reviewers and branch rules are enforced). tests/infra checks these strings per env.
  subjects = {
    plan   = "repo:${var.github_repository}:pull_request"
    deploy = "repo:${var.github_repository}:environment:${var.environment}"
  }
  audience = "sts.amazonaws.com"
  issuer   = "token.actions.githubusercontent.com"

  roles = {
    plan   = regex("^arn:([^:]+):iam::(\\d{12}):role(/(?:[^/]+/)*)([^/]+)$", var.plan_role_arn)
    deploy = regex("^arn:([^:]+):iam::(\\d{12}):role(/(?:[^/]+/)*)([^/]+)$", var.deploy_role_arn)
  }
}

resource "aws_iam_openid_connect_provider" "this" {
  url            = "https://${local.issuer}"
  client_id_list = [local.audience]
}

data "aws_iam_policy_document" "trust" {
  for_each = local.subjects

  statement {
    sid     = "GitHubActions${title(each.key)}"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.this.arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:aud"
      values   = [local.audience]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:sub"
      values   = [each.value]
    }
  }
}

resource "aws_iam_role" "plan" {
  name                 = local.roles.plan[3]
  path                 = local.roles.plan[2]
  description          = "terraform plan on pull requests of ${var.github_repository}: read-only"
  assume_role_policy   = data.aws_iam_policy_document.trust["plan"].json
  max_session_duration = 3600

  lifecycle {
    postcondition {
      condition     = self.arn == var.plan_role_arn
      error_message = "Created ${self.arn}, but ci.plan_role_arn says ${var.plan_role_arn}: apply with credentials of the account in the ARN."
    }
  }
}

resource "aws_iam_role" "deploy" {
  name                 = local.roles.deploy[3]
  path                 = local.roles.deploy[2]
  description          = "apply, pipeline upsert and approval sync from the ${var.environment} GitHub environment of ${var.github_repository}"
  assume_role_policy   = data.aws_iam_policy_document.trust["deploy"].json
  max_session_duration = 3600

  lifecycle {
    postcondition {
      condition     = self.arn == var.deploy_role_arn
      error_message = "Created ${self.arn}, but ci.deploy_role_arn says ${var.deploy_role_arn}: apply with credentials of the account in the ARN."
    }
  }
}

# Managed (customer) policies rather than inline ones: IAM caps all inline policies of a role at 10,240
# characters together, and the deploy role's permissions come close to that; each managed policy has 6,144.
resource "aws_iam_policy" "read" {
  name        = "${var.name_prefix}-github-read"
  description = "Read ${var.name_prefix} and its Terraform state (plan and deploy roles)"
  policy      = var.read_policy_json
}

resource "aws_iam_policy" "shared" {
  for_each = var.shared_policy_jsons

  name        = "${var.name_prefix}-github-${each.key}"
  description = "${var.name_prefix} (plan and deploy roles): ${each.key}"
  policy      = each.value
}

resource "aws_iam_policy" "deploy" {
  for_each = var.deploy_policy_jsons

  name        = "${var.name_prefix}-github-${each.key}"
  description = "Deploy ${var.name_prefix}: ${each.key}"
  policy      = each.value
}

resource "aws_iam_role_policy_attachment" "plan_read" {
  role       = aws_iam_role.plan.name
  policy_arn = aws_iam_policy.read.arn
}

resource "aws_iam_role_policy_attachment" "deploy_read" {
  role       = aws_iam_role.deploy.name
  policy_arn = aws_iam_policy.read.arn
}

resource "aws_iam_role_policy_attachment" "deploy" {
  for_each = aws_iam_policy.deploy

  role       = aws_iam_role.deploy.name
  policy_arn = each.value.arn
}

resource "aws_iam_role_policy_attachment" "plan_shared" {
  for_each = aws_iam_policy.shared

  role       = aws_iam_role.plan.name
  policy_arn = each.value.arn
}

resource "aws_iam_role_policy_attachment" "deploy_shared" {
  for_each = aws_iam_policy.shared

  role       = aws_iam_role.deploy.name
  policy_arn = each.value.arn
}
