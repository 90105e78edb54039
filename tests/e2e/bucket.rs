//! `sovereign_bucket` end to end: real Terraform (1.15.5, and a PATH 1.11–1.14 when present) against moto, every
//! outcome checked through the S3 API, not through Terraform's state.

use std::collections::BTreeMap;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::BucketVersioningStatus;
use sovereign_e2e::provider_fixtures::{
    assert_no_changes, bucket_names, bucket_versioning_status, hcl_map, live_keys, planned_change,
    policy_denies_insecure_transport, policy_denies_replication, string_map,
};
use sovereign_e2e::{
    Moto, REGION, Terraform, TerraformBin, block_on, moto, provider_config, s3_client,
    terraform_versions,
};

const KEY: &str = r#"
resource "sovereign_key" "data" {
  description = "bucket key"
  tags        = { "data-classification" = "restricted" }
}
"#;

/// `sovereign_bucket.b` encrypted with `sovereign_key.data`; `extra` adds argument lines or blocks.
fn bucket_block(name: &str, tags: &[(&str, &str)], extra: &str) -> String {
    format!(
        r#"
resource "sovereign_bucket" "b" {{
  name        = "{name}"
  kms_key_arn = sovereign_key.data.arn
  tags        = {tags}
{extra}}}
"#,
        tags = hcl_map(tags)
    )
}

fn bucket_policy(endpoint: &str, bucket: &str) -> String {
    block_on(
        s3_client(endpoint)
            .get_bucket_policy()
            .bucket(bucket)
            .send(),
    )
    .unwrap_or_else(|e| panic!("GetBucketPolicy {bucket}: {e:?}"))
    .policy()
    .unwrap_or_default()
    .to_string()
}

fn bucket_tags(endpoint: &str, bucket: &str) -> BTreeMap<String, String> {
    block_on(
        s3_client(endpoint)
            .get_bucket_tagging()
            .bucket(bucket)
            .send(),
    )
    .unwrap()
    .tag_set()
    .iter()
    .map(|t| (t.key().to_string(), t.value().to_string()))
    .collect()
}

/// Everything SPEC §4 says a bucket always is, checked through the S3 API.
fn assert_guardrails(bin: &TerraformBin, moto: &Moto, bucket: &str, key_arn: &str) {
    let endpoint = &moto.endpoint();
    let s3 = s3_client(endpoint);
    let location = block_on(s3.get_bucket_location().bucket(bucket).send()).unwrap();
    assert_eq!(
        location.location_constraint().map(|c| c.as_str()),
        Some(REGION),
        "{bin}: {bucket} is in the provider region"
    );

    let encryption = block_on(s3.get_bucket_encryption().bucket(bucket).send()).unwrap();
    let rules = encryption
        .server_side_encryption_configuration()
        .map(|c| c.rules().to_vec())
        .unwrap_or_default();
    assert_eq!(rules.len(), 1, "{bin}: one encryption rule: {rules:?}");
    let default = rules[0]
        .apply_server_side_encryption_by_default()
        .expect("default encryption");
    assert_eq!(default.sse_algorithm().as_str(), "aws:kms", "{bin}");
    let key_id = key_arn.rsplit('/').next().unwrap_or_default();
    let configured_key = default.kms_master_key_id().unwrap_or_default();
    assert!(
        configured_key == key_arn || configured_key == key_id,
        "{bin}: SSE-KMS with the key {key_arn}, got {configured_key:?}"
    );
    assert_eq!(
        rules[0].bucket_key_enabled(),
        Some(true),
        "{bin}: bucket key"
    );

    assert_eq!(
        bucket_versioning_status(moto, bucket).as_deref(),
        Some("Enabled"),
        "{bin}"
    );

    let block = block_on(s3.get_public_access_block().bucket(bucket).send()).unwrap();
    let block = block
        .public_access_block_configuration()
        .expect("public access block");
    assert_eq!(
        (
            block.block_public_acls(),
            block.ignore_public_acls(),
            block.block_public_policy(),
            block.restrict_public_buckets()
        ),
        (Some(true), Some(true), Some(true), Some(true)),
        "{bin}: all four public access blocks"
    );

    let ownership = block_on(s3.get_bucket_ownership_controls().bucket(bucket).send()).unwrap();
    let owners: Vec<String> = ownership
        .ownership_controls()
        .map(|c| {
            c.rules()
                .iter()
                .map(|r| r.object_ownership().as_str().to_string())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(owners, vec!["BucketOwnerEnforced".to_string()], "{bin}");

    let policy = bucket_policy(endpoint, bucket);
    assert!(
        policy_denies_insecure_transport(&policy),
        "{bin}: the policy denies non-TLS requests: {policy}"
    );
    assert!(
        policy_denies_replication(&policy),
        "{bin}: the policy denies s3:PutReplicationConfiguration: {policy}"
    );
}

/// Apply → guardrails verified through S3 → no-op plan → tags and versioning change in place → rename replaces
/// the bucket → destroy leaves no bucket and the key pending deletion.
#[test]
fn bucket_lifecycle_update_rename_and_destroy() {
    for bin in terraform_versions() {
        let moto = moto();
        let endpoint = moto.endpoint();
        let tf = Terraform::with_provider(&bin);
        let config = format!("{}{KEY}", provider_config(&moto));
        let tags_v1 = [
            ("data-classification", "restricted"),
            ("dataset", "imagenet"),
        ];
        tf.write(
            "main.tf",
            &format!("{config}{}", bucket_block("ml-datasets", &tags_v1, "")),
        );
        tf.apply();

        let key_arn = tf.resource_values("sovereign_key.data")["arn"]
            .as_str()
            .unwrap()
            .to_string();
        let state = tf.resource_values("sovereign_bucket.b");
        assert_eq!(state["id"], "ml-datasets", "{bin}");
        assert_eq!(state["region"], REGION, "{bin}");
        assert_eq!(state["arn"], "arn:aws:s3:::ml-datasets", "{bin}");
        assert_guardrails(&bin, &moto, "ml-datasets", &key_arn);
        assert_eq!(
            bucket_tags(&endpoint, "ml-datasets"),
            string_map(&tags_v1),
            "{bin}"
        );
        assert_no_changes(&tf, "second plan after apply");

        // Tags and versioning change in place.
        let tags_v2 = [("data-classification", "internal"), ("owner", "eval")];
        tf.write(
            "main.tf",
            &format!(
                "{config}{}",
                bucket_block("ml-datasets", &tags_v2, "  versioning = false\n")
            ),
        );
        let change = planned_change(&tf, "sovereign_bucket.b");
        assert!(
            change.is_update_in_place(),
            "{bin}: tags/versioning change in place, got {change:#?}"
        );
        tf.apply();
        assert_eq!(
            bucket_tags(&endpoint, "ml-datasets"),
            string_map(&tags_v2),
            "{bin}"
        );
        assert_eq!(
            bucket_versioning_status(&moto, "ml-datasets").as_deref(),
            Some("Suspended"),
            "{bin}: versioning = false suspends versioning"
        );
        assert_no_changes(&tf, "plan after the in-place update");

        // A new name replaces the bucket.
        tf.write(
            "main.tf",
            &format!("{config}{}", bucket_block("ml-datasets-v2", &tags_v2, "")),
        );
        let change = planned_change(&tf, "sovereign_bucket.b");
        assert!(
            change.is_replace() && change.replaces_because_of("name"),
            "{bin}: renaming replaces the bucket because of `name`, got {change:#?}"
        );
        tf.apply();
        assert_eq!(
            bucket_names(&moto),
            vec!["ml-datasets-v2".to_string()],
            "{bin}: only the renamed bucket exists"
        );
        assert_guardrails(&bin, &moto, "ml-datasets-v2", &key_arn);
        assert_no_changes(&tf, "plan after the replacement");

        tf.destroy();
        assert!(
            bucket_names(&moto).is_empty(),
            "{bin}: destroy leaves no bucket"
        );
        assert!(
            live_keys(&moto, REGION).is_empty(),
            "{bin}: the key is pending deletion"
        );
    }
}

/// `terraform import sovereign_bucket.b NAME` into a fresh state (configuration with the key's ARN as a literal),
/// then a plan with the same configuration is a no-op.
#[test]
fn bucket_import_by_name_then_no_op_plan() {
    for bin in terraform_versions() {
        let moto = moto();
        let tags = [("data-classification", "restricted")];
        let original = Terraform::with_provider(&bin);
        original.write(
            "main.tf",
            &format!(
                "{}{KEY}{}",
                provider_config(&moto),
                bucket_block("ml-imported", &tags, "")
            ),
        );
        original.apply();
        let key_arn = original.resource_values("sovereign_key.data")["arn"]
            .as_str()
            .unwrap()
            .to_string();

        let fresh = Terraform::with_provider(&bin);
        fresh.write(
            "main.tf",
            &format!(
                r#"{}
resource "sovereign_bucket" "b" {{
  name        = "ml-imported"
  kms_key_arn = "{key_arn}"
  tags        = {}
}}
"#,
                provider_config(&moto),
                hcl_map(&tags)
            ),
        );
        fresh.import("sovereign_bucket.b", "ml-imported");
        let imported = fresh.resource_values("sovereign_bucket.b");
        assert_eq!(imported["name"], "ml-imported", "{bin}");
        assert_eq!(imported["kms_key_arn"], key_arn.as_str(), "{bin}");
        assert_eq!(imported["versioning"], true, "{bin}");
        assert_no_changes(&fresh, "plan after import");

        let missing = Terraform::with_provider(&bin);
        missing.write(
            "main.tf",
            &fresh_config_for(&moto, "no-such-bucket", &key_arn),
        );
        let out = missing.run(&[
            "import",
            "-input=false",
            "-no-color",
            "sovereign_bucket.b",
            "no-such-bucket",
        ]);
        assert_eq!(
            out.code, 1,
            "{bin}: importing a missing bucket fails:\n{out}"
        );
        original.destroy();
    }
}

fn fresh_config_for(moto: &Moto, name: &str, key_arn: &str) -> String {
    format!(
        "{}\nresource \"sovereign_bucket\" \"b\" {{\n  name = \"{name}\"\n  kms_key_arn = \"{key_arn}\"\n  tags = {}\n}}\n",
        provider_config(moto),
        hcl_map(&[("data-classification", "restricted")])
    )
}

/// A bucket policy replaced and versioning suspended outside Terraform show up as a diff, and apply repairs both.
#[test]
fn bucket_policy_and_versioning_drift_is_repaired() {
    for bin in terraform_versions() {
        let moto = moto();
        let endpoint = moto.endpoint();
        let s3 = s3_client(&endpoint);
        let tf = Terraform::with_provider(&bin);
        tf.write(
            "main.tf",
            &format!(
                "{}{KEY}{}",
                provider_config(&moto),
                bucket_block("ml-drift", &[("data-classification", "internal")], "")
            ),
        );
        tf.apply();
        let key_arn = tf.resource_values("sovereign_key.data")["arn"]
            .as_str()
            .unwrap()
            .to_string();

        // Out of band: a permissive policy without the guardrail statements.
        let permissive = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Open","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::ml-drift/*"}]}"#;
        block_on(
            s3.put_bucket_policy()
                .bucket("ml-drift")
                .policy(permissive)
                .send(),
        )
        .unwrap();
        let change = planned_change(&tf, "sovereign_bucket.b");
        assert!(
            change.is_update_in_place(),
            "{bin}: a replaced policy is planned back in place, got {change:#?}"
        );
        tf.apply();
        assert_guardrails(&bin, &moto, "ml-drift", &key_arn);
        assert_no_changes(&tf, "plan after repairing the policy");

        // Out of band: versioning suspended.
        block_on(
            s3.put_bucket_versioning()
                .bucket("ml-drift")
                .versioning_configuration(
                    aws_sdk_s3::types::VersioningConfiguration::builder()
                        .status(BucketVersioningStatus::Suspended)
                        .build(),
                )
                .send(),
        )
        .unwrap();
        let change = planned_change(&tf, "sovereign_bucket.b");
        assert!(
            change.is_update_in_place(),
            "{bin}: suspended versioning is planned back in place, got {change:#?}"
        );
        tf.apply();
        assert_eq!(
            bucket_versioning_status(&moto, "ml-drift").as_deref(),
            Some("Enabled"),
            "{bin}: apply re-enables versioning"
        );
        assert_no_changes(&tf, "plan after repairing versioning");
        tf.destroy();
        assert!(bucket_names(&moto).is_empty(), "{bin}");
    }
}

/// A bucket deleted outside Terraform is planned for re-creation, and apply brings it back with its guardrails.
#[test]
fn bucket_deleted_out_of_band_is_planned_for_recreation() {
    for bin in terraform_versions() {
        let moto = moto();
        let endpoint = moto.endpoint();
        let tf = Terraform::with_provider(&bin);
        tf.write(
            "main.tf",
            &format!(
                "{}{KEY}{}",
                provider_config(&moto),
                bucket_block("ml-gone", &[("data-classification", "internal")], "")
            ),
        );
        tf.apply();
        let key_arn = tf.resource_values("sovereign_key.data")["arn"]
            .as_str()
            .unwrap()
            .to_string();
        block_on(
            s3_client(&endpoint)
                .delete_bucket()
                .bucket("ml-gone")
                .send(),
        )
        .unwrap();
        assert!(bucket_names(&moto).is_empty(), "{bin}: deleted out of band");

        let change = planned_change(&tf, "sovereign_bucket.b");
        assert!(
            change.is_create(),
            "{bin}: a deleted bucket is planned for re-creation, got {change:#?}"
        );
        tf.apply();
        assert_guardrails(&bin, &moto, "ml-gone", &key_arn);
        assert_no_changes(&tf, "plan after re-creation");
        tf.destroy();
        assert!(bucket_names(&moto).is_empty(), "{bin}");
    }
}

/// Destroying a bucket that holds objects is refused without `force_destroy` (the bucket stays), and succeeds
/// with it (all object versions removed).
///
/// moto evaluates a bucket policy's Deny statements on object operations, and the endpoint here is plain http, so
/// the provider's TLS-only guardrail refuses every object request — checked first, as it should be. To hold
/// objects at all, the test removes the policy out of band before writing them, and again before the forced
/// destroy (whose DeleteObject calls travel over the same plain-http endpoint).
#[test]
fn non_empty_bucket_needs_force_destroy() {
    for bin in terraform_versions() {
        let moto = moto();
        let endpoint = moto.endpoint();
        let config = format!("{}{KEY}", provider_config(&moto));
        let tags = [("data-classification", "internal")];
        let tf = Terraform::with_provider(&bin);
        tf.write(
            "main.tf",
            &format!("{config}{}", bucket_block("ml-full", &tags, "")),
        );
        tf.apply();
        let s3 = s3_client(&endpoint);
        // PutObject → Ok, or the HTTP status of the refusal.
        let put = |body: &'static str| {
            block_on(
                s3.put_object()
                    .bucket("ml-full")
                    .key("checkpoints/model.bin")
                    .body(ByteStream::from_static(body.as_bytes()))
                    .send(),
            )
            .map(|_| ())
            .map_err(|e| e.raw_response().map(|r| r.status().as_u16()))
        };
        assert_eq!(
            put("over plain http"),
            Err(Some(403)),
            "{bin}: the TLS-only bucket policy refuses a plain-http PutObject"
        );

        block_on(s3.delete_bucket_policy().bucket("ml-full").send()).unwrap();
        put("v1").unwrap();
        put("v2").unwrap();
        let versions = block_on(s3.list_object_versions().bucket("ml-full").send()).unwrap();
        assert_eq!(versions.versions().len(), 2, "{bin}: two object versions");

        let out = tf.run(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
        assert_eq!(
            out.code, 1,
            "{bin}: destroying a non-empty bucket fails:\n{out}"
        );
        assert!(
            out.combined().contains("force_destroy"),
            "{bin}: the error tells about force_destroy:\n{out}"
        );
        assert!(
            bucket_names(&moto).contains(&"ml-full".to_string()),
            "{bin}: the bucket is still there"
        );

        tf.write(
            "main.tf",
            &format!(
                "{config}{}",
                bucket_block("ml-full", &tags, "  force_destroy = true\n")
            ),
        );
        tf.apply();
        assert!(
            policy_denies_insecure_transport(&bucket_policy(&endpoint, "ml-full")),
            "{bin}: apply restored the policy removed out of band"
        );
        block_on(s3.delete_bucket_policy().bucket("ml-full").send()).unwrap();
        tf.destroy();
        assert!(
            bucket_names(&moto).is_empty(),
            "{bin}: force_destroy empties and deletes"
        );
    }
}

/// `object_lock { mode = "COMPLIANCE" }` creates a WORM bucket with that default retention.
#[test]
fn bucket_with_compliance_object_lock() {
    for bin in terraform_versions() {
        let moto = moto();
        let endpoint = moto.endpoint();
        let tf = Terraform::with_provider(&bin);
        tf.write(
            "main.tf",
            &format!(
                "{}{KEY}{}",
                provider_config(&moto),
                bucket_block(
                    "ml-audit-log",
                    &[("data-classification", "restricted")],
                    "  object_lock {\n    mode           = \"COMPLIANCE\"\n    retention_days = 30\n  }\n"
                )
            ),
        );
        tf.apply();
        let key_arn = tf.resource_values("sovereign_key.data")["arn"]
            .as_str()
            .unwrap()
            .to_string();
        assert_guardrails(&bin, &moto, "ml-audit-log", &key_arn);
        let lock = block_on(
            s3_client(&endpoint)
                .get_object_lock_configuration()
                .bucket("ml-audit-log")
                .send(),
        )
        .unwrap();
        let lock = lock
            .object_lock_configuration()
            .expect("object lock configuration");
        assert_eq!(
            lock.object_lock_enabled().map(|e| e.as_str()),
            Some("Enabled"),
            "{bin}"
        );
        let retention = lock
            .rule()
            .and_then(|r| r.default_retention())
            .expect("default retention");
        assert_eq!(
            retention.mode().map(|m| m.as_str()),
            Some("COMPLIANCE"),
            "{bin}"
        );
        assert_eq!(retention.days(), Some(30), "{bin}");
        assert_no_changes(&tf, "plan after applying an object-locked bucket");
        tf.destroy();
        assert!(bucket_names(&moto).is_empty(), "{bin}");
    }
}
