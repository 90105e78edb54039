//! The schema of `sovereign_network` (SPEC §4): the one definition of its attributes.

use crate::framework::{Attribute, Block, Schema, Type, Validator, Value};

pub const TYPE_NAME: &str = "sovereign_network";

/// Interface endpoints when `interface_endpoints` is not set: what a training job inside needs (keys, tokens,
/// images, logs).
pub const DEFAULT_INTERFACE_ENDPOINTS: [&str; 5] = ["kms", "sts", "ecr.api", "ecr.dkr", "logs"];

/// The keys of the computed `guardrails` map; each is `true` when AWS has it so.
pub const GUARDRAILS: [&str; 8] = [
    "dns_support",
    "dns_hostnames",
    "no_internet_gateway",
    "no_nat_gateway",
    "no_egress_only_gateway",
    "no_default_route",
    "default_security_group_empty",
    "flow_logs",
];

/// Every guardrail `true`: what the plan always wants.
pub fn all_guardrails() -> Value {
    Value::Map(
        GUARDRAILS
            .iter()
            .map(|k| (k.to_string(), Value::from(true)))
            .collect(),
    )
}

fn computed_id(name: &str, description: &str) -> Attribute {
    Attribute::computed(name, Type::String)
        .use_state_for_unknown()
        .description(description)
}

pub fn network_schema() -> Schema {
    Schema::new(
        Block::new()
            .description(
                "A zero-egress VPC in the provider's region: one private subnet per Availability Zone, one private \
                 route table, no internet, egress-only or NAT gateway and no route to 0.0.0.0/0 or ::/0, the default \
                 security group emptied, a workload security group whose egress reaches only the VPC, interface \
                 endpoints with private DNS (and an S3 gateway endpoint) so AWS services are reached inside the \
                 region, and optionally flow logs of all traffic to an S3 bucket. Every subnet, endpoint and \
                 interface endpoint in the VPC is managed by this resource.",
            )
            .attribute(computed_id("id", "The VPC id (same as `vpc_id`)."))
            .attribute(
                Attribute::required("name", Type::String)
                    .description("Name of the network: the `Name` tag of the VPC and, suffixed, of every object in it.")
                    .validator(Validator::StringLength { min: 1, max: 200 }),
            )
            .attribute(
                Attribute::required("cidr_block", Type::String)
                    .requires_replace()
                    .description(
                        "Private IPv4 range of the VPC, /16 to /24 (RFC 1918). Each zone's subnet is the sixteenth of \
                         it given by the zone letter (a → first), so adding or removing a zone never moves another \
                         subnet. Changing it replaces the network.",
                    ),
            )
            .attribute(
                Attribute::required("availability_zones", Type::list(Type::String))
                    .description("Availability Zones of the provider's region, one private subnet each (e.g. `eu-central-1a`)."),
            )
            .attribute(
                Attribute::optional("interface_endpoints", Type::list(Type::String))
                    .default_value(Value::string_list(DEFAULT_INTERFACE_ENDPOINTS))
                    .description(
                        "AWS services reached through interface endpoints with private DNS, by short name (`kms`, \
                         `ecr.dkr`) or full endpoint service name in the provider's region. Default: kms, sts, \
                         ecr.api, ecr.dkr, logs. A service of another region is refused.",
                    ),
            )
            .attribute(
                Attribute::optional("s3_gateway_endpoint", Type::Bool)
                    .default_value(true)
                    .description("An S3 gateway endpoint on the private route table. Default true."),
            )
            .attribute(
                Attribute::optional("flow_logs_bucket_arn", Type::String).description(
                    "ARN of an S3 bucket (in the provider's partition, e.g. `sovereign_bucket.logs.arn`) that receives \
                     flow logs of ALL traffic of the VPC.",
                ),
            )
            .attribute(
                Attribute::optional("tags", Type::map(Type::String))
                    .description("Tags of every object of the network; merged over the provider's default_tags. `Name` comes from `name`."),
            )
            .attribute(
                Attribute::computed("tags_all", Type::map(Type::String))
                    .description("All tags, including the provider's default_tags."),
            )
            .attribute(
                Attribute::computed("region", Type::String)
                    .description("The network's region (the provider's region)."),
            )
            .attribute(computed_id("vpc_id", "The VPC id."))
            .attribute(
                Attribute::computed("subnet_ids", Type::list(Type::String))
                    .use_state_for_unknown()
                    .description("The private subnets, in the order of `availability_zones`."),
            )
            .attribute(
                Attribute::computed("subnet_ids_by_zone", Type::map(Type::String))
                    .use_state_for_unknown()
                    .description("The private subnet of each zone."),
            )
            .attribute(computed_id("route_table_id", "The private route table of every subnet."))
            .attribute(computed_id(
                "workload_security_group_id",
                "Security group for workloads: egress only to the VPC CIDR, ingress from the group itself.",
            ))
            .attribute(computed_id(
                "endpoint_security_group_id",
                "Security group of the interface endpoints: HTTPS (443) from the VPC CIDR.",
            ))
            .attribute(
                Attribute::computed("endpoint_ids", Type::map(Type::String))
                    .use_state_for_unknown()
                    .description("Interface endpoint id of each entry of `interface_endpoints`."),
            )
            .attribute(computed_id("s3_endpoint_id", "The S3 gateway endpoint (null without one)."))
            .attribute(computed_id("flow_log_id", "The flow log (null without flow_logs_bucket_arn)."))
            .attribute(
                Attribute::computed("guardrails", Type::map(Type::Bool)).description(
                    "The network's invariants as AWS reports them: dns_support, dns_hostnames, no_internet_gateway, \
                     no_nat_gateway, no_egress_only_gateway, no_default_route, default_security_group_empty, \
                     flow_logs. Always planned true, so an internet gateway, a default route or a default-security-group \
                     rule added outside Terraform shows as a change that apply removes.",
                ),
            ),
    )
}
