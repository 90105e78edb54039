//! Plan-time refusals end to end: real Terraform (1.15.5, and a PATH 1.11–1.14 when present) against moto.
//! Each configuration below must be refused by `terraform plan` with an error that points at the offending
//! attribute (Terraform quotes the `attribute = …` line only when the provider's diagnostic carries its path),
//! `terraform apply` must fail the same way, and moto must hold no key and no bucket afterwards.

use sovereign_e2e::provider_fixtures::{
    ProviderBlock, assert_nothing_created, assert_plan_refused, hcl_map,
};
use sovereign_e2e::{MotoLease, REGION, Terraform, moto, terraform_versions};

/// A key and a bucket using it: what the provider would create if the plan were accepted.
fn key_and_bucket() -> String {
    format!(
        r#"
resource "sovereign_key" "k" {{
  description = "refusal test"
  tags        = {tags}
}}

resource "sovereign_bucket" "b" {{
  name        = "ml-refused"
  kms_key_arn = sovereign_key.k.arn
  tags        = {tags}
}}
"#,
        tags = hcl_map(&[("data-classification", "restricted")])
    )
}

/// A bucket with a literal key ARN and the given tags (no key resource).
fn bucket_with(kms_key_arn: &str, tags: &[(&str, &str)]) -> String {
    format!(
        r#"
resource "sovereign_bucket" "b" {{
  name        = "ml-refused"
  kms_key_arn = "{kms_key_arn}"
  tags        = {tags}
}}
"#,
        tags = hcl_map(tags)
    )
}

/// Plan refused pointing at `attribute` (mentioning `mentions`), apply refused, nothing created in moto (checked
/// in the provider region and in the regions the configuration tried to use).
fn assert_refused_everywhere(
    moto: &MotoLease,
    tf: &Terraform,
    attribute: &str,
    mentions: &[&str],
    regions: &[&str],
) {
    let diagnostic = assert_plan_refused(tf, attribute, mentions);
    assert!(
        !diagnostic.detail.is_empty() || !diagnostic.summary.is_empty(),
        "{}: the refusal explains itself: {diagnostic:?}",
        tf.bin()
    );
    let out = tf.apply_err();
    assert!(
        out.stderr.contains("Error"),
        "{}: apply reports the error:\n{out}",
        tf.bin()
    );
    assert_nothing_created(moto, regions, &tf.bin().to_string());
}

#[test]
fn provider_region_outside_the_jurisdiction_is_refused() {
    for bin in terraform_versions() {
        let moto = moto();
        let tf = Terraform::with_provider(&bin);
        let provider = ProviderBlock::for_moto(&moto).region("us-east-1").render();
        tf.write("main.tf", &format!("{provider}{}", key_and_bucket()));
        assert_refused_everywhere(&moto, &tf, "region", &["us-east-1"], &[REGION, "us-east-1"]);
    }
}

/// London is in Europe but not in the EU: eu-west-2 is outside `eu`.
#[test]
fn london_under_eu_is_refused() {
    for bin in terraform_versions() {
        let moto = moto();
        let tf = Terraform::with_provider(&bin);
        let provider = ProviderBlock::for_moto(&moto).region("eu-west-2").render();
        tf.write("main.tf", &format!("{provider}{}", key_and_bucket()));
        assert_refused_everywhere(&moto, &tf, "region", &["eu-west-2"], &[REGION, "eu-west-2"]);
    }
}

/// A region inside the jurisdiction but outside the provider's own `allowed_regions` narrowing.
#[test]
fn region_outside_allowed_regions_is_refused() {
    for bin in terraform_versions() {
        let moto = moto();
        let tf = Terraform::with_provider(&bin);
        let provider = ProviderBlock::for_moto(&moto)
            .region("eu-west-1")
            .line("allowed_regions = [\"eu-central-1\"]")
            .render();
        tf.write("main.tf", &format!("{provider}{}", key_and_bucket()));
        assert_refused_everywhere(&moto, &tf, "region", &["eu-west-1"], &[REGION, "eu-west-1"]);
    }
}

/// Endpoint hosts that are not sovereign: a regional host of a US region, the global S3 host, a host nobody
/// allowed, and plain http to a non-loopback host. Each names the `endpoints` entry.
#[test]
fn non_sovereign_endpoints_are_refused() {
    let cases = [
        ("kms", "https://kms.us-east-1.amazonaws.com"),
        ("s3", "https://s3.amazonaws.com"),
        ("sts", "https://sts.example.com"),
        ("ec2", "http://10.1.2.3:4566"),
    ];
    for bin in terraform_versions() {
        for (service, url) in cases {
            let moto = moto();
            let tf = Terraform::with_provider(&bin);
            let provider = ProviderBlock::for_moto(&moto)
                .endpoint(service, url)
                .render();
            tf.write("main.tf", &format!("{provider}{}", key_and_bucket()));
            let host = url
                .split("://")
                .nth(1)
                .and_then(|rest| rest.split([':', '/']).next())
                .unwrap_or(url);
            assert_refused_everywhere(&moto, &tf, service, &[host], &[REGION, "us-east-1"]);
        }
    }
}

/// A bucket without the required `data-classification` tag (none of its tags and none of the provider's
/// default_tags supply it).
#[test]
fn bucket_missing_the_required_tag_is_refused() {
    for bin in terraform_versions() {
        let moto = moto();
        let tf = Terraform::with_provider(&bin);
        let provider = ProviderBlock::for_moto(&moto)
            .line("default_tags = { owner = \"ml-platform\" }")
            .render();
        let arn =
            format!("arn:aws:kms:{REGION}:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab");
        tf.write(
            "main.tf",
            &format!("{provider}{}", bucket_with(&arn, &[("team", "ml")])),
        );
        assert_refused_everywhere(&moto, &tf, "tags", &["data-classification"], &[REGION]);
    }
}

/// A bucket whose `kms_key_arn` is in another region, or in another partition.
#[test]
fn bucket_key_arn_in_another_region_or_partition_is_refused() {
    let arns = [
        (
            "us-east-1",
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        ),
        (
            "eu-west-1",
            "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        ),
        (
            "aws-us-gov",
            "arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        ),
    ];
    for bin in terraform_versions() {
        for (mention, arn) in arns {
            let moto = moto();
            let tf = Terraform::with_provider(&bin);
            let provider = ProviderBlock::for_moto(&moto).render();
            tf.write(
                "main.tf",
                &format!(
                    "{provider}{}",
                    bucket_with(arn, &[("data-classification", "restricted")])
                ),
            );
            assert_refused_everywhere(&moto, &tf, "kms_key_arn", &[mention], &[REGION]);
        }
    }
}
