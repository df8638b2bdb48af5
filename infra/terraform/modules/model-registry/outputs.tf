output "group_arn" {
  description = "ARN of the model package group."
  value       = aws_sagemaker_model_package_group.this.arn
}

output "policy_json" {
  description = "The group's resource policy, as applied."
  value       = data.aws_iam_policy_document.this.json
}
