//! The `sovereign_bucket` schema and its argument validators.

use sovereign_schemas::arn::parse_arn;

use crate::framework::{
    Attribute, Block, NestedBlock, Operation, Schema, Type, Validator, timeouts_block,
};

/// S3 bucket naming rules (general purpose buckets).
pub fn is_bucket_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (3..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-' || *b == b'.')
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
        && !name.contains("..")
        && !name.starts_with("xn--")
        && !name.starts_with("sthree-")
        && !name.ends_with("-s3alias")
        && !name.ends_with("--ol-s3")
        && name.parse::<std::net::Ipv4Addr>().is_err()
}

fn is_vpc_endpoint_id(s: &str) -> bool {
    s.strip_prefix("vpce-")
        .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_hexdigit()))
}

fn is_kms_key_arn(s: &str) -> bool {
    parse_arn(s).is_some_and(|a| {
        a.service == "kms" && (a.resource.starts_with("key/") || a.resource.starts_with("alias/"))
    })
}

pub fn bucket_schema() -> Schema {
    Schema::new(
        Block::new()
            .description(
                "An S3 bucket created in the provider's region, encrypted with a customer-managed KMS key of that \
                 region (SSE-KMS with a bucket key), with all four public-access blocks on, BucketOwnerEnforced \
                 ownership, and a bucket policy that denies non-TLS requests and replication.",
            )
            .attribute(
                Attribute::computed("id", Type::String)
                    .use_state_for_unknown()
                    .description("The bucket name."),
            )
            .attribute(
                Attribute::required("name", Type::String)
                    .requires_replace()
                    .description("Bucket name (3–63 lowercase letters, digits, dots and hyphens). Changing it replaces the bucket.")
                    .validator(Validator::StringPredicate {
                        check: is_bucket_name,
                        expected: "a valid S3 bucket name (3-63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit)",
                    }),
            )
            .attribute(
                Attribute::required("kms_key_arn", Type::String)
                    .description(
                        "ARN of the KMS key (key or alias ARN) for SSE-KMS; must be in the provider's region and \
                         partition, e.g. `sovereign_key.this.arn`.",
                    )
                    .validator(Validator::StringPredicate {
                        check: is_kms_key_arn,
                        expected: "a KMS key ARN (arn:PARTITION:kms:REGION:ACCOUNT:key/ID)",
                    }),
            )
            .attribute(
                Attribute::optional("versioning", Type::Bool)
                    .default_value(true)
                    .description("Keep every version of every object. Default true; must be true with object_lock."),
            )
            .attribute(
                Attribute::optional("allowed_vpc_endpoint_ids", Type::list(Type::String))
                    .description(
                        "VPC endpoint ids (`vpce-…`): the bucket policy denies every request that does not come \
                         through one of them — including Terraform's own unless it runs behind one.",
                    )
                    .validator(Validator::EachStringPredicate {
                        check: is_vpc_endpoint_id,
                        expected: "a VPC endpoint id (vpce-…)",
                    }),
            )
            .attribute(
                Attribute::optional("force_destroy", Type::Bool)
                    .default_value(false)
                    .description(
                        "Delete every object version and delete marker on destroy. Default false: destroying a \
                         non-empty bucket fails.",
                    ),
            )
            .attribute(
                Attribute::optional("tags", Type::map(Type::String))
                    .description("Tags of the bucket; merged over the provider's default_tags."),
            )
            .attribute(
                Attribute::computed("tags_all", Type::map(Type::String))
                    .description("All tags of the bucket, including the provider's default_tags."),
            )
            .attribute(Attribute::computed("arn", Type::String).use_state_for_unknown().description("The bucket ARN."))
            .attribute(Attribute::computed("region", Type::String).description("The bucket's region (the provider's region)."))
            .attribute(
                Attribute::computed("bucket_regional_domain_name", Type::String)
                    .use_state_for_unknown()
                    .description("Regional domain name, `NAME.s3.REGION.DNS_SUFFIX`."),
            )
            .attribute(
                Attribute::computed("policy", Type::String)
                    .description("The bucket policy the provider maintains (JSON)."),
            )
            .attribute(
                Attribute::computed("guardrails", Type::map(Type::Bool)).description(
                    "Protections as AWS reports them: block_public_acls, block_public_policy, ignore_public_acls, \
                     restrict_public_buckets, bucket_owner_enforced, bucket_key_enabled. Always planned true, so a \
                     protection switched off outside Terraform shows as a change that apply restores.",
                ),
            )
            .block(
                NestedBlock::list(
                    "object_lock",
                    Block::new()
                        .description("Default object lock retention (WORM), for evidence and audit logs.")
                        .attribute(
                            Attribute::required("mode", Type::String)
                                .description("COMPLIANCE (nobody can shorten or remove it) or GOVERNANCE.")
                                .validator(Validator::one_of(["COMPLIANCE", "GOVERNANCE"])),
                        )
                        .attribute(
                            Attribute::required("retention_days", Type::Number)
                                .description("Default retention of new object versions, in days.")
                                .validator(Validator::IntRange { min: 1, max: 36500 }),
                        ),
                )
                .items(0, 1),
            )
            .block(timeouts_block(&[Operation::Delete])),
    )
}
