# NON-COMPLIANT ON PURPOSE: the EU training stack with a zone copied from a US stack. The provider refuses the
# plan ("Availability Zone outside the provider's region", nothing is created) and sovereign-lint fails it (SOV001).
# Excluded from `sovereign-lint examples` by examples/sovereign.toml; see README.md.
provider "sovereign" {
  jurisdiction           = "eu"
  region                 = "eu-central-1"
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
      ec2 = endpoints.value
      kms = endpoints.value
      s3  = endpoints.value
      sts = endpoints.value
    }
  }
}

module "training" {
  source = "../modules/sovereign-ml-training"

  name               = var.name
  availability_zones = ["eu-central-1a", "us-east-1a"]
  cidr_block         = "10.40.0.0/16"
  instance_type      = var.instance_type
  node_count         = var.node_count
  ami_id             = var.ami_id
  ttl_hours          = 24

  tags = {
    project = "llm-finetune"
  }
}
