//! The one definition of "sovereign", shared by `sovereign-lint` and `terraform-provider-sovereign`.
//!
//! - [`catalog`]: the jurisdiction catalog (regions of each cloud, AWS partitions), compiled in from
//!   `data/catalog.toml`, where every fact names its source and date.
//! - [`gpu`]: what `sovereign_gpu_cluster` plans with — the allowed GPU/accelerator families, the dated on-demand
//!   price table (`data/gpu_prices.toml`, a source and date per row) and per-type facts such as Nitro Enclaves.
//! - [`region`], [`endpoint`], [`arn`], [`registry`]: classify what configurations contain — region names,
//!   zone names, endpoint URLs, ARNs and container image references.
//! - [`policy`]: the `sovereign.toml` policy model, its validation (with spans for diagnostics), and
//!   [`policy::Scope`], which answers "is this region / host / image inside?" for a policy.
pub mod arn;
pub mod catalog;
pub mod endpoint;
pub mod gpu;
pub mod policy;
pub mod region;
pub mod registry;

pub use catalog::{Catalog, Jurisdiction, catalog};
pub use policy::{Policy, PolicyError, Scope, Severity, Unresolved};
pub use region::Cloud;
