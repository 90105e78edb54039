terraform {
  required_providers {
    sovereign = {
      source = "registry.terraform.io/sovereign-ml/sovereign"
    }
  }
}

# Everything this provider creates lives in Frankfurt. A region, endpoint or KMS key outside the
# EU is refused at plan time, before any AWS call.
provider "sovereign" {
  jurisdiction    = "eu"
  region          = "eu-central-1"
  allowed_regions = ["eu-central-1", "eu-west-1"]
  required_tags   = ["data-classification"]

  default_tags = {
    owner        = "ml-platform"
    jurisdiction = "eu"
  }

  # Optional endpoint overrides. Every host must be a regional endpoint of the jurisdiction, or be
  # listed in allowed_endpoint_hosts (an exact host or a ".domain" suffix) for private endpoints.
  endpoints {
    kms = "https://kms.eu-central-1.amazonaws.com"
    s3  = "https://s3.eu-central-1.amazonaws.com"
    sts = "https://sts.eu-central-1.amazonaws.com"
  }
}
