# A customer-managed key in the provider's region, rotated every 180 days, usable only by the
# account root and the training role.
resource "sovereign_key" "training" {
  description          = "Training data"
  alias                = "alias/ml-training-data"
  rotation_period_days = 180
  deletion_window_days = 30
  allowed_principals   = ["arn:aws:iam::123456789012:role/ml-training"]

  tags = {
    data-classification = "restricted"
  }
}

# An HSM-backed key in a CloudHSM custom key store (no automatic rotation there).
resource "sovereign_key" "evidence" {
  description         = "Audit evidence"
  custom_key_store_id = "cks-1234567890abcdef0"
  require_hsm         = true

  tags = {
    data-classification = "restricted"
  }
}
