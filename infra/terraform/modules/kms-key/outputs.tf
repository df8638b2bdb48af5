output "key_arn" {
  description = "ARN of the key (for IAM policies and resource encryption settings)."
  value       = aws_kms_key.this.arn
}

output "alias_arn" {
  description = "ARN of the alias; equals aws.kms_key_arn of the environment file."
  value       = aws_kms_alias.this.arn
}
