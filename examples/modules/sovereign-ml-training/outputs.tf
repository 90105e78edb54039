output "region" {
  description = "Region of every object (the provider's region)."
  value       = sovereign_network.this.region
}

output "vpc_id" {
  description = "The zero-egress VPC."
  value       = sovereign_network.this.vpc_id
}

output "subnet_ids" {
  description = "Private subnets, in the order of availability_zones."
  value       = sovereign_network.this.subnet_ids
}

output "subnet_ids_by_zone" {
  description = "The private subnet of each zone."
  value       = sovereign_network.this.subnet_ids_by_zone
}

output "workload_security_group_id" {
  description = "Security group for training workloads: egress only to the VPC, ingress from the group itself."
  value       = sovereign_network.this.workload_security_group_id
}

output "s3_endpoint_id" {
  description = "The network's S3 gateway endpoint (the one restrict_buckets_to_vpc_endpoint admits)."
  value       = sovereign_network.this.s3_endpoint_id
}

output "flow_log_id" {
  description = "The flow log delivering every packet's record to the audit bucket."
  value       = sovereign_network.this.flow_log_id
}

output "key_arn" {
  description = "ARN of the customer-managed key encrypting the buckets and the root volumes."
  value       = sovereign_key.this.arn
}

output "bucket_names" {
  description = "Bucket names: datasets, checkpoints, audit."
  value = {
    datasets    = sovereign_bucket.datasets.name
    checkpoints = sovereign_bucket.checkpoints.name
    audit       = sovereign_bucket.audit.name
  }
}

output "bucket_arns" {
  description = "Bucket ARNs: datasets, checkpoints, audit."
  value = {
    datasets    = sovereign_bucket.datasets.arn
    checkpoints = sovereign_bucket.checkpoints.arn
    audit       = sovereign_bucket.audit.arn
  }
}

output "cluster_instance_ids" {
  description = "Training node instance ids, by slot."
  value       = sovereign_gpu_cluster.this.instance_ids
}

output "cluster_private_ips" {
  description = "Training node private IPs, by slot."
  value       = sovereign_gpu_cluster.this.private_ips
}

output "cluster_hourly_cost_usd" {
  description = "node_count × the on-demand price of instance_type (USD per hour)."
  value       = sovereign_gpu_cluster.this.hourly_cost_usd
}

output "cluster_expires_at" {
  description = "When the cluster's TTL ends (RFC 3339)."
  value       = sovereign_gpu_cluster.this.expires_at
}
