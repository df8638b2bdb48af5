output "artifact_bucket" {
  description = "Registry artifact bucket; equals aws.artifact_bucket."
  value       = module.artifact_bucket.bucket_name
}

output "kms_key_arn" {
  description = "ARN of the registry key (its alias is aws.kms_key_arn)."
  value       = module.kms_key.key_arn
}

output "model_package_group_arn" {
  description = "ARN of the central model package group (registry.model_package_group)."
  value       = module.model_registry.group_arn
}

output "github_role_arns" {
  description = "The plan and deploy roles; equal ci.plan_role_arn and ci.deploy_role_arn."
  value       = { plan = module.github_oidc.plan_role_arn, deploy = module.github_oidc.deploy_role_arn }
}
