//! Test harness: runs real Terraform against terraform-provider-sovereign and a local moto server.
