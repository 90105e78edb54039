//! The schema of `sovereign_gpu_cluster` (SPEC §4).

use crate::framework::{Attribute, Block, Schema, Type, Validator};

pub const TYPE_NAME: &str = "sovereign_gpu_cluster";

fn is_name(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn is_gpu_type(s: &str) -> bool {
    sovereign_schemas::gpu::is_allowed_family(s)
}

fn is_ami(s: &str) -> bool {
    s.strip_prefix("ami-")
        .is_some_and(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn computed(name: &str, ty: Type, description: &str) -> Attribute {
    Attribute::computed(name, ty)
        .use_state_for_unknown()
        .description(description)
}

pub fn gpu_cluster_schema() -> Schema {
    Schema::new(
        Block::new()
            .description(
                "An ephemeral pool of GPU/accelerator instances inside a sovereign network: launched from a launch \
                 template with IMDSv2 required (hop limit 1), no public IP and the root volume encrypted with a KMS \
                 key of the provider's region, in a placement group, with idempotent launches (client tokens), a \
                 cost budget checked at plan time against a dated on-demand price table, and an optional TTL after \
                 which every instance is terminated.",
            )
            .attribute(computed("id", Type::String, "The cluster name."))
            .attribute(
                Attribute::required("name", Type::String)
                    .requires_replace()
                    .description("Cluster name: the placement group's name and the launch template's (`sovereign-NAME`). Changing it replaces the cluster.")
                    .validator(Validator::StringLength { min: 1, max: 100 })
                    .validator(Validator::StringPredicate { check: is_name, expected: "letters, digits, '-' and '_'" }),
            )
            .attribute(
                Attribute::required("instance_type", Type::String)
                    .description(
                        "A GPU/accelerator instance type: p4d, p4de, p5, p5e, p5en, p6-*, g5, g6, g6e, g6f, g7, g7e, gr6, \
                         trn1, trn1n, trn2 or inf2. A change launches new instances from a new template version.",
                    )
                    .validator(Validator::StringPredicate {
                        check: is_gpu_type,
                        expected: "a GPU/accelerator instance type (p4d, p4de, p5, p5e, p5en, p6-*, g5, g6, g6e, g6f, g7, g7e, gr6, trn1, trn1n, trn2, inf2), e.g. g6.xlarge",
                    }),
            )
            .attribute(
                Attribute::required("node_count", Type::Number)
                    .description("Instances to run (slots 0 … node_count-1). Changes in place: growing launches the missing slots, shrinking terminates the highest.")
                    .validator(Validator::IntRange { min: 0, max: 10_000 }),
            )
            .attribute(
                Attribute::required("ami_id", Type::String)
                    .requires_replace()
                    .description("AMI of every instance (in the provider's region). Changing it replaces the cluster.")
                    .validator(Validator::StringPredicate { check: is_ami, expected: "an AMI id (ami-…)" }),
            )
            .attribute(
                Attribute::required("subnet_ids", Type::list(Type::String))
                    .description("Subnets (e.g. `sovereign_network.x.subnet_ids`) the instances are spread over round-robin; one zone with `cluster` placement.")
                    .validator(Validator::SizeBetween { min: 1, max: 64 }),
            )
            .attribute(
                Attribute::required("security_group_ids", Type::list(Type::String))
                    .description("Security groups of the instances (e.g. the network's workload group).")
                    .validator(Validator::SizeBetween { min: 1, max: 16 }),
            )
            .attribute(Attribute::required("kms_key_arn", Type::String).description(
                "KMS key (in the provider's region and partition) that encrypts every root volume.",
            ))
            .attribute(
                Attribute::optional("root_volume_size_gb", Type::Number)
                    .default_value(100i64)
                    .description("Root volume size in GiB (gp3). Default 100.")
                    .validator(Validator::IntRange { min: 8, max: 16384 }),
            )
            .attribute(
                Attribute::optional("confidential_computing", Type::String)
                    .default_value("none")
                    .description("\"none\" or \"nitro_enclaves\" (refused at plan time on a type without enclave support). Default \"none\".")
                    .validator(Validator::one_of(["none", "nitro_enclaves"])),
            )
            .attribute(
                Attribute::optional("placement_strategy", Type::String)
                    .default_value("cluster")
                    .requires_replace()
                    .description("Placement group strategy: cluster (one zone, low latency), spread (at most 7 running instances per zone) or partition. Default cluster.")
                    .validator(Validator::one_of(["cluster", "spread", "partition"])),
            )
            .attribute(
                Attribute::optional("ttl_hours", Type::Number)
                    .description("Hours the cluster may run: `expires_at` is set from it, every instance and volume is tagged `expires-at`, and once it has passed the plan terminates every instance. Changing it starts a new window.")
                    .validator(Validator::IntRange { min: 1, max: 87_600 }),
            )
            .attribute(Attribute::optional("max_hourly_cost_usd", Type::Number).description(
                "Budget: the plan is refused when node_count × the on-demand price of instance_type in the region \
                 (from the provider's dated price table) exceeds it, or when the table has no price for them.",
            ))
            .attribute(
                Attribute::optional("user_data", Type::String)
                    .sensitive()
                    .description("User data of every instance (plain text; the provider encodes it)."),
            )
            .attribute(Attribute::optional("iam_instance_profile", Type::String).description(
                "Instance profile name or ARN of the instances.",
            ))
            .attribute(Attribute::optional("tags", Type::map(Type::String)).description(
                "Tags of the template, the placement group, every instance and volume; merged over the provider's default_tags.",
            ))
            .attribute(Attribute::computed("tags_all", Type::map(Type::String)).description("All tags, including the provider's default_tags."))
            .attribute(Attribute::computed("region", Type::String).description("The cluster's region (the provider's region)."))
            .attribute(computed("launch_template_id", Type::String, "The launch template (lt-…)."))
            .attribute(computed("launch_template_version", Type::Number, "The template version the instances are launched from."))
            .attribute(computed("placement_group_name", Type::String, "The placement group (the cluster name)."))
            .attribute(computed("instance_ids", Type::list(Type::String), "Running instances, by slot."))
            .attribute(computed("instance_ids_by_slot", Type::map(Type::String), "The instance of each slot."))
            .attribute(computed("private_ips", Type::list(Type::String), "Private IPs of the instances, by slot."))
            .attribute(Attribute::computed("hourly_cost_usd", Type::Number).description(
                "node_count × the on-demand price (USD per hour) from the price table; 0 once expired; null when the table has no price.",
            ))
            .attribute(Attribute::computed("expires_at", Type::String).description(
                "When the TTL ends (RFC 3339): the time of the apply that set or changed ttl_hours, plus ttl_hours (known after that apply). Null without ttl_hours.",
            )),
    )
}
