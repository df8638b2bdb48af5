output "schedule_arn" {
  description = "ARN of the inference schedule."
  value       = aws_scheduler_schedule.this.arn
}

output "retrain_rule_arn" {
  description = "ARN of the retraining rule, or null when reactions.retrain_on_violation is false."
  value       = one(aws_cloudwatch_event_rule.retrain_on_data_quality_violation[*].arn)
}

output "pipeline_failed_rule_arn" {
  description = "ARN of the rule that notifies on any failed pipeline execution."
  value       = aws_cloudwatch_event_rule.pipeline_failed.arn
}

output "rule_arn_pattern" {
  description = "ARN pattern matching every rule of this module (for topic and key policies)."
  value       = local.rule_arn_pattern
}

output "role_arn" {
  description = "ARN of the role the rules and the schedule start pipelines with."
  value       = aws_iam_role.this.arn
}

output "dead_letter_queue_url" {
  description = "URL of the queue that keeps events no target accepted."
  value       = module.dead_letter_queue.url
}
