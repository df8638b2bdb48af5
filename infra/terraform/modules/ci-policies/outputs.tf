output "read_policy_json" {
  description = "What both GitHub roles get: read this stack's resources and state, write only the state's lock (<= 6,144 characters, a managed policy's limit)."
  value       = data.aws_iam_policy_document.plan.json
}

output "change_policy_json" {
  description = "What only the deploy role adds: create and update this stack's resources, pass its roles, write the state."
  value       = data.aws_iam_policy_document.change.json
}
