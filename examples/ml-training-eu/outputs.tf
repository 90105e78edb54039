output "bucket" {
  description = "Training-data bucket name."
  value       = aws_s3_bucket.training.id
}

output "kms_key_arn" {
  description = "ARN of the customer-managed key encrypting the bucket."
  value       = aws_kms_key.training.arn
}
