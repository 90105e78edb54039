//! Jurisdiction catalog and policy model shared by sovereign-lint and terraform-provider-sovereign.
