//! `sovereign_bucket`: an S3 bucket locked to the provider's region, encrypted with a customer
//! KMS key of that region, never public, never replicated.
//!
//! Drift: read reports what AWS has — versioning, the KMS key, object lock, the bucket policy,
//! tags, and the `guardrails` map (public access block, owner enforcement, bucket key). The plan
//! always wants every guardrail `true` and the generated policy, so an out-of-band change shows as
//! an update that apply repairs.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, DefaultRetention,
    Delete, ObjectIdentifier, ObjectLockConfiguration, ObjectLockEnabled, ObjectLockRetentionMode,
    ObjectLockRule, ObjectOwnership, OwnershipControls, OwnershipControlsRule,
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Tag, Tagging,
    VersioningConfiguration,
};
use aws_smithy_types::error::operation::BuildError;
use serde_json::json;
use sovereign_schemas::arn::parse_arn;

use crate::aws::error::http_status;
use crate::aws::{aws_error_diagnostic, error_code};
use crate::framework::{
    Attribute, AttributePath, Block, Context, Diagnostic, Diagnostics, NestedBlock, Operation,
    PlanChange, Resource, Schema, Type, Validator, Value, async_trait, timeout_for, timeouts_block,
};
use crate::resources::{
    check_arn_location, check_required_tags, json_equal, plan_region, policy_for_state, tag_map,
    tags_from_aws,
};
use crate::sovereign::SovereignData;

pub const TYPE_NAME: &str = "sovereign_bucket";

/// The keys of the computed `guardrails` map; each is `true` when AWS has it in place.
pub const GUARDRAILS: [&str; 6] = [
    "block_public_acls",
    "block_public_policy",
    "ignore_public_acls",
    "restrict_public_buckets",
    "bucket_owner_enforced",
    "bucket_key_enabled",
];

const DEFAULT_DELETE_TIMEOUT: Duration = Duration::from_secs(60 * 60);

pub struct BucketResource;

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

pub fn bucket_arn(partition: &str, name: &str) -> String {
    format!("arn:{partition}:s3:::{name}")
}

/// The bucket policy: deny requests without TLS, deny configuring replication, and with VPC
/// endpoints deny every request that does not come through one of them.
pub fn bucket_policy(partition: &str, name: &str, vpc_endpoint_ids: &[String]) -> String {
    let arn = bucket_arn(partition, name);
    let objects = format!("{arn}/*");
    let mut statements = vec![
        json!({
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, objects],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}
        }),
        json!({
            "Sid": "DenyReplication",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutReplicationConfiguration",
            "Resource": arn
        }),
    ];
    if !vpc_endpoint_ids.is_empty() {
        statements.push(json!({
            "Sid": "DenyOutsideVpcEndpoints",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, objects],
            "Condition": {"StringNotEquals": {"aws:SourceVpce": vpc_endpoint_ids}}
        }));
    }
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

/// The VPC endpoint ids named by the `DenyOutsideVpcEndpoints` statement of a policy (for import).
pub fn vpc_endpoints_in_policy(policy: &str) -> Vec<String> {
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(policy) else {
        return Vec::new();
    };
    let statements = match &doc["Statement"] {
        serde_json::Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    };
    for s in statements {
        if s["Sid"] == "DenyOutsideVpcEndpoints" {
            return match &s["Condition"]["StringNotEquals"]["aws:SourceVpce"] {
                serde_json::Value::String(id) => vec![id.clone()],
                serde_json::Value::Array(ids) => ids
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            };
        }
    }
    Vec::new()
}

fn all_guardrails() -> Value {
    Value::Map(
        GUARDRAILS
            .iter()
            .map(|k| (k.to_string(), Value::from(true)))
            .collect(),
    )
}

fn bucket_schema() -> Schema {
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

fn build_err(what: &str, e: BuildError) -> Diagnostic {
    Diagnostic::error(format!("Cannot build the {what} request"), e.to_string())
}

fn bucket_name(value: &Value) -> Option<&str> {
    value.get_str("name").or_else(|| value.get_str("id"))
}

/// S3 reports us-east-1 as no location and eu-west-1 sometimes as "EU".
fn location_to_region(location: Option<&BucketLocationConstraint>) -> String {
    match location.map(BucketLocationConstraint::as_str) {
        None | Some("") => "us-east-1".to_string(),
        Some("EU") => "eu-west-1".to_string(),
        Some(other) => other.to_string(),
    }
}

fn object_lock_of(value: &Value) -> Option<(String, i32)> {
    let first = value.attr("object_lock").as_list()?.first()?;
    let mode = first.get_str("mode")?.to_string();
    let days = i32::try_from(first.get_i64("retention_days")?).ok()?;
    Some((mode, days))
}

impl BucketResource {
    /// Puts every setting of `planned` on the bucket (create and update alike, which also repairs
    /// drift). `prior` is the state before an update.
    async fn configure_bucket(
        &self,
        data: &SovereignData,
        name: &str,
        planned: &Value,
        prior: Option<&Value>,
        diags: &mut Diagnostics,
    ) -> Option<String> {
        let s3 = &data.clients.s3;
        let what = format!("bucket {name}");

        let pab = PublicAccessBlockConfiguration::builder()
            .block_public_acls(true)
            .block_public_policy(true)
            .ignore_public_acls(true)
            .restrict_public_buckets(true)
            .build();
        if let Err(e) = s3
            .put_public_access_block()
            .bucket(name)
            .public_access_block_configuration(pab)
            .send()
            .await
        {
            diags.push(aws_error_diagnostic("PutPublicAccessBlock", &what, &e));
            return None;
        }

        let ownership = OwnershipControlsRule::builder()
            .object_ownership(ObjectOwnership::BucketOwnerEnforced)
            .build()
            .and_then(|rule| OwnershipControls::builder().rules(rule).build());
        let ownership = match ownership {
            Ok(o) => o,
            Err(e) => {
                diags.push(build_err("PutBucketOwnershipControls", e));
                return None;
            }
        };
        if let Err(e) = s3
            .put_bucket_ownership_controls()
            .bucket(name)
            .ownership_controls(ownership)
            .send()
            .await
        {
            diags.push(aws_error_diagnostic(
                "PutBucketOwnershipControls",
                &what,
                &e,
            ));
            return None;
        }

        let kms_key_arn = planned.get_str("kms_key_arn").unwrap_or_default();
        let encryption = ServerSideEncryptionByDefault::builder()
            .sse_algorithm(ServerSideEncryption::AwsKms)
            .kms_master_key_id(kms_key_arn)
            .build()
            .and_then(|default| {
                ServerSideEncryptionConfiguration::builder()
                    .rules(
                        ServerSideEncryptionRule::builder()
                            .apply_server_side_encryption_by_default(default)
                            .bucket_key_enabled(true)
                            .build(),
                    )
                    .build()
            });
        let encryption = match encryption {
            Ok(c) => c,
            Err(e) => {
                diags.push(build_err("PutBucketEncryption", e));
                return None;
            }
        };
        if let Err(e) = s3
            .put_bucket_encryption()
            .bucket(name)
            .server_side_encryption_configuration(encryption)
            .send()
            .await
        {
            diags.push(aws_error_diagnostic(
                "PutBucketEncryption",
                &format!("{what} with key {kms_key_arn}"),
                &e,
            ));
            return None;
        }

        let versioning = planned.get_bool("versioning").unwrap_or(true);
        let was_versioned = prior
            .and_then(|p| p.get_bool("versioning"))
            .unwrap_or(false);
        if versioning || was_versioned || prior.is_some() {
            let status = if versioning {
                BucketVersioningStatus::Enabled
            } else {
                BucketVersioningStatus::Suspended
            };
            if let Err(e) = s3
                .put_bucket_versioning()
                .bucket(name)
                .versioning_configuration(VersioningConfiguration::builder().status(status).build())
                .send()
                .await
            {
                diags.push(aws_error_diagnostic("PutBucketVersioning", &what, &e));
                return None;
            }
        }

        let lock = object_lock_of(planned);
        let had_lock = prior.is_some_and(|p| object_lock_of(p).is_some());
        if lock.is_some() || had_lock {
            let mut config =
                ObjectLockConfiguration::builder().object_lock_enabled(ObjectLockEnabled::Enabled);
            if let Some((mode, days)) = &lock {
                config = config.rule(
                    ObjectLockRule::builder()
                        .default_retention(
                            DefaultRetention::builder()
                                .mode(ObjectLockRetentionMode::from(mode.as_str()))
                                .days(*days)
                                .build(),
                        )
                        .build(),
                );
            }
            if let Err(e) = s3
                .put_object_lock_configuration()
                .bucket(name)
                .object_lock_configuration(config.build())
                .send()
                .await
            {
                diags.push(aws_error_diagnostic(
                    "PutObjectLockConfiguration",
                    &what,
                    &e,
                ));
                return None;
            }
        }

        let policy = bucket_policy(data.partition(), name, &endpoint_ids(planned));
        if let Err(e) = s3
            .put_bucket_policy()
            .bucket(name)
            .policy(&policy)
            .send()
            .await
        {
            diags.push(aws_error_diagnostic("PutBucketPolicy", &what, &e));
            return None;
        }

        let tags = tag_map(planned);
        if tags.is_empty() {
            if prior.is_some()
                && let Err(e) = s3.delete_bucket_tagging().bucket(name).send().await
            {
                diags.push(aws_error_diagnostic("DeleteBucketTagging", &what, &e));
                return None;
            }
        } else {
            let tag_set: Result<Vec<Tag>, BuildError> = tags
                .iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build())
                .collect();
            let tagging = tag_set.and_then(|set| Tagging::builder().set_tag_set(Some(set)).build());
            let tagging = match tagging {
                Ok(t) => t,
                Err(e) => {
                    diags.push(build_err("PutBucketTagging", e));
                    return None;
                }
            };
            if let Err(e) = s3
                .put_bucket_tagging()
                .bucket(name)
                .tagging(tagging)
                .send()
                .await
            {
                diags.push(aws_error_diagnostic("PutBucketTagging", &what, &e));
                return None;
            }
        }
        Some(policy)
    }

    /// Deletes every object version and delete marker (force_destroy).
    async fn empty_bucket(
        &self,
        data: &SovereignData,
        name: &str,
        diags: &mut Diagnostics,
    ) -> bool {
        let s3 = &data.clients.s3;
        let what = format!("bucket {name}");
        let mut key_marker: Option<String> = None;
        let mut version_marker: Option<String> = None;
        loop {
            let page = match s3
                .list_object_versions()
                .bucket(name)
                .set_key_marker(key_marker.clone())
                .set_version_id_marker(version_marker.clone())
                .send()
                .await
            {
                Ok(p) => p,
                Err(e) => {
                    diags.push(aws_error_diagnostic("ListObjectVersions", &what, &e));
                    return false;
                }
            };
            let mut ids = Vec::new();
            let versions = page.versions().iter().map(|v| (v.key(), v.version_id()));
            let markers = page
                .delete_markers()
                .iter()
                .map(|m| (m.key(), m.version_id()));
            for (key, version) in versions.chain(markers) {
                let Some(key) = key else { continue };
                match ObjectIdentifier::builder()
                    .key(key)
                    .set_version_id(version.map(str::to_owned))
                    .build()
                {
                    Ok(id) => ids.push(id),
                    Err(e) => {
                        diags.push(build_err("DeleteObjects", e));
                        return false;
                    }
                }
            }
            if !ids.is_empty() {
                let delete = match Delete::builder().set_objects(Some(ids)).quiet(true).build() {
                    Ok(d) => d,
                    Err(e) => {
                        diags.push(build_err("DeleteObjects", e));
                        return false;
                    }
                };
                match s3
                    .delete_objects()
                    .bucket(name)
                    .delete(delete)
                    .bypass_governance_retention(true)
                    .send()
                    .await
                {
                    Ok(out) => {
                        if let Some(err) = out.errors().first() {
                            diags.error(
                                format!("AWS DeleteObjects failed for {what}"),
                                format!(
                                    "{} object version(s) could not be deleted; first: {} ({}): {}. Objects under \
                                     COMPLIANCE retention cannot be deleted before their retention ends.",
                                    out.errors().len(),
                                    err.key().unwrap_or("?"),
                                    err.code().unwrap_or("?"),
                                    err.message().unwrap_or("")
                                ),
                            );
                            return false;
                        }
                    }
                    Err(e) => {
                        diags.push(aws_error_diagnostic("DeleteObjects", &what, &e));
                        return false;
                    }
                }
            }
            if page.is_truncated() == Some(true) {
                key_marker = page.next_key_marker().map(str::to_owned);
                version_marker = page.next_version_id_marker().map(str::to_owned);
                if key_marker.is_none() && version_marker.is_none() {
                    return true;
                }
            } else {
                return true;
            }
        }
    }
}

fn endpoint_ids(value: &Value) -> Vec<String> {
    value
        .attr("allowed_vpc_endpoint_ids")
        .as_string_vec()
        .unwrap_or_default()
}

#[async_trait]
impl Resource<SovereignData> for BucketResource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        bucket_schema()
    }

    async fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let has_lock = config
            .attr("object_lock")
            .as_list()
            .is_some_and(|l| !l.is_empty());
        if has_lock && config.get_bool("versioning") == Some(false) {
            diags.error_at(
                AttributePath::new("versioning"),
                "Object lock needs versioning",
                "S3 object lock works on object versions, so versioning cannot be false when object_lock is set. \
                 Remove versioning = false (the default is true).",
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
        if let Some(arn) = plan.config.get_str("kms_key_arn") {
            check_arn_location(
                data,
                arn,
                "kms",
                "KMS key",
                true,
                AttributePath::new("kms_key_arn"),
                diags,
            );
        }
        check_required_tags(data, plan, diags);
        plan_region(data, plan);

        let name = plan.planned.attr("name").clone();
        let endpoints = plan.planned.attr("allowed_vpc_endpoint_ids").clone();
        match name.as_str() {
            Some(name) => {
                plan.planned.set_attr("id", Value::from(name));
                plan.planned
                    .set_attr("arn", Value::from(bucket_arn(data.partition(), name)));
                plan.planned.set_attr(
                    "bucket_regional_domain_name",
                    Value::from(format!("{name}.s3.{}.{}", data.region(), data.dns_suffix())),
                );
                let policy = if endpoints.is_wholly_known() {
                    let expected =
                        bucket_policy(data.partition(), name, &endpoint_ids(&plan.planned));
                    match plan.prior.get_str("policy") {
                        Some(prior) if json_equal(prior, &expected) => Value::from(prior),
                        _ => Value::from(expected),
                    }
                } else {
                    Value::Unknown
                };
                plan.planned.set_attr("policy", policy);
            }
            None => {
                for attr in ["id", "arn", "bucket_regional_domain_name", "policy"] {
                    plan.planned.set_attr(attr, Value::Unknown);
                }
            }
        }
        plan.planned.set_attr("guardrails", all_guardrails());
    }

    async fn create(
        &self,
        ctx: &Context<SovereignData>,
        planned: &Value,
        _config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let data = ctx.provider.as_ref();
        let s3 = &data.clients.s3;
        let name = planned.get_str("name")?;
        let lock = object_lock_of(planned).is_some();
        let location = CreateBucketConfiguration::builder()
            .location_constraint(BucketLocationConstraint::from(data.region()))
            .build();
        if let Err(e) = s3
            .create_bucket()
            .bucket(name)
            .create_bucket_configuration(location)
            .object_lock_enabled_for_bucket(lock)
            .send()
            .await
        {
            let mut d = aws_error_diagnostic(
                "CreateBucket",
                &format!("bucket {name} in {}", data.region()),
                &e,
            );
            if matches!(error_code(&e), Some("BucketAlreadyOwnedByYou")) {
                d.detail.push_str(&format!(
                    " The bucket already exists in your account: bring it under Terraform with \
                     `terraform import {TYPE_NAME}.NAME {name}`."
                ));
            }
            diags.push(d.at(AttributePath::new("name")));
            return None;
        }

        let mut step = Diagnostics::new();
        let Some(policy) = self
            .configure_bucket(data, name, planned, None, &mut step)
            .await
        else {
            // Roll back: the bucket is new and empty, so deleting it leaves nothing behind.
            let rollback = s3.delete_bucket().bucket(name).send().await;
            let mut failures = step.into_vec();
            match rollback {
                Ok(_) => {
                    if let Some(last) = failures.last_mut() {
                        last.detail.push_str(&format!(
                            "\n\nThe new bucket {name} was rolled back (deleted), so nothing is left untracked."
                        ));
                    }
                    failures.into_iter().for_each(|d| diags.push(d));
                }
                Err(e) => {
                    failures.into_iter().for_each(|d| diags.push(d));
                    diags.push(aws_error_diagnostic(
                        "DeleteBucket (rollback)",
                        &format!("bucket {name}, created but not configured: delete it by hand"),
                        &e,
                    ));
                }
            }
            return None;
        };
        let mut state = planned.clone();
        state.set_attr("policy", Value::from(policy));
        state.set_attr("guardrails", all_guardrails());
        Some(state)
    }

    async fn read(
        &self,
        ctx: &Context<SovereignData>,
        state: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let data = ctx.provider.as_ref();
        let s3 = &data.clients.s3;
        let name = bucket_name(state)?.to_string();
        let what = format!("bucket {name}");

        if let Err(e) = s3.head_bucket().bucket(&name).send().await {
            if http_status(&e) == Some(404)
                || matches!(error_code(&e), Some("NotFound") | Some("NoSuchBucket"))
            {
                return None;
            }
            diags.push(aws_error_diagnostic("HeadBucket", &what, &e));
            return None;
        }
        let region = match s3.get_bucket_location().bucket(&name).send().await {
            Ok(out) => location_to_region(out.location_constraint()),
            Err(e) if error_code(&e) == Some("NoSuchBucket") => return None,
            Err(e) => {
                diags.push(aws_error_diagnostic("GetBucketLocation", &what, &e));
                return None;
            }
        };
        if region != data.region() {
            diags.error(
                format!("Bucket {name} is in another region"),
                format!(
                    "S3 reports bucket {name} in region {region}, but this provider manages region {} (jurisdiction \
                     `{}`). Remove it from the state with `terraform state rm` if it is managed elsewhere.",
                    data.region(),
                    data.policy().jurisdiction
                ),
            );
            return None;
        }

        let mut new = state.clone();
        new.set_attr("id", Value::from(name.as_str()));
        new.set_attr("name", Value::from(name.as_str()));
        new.set_attr("arn", Value::from(bucket_arn(data.partition(), &name)));
        new.set_attr("region", Value::from(region.as_str()));
        new.set_attr(
            "bucket_regional_domain_name",
            Value::from(format!("{name}.s3.{region}.{}", data.dns_suffix())),
        );
        if new.attr("force_destroy").is_null() {
            new.set_attr("force_destroy", Value::from(false));
        }
        let mut guardrails: BTreeMap<String, Value> = GUARDRAILS
            .iter()
            .map(|k| (k.to_string(), Value::from(false)))
            .collect();

        // Encryption: the KMS key in use ("" when the bucket is not encrypted with a KMS key).
        let kms_key = match s3.get_bucket_encryption().bucket(&name).send().await {
            Ok(out) => {
                let rule = out
                    .server_side_encryption_configuration()
                    .and_then(|c| c.rules().first());
                let default = rule.and_then(|r| r.apply_server_side_encryption_by_default());
                guardrails.insert(
                    "bucket_key_enabled".into(),
                    Value::from(rule.and_then(|r| r.bucket_key_enabled()).unwrap_or(false)),
                );
                match default {
                    Some(d) if d.sse_algorithm() == &ServerSideEncryption::AwsKms => {
                        d.kms_master_key_id().unwrap_or_default().to_string()
                    }
                    _ => String::new(),
                }
            }
            Err(e) if error_code(&e) == Some("ServerSideEncryptionConfigurationNotFoundError") => {
                String::new()
            }
            Err(e) => {
                diags.push(aws_error_diagnostic("GetBucketEncryption", &what, &e));
                return None;
            }
        };
        let kms_value = match state.get_str("kms_key_arn") {
            // A key id stored by someone else, naming the same key as the configured ARN, is no drift.
            Some(prior)
                if prior == kms_key
                    || (!kms_key.is_empty() && prior.ends_with(&format!("key/{kms_key}"))) =>
            {
                Value::from(prior)
            }
            _ => Value::from(kms_key),
        };
        new.set_attr("kms_key_arn", kms_value);

        match s3.get_bucket_versioning().bucket(&name).send().await {
            Ok(out) => new.set_attr(
                "versioning",
                Value::from(out.status() == Some(&BucketVersioningStatus::Enabled)),
            ),
            Err(e) => {
                diags.push(aws_error_diagnostic("GetBucketVersioning", &what, &e));
                return None;
            }
        }

        let lock = match s3
            .get_object_lock_configuration()
            .bucket(&name)
            .send()
            .await
        {
            Ok(out) => out
                .object_lock_configuration()
                .and_then(|c| c.rule())
                .and_then(|r| r.default_retention())
                .and_then(|d| {
                    let days = d
                        .days()
                        .map(i64::from)
                        .or_else(|| d.years().map(|y| i64::from(y) * 365))?;
                    Some(Value::object([
                        ("mode", Value::from(d.mode()?.as_str())),
                        ("retention_days", Value::int(days)),
                    ]))
                }),
            Err(e) if error_code(&e) == Some("ObjectLockConfigurationNotFoundError") => None,
            Err(e) => {
                diags.push(aws_error_diagnostic(
                    "GetObjectLockConfiguration",
                    &what,
                    &e,
                ));
                return None;
            }
        };
        new.set_attr("object_lock", Value::List(lock.into_iter().collect()));

        match s3.get_public_access_block().bucket(&name).send().await {
            Ok(out) => {
                if let Some(c) = out.public_access_block_configuration() {
                    for (key, on) in [
                        ("block_public_acls", c.block_public_acls()),
                        ("block_public_policy", c.block_public_policy()),
                        ("ignore_public_acls", c.ignore_public_acls()),
                        ("restrict_public_buckets", c.restrict_public_buckets()),
                    ] {
                        guardrails.insert(key.into(), Value::from(on.unwrap_or(false)));
                    }
                }
            }
            Err(e) if error_code(&e) == Some("NoSuchPublicAccessBlockConfiguration") => {}
            Err(e) => {
                diags.push(aws_error_diagnostic("GetPublicAccessBlock", &what, &e));
                return None;
            }
        }

        match s3
            .get_bucket_ownership_controls()
            .bucket(&name)
            .send()
            .await
        {
            Ok(out) => {
                let enforced = out.ownership_controls().is_some_and(|c| {
                    c.rules()
                        .iter()
                        .any(|r| r.object_ownership() == &ObjectOwnership::BucketOwnerEnforced)
                });
                guardrails.insert("bucket_owner_enforced".into(), Value::from(enforced));
            }
            Err(e) if error_code(&e) == Some("OwnershipControlsNotFoundError") => {}
            Err(e) => {
                diags.push(aws_error_diagnostic(
                    "GetBucketOwnershipControls",
                    &what,
                    &e,
                ));
                return None;
            }
        }
        new.set_attr("guardrails", Value::Map(guardrails));

        let policy = match s3.get_bucket_policy().bucket(&name).send().await {
            Ok(out) => out.policy().unwrap_or_default().to_string(),
            Err(e) if error_code(&e) == Some("NoSuchBucketPolicy") => String::new(),
            Err(e) => {
                diags.push(aws_error_diagnostic("GetBucketPolicy", &what, &e));
                return None;
            }
        };
        if state.attr("allowed_vpc_endpoint_ids").is_null() {
            // Import: recover the endpoints from the policy the provider wrote.
            let ids = vpc_endpoints_in_policy(&policy);
            if !ids.is_empty() {
                new.set_attr("allowed_vpc_endpoint_ids", Value::string_list(ids));
            }
        }
        new.set_attr("policy", policy_for_state(&policy, state.attr("policy")));

        let tags = match s3.get_bucket_tagging().bucket(&name).send().await {
            Ok(out) => out
                .tag_set()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect(),
            Err(e) if error_code(&e) == Some("NoSuchTagSet") => BTreeMap::new(),
            Err(e) => {
                diags.push(aws_error_diagnostic("GetBucketTagging", &what, &e));
                return None;
            }
        };
        let (own, all) = tags_from_aws(&tags, &data.config.default_tags, state.attr("tags"));
        new.set_attr("tags", own);
        new.set_attr("tags_all", all);
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
        let name = planned.get_str("name")?;
        let policy = self
            .configure_bucket(data, name, planned, Some(prior), diags)
            .await?;
        let mut state = planned.clone();
        state.set_attr("policy", Value::from(policy));
        state.set_attr("guardrails", all_guardrails());
        Some(state)
    }

    async fn delete(&self, ctx: &Context<SovereignData>, prior: &Value, diags: &mut Diagnostics) {
        let data = ctx.provider.as_ref();
        let s3 = &data.clients.s3;
        let Some(name) = bucket_name(prior) else {
            return;
        };
        let what = format!("bucket {name}");
        let timeout = timeout_for(prior, Operation::Delete, DEFAULT_DELETE_TIMEOUT);
        if prior.get_bool("force_destroy") == Some(true) {
            match ctx.run(timeout, self.empty_bucket(data, name, diags)).await {
                Ok(true) => {}
                Ok(false) => return,
                Err(interrupted) => {
                    diags.push(interrupted.to_diagnostic(&format!("emptying {what}")));
                    return;
                }
            }
        } else {
            match s3
                .list_object_versions()
                .bucket(name)
                .max_keys(1)
                .send()
                .await
            {
                Ok(page) if !page.versions().is_empty() || !page.delete_markers().is_empty() => {
                    diags.error(
                        format!("Bucket {name} is not empty"),
                        "The bucket still holds objects (or object versions / delete markers), and force_destroy is \
                         false. Empty it first, or set force_destroy = true and apply before destroying.",
                    );
                    return;
                }
                Ok(_) => {}
                Err(e) if error_code(&e) == Some("NoSuchBucket") => return,
                Err(e) => {
                    diags.push(aws_error_diagnostic("ListObjectVersions", &what, &e));
                    return;
                }
            }
        }
        match s3.delete_bucket().bucket(name).send().await {
            Ok(_) => {}
            Err(e) if error_code(&e) == Some("NoSuchBucket") => {}
            Err(e) => diags.push(aws_error_diagnostic("DeleteBucket", &what, &e)),
        }
    }

    async fn import(
        &self,
        ctx: &Context<SovereignData>,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let data = ctx.provider.as_ref();
        if !is_bucket_name(id) {
            diags.error(
                "Invalid bucket name",
                format!("{id:?} is not an S3 bucket name; import sovereign_bucket by its name."),
            );
            return None;
        }
        match data
            .clients
            .s3
            .get_bucket_location()
            .bucket(id)
            .send()
            .await
        {
            Ok(out) => {
                let region = location_to_region(out.location_constraint());
                if region != data.region() {
                    let verdict = data
                        .policy()
                        .scope()
                        .check_region(Some(sovereign_schemas::Cloud::Aws), &region);
                    let why = if verdict.inside {
                        format!(
                            "Configure a provider for region {region} (an alias) and import with it."
                        )
                    } else {
                        format!(
                            "{}; it cannot be managed by this provider at all.",
                            verdict.reason
                        )
                    };
                    diags.error(
                        "Cannot import a bucket of another region",
                        format!(
                            "Bucket {id} is in region {region}, but this provider manages region {}. {why}",
                            data.region()
                        ),
                    );
                    return None;
                }
                Some(Value::object([
                    ("id", Value::from(id)),
                    ("name", Value::from(id)),
                ]))
            }
            // Terraform reports "Cannot import non-existent remote object" after read returns null.
            Err(e) if error_code(&e) == Some("NoSuchBucket") => {
                Some(Value::object([("id", Value::from(id))]))
            }
            Err(e) => {
                diags.push(aws_error_diagnostic(
                    "GetBucketLocation",
                    &format!("bucket {id}"),
                    &e,
                ));
                None
            }
        }
    }
}
