//! `examples/sovereign-ml-eu` as a user runs it: validate, apply against moto (through the example's
//! `endpoint` variable), re-plan with no changes, and destroy — checked through the AWS API.

use std::fs;

use aws_sdk_kms::types::KeyState;
use sovereign_e2e::{
    Terraform, block_on, bundled_terraform, kms_client, moto, repo_root, s3_client,
};

#[test]
fn sovereign_ml_eu_applies_replans_clean_and_destroys() {
    let moto = moto();
    let mut tf = Terraform::with_provider(&bundled_terraform());
    tf.env("SOVEREIGN_AWS_MAX_ATTEMPTS", "1");
    tf.env("TF_VAR_endpoint", &moto.endpoint());
    tf.env("TF_VAR_allowed_endpoint_hosts", "[\"127.0.0.1\"]");
    let example = repo_root().join("examples/sovereign-ml-eu");
    for entry in fs::read_dir(&example).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "tf") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            tf.write(&name, &fs::read_to_string(&path).unwrap());
        }
    }

    let validate = tf.validate_json();
    assert_eq!(validate["valid"], true, "{validate:#}");
    tf.apply();

    let s3 = s3_client(&moto.endpoint());
    let mut buckets: Vec<String> = block_on(s3.list_buckets().send())
        .unwrap()
        .buckets()
        .iter()
        .filter_map(|b| b.name().map(str::to_owned))
        .collect();
    buckets.sort();
    assert_eq!(
        buckets,
        [
            "sovereign-ml-audit-eu-central-1",
            "sovereign-ml-checkpoints-eu-central-1",
            "sovereign-ml-datasets-eu-central-1"
        ]
    );
    for bucket in &buckets {
        let location = block_on(s3.get_bucket_location().bucket(bucket).send()).unwrap();
        assert_eq!(
            location.location_constraint().map(|l| l.as_str()),
            Some("eu-central-1")
        );
        let tags = block_on(s3.get_bucket_tagging().bucket(bucket).send()).unwrap();
        let keys: Vec<&str> = tags.tag_set().iter().map(|t| t.key()).collect();
        for required in ["data-classification", "owner", "jurisdiction"] {
            assert!(
                keys.contains(&required),
                "{bucket} lacks {required}: {keys:?}"
            );
        }
    }
    let lock = block_on(
        s3.get_object_lock_configuration()
            .bucket("sovereign-ml-audit-eu-central-1")
            .send(),
    )
    .unwrap();
    let retention = lock
        .object_lock_configuration()
        .unwrap()
        .rule()
        .unwrap()
        .default_retention()
        .unwrap();
    assert_eq!(retention.mode().map(|m| m.as_str()), Some("COMPLIANCE"));
    assert_eq!(retention.days(), Some(365));

    let outputs = tf.output_json();
    assert!(
        outputs["key_arn"]["value"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:kms:eu-central-1:")
    );
    assert!(
        !outputs["eu_regions"]["value"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "eu-west-2"),
        "London is not an EU region"
    );

    let plan = tf.plan_detailed();
    assert_eq!(
        plan.code, 0,
        "the example re-plans with no changes:\n{plan}"
    );

    tf.destroy();
    let left = block_on(s3.list_buckets().send()).unwrap();
    assert!(
        left.buckets().is_empty(),
        "buckets left: {:?}",
        left.buckets()
    );
    let kms = kms_client(&moto.endpoint());
    for key in block_on(kms.list_keys().send()).unwrap().keys() {
        let meta = block_on(kms.describe_key().key_id(key.key_id().unwrap()).send())
            .unwrap()
            .key_metadata
            .unwrap();
        assert_eq!(
            meta.key_state(),
            Some(&KeyState::PendingDeletion),
            "key {:?}",
            meta.key_id()
        );
    }
}

#[test]
fn sovereign_ml_eu_refuses_london() {
    let moto = moto();
    let mut tf = Terraform::with_provider(&bundled_terraform());
    tf.env("TF_VAR_endpoint", &moto.endpoint());
    tf.env("TF_VAR_allowed_endpoint_hosts", "[\"127.0.0.1\"]");
    tf.env("TF_VAR_region", "eu-west-2");
    let example = repo_root().join("examples/sovereign-ml-eu");
    for name in ["versions.tf", "variables.tf", "main.tf", "outputs.tf"] {
        tf.write(name, &fs::read_to_string(example.join(name)).unwrap());
    }
    let out = tf.plan_err();
    let text = out.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains("Region outside the jurisdiction"), "{out}");
    assert!(text.contains("Europe (London), GB"), "{out}");
    let buckets = block_on(s3_client(&moto.endpoint()).list_buckets().send()).unwrap();
    assert!(buckets.buckets().is_empty());
}
