output "artifact_bucket" {
  description = "Artifact bucket; equals aws.artifact_bucket."
  value       = module.artifact_bucket.bucket_name
}

output "kms_key_arn" {
  description = "ARN of the environment's key (its alias is aws.kms_key_arn)."
  value       = module.kms_key.key_arn
}

output "execution_role_arn" {
  description = "SageMaker execution role; equals sagemaker.execution_role_arn."
  value       = module.sagemaker_execution_role.role_arn
}

output "image_repository_url" {
  description = "Where `make image` pushes the pipeline image (sagemaker.image_repository)."
  value       = module.ecr_repository.repository_url
}

output "resolve_function_arn" {
  description = "ARN of the resolve Lambda (sagemaker.resolve_function_name)."
  value       = module.resolve_lambda.function_arn
}

output "alerts_topic_arn" {
  description = "SNS topic of notifications.topic_name."
  value       = module.pipeline_alerts.topic_arn
}

output "retraining_training_data" {
  description = "TrainingData the retraining rule starts the train pipeline with."
  value       = local.retrain_training_data
}

output "github_role_arns" {
  description = "The plan and deploy roles; equal ci.plan_role_arn and ci.deploy_role_arn."
  value       = { plan = module.github_oidc.plan_role_arn, deploy = module.github_oidc.deploy_role_arn }
}

output "dead_letter_queue_urls" {
  description = "Queues holding deliveries that failed after their retries, by source."
  value       = { pipeline_events = module.pipeline_events.dead_letter_queue_url, resolve_lambda = module.resolve_lambda.dead_letter_queue_url }
}
