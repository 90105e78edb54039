# A training-data bucket in Frankfurt, encrypted with a customer-managed, rotated KMS key.
provider "aws" {
  region = var.region

  default_tags {
    tags = {
      data-classification = "restricted"
      jurisdiction        = "eu"
      owner               = "ml-platform"
    }
  }
}

resource "aws_kms_key" "training" {
  description             = "${var.project} training data"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = 30
  multi_region            = false
}

resource "aws_kms_alias" "training" {
  name          = "alias/${var.project}-data"
  target_key_id = aws_kms_key.training.key_id
}

resource "aws_s3_bucket" "training" {
  bucket = "${var.project}-data-eu-central-1"

  tags = {
    purpose = "training-data"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "training" {
  bucket = aws_s3_bucket.training.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.training.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_versioning" "training" {
  bucket = aws_s3_bucket.training.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_public_access_block" "training" {
  bucket                  = aws_s3_bucket.training.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}
