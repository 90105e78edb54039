//! sovereign_bucket failure paths against moto: a create that fails halfway deletes the new bucket,
//! and a bucket of another region cannot be imported.

use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use sovereign_e2e::{
    MotoLease, Terraform, block_on, bundled_terraform, moto, provider_config, s3_client,
    s3_client_in,
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

fn bucket_names(moto: &MotoLease) -> Vec<String> {
    let out = block_on(s3_client(&moto.endpoint()).list_buckets().send()).unwrap();
    out.buckets()
        .iter()
        .filter_map(|b| b.name().map(str::to_owned))
        .collect()
}

/// Terraform wraps diagnostic text at 80 columns: compare with whitespace collapsed.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn failed_configuration_deletes_the_new_bucket() {
    let moto = moto();
    // S3 refuses tags in the reserved `aws:` namespace, after the bucket exists.
    let tf = terraform(
        &moto,
        r#"
resource "sovereign_bucket" "b" {
  name        = "ml-rollback"
  kms_key_arn = "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  tags = {
    data-classification = "restricted"
    "aws:reserved"      = "x"
  }
}
"#,
    );
    let out = tf.apply_err();
    assert!(
        out.stderr
            .contains("AWS PutBucketTagging failed for bucket ml-rollback"),
        "{out}"
    );
    assert!(flat(&out.stderr).contains("InvalidTag"), "{out}");
    assert!(
        flat(&out.stderr).contains("was rolled back (deleted)"),
        "{out}"
    );
    assert!(
        bucket_names(&moto).is_empty(),
        "the half-configured bucket is deleted"
    );
    assert!(tf.state_list().is_empty(), "nothing recorded in state");
}

#[test]
fn bucket_of_another_region_cannot_be_imported() {
    let moto = moto();
    let s3 = s3_client_in(&moto.endpoint(), "us-east-1");
    block_on(s3.create_bucket().bucket("ml-virginia").send()).unwrap();
    let s3_ireland = s3_client_in(&moto.endpoint(), "eu-west-1");
    block_on(
        s3_ireland
            .create_bucket()
            .bucket("ml-ireland")
            .create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::EuWest1)
                    .build(),
            )
            .send(),
    )
    .unwrap();
    let tf = terraform(
        &moto,
        r#"
resource "sovereign_bucket" "b" {
  name        = "ml-virginia"
  kms_key_arn = "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  tags        = { data-classification = "restricted" }
}
"#,
    );
    let out = tf.run_err(&[
        "import",
        "-input=false",
        "-no-color",
        "sovereign_bucket.b",
        "ml-virginia",
    ]);
    assert!(
        out.stderr
            .contains("Cannot import a bucket of another region"),
        "{out}"
    );
    assert!(flat(&out.stderr).contains("us-east-1"), "{out}");
    assert!(
        flat(&out.stderr).contains("outside jurisdiction `eu`"),
        "{out}"
    );

    // Inside the jurisdiction but not the provider's region: told to use a provider for that region.
    let out = tf.run_err(&[
        "import",
        "-input=false",
        "-no-color",
        "sovereign_bucket.b",
        "ml-ireland",
    ]);
    assert!(flat(&out.stderr).contains("eu-west-1"), "{out}");
    assert!(
        out.stderr
            .contains("Configure a provider for region eu-west-1"),
        "{out}"
    );
    assert!(
        tf.run(&["state", "list"]).stdout.trim().is_empty(),
        "nothing imported"
    );
}
