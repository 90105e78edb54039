//! The `sovereign_key` schema and its argument validators.

use sovereign_schemas::arn::parse_arn;

use super::DEFAULT_DELETION_WINDOW_DAYS;
use crate::framework::{Attribute, Block, Schema, Type, Validator};

fn is_alias_name(s: &str) -> bool {
    s.strip_prefix("alias/").is_some_and(|rest| {
        !rest.is_empty()
            && !rest.starts_with("aws/")
            && rest.len() <= 250
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/_-".contains(c))
    })
}

fn is_iam_arn(s: &str) -> bool {
    parse_arn(s).is_some_and(|a| a.service == "iam" && a.region.is_empty() && !a.account.is_empty())
}

fn is_custom_key_store_id(s: &str) -> bool {
    s.starts_with("cks-") && s.len() > 4
}

pub fn key_schema() -> Schema {
    Schema::new(
        Block::new()
            .description(
                "A customer-managed, single-region AWS KMS key in the provider's region: rotated automatically \
                 (AWS_KMS origin), or HSM-backed in a CloudHSM custom key store. Never multi-region.",
            )
            .attribute(
                Attribute::computed("id", Type::String)
                    .use_state_for_unknown()
                    .description("The key id."),
            )
            .attribute(
                Attribute::computed("arn", Type::String)
                    .use_state_for_unknown()
                    .description("The key ARN."),
            )
            .attribute(
                Attribute::computed("region", Type::String)
                    .description("The region the key lives in (the provider's region)."),
            )
            .attribute(Attribute::optional("description", Type::String).description("Description of the key."))
            .attribute(
                Attribute::optional("alias", Type::String)
                    .description("Alias of the key, `alias/NAME` (not `alias/aws/…`).")
                    .validator(Validator::StringPredicate {
                        check: is_alias_name,
                        expected: "an alias name starting with \"alias/\" (letters, digits, /, _ and -; not alias/aws/)",
                    }),
            )
            .attribute(
                Attribute::optional("custom_key_store_id", Type::String)
                    .requires_replace()
                    .description(
                        "CloudHSM custom key store (`cks-…`) to create the key in: the key becomes HSM-backed (origin \
                         AWS_CLOUDHSM). Changing it replaces the key.",
                    )
                    .validator(Validator::StringPredicate {
                        check: is_custom_key_store_id,
                        expected: "a custom key store id (cks-…)",
                    }),
            )
            .attribute(
                Attribute::optional("require_hsm", Type::Bool)
                    .default_value(false)
                    .description("Refuse the plan unless the key is HSM-backed (custom_key_store_id set). Default false."),
            )
            .attribute(
                Attribute::optional_computed("rotation_period_days", Type::Number)
                    .description(
                        "Automatic rotation period in days, 90–2560 (default 365). Rotation is always on for AWS_KMS \
                         keys; not allowed with a custom key store, where KMS cannot rotate.",
                    )
                    .validator(Validator::IntRange { min: 90, max: 2560 }),
            )
            .attribute(
                Attribute::optional("deletion_window_days", Type::Number)
                    .default_value(DEFAULT_DELETION_WINDOW_DAYS)
                    .description("Waiting period, 7–30 days, before KMS deletes the key after destroy. Default 30.")
                    .validator(Validator::IntRange { min: 7, max: 30 }),
            )
            .attribute(
                Attribute::optional("allowed_principals", Type::list(Type::String))
                    .description(
                        "IAM ARNs (users, roles) that may administer and use the key besides the account root; the \
                         key policy is generated from them. Conflicts with policy.",
                    )
                    .validator(Validator::EachStringPredicate {
                        check: is_iam_arn,
                        expected: "an IAM ARN (arn:PARTITION:iam::ACCOUNT:role/NAME)",
                    })
                    .validator(Validator::ConflictsWith(vec!["policy".into()])),
            )
            .attribute(
                Attribute::optional_computed("policy", Type::String)
                    .description(
                        "Key policy JSON. When not set, generated from allowed_principals (account root + those \
                         principals). Conflicts with allowed_principals.",
                    )
                    .validator(Validator::StringPredicate {
                        check: |s| serde_json::from_str::<serde_json::Value>(s).is_ok_and(|v| v.is_object()),
                        expected: "a JSON policy document",
                    })
                    .validator(Validator::ConflictsWith(vec!["allowed_principals".into()])),
            )
            .attribute(
                Attribute::optional("tags", Type::map(Type::String))
                    .description("Tags of the key; merged over the provider's default_tags."),
            )
            .attribute(
                Attribute::computed("tags_all", Type::map(Type::String))
                    .description("All tags of the key, including the provider's default_tags."),
            )
            .attribute(
                Attribute::computed("origin", Type::String)
                    .use_state_for_unknown()
                    .description("AWS_KMS, or AWS_CLOUDHSM for a key in a custom key store."),
            )
            .attribute(
                Attribute::computed("hsm_backed", Type::Bool)
                    .use_state_for_unknown()
                    .description("Whether the key material lives in a CloudHSM cluster."),
            )
            .attribute(
                Attribute::computed("key_state", Type::String)
                    .use_state_for_unknown()
                    .description("Enabled, Disabled, PendingDeletion, …"),
            ),
    )
}
