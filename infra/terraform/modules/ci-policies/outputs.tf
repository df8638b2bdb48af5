output "plan_policy_json" {
  description = "Identity policy of the read-only plan role."
  value       = data.aws_iam_policy_document.plan.json
}

output "deploy_policy_json" {
  description = "Identity policy of the deploy role (the plan policy plus changes)."
  value       = data.aws_iam_policy_document.deploy.json
}
