output "role_arn" {
  description = "ARN of the execution role; equals sagemaker.execution_role_arn."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the execution role."
  value       = aws_iam_role.this.name
}
