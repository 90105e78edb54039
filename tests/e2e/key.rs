//! `sovereign_key` end to end: real Terraform (1.15.5, and a PATH 1.11–1.14 when present) against moto, every
//! outcome checked through the KMS API, not through Terraform's state.

use std::collections::BTreeMap;

use aws_sdk_kms::types::KeyMetadata;
use sovereign_e2e::provider_fixtures::{
    ProviderBlock, all_keys, assert_no_changes, assert_plan_refused, hcl_map, json_string_map,
    live_keys, planned_change, string_map,
};
use sovereign_e2e::{
    REGION, Terraform, block_on, kms_client, moto, provider_config, terraform_versions,
};

/// `sovereign_key.k` with an alias; `extra` adds argument lines.
fn key_block_with(
    description: &str,
    rotation_days: u32,
    tags: &[(&str, &str)],
    extra: &str,
) -> String {
    format!(
        r#"
resource "sovereign_key" "k" {{
  description          = "{description}"
  alias                = "alias/ml-training"
  rotation_period_days = {rotation_days}
  tags                 = {tags}
{extra}}}
"#,
        tags = hcl_map(tags)
    )
}

fn key_block(description: &str, rotation_days: u32, tags: &[(&str, &str)]) -> String {
    key_block_with(
        description,
        rotation_days,
        tags,
        "  deletion_window_days = 7\n",
    )
}

fn describe(endpoint: &str, key_id: &str) -> KeyMetadata {
    block_on(kms_client(endpoint).describe_key().key_id(key_id).send())
        .unwrap_or_else(|e| panic!("DescribeKey {key_id}: {e:?}"))
        .key_metadata()
        .cloned()
        .expect("DescribeKey returns KeyMetadata")
}

fn kms_tags(endpoint: &str, key_id: &str) -> BTreeMap<String, String> {
    block_on(
        kms_client(endpoint)
            .list_resource_tags()
            .key_id(key_id)
            .send(),
    )
    .unwrap()
    .tags()
    .iter()
    .map(|t| (t.tag_key().to_string(), t.tag_value().to_string()))
    .collect()
}

fn aliases_of(endpoint: &str, key_id: &str) -> Vec<String> {
    block_on(kms_client(endpoint).list_aliases().key_id(key_id).send())
        .unwrap()
        .aliases()
        .iter()
        .filter_map(|a| a.alias_name().map(str::to_string))
        .collect()
}

/// Asserts automatic rotation is on with `period_days`. moto 5.2.5 accepts `RotationPeriodInDays` on
/// EnableKeyRotation but does not store or report it (GetKeyRotationStatus answers only `KeyRotationEnabled`), so
/// the period is checked only when the server reports one — AWS always does.
fn assert_rotation(
    bin: &sovereign_e2e::TerraformBin,
    endpoint: &str,
    key_id: &str,
    period_days: i32,
) {
    let (enabled, period) = rotation(endpoint, key_id);
    assert!(enabled, "{bin}: automatic rotation enabled");
    if let Some(period) = period {
        assert_eq!(period, period_days, "{bin}: rotation period");
    }
}

fn rotation(endpoint: &str, key_id: &str) -> (bool, Option<i32>) {
    let status = block_on(
        kms_client(endpoint)
            .get_key_rotation_status()
            .key_id(key_id)
            .send(),
    )
    .unwrap();
    (
        status.key_rotation_enabled(),
        status.rotation_period_in_days(),
    )
}

/// Apply → verified through KMS → no-op plan → in-place update of description, rotation and tags → verified →
/// destroy → the key is PendingDeletion with the configured window.
#[test]
fn key_lifecycle_apply_update_in_place_and_destroy() {
    for bin in terraform_versions() {
        let moto = moto();
        let endpoint = moto.endpoint();
        let tf = Terraform::with_provider(&bin);
        let config = provider_config(&moto);
        let tags_v1 = [("data-classification", "restricted"), ("team", "ml")];
        tf.write(
            "main.tf",
            &format!("{config}{}", key_block("training data key", 180, &tags_v1)),
        );
        tf.apply();

        let state = tf.resource_values("sovereign_key.k");
        let key_id = state["id"].as_str().expect("id in state").to_string();
        let meta = describe(&endpoint, &key_id);
        assert_eq!(meta.arn(), state["arn"].as_str(), "{bin}: arn");
        assert!(meta.enabled(), "{bin}: key enabled");
        assert_eq!(
            meta.key_state().map(|s| s.as_str()),
            Some("Enabled"),
            "{bin}"
        );
        assert_ne!(meta.multi_region(), Some(true), "{bin}: never multi-region");
        assert_eq!(meta.description(), Some("training data key"), "{bin}");
        assert_eq!(meta.origin().map(|o| o.as_str()), Some("AWS_KMS"), "{bin}");
        assert!(
            meta.arn()
                .unwrap_or_default()
                .contains(&format!(":{REGION}:")),
            "{bin}: key in the provider region: {:?}",
            meta.arn()
        );
        assert_rotation(&bin, &endpoint, &key_id, 180);
        assert_eq!(state["rotation_period_days"], 180, "{bin}");
        assert_eq!(
            aliases_of(&endpoint, &key_id),
            vec!["alias/ml-training".to_string()],
            "{bin}: alias points at the key"
        );
        assert_eq!(
            kms_tags(&endpoint, &key_id),
            string_map(&tags_v1),
            "{bin}: tags"
        );
        assert_eq!(state["region"], REGION, "{bin}");
        assert_eq!(state["origin"], "AWS_KMS", "{bin}");
        assert_eq!(state["hsm_backed"], false, "{bin}");
        assert_eq!(state["key_state"], "Enabled", "{bin}");
        assert_eq!(
            json_string_map(&state["tags_all"]),
            string_map(&tags_v1),
            "{bin}"
        );

        assert_no_changes(&tf, "second plan after apply");

        // Description, rotation period and tags change in place.
        let tags_v2 = [("data-classification", "internal"), ("cost-centre", "42")];
        tf.write(
            "main.tf",
            &format!(
                "{config}{}",
                key_block("evaluation data key", 400, &tags_v2)
            ),
        );
        let change = planned_change(&tf, "sovereign_key.k");
        assert!(
            change.is_update_in_place(),
            "{bin}: description/rotation/tags change in place, got {change:#?}"
        );
        tf.apply();
        let after = tf.resource_values("sovereign_key.k");
        assert_eq!(
            after["id"],
            key_id.as_str(),
            "{bin}: same key after the update"
        );
        let meta = describe(&endpoint, &key_id);
        assert_eq!(meta.description(), Some("evaluation data key"), "{bin}");
        assert_rotation(&bin, &endpoint, &key_id, 400);
        assert_eq!(after["rotation_period_days"], 400, "{bin}");
        assert_eq!(
            kms_tags(&endpoint, &key_id),
            string_map(&tags_v2),
            "{bin}: tags replaced"
        );
        assert_no_changes(&tf, "plan after the in-place update");

        tf.destroy();
        let meta = describe(&endpoint, &key_id);
        assert_eq!(
            meta.key_state().map(|s| s.as_str()),
            Some("PendingDeletion"),
            "{bin}: destroy schedules deletion"
        );
        assert!(
            meta.deletion_date().is_some(),
            "{bin}: a deletion date is set"
        );
        assert!(
            live_keys(&moto, REGION).is_empty(),
            "{bin}: no live key left"
        );
    }
}

/// `terraform import sovereign_key.k KEY_ID` into a fresh state, then a plan with the same configuration is a
/// no-op: description, alias, rotation period and tags read back from KMS (`deletion_window_days` is left at its
/// default: KMS does not report it, so an import cannot know a configured value).
#[test]
fn key_import_by_id_then_no_op_plan() {
    for bin in terraform_versions() {
        let moto = moto();
        let config = provider_config(&moto);
        let tags = [("data-classification", "restricted")];
        let block = key_block_with("imported key", 365, &tags, "");

        let original = Terraform::with_provider(&bin);
        original.write("main.tf", &format!("{config}{block}"));
        original.apply();
        let state = original.resource_values("sovereign_key.k");
        let key_id = state["id"].as_str().unwrap().to_string();

        let fresh = Terraform::with_provider(&bin);
        fresh.write("main.tf", &format!("{config}{block}"));
        fresh.import("sovereign_key.k", &key_id);
        let imported = fresh.resource_values("sovereign_key.k");
        assert_eq!(imported["id"], key_id.as_str(), "{bin}");
        assert_eq!(imported["arn"], state["arn"], "{bin}");
        assert_eq!(imported["alias"], "alias/ml-training", "{bin}");
        assert_eq!(imported["description"], "imported key", "{bin}");
        assert_eq!(imported["rotation_period_days"], 365, "{bin}");
        assert_no_changes(&fresh, "plan after import");

        // An id that does not exist cannot be imported.
        let missing = Terraform::with_provider(&bin);
        missing.write("main.tf", &format!("{config}{block}"));
        let out = missing.run(&[
            "import",
            "-input=false",
            "-no-color",
            "sovereign_key.k",
            "00000000-0000-0000-0000-000000000000",
        ]);
        assert_eq!(out.code, 1, "{bin}: importing a missing key fails:\n{out}");
        original.destroy();
    }
}

/// A key scheduled for deletion outside Terraform is gone: the plan re-creates it, and apply makes a new key.
#[test]
fn key_deleted_out_of_band_is_planned_for_recreation() {
    for bin in terraform_versions() {
        let moto = moto();
        let endpoint = moto.endpoint();
        let tf = Terraform::with_provider(&bin);
        tf.write(
            "main.tf",
            &format!(
                "{}\nresource \"sovereign_key\" \"k\" {{\n  description = \"drift\"\n  tags = {}\n}}\n",
                provider_config(&moto),
                hcl_map(&[("data-classification", "internal")])
            ),
        );
        tf.apply();
        let old_id = tf.resource_values("sovereign_key.k")["id"]
            .as_str()
            .unwrap()
            .to_string();
        block_on(
            kms_client(&endpoint)
                .schedule_key_deletion()
                .key_id(&old_id)
                .pending_window_in_days(7)
                .send(),
        )
        .unwrap();

        let change = planned_change(&tf, "sovereign_key.k");
        assert!(
            change.is_create(),
            "{bin}: a key pending deletion is planned for re-creation, got {change:#?}"
        );
        tf.apply();
        let new_id = tf.resource_values("sovereign_key.k")["id"]
            .as_str()
            .unwrap()
            .to_string();
        assert_ne!(new_id, old_id, "{bin}: a new key");
        assert_eq!(
            describe(&endpoint, &new_id).key_state().map(|s| s.as_str()),
            Some("Enabled"),
            "{bin}"
        );
        assert_no_changes(&tf, "plan after re-creation");
        tf.destroy();
        assert!(live_keys(&moto, REGION).is_empty(), "{bin}");
    }
}

/// A key in a connected CloudHSM custom key store (made through the project's moto extension) is HSM-backed:
/// origin AWS_CLOUDHSM in KMS and `hsm_backed = true` in Terraform; `require_hsm = true` is satisfied.
#[test]
fn key_in_custom_key_store_is_hsm_backed() {
    for bin in terraform_versions() {
        let moto = moto();
        let endpoint = moto.endpoint();
        let kms = kms_client(&endpoint);
        let store_id = block_on(
            kms.create_custom_key_store()
                .custom_key_store_name("ml-hsm")
                .cloud_hsm_cluster_id("cluster-1234567890a")
                .trust_anchor_certificate(
                    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
                )
                .key_store_password("kmsuser-password")
                .send(),
        )
        .unwrap()
        .custom_key_store_id()
        .unwrap()
        .to_string();
        block_on(
            kms.connect_custom_key_store()
                .custom_key_store_id(&store_id)
                .send(),
        )
        .unwrap();

        let tf = Terraform::with_provider(&bin);
        tf.write(
            "main.tf",
            &format!(
                r#"{}
resource "sovereign_key" "hsm" {{
  description         = "HSM-backed key"
  custom_key_store_id = "{store_id}"
  require_hsm         = true
  tags                = {}
}}
"#,
                provider_config(&moto),
                hcl_map(&[("data-classification", "restricted")])
            ),
        );
        tf.apply();
        let state = tf.resource_values("sovereign_key.hsm");
        assert_eq!(state["origin"], "AWS_CLOUDHSM", "{bin}");
        assert_eq!(state["hsm_backed"], true, "{bin}");
        let key_id = state["id"].as_str().unwrap().to_string();
        let meta = describe(&endpoint, &key_id);
        assert_eq!(
            meta.origin().map(|o| o.as_str()),
            Some("AWS_CLOUDHSM"),
            "{bin}"
        );
        assert_eq!(meta.custom_key_store_id(), Some(store_id.as_str()), "{bin}");
        assert_eq!(
            meta.cloud_hsm_cluster_id(),
            Some("cluster-1234567890a"),
            "{bin}"
        );
        assert!(
            !rotation(&endpoint, &key_id).0,
            "{bin}: KMS cannot rotate keys in a custom key store: rotation stays off"
        );
        assert_no_changes(&tf, "plan after applying an HSM-backed key");
        tf.destroy();
        assert_eq!(
            describe(&endpoint, &key_id).key_state().map(|s| s.as_str()),
            Some("PendingDeletion"),
            "{bin}"
        );
    }
}

/// `require_hsm = true` without a custom key store is refused at plan time, pointing at `require_hsm`; no key is
/// created.
#[test]
fn key_require_hsm_without_store_is_refused() {
    for bin in terraform_versions() {
        let moto = moto();
        let tf = Terraform::with_provider(&bin);
        tf.write(
            "main.tf",
            &format!(
                "{}\nresource \"sovereign_key\" \"k\" {{\n  require_hsm = true\n  tags = {}\n}}\n",
                ProviderBlock::for_moto(&moto).render(),
                hcl_map(&[("data-classification", "restricted")])
            ),
        );
        assert_plan_refused(&tf, "require_hsm", &[]);
        assert_eq!(tf.apply_err().code, 1, "{bin}");
        assert!(all_keys(&moto, REGION).is_empty(), "{bin}: no key created");
    }
}
