output "bucket_name" {
  description = "Name of the artifact bucket."
  value       = aws_s3_bucket.this.id
}

output "bucket_arn" {
  description = "ARN of the artifact bucket."
  value       = aws_s3_bucket.this.arn
}

output "log_bucket_name" {
  description = "Name of the bucket that receives the artifact bucket's server access logs."
  value       = aws_s3_bucket.access_logs.id
}
