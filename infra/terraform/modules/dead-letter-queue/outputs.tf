output "arn" {
  description = "ARN of the dead-letter queue."
  value       = aws_sqs_queue.this.arn
}

output "url" {
  description = "URL of the dead-letter queue (to read failed deliveries)."
  value       = aws_sqs_queue.this.id
}
