//! Data sources of the provider.

pub mod jurisdiction;
