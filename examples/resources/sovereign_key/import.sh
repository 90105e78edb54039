# Import by key id or key ARN (the ARN must be in the provider's region).
terraform import sovereign_key.training 1234abcd-12ab-34cd-56ef-1234567890ab
terraform import sovereign_key.training arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
