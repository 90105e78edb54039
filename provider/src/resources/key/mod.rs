//! `sovereign_key`: a customer-managed, single-region KMS key — rotated yearly by default, or
//! HSM-backed in a CloudHSM custom key store — with a generated key policy.

use std::collections::BTreeMap;

use aws_sdk_kms::types::{KeySpec, KeyState, KeyUsageType, OriginType, Tag};
use serde_json::json;
use sovereign_schemas::arn::parse_arn;

use crate::aws::{aws_error_diagnostic, error_code};
use crate::framework::{
    Attribute, AttributePath, Block, Context, Diagnostic, Diagnostics, PlanChange, Resource,
    Schema, Type, Validator, Value, async_trait,
};
use crate::resources::{
    check_arn_location, check_required_tags, json_equal, plan_region, policy_for_state,
    tag_changes, tag_map, tags_from_aws,
};
use crate::sovereign::SovereignData;

pub const TYPE_NAME: &str = "sovereign_key";
/// Rotation period when `rotation_period_days` is not set (KMS's own default).
pub const DEFAULT_ROTATION_DAYS: i64 = 365;
pub const DEFAULT_DELETION_WINDOW_DAYS: i64 = 30;
/// The shortest window, used when rolling back a key whose creation failed halfway.
const ROLLBACK_DELETION_WINDOW_DAYS: i32 = 7;

pub struct KeyResource;

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

/// Actions the listed principals get: administer and use the key. Replication and importing key
/// material are left out on purpose (never multi-region; key material stays inside KMS).
const PRINCIPAL_ACTIONS: [&str; 24] = [
    "kms:Create*",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
    "kms:RotateKeyOnDemand",
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:GenerateMac",
    "kms:VerifyMac",
    "kms:Sign",
    "kms:Verify",
    "kms:CreateGrant",
    "kms:RetireGrant",
];

/// The generated key policy: the account root (which delegates to IAM policies of the account) and
/// `principals` may administer and use the key; nobody else is named.
pub fn key_policy(partition: &str, account: &str, principals: &[String]) -> String {
    let mut statements = vec![json!({
        "Sid": "AccountRootAdministers",
        "Effect": "Allow",
        "Principal": {"AWS": format!("arn:{partition}:iam::{account}:root")},
        "Action": "kms:*",
        "Resource": "*"
    })];
    if !principals.is_empty() {
        statements.push(json!({
            "Sid": "AllowedPrincipalsAdministerAndUse",
            "Effect": "Allow",
            "Principal": {"AWS": principals},
            "Action": PRINCIPAL_ACTIONS,
            "Resource": "*"
        }));
    }
    json!({
        "Version": "2012-10-17",
        "Id": "sovereign-key-policy",
        "Statement": statements
    })
    .to_string()
}

fn key_schema() -> Schema {
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

fn principals(value: &Value) -> Vec<String> {
    value
        .attr("allowed_principals")
        .as_string_vec()
        .unwrap_or_default()
}

/// The account id in a key ARN.
fn account_of(arn: &str) -> Option<String> {
    parse_arn(arn).map(|a| a.account.to_string())
}

struct KeyIds<'a> {
    id: &'a str,
    what: String,
}

fn key_ids(value: &Value) -> Option<KeyIds<'_>> {
    let id = value.get_str("id")?;
    Some(KeyIds {
        id,
        what: format!("KMS key {id}"),
    })
}

impl KeyResource {
    /// Plans the policy when it is not configured: generated from allowed_principals, so out-of-band
    /// changes to the key policy show as a diff that apply repairs.
    fn plan_policy(&self, data: &SovereignData, plan: &mut PlanChange) {
        if !plan.config.attr("policy").is_null() {
            return;
        }
        let principals_value = plan.planned.attr("allowed_principals");
        let account = plan.prior.get_str("arn").and_then(account_of);
        let planned_policy = match account {
            Some(account) if principals_value.is_wholly_known() => {
                let expected = key_policy(data.partition(), &account, &principals(&plan.planned));
                match plan.prior.get_str("policy") {
                    Some(prior) if json_equal(prior, &expected) => Value::from(prior),
                    _ => Value::from(expected),
                }
            }
            _ => Value::Unknown,
        };
        plan.planned.set_attr("policy", planned_policy);
    }

    /// Rolls back a key whose creation failed after CreateKey: `failure` (the error of the failed
    /// step) is pushed with a sentence saying what happened to the key, so nothing is left untracked.
    async fn rollback(
        &self,
        data: &SovereignData,
        key_id: &str,
        mut failure: Diagnostic,
        diags: &mut Diagnostics,
    ) {
        let result = data
            .clients
            .kms
            .schedule_key_deletion()
            .key_id(key_id)
            .pending_window_in_days(ROLLBACK_DELETION_WINDOW_DAYS)
            .send()
            .await;
        match result {
            Ok(_) => {
                failure.detail.push_str(&format!(
                    "\n\nThe new KMS key {key_id} was rolled back: it is scheduled for deletion in \
                     {ROLLBACK_DELETION_WINDOW_DAYS} days, so nothing is left untracked."
                ));
                diags.push(failure);
            }
            Err(e) => {
                diags.push(failure);
                diags.push(aws_error_diagnostic(
                    "ScheduleKeyDeletion (rollback)",
                    &format!("KMS key {key_id}, created but not configured: schedule its deletion by hand"),
                    &e,
                ));
            }
        }
    }

    async fn apply_tags(
        &self,
        data: &SovereignData,
        key_id: &str,
        old: &BTreeMap<String, String>,
        new: &BTreeMap<String, String>,
        diags: &mut Diagnostics,
    ) -> bool {
        let kms = &data.clients.kms;
        let (removed, set) = tag_changes(old, new);
        if !removed.is_empty()
            && let Err(e) = kms
                .untag_resource()
                .key_id(key_id)
                .set_tag_keys(Some(removed))
                .send()
                .await
        {
            diags.push(aws_error_diagnostic(
                "UntagResource",
                &format!("KMS key {key_id}"),
                &e,
            ));
            return false;
        }
        if !set.is_empty() {
            let tags = match kms_tags(&set) {
                Ok(t) => t,
                Err(d) => {
                    diags.push(d);
                    return false;
                }
            };
            if let Err(e) = kms
                .tag_resource()
                .key_id(key_id)
                .set_tags(Some(tags))
                .send()
                .await
            {
                diags.push(aws_error_diagnostic(
                    "TagResource",
                    &format!("KMS key {key_id}"),
                    &e,
                ));
                return false;
            }
        }
        true
    }
}

fn kms_tags(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, Diagnostic> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder().tag_key(k).tag_value(v).build().map_err(|e| {
                Diagnostic::error(
                    "Invalid tag",
                    format!("Tag {k:?} cannot be sent to KMS: {e}"),
                )
            })
        })
        .collect()
}

fn rotation_days(value: &Value) -> Option<i32> {
    value
        .get_i64("rotation_period_days")
        .and_then(|d| i32::try_from(d).ok())
}

#[async_trait]
impl Resource<SovereignData> for KeyResource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        key_schema()
    }

    async fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        // Checks that need no provider: the HSM and rotation rules.
        let store = config.attr("custom_key_store_id");
        if config.get_bool("require_hsm") == Some(true) && store.is_null() {
            diags.error_at(
                AttributePath::new("require_hsm"),
                "HSM-backed key required",
                "require_hsm = true, but custom_key_store_id is not set: only a key in a CloudHSM custom key store is \
                 HSM-backed. Set custom_key_store_id to the key store (cks-…), or drop require_hsm.",
            );
        }
        if !store.is_null() && !config.attr("rotation_period_days").is_null() {
            diags.error_at(
                AttributePath::new("rotation_period_days"),
                "Rotation not possible in a custom key store",
                "KMS cannot rotate keys in a CloudHSM custom key store, so rotation_period_days cannot be set together \
                 with custom_key_store_id. Remove rotation_period_days (rotate by creating a new key), or drop the \
                 key store.",
            );
        }
    }

    async fn modify_plan(
        &self,
        ctx: &Context<SovereignData>,
        plan: &mut PlanChange,
        diags: &mut Diagnostics,
    ) {
        let data = ctx.provider.as_ref();
        self.validate(&plan.config, diags).await;
        if let Some(items) = plan.config.attr("allowed_principals").as_list() {
            for (i, item) in items.iter().enumerate() {
                if let Some(arn) = item.as_str() {
                    check_arn_location(
                        data,
                        arn,
                        "iam",
                        "principal",
                        false,
                        AttributePath::new("allowed_principals").index(i as i64),
                        diags,
                    );
                }
            }
        }
        check_required_tags(data, plan, diags);

        let store = plan.planned.attr("custom_key_store_id").clone();
        // rotation: default 365 for AWS_KMS keys, none in a custom key store.
        if plan.config.attr("rotation_period_days").is_null() {
            let rotation = match &store {
                Value::Null => Value::int(DEFAULT_ROTATION_DAYS),
                Value::Unknown => Value::Unknown,
                _ => Value::Null,
            };
            plan.planned.set_attr("rotation_period_days", rotation);
        }
        let (origin, hsm) = match &store {
            Value::Null => (Value::from("AWS_KMS"), Value::from(false)),
            Value::Unknown => (Value::Unknown, Value::Unknown),
            _ => (Value::from("AWS_CLOUDHSM"), Value::from(true)),
        };
        plan.planned.set_attr("origin", origin);
        plan.planned.set_attr("hsm_backed", hsm);
        plan_region(data, plan);
        self.plan_policy(data, plan);
        if plan.is_create() {
            plan.planned.set_attr("key_state", Value::Unknown);
        } else if plan.prior.get_str("key_state").is_some() {
            plan.planned
                .set_attr("key_state", plan.prior.attr("key_state").clone());
        }
    }

    async fn create(
        &self,
        ctx: &Context<SovereignData>,
        planned: &Value,
        _config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let data = ctx.provider.as_ref();
        let kms = &data.clients.kms;
        let policy = match planned.get_str("policy") {
            Some(p) => p.to_string(),
            None => match data.account_id().await {
                Ok(account) => key_policy(data.partition(), &account, &principals(planned)),
                Err(d) => {
                    diags.push(d);
                    return None;
                }
            },
        };
        let tags = match kms_tags(&tag_map(planned)) {
            Ok(t) => t,
            Err(d) => {
                diags.push(d);
                return None;
            }
        };
        let store = planned.get_str("custom_key_store_id");
        let mut request = kms
            .create_key()
            .key_usage(KeyUsageType::EncryptDecrypt)
            .key_spec(KeySpec::SymmetricDefault)
            .multi_region(false)
            .policy(&policy)
            .set_tags(Some(tags))
            .set_description(planned.get_str("description").map(str::to_owned));
        if let Some(store) = store {
            request = request
                .origin(OriginType::AwsCloudhsm)
                .custom_key_store_id(store);
        } else {
            request = request.origin(OriginType::AwsKms);
        }
        let created = match request.send().await {
            Ok(out) => out,
            Err(e) => {
                diags.push(aws_error_diagnostic("CreateKey", "a new KMS key", &e));
                return None;
            }
        };
        let Some(meta) = created.key_metadata() else {
            diags.error(
                "AWS CreateKey returned no key metadata",
                "KMS answered without KeyMetadata.",
            );
            return None;
        };
        let key_id = meta.key_id().to_string();
        let what = format!("KMS key {key_id}");

        if store.is_none()
            && let Some(days) = rotation_days(planned)
            && let Err(e) = kms
                .enable_key_rotation()
                .key_id(&key_id)
                .rotation_period_in_days(days)
                .send()
                .await
        {
            let failure = aws_error_diagnostic("EnableKeyRotation", &what, &e);
            self.rollback(data, &key_id, failure, diags).await;
            return None;
        }
        if let Some(alias) = planned.get_str("alias")
            && let Err(e) = kms
                .create_alias()
                .alias_name(alias)
                .target_key_id(&key_id)
                .send()
                .await
        {
            let failure = aws_error_diagnostic("CreateAlias", &format!("{alias} → {what}"), &e);
            self.rollback(data, &key_id, failure, diags).await;
            return None;
        }

        let mut state = planned.clone();
        state.set_attr("id", Value::from(key_id.as_str()));
        state.set_attr("arn", Value::from(meta.arn().unwrap_or_default()));
        state.set_attr("region", Value::from(data.region()));
        state.set_attr("policy", Value::from(policy));
        let origin = meta
            .origin()
            .map(|o| o.as_str().to_string())
            .unwrap_or_else(|| {
                if store.is_some() {
                    "AWS_CLOUDHSM"
                } else {
                    "AWS_KMS"
                }
                .to_string()
            });
        state.set_attr("hsm_backed", Value::from(origin == "AWS_CLOUDHSM"));
        state.set_attr("origin", Value::from(origin));
        state.set_attr(
            "key_state",
            Value::from(meta.key_state().map(|s| s.as_str()).unwrap_or("Enabled")),
        );
        Some(state)
    }

    async fn read(
        &self,
        ctx: &Context<SovereignData>,
        state: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let data = ctx.provider.as_ref();
        let kms = &data.clients.kms;
        let KeyIds { id, what } = key_ids(state)?;
        let described = match kms.describe_key().key_id(id).send().await {
            Ok(out) => out,
            Err(e) if error_code(&e) == Some("NotFoundException") => return None,
            Err(e) => {
                diags.push(aws_error_diagnostic("DescribeKey", &what, &e));
                return None;
            }
        };
        let meta = described.key_metadata()?;
        if matches!(
            meta.key_state(),
            Some(KeyState::PendingDeletion) | Some(KeyState::PendingReplicaDeletion)
        ) {
            return None;
        }
        let key_id = meta.key_id().to_string();
        let arn = meta.arn().unwrap_or_default().to_string();
        let origin = meta
            .origin()
            .map(|o| o.as_str().to_string())
            .unwrap_or_else(|| "AWS_KMS".into());
        let region = parse_arn(&arn)
            .map(|a| a.region.to_string())
            .unwrap_or_else(|| data.region().to_string());
        let mut new = state.clone();
        new.set_attr("id", Value::from(key_id.as_str()));
        new.set_attr("arn", Value::from(arn.as_str()));
        new.set_attr("region", Value::from(region));
        new.set_attr("hsm_backed", Value::from(origin == "AWS_CLOUDHSM"));
        new.set_attr("origin", Value::from(origin.as_str()));
        new.set_attr(
            "key_state",
            Value::from(meta.key_state().map(|s| s.as_str()).unwrap_or("Unknown")),
        );
        new.set_attr(
            "custom_key_store_id",
            Value::from(meta.custom_key_store_id()),
        );
        let description = meta.description().unwrap_or_default();
        new.set_attr(
            "description",
            if description.is_empty() && state.attr("description").is_null() {
                Value::Null
            } else {
                Value::from(description)
            },
        );
        if new.attr("require_hsm").is_null() {
            new.set_attr("require_hsm", Value::from(false));
        }
        if new.attr("deletion_window_days").is_null() {
            new.set_attr(
                "deletion_window_days",
                Value::int(DEFAULT_DELETION_WINDOW_DAYS),
            );
        }

        // Rotation: only AWS_KMS keys rotate; disabled rotation reads as null, so the plan re-enables it.
        let rotation = if origin == "AWS_KMS" {
            match kms.get_key_rotation_status().key_id(&key_id).send().await {
                // Older endpoints (and moto) omit RotationPeriodInDays: keep the known period then.
                Ok(out) if out.key_rotation_enabled() => Value::int(
                    out.rotation_period_in_days()
                        .map(i64::from)
                        .unwrap_or_else(|| {
                            state
                                .get_i64("rotation_period_days")
                                .unwrap_or(DEFAULT_ROTATION_DAYS)
                        }),
                ),
                Ok(_) => Value::Null,
                Err(e) => {
                    diags.push(aws_error_diagnostic("GetKeyRotationStatus", &what, &e));
                    return None;
                }
            }
        } else {
            Value::Null
        };
        new.set_attr("rotation_period_days", rotation);

        match kms
            .get_key_policy()
            .key_id(&key_id)
            .policy_name("default")
            .send()
            .await
        {
            Ok(out) => {
                let policy = out.policy().unwrap_or_default();
                new.set_attr("policy", policy_for_state(policy, state.attr("policy")));
            }
            Err(e) => {
                diags.push(aws_error_diagnostic("GetKeyPolicy", &what, &e));
                return None;
            }
        }

        let mut tags = BTreeMap::new();
        let mut marker: Option<String> = None;
        loop {
            match kms
                .list_resource_tags()
                .key_id(&key_id)
                .set_marker(marker.clone())
                .send()
                .await
            {
                Ok(out) => {
                    for t in out.tags() {
                        tags.insert(t.tag_key().to_string(), t.tag_value().to_string());
                    }
                    match (out.truncated(), out.next_marker()) {
                        (true, Some(m)) => marker = Some(m.to_string()),
                        _ => break,
                    }
                }
                Err(e) => {
                    diags.push(aws_error_diagnostic("ListResourceTags", &what, &e));
                    return None;
                }
            }
        }
        let (own, all) = tags_from_aws(&tags, &data.config.default_tags, state.attr("tags"));
        new.set_attr("tags", own);
        new.set_attr("tags_all", all);

        let mut aliases = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            match kms
                .list_aliases()
                .key_id(&key_id)
                .set_marker(marker.clone())
                .send()
                .await
            {
                Ok(out) => {
                    aliases.extend(
                        out.aliases()
                            .iter()
                            .filter_map(|a| a.alias_name().map(str::to_owned)),
                    );
                    match (out.truncated(), out.next_marker()) {
                        (true, Some(m)) => marker = Some(m.to_string()),
                        _ => break,
                    }
                }
                Err(e) => {
                    diags.push(aws_error_diagnostic("ListAliases", &what, &e));
                    return None;
                }
            }
        }
        let alias = match state.get_str("alias") {
            Some(a) if aliases.iter().any(|x| x == a) => Value::from(a),
            _ => aliases
                .iter()
                .find(|a| !a.starts_with("alias/aws/"))
                .map_or(Value::Null, |a| Value::from(a.as_str())),
        };
        new.set_attr("alias", alias);
        Some(new)
    }

    async fn update(
        &self,
        ctx: &Context<SovereignData>,
        prior: &Value,
        planned: &Value,
        _config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let data = ctx.provider.as_ref();
        let kms = &data.clients.kms;
        let KeyIds { id, what } = key_ids(prior)?;
        let mut state = planned.clone();

        if planned.attr("description") != prior.attr("description")
            && let Err(e) = kms
                .update_key_description()
                .key_id(id)
                .description(planned.get_str("description").unwrap_or_default())
                .send()
                .await
        {
            diags.push(aws_error_diagnostic("UpdateKeyDescription", &what, &e));
            return None;
        }

        if planned.get_str("origin") == Some("AWS_KMS")
            && planned.attr("rotation_period_days") != prior.attr("rotation_period_days")
            && let Some(days) = rotation_days(planned)
            && let Err(e) = kms
                .enable_key_rotation()
                .key_id(id)
                .rotation_period_in_days(days)
                .send()
                .await
        {
            diags.push(aws_error_diagnostic("EnableKeyRotation", &what, &e));
            return None;
        }

        let policy = match planned.get_str("policy") {
            Some(p) => p.to_string(),
            None => {
                let account = match prior.get_str("arn").and_then(account_of) {
                    Some(a) => a,
                    None => match data.account_id().await {
                        Ok(a) => a,
                        Err(d) => {
                            diags.push(d);
                            return None;
                        }
                    },
                };
                key_policy(data.partition(), &account, &principals(planned))
            }
        };
        let policy_changed = prior
            .get_str("policy")
            .is_none_or(|p| !json_equal(p, &policy));
        if policy_changed
            && let Err(e) = kms
                .put_key_policy()
                .key_id(id)
                .policy_name("default")
                .policy(&policy)
                .send()
                .await
        {
            diags.push(aws_error_diagnostic("PutKeyPolicy", &what, &e));
            return None;
        }
        state.set_attr("policy", Value::from(policy));

        if !self
            .apply_tags(data, id, &tag_map(prior), &tag_map(planned), diags)
            .await
        {
            return None;
        }

        let (old_alias, new_alias) = (prior.get_str("alias"), planned.get_str("alias"));
        if old_alias != new_alias {
            if let Some(old) = old_alias
                && let Err(e) = kms.delete_alias().alias_name(old).send().await
                && error_code(&e) != Some("NotFoundException")
            {
                diags.push(aws_error_diagnostic(
                    "DeleteAlias",
                    &format!("{old} of {what}"),
                    &e,
                ));
                return None;
            }
            if let Some(new) = new_alias
                && let Err(e) = kms
                    .create_alias()
                    .alias_name(new)
                    .target_key_id(id)
                    .send()
                    .await
            {
                diags.push(aws_error_diagnostic(
                    "CreateAlias",
                    &format!("{new} → {what}"),
                    &e,
                ));
                return None;
            }
        }
        if state.attr("key_state").is_unknown() {
            state.set_attr("key_state", prior.attr("key_state").clone());
        }
        Some(state)
    }

    async fn delete(&self, ctx: &Context<SovereignData>, prior: &Value, diags: &mut Diagnostics) {
        let data = ctx.provider.as_ref();
        let kms = &data.clients.kms;
        let Some(KeyIds { id, what }) = key_ids(prior) else {
            return;
        };
        if let Some(alias) = prior.get_str("alias")
            && let Err(e) = kms.delete_alias().alias_name(alias).send().await
            && error_code(&e) != Some("NotFoundException")
        {
            diags.push(aws_error_diagnostic(
                "DeleteAlias",
                &format!("{alias} of {what}"),
                &e,
            ));
            return;
        }
        let window = prior
            .get_i64("deletion_window_days")
            .and_then(|d| i32::try_from(d).ok())
            .unwrap_or(DEFAULT_DELETION_WINDOW_DAYS as i32);
        match kms
            .schedule_key_deletion()
            .key_id(id)
            .pending_window_in_days(window)
            .send()
            .await
        {
            Ok(_) => {}
            // Already gone, or already pending deletion.
            Err(e)
                if matches!(
                    error_code(&e),
                    Some("NotFoundException") | Some("KMSInvalidStateException")
                ) => {}
            Err(e) => diags.push(aws_error_diagnostic("ScheduleKeyDeletion", &what, &e)),
        }
    }

    async fn import(
        &self,
        ctx: &Context<SovereignData>,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let data = ctx.provider.as_ref();
        if id.starts_with("arn:")
            && !check_arn_location(
                data,
                id,
                "kms",
                "KMS key",
                true,
                AttributePath::root(),
                diags,
            )
        {
            return None;
        }
        if id.starts_with("alias/") || id.contains(":alias/") {
            diags.error(
                "Import by key id or ARN",
                format!("{id:?} is an alias; import sovereign_key by its key id or key ARN."),
            );
            return None;
        }
        match data.clients.kms.describe_key().key_id(id).send().await {
            Ok(out) => {
                let Some(meta) = out.key_metadata() else {
                    return Some(Value::object([("id", Value::from(id))]));
                };
                if meta.multi_region() == Some(true) {
                    diags.error(
                        "Multi-Region key refused",
                        format!(
                            "KMS key {id} is a multi-Region key: its material can be replicated to other regions, so \
                             sovereign_key does not manage it."
                        ),
                    );
                    return None;
                }
                if meta.key_spec() != Some(&KeySpec::SymmetricDefault) {
                    diags.error(
                        "Unsupported key",
                        format!(
                            "KMS key {id} is not a symmetric encryption key (SYMMETRIC_DEFAULT)."
                        ),
                    );
                    return None;
                }
                Some(Value::object([("id", Value::from(meta.key_id()))]))
            }
            // Terraform reports "Cannot import non-existent remote object" after read returns null.
            Err(e) if error_code(&e) == Some("NotFoundException") => {
                Some(Value::object([("id", Value::from(id))]))
            }
            Err(e) => {
                diags.push(aws_error_diagnostic(
                    "DescribeKey",
                    &format!("KMS key {id}"),
                    &e,
                ));
                None
            }
        }
    }
}
