//! terraform-provider-sovereign library.
