output "oidc_provider_arn" {
  description = "ARN of the account's GitHub Actions OIDC provider."
  value       = aws_iam_openid_connect_provider.this.arn
}

output "plan_role_arn" {
  description = "ARN of the plan role; equals ci.plan_role_arn."
  value       = aws_iam_role.plan.arn
}

output "deploy_role_arn" {
  description = "ARN of the deploy role; equals ci.deploy_role_arn."
  value       = aws_iam_role.deploy.arn
}

output "subjects" {
  description = "OIDC subject each role accepts, by role (plan, deploy)."
  value       = local.subjects
}
