output "function_arn" {
  description = "ARN of the resolve function (the inference pipeline's LambdaStep calls it)."
  value       = aws_lambda_function.this.arn
}

output "role_arn" {
  description = "ARN of the function's role (named in the registry's group policy)."
  value       = aws_iam_role.this.arn
}

output "dead_letter_queue_url" {
  description = "URL of the queue that keeps failed asynchronous invocations."
  value       = module.dead_letter_queue.url
}
