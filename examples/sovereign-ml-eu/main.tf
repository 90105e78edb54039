# A sovereign ML data platform in the EU: one customer-managed key and three buckets encrypted with
# it — datasets, model checkpoints, and WORM audit logs. Everything stays in var.region; the
# provider refuses, at plan time, any region, endpoint or key outside the EU.
provider "sovereign" {
  jurisdiction           = "eu"
  region                 = var.region
  required_tags          = ["data-classification"]
  allowed_endpoint_hosts = var.allowed_endpoint_hosts
  s3_use_path_style      = var.endpoint != null

  default_tags = {
    owner        = "ml-platform"
    jurisdiction = "eu"
  }

  dynamic "endpoints" {
    for_each = var.endpoint == null ? [] : [var.endpoint]
    content {
      kms = endpoints.value
      s3  = endpoints.value
      sts = endpoints.value
    }
  }
}

data "sovereign_jurisdiction" "eu" {
  id = "eu"
}

resource "sovereign_key" "data" {
  description          = "${var.project} training data and checkpoints"
  alias                = "alias/${var.project}-data"
  rotation_period_days = 365
  allowed_principals   = var.data_principals

  tags = {
    data-classification = "restricted"
  }
}

resource "sovereign_bucket" "datasets" {
  name                     = "${var.project}-datasets-${var.region}"
  kms_key_arn              = sovereign_key.data.arn
  allowed_vpc_endpoint_ids = var.vpc_endpoint_ids

  tags = {
    data-classification = "restricted"
    purpose             = "training-data"
  }
}

resource "sovereign_bucket" "checkpoints" {
  name        = "${var.project}-checkpoints-${var.region}"
  kms_key_arn = sovereign_key.data.arn

  tags = {
    data-classification = "internal"
    purpose             = "model-checkpoints"
  }
}

resource "sovereign_bucket" "audit" {
  name        = "${var.project}-audit-${var.region}"
  kms_key_arn = sovereign_key.data.arn

  # Evidence for auditors: nobody, not even the account root, can delete a log for a year.
  object_lock {
    mode           = "COMPLIANCE"
    retention_days = 365
  }

  tags = {
    data-classification = "restricted"
    purpose             = "audit-logs"
  }
}
