//! `data "sovereign_jurisdiction"` end to end: real Terraform (1.15.5, and a PATH 1.11–1.14 when present) reads
//! the catalog through the provider; values are checked as a user sees them, through `terraform output -json`.

use sovereign_e2e::provider_fixtures::assert_plan_refused;
use sovereign_e2e::{Terraform, moto, provider_config, terraform_versions};

const OUTPUTS: &str = r#"
data "sovereign_jurisdiction" "j" {
  id = var.jurisdiction
}

variable "jurisdiction" {
  type    = string
  default = "eu"
}

output "name" {
  value = data.sovereign_jurisdiction.j.name
}
output "aws_regions" {
  value = data.sovereign_jurisdiction.j.aws_regions
}
output "azure_regions" {
  value = data.sovereign_jurisdiction.j.azure_regions
}
output "google_regions" {
  value = data.sovereign_jurisdiction.j.google_regions
}
output "endpoint_suffixes" {
  value = data.sovereign_jurisdiction.j.endpoint_suffixes
}
"#;

fn strings(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("expected a list, got {value}"))
        .iter()
        .map(|v| v.as_str().expect("a string").to_string())
        .collect()
}

#[test]
fn eu_jurisdiction_lists_eu_regions_and_not_london() {
    for bin in terraform_versions() {
        let moto = moto();
        let tf = Terraform::with_provider(&bin);
        tf.write("main.tf", &format!("{}{OUTPUTS}", provider_config(&moto)));
        tf.apply();
        let outputs = tf.output_json();

        let name = outputs["name"]["value"].as_str().unwrap_or_default();
        assert!(name.contains("European Union"), "{bin}: name {name:?}");

        let aws = strings(&outputs["aws_regions"]["value"]);
        for region in [
            "eu-central-1",
            "eu-west-1",
            "eu-west-3",
            "eu-north-1",
            "eusc-de-east-1",
        ] {
            assert!(
                aws.contains(&region.to_string()),
                "{bin}: {region} in {aws:?}"
            );
        }
        for outside in ["eu-west-2", "eu-central-2", "us-east-1"] {
            assert!(
                !aws.contains(&outside.to_string()),
                "{bin}: {outside} not in {aws:?}"
            );
        }

        let azure = strings(&outputs["azure_regions"]["value"]);
        assert!(
            azure.contains(&"germanywestcentral".to_string()),
            "{bin}: {azure:?}"
        );
        assert!(!azure.contains(&"uksouth".to_string()), "{bin}: {azure:?}");
        let google = strings(&outputs["google_regions"]["value"]);
        assert!(
            google.contains(&"europe-west3".to_string()),
            "{bin}: {google:?}"
        );
        assert!(
            !google.contains(&"europe-west2".to_string()),
            "{bin}: London: {google:?}"
        );

        let suffixes = strings(&outputs["endpoint_suffixes"]["value"]);
        for suffix in ["eu-central-1.amazonaws.com", "eusc-de-east-1.amazonaws.eu"] {
            assert!(
                suffixes.contains(&suffix.to_string()),
                "{bin}: {suffix} in {suffixes:?}"
            );
        }
        assert!(
            !suffixes.iter().any(|s| s.starts_with("eu-west-2.")),
            "{bin}: no London suffix in {suffixes:?}"
        );
        // Reading a data source again changes nothing.
        assert_eq!(tf.plan_detailed().code, 0, "{bin}");
    }
}

#[test]
fn eu_esc_is_only_the_european_sovereign_cloud() {
    for bin in terraform_versions() {
        let moto = moto();
        let tf = Terraform::with_provider(&bin);
        tf.write("main.tf", &format!("{}{OUTPUTS}", provider_config(&moto)));
        tf.write("terraform.tfvars", "jurisdiction = \"eu-esc\"\n");
        tf.apply();
        let outputs = tf.output_json();
        assert_eq!(
            strings(&outputs["aws_regions"]["value"]),
            vec!["eusc-de-east-1".to_string()],
            "{bin}"
        );
        let suffixes = strings(&outputs["endpoint_suffixes"]["value"]);
        assert!(
            suffixes.contains(&"eusc-de-east-1.amazonaws.eu".to_string()),
            "{bin}: {suffixes:?}"
        );
        assert!(
            suffixes.iter().all(|s| s.starts_with("eusc-de-east-1.")),
            "{bin}: {suffixes:?}"
        );
    }
}

#[test]
fn unknown_jurisdiction_id_is_an_error_on_id() {
    for bin in terraform_versions() {
        let moto = moto();
        let tf = Terraform::with_provider(&bin);
        tf.write(
            "main.tf",
            &format!(
                "{}\ndata \"sovereign_jurisdiction\" \"j\" {{\n  id = \"atlantis\"\n}}\n",
                provider_config(&moto)
            ),
        );
        let diagnostic = assert_plan_refused(&tf, "id", &["atlantis"]);
        assert!(
            diagnostic.text().contains("eu"),
            "{bin}: the error lists valid ids: {diagnostic:?}"
        );
    }
}
