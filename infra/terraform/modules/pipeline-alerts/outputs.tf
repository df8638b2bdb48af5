output "topic_arn" {
  description = "ARN of the alerts topic."
  value       = aws_sns_topic.this.arn
}
