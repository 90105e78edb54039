//! sovereign_key failure paths against moto: a create that fails halfway leaves no untracked key,
//! and a key of another region cannot be imported.

use sovereign_e2e::{
    MotoLease, Terraform, block_on, bundled_terraform, kms_client, moto, provider_config,
};

fn terraform(moto: &MotoLease, resources: &str) -> Terraform {
    let mut tf = Terraform::with_provider(&bundled_terraform());
    tf.env("SOVEREIGN_AWS_MAX_ATTEMPTS", "1");
    tf.write(
        "main.tf",
        &format!("{}\n{resources}", provider_config(moto)),
    );
    tf
}

/// Terraform wraps diagnostic text at 80 columns: compare with whitespace collapsed.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn failed_alias_rolls_the_new_key_back() {
    let moto = moto();
    let kms = kms_client(&moto.endpoint());
    // The alias is taken by a key made outside Terraform.
    let other = block_on(kms.create_key().send())
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id;
    block_on(
        kms.create_alias()
            .alias_name("alias/ml-data")
            .target_key_id(&other)
            .send(),
    )
    .unwrap();

    let tf = terraform(
        &moto,
        r#"
resource "sovereign_key" "data" {
  alias = "alias/ml-data"
  tags  = { data-classification = "restricted" }
}
"#,
    );
    let out = tf.apply_err();
    assert!(
        flat(&out.stderr).contains("AWS CreateAlias failed"),
        "{out}"
    );
    assert!(
        flat(&out.stderr).contains("AlreadyExistsException"),
        "{out}"
    );
    assert!(
        flat(&out.stderr).contains("scheduled for deletion"),
        "the rollback is reported:\n{out}"
    );
    assert!(tf.state_list().is_empty(), "nothing recorded in state");

    // The half-made key is pending deletion; the other key and its alias are untouched.
    let keys = block_on(kms.list_keys().send()).unwrap();
    let mut states = Vec::new();
    for key in keys.keys() {
        let id = key.key_id().unwrap();
        let meta = block_on(kms.describe_key().key_id(id).send())
            .unwrap()
            .key_metadata
            .unwrap();
        states.push((
            id == other,
            meta.key_state().map(|s| s.as_str().to_string()),
        ));
    }
    states.sort();
    assert_eq!(
        states,
        [
            (false, Some("PendingDeletion".to_string())),
            (true, Some("Enabled".to_string()))
        ],
        "exactly the new key is rolled back"
    );
    let aliases = block_on(kms.list_aliases().key_id(&other).send()).unwrap();
    assert_eq!(aliases.aliases().len(), 1);
}

#[test]
fn key_of_another_region_cannot_be_imported() {
    let moto = moto();
    let kms = sovereign_e2e::kms_client_in(&moto.endpoint(), "eu-west-1");
    let arn = block_on(kms.create_key().send())
        .unwrap()
        .key_metadata
        .unwrap()
        .arn
        .unwrap();
    let tf = terraform(
        &moto,
        "resource \"sovereign_key\" \"data\" {\n  tags = { data-classification = \"restricted\" }\n}\n",
    );
    let out = tf.run_err(&[
        "import",
        "-input=false",
        "-no-color",
        "sovereign_key.data",
        &arn,
    ]);
    assert!(flat(&out.stderr).contains("ARN in another region"), "{out}");
    assert!(flat(&out.stderr).contains("eu-west-1"), "{out}");
    assert!(
        tf.run(&["state", "list"]).stdout.trim().is_empty(),
        "nothing imported"
    );
}
