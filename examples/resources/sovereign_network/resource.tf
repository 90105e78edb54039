# Audit logs land in a WORM bucket of the same region.
resource "sovereign_key" "logs" {
  description = "Flow-log encryption"
  tags = {
    data-classification = "internal"
  }
}

resource "sovereign_bucket" "flow_logs" {
  name        = "ml-flow-logs-eu-central-1"
  kms_key_arn = sovereign_key.logs.arn
  tags = {
    data-classification = "internal"
  }
}

# A training network with no way out: three private subnets, AWS services through interface endpoints with
# private DNS, S3 through the gateway endpoint, every packet logged.
resource "sovereign_network" "training" {
  name                 = "ml-training"
  cidr_block           = "10.20.0.0/16"
  availability_zones   = ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
  interface_endpoints  = ["kms", "sts", "ecr.api", "ecr.dkr", "logs", "sagemaker.api"]
  flow_logs_bucket_arn = sovereign_bucket.flow_logs.arn

  tags = {
    data-classification = "restricted"
  }
}

output "subnet_ids" {
  value = sovereign_network.training.subnet_ids
}

output "workload_security_group_id" {
  value = sovereign_network.training.workload_security_group_id
}
