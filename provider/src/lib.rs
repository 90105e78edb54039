//! terraform-provider-sovereign: a Terraform provider (plugin protocol 6) for sovereign ML
//! infrastructure on AWS.
//!
//! Layers: [`protocol`] (go-plugin handshake, mTLS, gRPC server; no AWS) → [`framework`]
//! (values, schemas, plan rules, the Provider/Resource/DataSource traits and the tfplugin6 service)
//! → the provider's configuration, AWS clients, resources and data sources.

pub mod framework;
pub mod protocol;

// ---- provider implementation modules (appended by the resources engineer) ----
pub mod aws;
pub mod config;
pub mod data_sources;
pub mod resources;
pub mod sovereign;
// ---- end of provider implementation modules ----
