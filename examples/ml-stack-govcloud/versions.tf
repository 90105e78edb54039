terraform {
  required_version = ">= 1.11"

  required_providers {
    sovereign = {
      source = "registry.terraform.io/sovereign-ml/sovereign"
    }
  }
}
