//! Proves the e2e harness itself works: moto starts and resets, the project's moto extension behaves like AWS for
//! KMS custom key stores and EC2 placement groups, Terraform 1.15.5 (and a PATH Terraform 1.11–1.14 when present)
//! runs configurations, and Terraform loads the provider through `dev_overrides`.

use sovereign_e2e::{
    PROVIDER_SOURCE, Terraform, block_on, bundled_terraform, kms_client, moto, path_terraform,
    repo_root, terraform_versions,
};
use std::process::Command;

#[test]
fn moto_starts_and_reset_drops_state() {
    let moto = moto();
    let kms = kms_client(&moto.endpoint());
    block_on(kms.create_key().description("smoke").send()).unwrap();
    let keys = block_on(kms.list_keys().send()).unwrap();
    assert_eq!(keys.keys().len(), 1, "one key after CreateKey");

    moto.reset();
    let keys = block_on(kms.list_keys().send()).unwrap();
    assert!(
        keys.keys().is_empty(),
        "reset drops every key, found {:?}",
        keys.keys()
    );
}

#[test]
fn moto_honours_regions() {
    let moto = moto();
    let key = block_on(kms_client(&moto.endpoint()).create_key().send()).unwrap();
    let key_id = key.key_metadata().unwrap().key_id().to_string();
    let other = sovereign_e2e::kms_client_in(&moto.endpoint(), "us-east-1");
    let err = block_on(other.describe_key().key_id(&key_id).send()).unwrap_err();
    assert_eq!(
        err.into_service_error().meta().code(),
        Some("NotFoundException")
    );
}

#[test]
fn custom_key_store_extension_behaves_like_aws() {
    let moto = moto();
    let kms = kms_client(&moto.endpoint());

    let store_id = block_on(
        kms.create_custom_key_store()
            .custom_key_store_name("smoke-hsm")
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
    assert!(store_id.starts_with("cks-"), "store id {store_id}");

    let stores = block_on(
        kms.describe_custom_key_stores()
            .custom_key_store_id(&store_id)
            .send(),
    )
    .unwrap();
    let store = &stores.custom_key_stores()[0];
    assert_eq!(store.custom_key_store_name(), Some("smoke-hsm"));
    assert_eq!(store.cloud_hsm_cluster_id(), Some("cluster-1234567890a"));
    assert_eq!(
        store.connection_state().map(|s| s.as_str()),
        Some("DISCONNECTED")
    );

    // Like AWS, a key can only be created in a connected store.
    let err = block_on(
        kms.create_key()
            .origin(aws_sdk_kms::types::OriginType::AwsCloudhsm)
            .custom_key_store_id(&store_id)
            .send(),
    )
    .unwrap_err();
    assert_eq!(
        err.into_service_error().meta().code(),
        Some("CustomKeyStoreInvalidStateException")
    );

    block_on(
        kms.connect_custom_key_store()
            .custom_key_store_id(&store_id)
            .send(),
    )
    .unwrap();
    let stores = block_on(kms.describe_custom_key_stores().send()).unwrap();
    assert_eq!(
        stores.custom_key_stores()[0]
            .connection_state()
            .map(|s| s.as_str()),
        Some("CONNECTED")
    );

    let created = block_on(
        kms.create_key()
            .description("hsm-backed")
            .origin(aws_sdk_kms::types::OriginType::AwsCloudhsm)
            .custom_key_store_id(&store_id)
            .send(),
    )
    .unwrap();
    let key_id = created.key_metadata().unwrap().key_id().to_string();

    let described = block_on(kms.describe_key().key_id(&key_id).send()).unwrap();
    let meta = described.key_metadata().unwrap();
    assert_eq!(meta.custom_key_store_id(), Some(store_id.as_str()));
    assert_eq!(meta.cloud_hsm_cluster_id(), Some("cluster-1234567890a"));
    assert_eq!(meta.origin().map(|o| o.as_str()), Some("AWS_CLOUDHSM"));

    let err = block_on(kms.enable_key_rotation().key_id(&key_id).send()).unwrap_err();
    assert_eq!(
        err.into_service_error().meta().code(),
        Some("UnsupportedOperationException")
    );

    // Ordinary keys still rotate, and an unknown store is reported as such.
    let plain = block_on(kms.create_key().send())
        .unwrap()
        .key_metadata()
        .unwrap()
        .key_id()
        .to_string();
    block_on(
        kms.enable_key_rotation()
            .key_id(&plain)
            .rotation_period_in_days(90)
            .send(),
    )
    .unwrap();
    let status = block_on(kms.get_key_rotation_status().key_id(&plain).send()).unwrap();
    assert!(status.key_rotation_enabled());
    let plain_meta = block_on(kms.describe_key().key_id(&plain).send()).unwrap();
    assert_eq!(
        plain_meta.key_metadata().unwrap().custom_key_store_id(),
        None
    );
    let err = block_on(
        kms.describe_custom_key_stores()
            .custom_key_store_id("cks-00000000000000000")
            .send(),
    )
    .unwrap_err();
    assert_eq!(
        err.into_service_error().meta().code(),
        Some("CustomKeyStoreNotFoundException")
    );
}

/// The harness has no EC2 SDK client (the provider's EC2 dependency is not there yet), so the placement-group part
/// of the extension is checked with boto3 from the harness venv.
#[test]
fn placement_group_extension_behaves_like_aws() {
    let moto = moto();
    let script = r#"
import sys, boto3, botocore.exceptions
ec2 = boto3.client("ec2", endpoint_url=sys.argv[1], region_name="eu-central-1",
                   aws_access_key_id="testing", aws_secret_access_key="testing")
pg = ec2.create_placement_group(GroupName="gpu", Strategy="cluster", TagSpecifications=[
    {"ResourceType": "placement-group", "Tags": [{"Key": "team", "Value": "ml"}]}])["PlacementGroup"]
assert pg["GroupName"] == "gpu" and pg["Strategy"] == "cluster" and pg["GroupId"].startswith("pg-"), pg
found = ec2.describe_placement_groups(GroupNames=["gpu"])["PlacementGroups"]
assert [g["Tags"] for g in found] == [[{"Key": "team", "Value": "ml"}]], found
try:
    ec2.create_placement_group(GroupName="gpu", Strategy="cluster")
    raise SystemExit("duplicate accepted")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "InvalidPlacementGroup.Duplicate", e
ec2.delete_placement_group(GroupName="gpu")
assert ec2.describe_placement_groups()["PlacementGroups"] == []
try:
    ec2.describe_placement_groups(GroupNames=["gpu"])
    raise SystemExit("deleted group still described")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "InvalidPlacementGroup.Unknown", e
print("placement groups ok")
"#;
    let out = Command::new(repo_root().join(".venv/bin/python"))
        .args(["-c", script, &moto.endpoint()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "boto3 check failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "placement groups ok"
    );
}

#[test]
fn bundled_terraform_is_1_15_5_and_ignores_the_machine_cli_config() {
    let tf = Terraform::new(&bundled_terraform());
    let out = tf.run_ok(&["version"]);
    assert_eq!(
        out.stdout.lines().next(),
        Some("Terraform v1.15.5"),
        "{out}"
    );
    // The harness always points TF_CLI_CONFIG_FILE at its own file.
    assert!(
        !out.combined()
            .contains("Unable to open CLI configuration file"),
        "{out}"
    );
}

#[test]
fn path_terraform_is_used_only_when_1_11_to_1_14() {
    let versions = terraform_versions();
    assert_eq!(versions[0], bundled_terraform());
    match path_terraform() {
        Some(bin) => {
            assert_eq!(versions.len(), 2);
            let minor: u32 = bin.version.split('.').nth(1).unwrap().parse().unwrap();
            assert!((11..=14).contains(&minor), "{bin}");
            let tf = Terraform::new(&bin);
            assert_eq!(tf.version(), format!("Terraform v{}", bin.version));
        }
        None => assert_eq!(versions.len(), 1),
    }
}

const DATA_ONLY: &str = r#"
variable "label" {
  type    = string
  default = "first"
}

resource "terraform_data" "a" {
  input = var.label
}

resource "terraform_data" "b" {
  input = "${terraform_data.a.output}-derived"
}

output "derived" {
  value = terraform_data.b.output
}
"#;

#[test]
fn terraform_applies_and_destroys_builtin_resources_with_every_version() {
    for bin in terraform_versions() {
        let tf = Terraform::new(&bin);
        tf.write("main.tf", DATA_ONLY);
        tf.init();

        let plan = tf.plan_detailed();
        assert_eq!(plan.code, 2, "{bin}: a fresh config has changes:\n{plan}");
        let planned = tf.plan_json();
        let actions: Vec<_> = planned["resource_changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["address"].as_str().unwrap().to_string(),
                    c["change"]["actions"].clone(),
                )
            })
            .collect();
        assert_eq!(
            actions,
            vec![
                (
                    "terraform_data.a".to_string(),
                    serde_json::json!(["create"])
                ),
                (
                    "terraform_data.b".to_string(),
                    serde_json::json!(["create"])
                ),
            ],
            "{bin}"
        );

        tf.apply();
        assert_eq!(
            tf.output_json()["derived"]["value"],
            "first-derived",
            "{bin}"
        );
        assert_eq!(
            tf.state_list(),
            vec!["terraform_data.a", "terraform_data.b"],
            "{bin}"
        );
        assert!(
            tf.state_show("terraform_data.a").contains("\"first\""),
            "{bin}"
        );
        assert_eq!(
            tf.resource_values("terraform_data.b")["output"],
            "first-derived",
            "{bin}"
        );

        let again = tf.plan_detailed();
        assert_eq!(again.code, 0, "{bin}: no changes after apply:\n{again}");

        tf.write("terraform.tfvars", "label = \"second\"\n");
        let changed = tf.plan_detailed();
        assert_eq!(
            changed.code, 2,
            "{bin}: changed input plans changes:\n{changed}"
        );
        tf.apply();
        assert_eq!(
            tf.output_json()["derived"]["value"],
            "second-derived",
            "{bin}"
        );

        tf.destroy();
        assert!(
            tf.state_list().is_empty(),
            "{bin}: state empty after destroy"
        );
    }
}

#[test]
fn terraform_errors_come_back_as_exit_code_1() {
    let tf = Terraform::new(&bundled_terraform());
    tf.write(
        "main.tf",
        "resource \"terraform_data\" \"x\" {\n  input = var.missing\n}\n",
    );
    let out = tf.plan_err();
    assert!(
        out.stderr
            .contains("Reference to undeclared input variable"),
        "{out}"
    );
}

#[test]
fn provider_schema_through_dev_overrides() {
    for bin in terraform_versions() {
        let tf = Terraform::with_provider(&bin);
        tf.write(
            "main.tf",
            &format!("terraform {{\n  required_providers {{\n    sovereign = {{ source = \"{PROVIDER_SOURCE}\" }}\n  }}\n}}\n"),
        );
        let schema = tf.providers_schema_json();
        let provider = &schema["provider_schemas"][PROVIDER_SOURCE];
        assert!(
            provider.is_object(),
            "{bin}: {PROVIDER_SOURCE} missing from the schema:\n{schema:#}"
        );
        let resources = provider["resource_schemas"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert!(
            resources.keys().all(|name| name.starts_with("sovereign_")),
            "{bin}: {:?}",
            resources.keys()
        );
    }
}
