//! sovereign-lint: fails Terraform configurations and plans that leave their jurisdiction.
//!
//! Stages, one module each, data flowing one way:
//! - [`load`]: discovers configuration directories and parses `.tf`, `.tf.json` and `.tfvars` with spans;
//! - [`eval`]: evaluates modules into resource instances whose values keep their provenance;
//! - [`plan`]: reads `terraform show -json` output into the same instances;
//! - [`model`]: the evaluated-instance model both produce;
//! - [`rules`]: SOV001–SOV011, one file each, reading only the model;
//! - [`report`]: human, SARIF, JSON, JUnit, GitHub and compact output;
//! - [`evidence`]: signed evidence bundles (`--attest`) and their verification (`verify`).
pub mod allocator;
pub mod attr_map;
pub mod baseline;
pub mod cli;
pub mod config;
pub mod engine;
pub mod eval;
pub mod evidence;
pub mod finding;
pub mod load;
pub mod model;
pub mod plan;
pub mod report;
pub mod rules;
pub mod suppress;
