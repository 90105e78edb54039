resource "sovereign_key" "data" {
  description = "ML data"
  tags = {
    data-classification = "restricted"
  }
}

# Training data: versioned, SSE-KMS with a bucket key, reachable only through the VPC endpoint.
resource "sovereign_bucket" "datasets" {
  name                     = "ml-datasets-eu-central-1"
  kms_key_arn              = sovereign_key.data.arn
  allowed_vpc_endpoint_ids = ["vpce-0a1b2c3d4e5f67890"]

  tags = {
    data-classification = "restricted"
  }
}

# Audit logs: write once, read many for a year.
resource "sovereign_bucket" "audit" {
  name        = "ml-audit-logs-eu-central-1"
  kms_key_arn = sovereign_key.data.arn

  object_lock {
    mode           = "COMPLIANCE"
    retention_days = 365
  }

  tags = {
    data-classification = "restricted"
    purpose             = "audit"
  }
}
