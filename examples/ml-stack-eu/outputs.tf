output "training" {
  description = "Everything a training job needs: subnets, security group, buckets, key, nodes, expiry."
  value       = module.training
}
