//! The smallest real stack — one key and two buckets encrypted with it, with provider `default_tags` — applied,
//! re-planned and destroyed by real Terraform (1.15.5, and a PATH 1.11–1.14 when present) against moto.
//! `scripts/bench-provider` times the same configuration ([`STACK`]) for `docs/performance.md`.

use std::collections::BTreeMap;

use sovereign_e2e::provider_fixtures::{
    ProviderBlock, assert_no_changes, bucket_names, json_string_map, live_keys, planned_changes,
};
use sovereign_e2e::{REGION, Terraform, block_on, kms_client, moto, s3_client, terraform_versions};

/// Key + two buckets. Keep in sync with `scripts/bench-provider`.
const STACK: &str = r#"
resource "sovereign_key" "data" {
  description = "ML data key"
  alias       = "alias/ml-data"
  tags        = { "data-classification" = "restricted" }
}

resource "sovereign_bucket" "datasets" {
  name        = "ml-datasets"
  kms_key_arn = sovereign_key.data.arn
  tags        = { "data-classification" = "restricted" }
}

resource "sovereign_bucket" "checkpoints" {
  name        = "ml-checkpoints"
  kms_key_arn = sovereign_key.data.arn
  tags        = { "data-classification" = "internal", "retention" = "90d" }
}
"#;

#[test]
fn key_and_two_buckets_apply_replan_and_destroy() {
    for bin in terraform_versions() {
        let moto = moto();
        let endpoint = moto.endpoint();
        let tf = Terraform::with_provider(&bin);
        let provider = ProviderBlock::for_moto(&moto)
            .line("default_tags = { owner = \"ml-platform\" }")
            .render();
        tf.write("main.tf", &format!("{provider}{STACK}"));

        let changes = planned_changes(&tf);
        let actions: BTreeMap<&str, Vec<String>> = changes
            .iter()
            .map(|(address, c)| (address.as_str(), c.actions.clone()))
            .collect();
        let create = vec!["create".to_string()];
        assert_eq!(
            actions,
            BTreeMap::from([
                ("sovereign_bucket.checkpoints", create.clone()),
                ("sovereign_bucket.datasets", create.clone()),
                ("sovereign_key.data", create.clone()),
            ]),
            "{bin}"
        );

        tf.apply();
        let key = tf.resource_values("sovereign_key.data");
        let key_arn = key["arn"].as_str().unwrap().to_string();
        assert_eq!(
            json_string_map(&key["tags_all"]),
            BTreeMap::from([
                ("data-classification".to_string(), "restricted".to_string()),
                ("owner".to_string(), "ml-platform".to_string()),
            ]),
            "{bin}: default_tags merged into tags_all"
        );
        let mut names = bucket_names(&moto);
        names.sort();
        assert_eq!(names, vec!["ml-checkpoints", "ml-datasets"], "{bin}");

        let s3 = s3_client(&endpoint);
        for bucket in ["ml-datasets", "ml-checkpoints"] {
            let encryption = block_on(s3.get_bucket_encryption().bucket(bucket).send()).unwrap();
            let rule = &encryption
                .server_side_encryption_configuration()
                .expect("encryption configuration")
                .rules()[0];
            let default = rule.apply_server_side_encryption_by_default().unwrap();
            let configured = default.kms_master_key_id().unwrap_or_default();
            assert!(
                configured == key_arn || key_arn.ends_with(configured),
                "{bin}: {bucket} encrypted with the stack's key, got {configured:?}"
            );
            let tags: BTreeMap<String, String> =
                block_on(s3.get_bucket_tagging().bucket(bucket).send())
                    .unwrap()
                    .tag_set()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().to_string()))
                    .collect();
            assert_eq!(
                tags.get("owner").map(String::as_str),
                Some("ml-platform"),
                "{bin}: default_tags reach AWS on {bucket}: {tags:?}"
            );
        }
        let key_tags = block_on(
            kms_client(&endpoint)
                .list_resource_tags()
                .key_id(&key_arn)
                .send(),
        )
        .unwrap();
        assert!(
            key_tags
                .tags()
                .iter()
                .any(|t| t.tag_key() == "owner" && t.tag_value() == "ml-platform"),
            "{bin}: default_tags reach AWS on the key"
        );

        assert_no_changes(&tf, "second plan of the stack");

        tf.destroy();
        assert!(bucket_names(&moto).is_empty(), "{bin}: no bucket left");
        assert!(
            live_keys(&moto, REGION).is_empty(),
            "{bin}: the key is pending deletion"
        );
    }
}
