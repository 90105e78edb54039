output "key_arn" {
  description = "ARN of the data key."
  value       = sovereign_key.data.arn
}

output "bucket_arns" {
  description = "ARNs of the buckets."
  value = {
    datasets    = sovereign_bucket.datasets.arn
    checkpoints = sovereign_bucket.checkpoints.arn
    audit       = sovereign_bucket.audit.arn
  }
}

output "bucket_domain_names" {
  description = "Regional domain names of the buckets."
  value = {
    datasets    = sovereign_bucket.datasets.bucket_regional_domain_name
    checkpoints = sovereign_bucket.checkpoints.bucket_regional_domain_name
    audit       = sovereign_bucket.audit.bucket_regional_domain_name
  }
}

output "eu_regions" {
  description = "AWS regions of the jurisdiction, from the shared catalog."
  value       = data.sovereign_jurisdiction.eu.aws_regions
}
