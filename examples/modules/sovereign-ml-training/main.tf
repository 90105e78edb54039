# A sovereign ML training environment in the caller's provider region: a zero-egress network whose flow logs land
# in a WORM audit bucket, a customer-managed key, buckets for datasets and checkpoints, and an ephemeral GPU cluster
# with a budget and a TTL. The jurisdiction and region are the caller's `provider "sovereign"` configuration: the
# provider refuses, at plan time, anything outside them.

locals {
  tags = merge(var.tags, { data-classification = var.data_classification })

  # The bucket policy of datasets and checkpoints: through the network's S3 gateway endpoint only, when asked for.
  bucket_endpoint_ids = var.restrict_buckets_to_vpc_endpoint ? [sovereign_network.this.s3_endpoint_id] : []
}

resource "sovereign_key" "this" {
  description        = "${var.name}: datasets, checkpoints, audit logs and GPU root volumes"
  alias              = "alias/${var.name}"
  allowed_principals = var.key_principals
  tags               = local.tags
}

# WORM evidence: flow logs of the network (and whatever audit trail the jobs write). Not restricted to the VPC
# endpoint: the flow-log delivery service writes from outside the VPC.
resource "sovereign_bucket" "audit" {
  name        = "${var.name}-audit"
  kms_key_arn = sovereign_key.this.arn

  object_lock {
    mode           = "COMPLIANCE"
    retention_days = var.audit_retention_days
  }

  tags = merge(local.tags, { purpose = "audit-logs" })
}

resource "sovereign_network" "this" {
  name                 = var.name
  cidr_block           = var.cidr_block
  availability_zones   = var.availability_zones
  interface_endpoints  = var.interface_endpoints
  s3_gateway_endpoint  = true
  flow_logs_bucket_arn = sovereign_bucket.audit.arn
  tags                 = local.tags
}

resource "sovereign_bucket" "datasets" {
  name                     = "${var.name}-datasets"
  kms_key_arn              = sovereign_key.this.arn
  allowed_vpc_endpoint_ids = local.bucket_endpoint_ids
  tags                     = merge(local.tags, { purpose = "training-data" })
}

resource "sovereign_bucket" "checkpoints" {
  name                     = "${var.name}-checkpoints"
  kms_key_arn              = sovereign_key.this.arn
  allowed_vpc_endpoint_ids = local.bucket_endpoint_ids
  tags                     = merge(local.tags, { purpose = "model-checkpoints" })
}

# The training nodes: one zone (the first of availability_zones) for cluster placement, the workload security group
# (traffic only inside the VPC), root volumes encrypted with the stack's key.
resource "sovereign_gpu_cluster" "this" {
  name                 = var.name
  instance_type        = var.instance_type
  node_count           = var.node_count
  ami_id               = var.ami_id
  subnet_ids           = [sovereign_network.this.subnet_ids[0]]
  security_group_ids   = [sovereign_network.this.workload_security_group_id]
  kms_key_arn          = sovereign_key.this.arn
  root_volume_size_gb  = var.root_volume_size_gb
  max_hourly_cost_usd  = var.max_hourly_cost_usd
  ttl_hours            = var.ttl_hours
  user_data            = var.user_data
  iam_instance_profile = var.iam_instance_profile
  tags                 = merge(local.tags, { purpose = "training" })
}
