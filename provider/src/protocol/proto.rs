//! Code generated from `schemas/proto/` by `build.rs`.

#![allow(clippy::all, clippy::pedantic, missing_docs)]

/// Terraform plugin protocol 6 (service `tfplugin6.Provider`).
pub mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}

/// go-plugin's controller (service `plugin.GRPCController`).
pub mod plugin {
    tonic::include_proto!("plugin");
}
