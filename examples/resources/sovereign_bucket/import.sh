# Import by bucket name; the bucket must be in the provider's region.
terraform import sovereign_bucket.datasets ml-datasets-eu-central-1
