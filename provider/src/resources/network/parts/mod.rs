//! The parts of `sovereign_network`, in the order they are made (and removed in reverse).

pub mod default_sg;
pub mod flow_log;
pub mod interface_endpoints;
pub mod no_egress;
pub mod route_table;
pub mod s3_endpoint;
pub mod security_groups;
pub mod subnets;
pub mod tags;
pub mod vpc;
