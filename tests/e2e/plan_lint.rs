//! `sovereign-lint --plan` on plans made by real Terraform (1.15.5, and a PATH 1.11–1.14 when present) with the
//! `sovereign` provider against moto (issue #4): the linter reads `terraform show -json` output and points its
//! findings at the `.tf` lines the plan came from, with the provider region resolved from `terraform.tfvars`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sovereign_e2e::{Moto, Terraform, hcl_string, moto, provider_binary, terraform_versions};

/// The provider's region comes from `var.region` (set in `terraform.tfvars`); `required_tags = []` lets the
/// provider accept a bucket without `data-classification`, which the linter's default policy still requires.
fn main_tf(moto: &Moto) -> String {
    let endpoint = hcl_string(&moto.endpoint());
    format!(
        r#"terraform {{
  required_providers {{
    sovereign = {{
      source = "registry.terraform.io/sovereign-ml/sovereign"
    }}
  }}
}}

variable "region" {{
  type = string
}}

provider "sovereign" {{
  jurisdiction           = "eu"
  region                 = var.region
  required_tags          = []
  allowed_endpoint_hosts = ["127.0.0.1"]
  access_key             = "testing"
  secret_key             = "testing"
  s3_use_path_style      = true
  endpoints {{
    ec2 = {endpoint}
    kms = {endpoint}
    s3  = {endpoint}
    sts = {endpoint}
  }}
}}

data "sovereign_jurisdiction" "eu" {{
  id = "eu"
}}

resource "sovereign_key" "data" {{
  description = "ML data key"
  tags        = {{ "data-classification" = "restricted" }}
}}

resource "sovereign_bucket" "datasets" {{
  name        = "ml-plan-lint-datasets"
  kms_key_arn = sovereign_key.data.arn
  tags        = {{ owner = "ml-platform" }}
}}
"#
    )
}

const POLICY: &str = "allowed_endpoint_hosts = [\"127.0.0.1\"]\n";

/// 1-based number of the first line of `text` that starts (after indentation) with `prefix`.
fn line_of(text: &str, prefix: &str) -> u64 {
    let index = text
        .lines()
        .position(|l| l.trim_start().starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starts with {prefix:?} in:\n{text}"));
    index as u64 + 1
}

/// 1-based column of `needle` in line `line` (1-based) of `text`.
fn column_of(text: &str, line: u64, needle: &str) -> u64 {
    let source = text.lines().nth(line as usize - 1).unwrap_or_default();
    let index = source
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} is not on line {line} ({source:?})"));
    index as u64 + 1
}

/// Asserts the SOV003 finding of the untagged bucket: at the value of its `tags` attribute in main.tf.
fn assert_bucket_sov003(main: &str, finding: &serde_json::Value, context: &str) {
    assert_eq!(finding["rule"], "SOV003", "{context}");
    assert_eq!(finding["address"], "sovereign_bucket.datasets", "{context}");
    assert_eq!(finding["severity"], "error", "{context}");
    assert!(is_main_tf(&finding["file"]), "{context}");
    let block_line = line_of(main, "resource \"sovereign_bucket\"");
    let tags_line = block_line
        + main
            .lines()
            .skip(block_line as usize - 1)
            .position(|l| l.trim_start().starts_with("tags"))
            .unwrap() as u64;
    assert_eq!(
        (finding["line"].as_u64(), finding["column"].as_u64()),
        (Some(tags_line), Some(column_of(main, tags_line, "{"))),
        "at the bucket's `tags` value: {context}"
    );
    assert_eq!(
        finding["message"],
        "data-bearing sovereign_bucket.datasets lacks required tag `data-classification`",
        "{context}"
    );
}

/// `sovereign-lint`, built by the harness's workspace build next to the provider binary.
fn linter_binary() -> PathBuf {
    let provider = provider_binary();
    let dir = provider.parent().unwrap_or(Path::new("/"));
    let linter = dir.join("sovereign-lint");
    assert!(
        linter.is_file(),
        "sovereign-lint is not next to the provider binary ({}): expected {}; the harness's \
         `cargo build --workspace --all-targets` should have built it",
        provider.display(),
        linter.display()
    );
    linter
}

/// Plans the working directory, writes `plan.json`, runs `sovereign-lint --plan plan.json --format json [extra] .`
/// there and returns (exit code, parsed JSON report, raw output for messages).
fn plan_and_lint(tf: &Terraform, extra: &[&str]) -> (i32, serde_json::Value, String) {
    let plan = tf.plan_json();
    std::fs::write(
        tf.dir().join("plan.json"),
        serde_json::to_string(&plan).unwrap(),
    )
    .unwrap();
    let mut args = vec!["--plan", "plan.json", "--format", "json"];
    args.extend_from_slice(extra);
    args.push(".");
    let out = Command::new(linter_binary())
        .args(&args)
        .current_dir(tf.dir())
        .env_remove("TF_VAR_region")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let raw = format!(
        "$ sovereign-lint {}\nexit {:?}\n--- stdout ---\n{stdout}\n--- stderr ---\n{}",
        args.join(" "),
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("sovereign-lint printed no JSON ({e}):\n{raw}"));
    (out.status.code().unwrap_or(-1), report, raw)
}

fn findings(report: &serde_json::Value) -> Vec<serde_json::Value> {
    report["findings"].as_array().cloned().unwrap_or_default()
}

/// `(rule, address)` of every finding, sorted.
fn rule_addresses(report: &serde_json::Value) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = findings(report)
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["address"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    pairs.sort();
    pairs
}

/// Paths are shown as typed: `PATH` `.` joined with `main.tf`.
fn is_main_tf(file: &serde_json::Value) -> bool {
    file == "main.tf"
}

const PROVIDER_ADDRESS: &str = "provider[\"registry.terraform.io/sovereign-ml/sovereign\"]";

#[test]
fn untagged_sovereign_bucket_in_a_real_plan_is_reported_at_its_tf_line() {
    for bin in terraform_versions() {
        let moto = moto();
        let tf = Terraform::with_provider(&bin);
        let main = main_tf(&moto);
        tf.write("main.tf", &main);
        tf.write("terraform.tfvars", "region = \"eu-central-1\"\n");
        tf.write("sovereign.toml", POLICY);

        let (code, report, raw) = plan_and_lint(&tf, &[]);
        assert_eq!(code, 1, "{bin}: an untagged bucket fails the lint:\n{raw}");
        assert_eq!(
            rule_addresses(&report),
            vec![(
                "SOV003".to_string(),
                "sovereign_bucket.datasets".to_string()
            )],
            "{bin}: exactly one finding (the bucket's missing tag; nothing for the key, the provider region \
             eu-central-1 or the loopback endpoints):\n{raw}"
        );
        assert_bucket_sov003(&main, &findings(&report)[0], &format!("{bin}:\n{raw}"));
    }
}

#[test]
fn provider_region_from_tfvars_outside_a_narrower_jurisdiction_is_sov001_with_provenance() {
    for bin in terraform_versions() {
        let moto = moto();
        let tf = Terraform::with_provider(&bin);
        let main = main_tf(&moto);
        tf.write("main.tf", &main);
        let tfvars = "# Ireland: inside eu, outside de.\nregion = \"eu-west-1\"\n";
        tf.write("terraform.tfvars", tfvars);
        tf.write("sovereign.toml", POLICY);

        // The provider (jurisdiction eu) accepts the plan; the linter, told `de`, does not.
        let (code, report, raw) = plan_and_lint(&tf, &["--jurisdiction", "de"]);
        assert_eq!(code, 1, "{bin}:\n{raw}");
        // Exactly: SOV001 for the provider's region and SOV003 for the untagged bucket. Nothing for the key, and
        // nothing for `data.sovereign_jurisdiction.eu`, whose computed `endpoint_suffixes` (catalog data read at
        // plan time) are not endpoints the configuration talks to.
        assert_eq!(
            rule_addresses(&report),
            vec![
                ("SOV001".to_string(), PROVIDER_ADDRESS.to_string()),
                (
                    "SOV003".to_string(),
                    "sovereign_bucket.datasets".to_string()
                ),
            ],
            "{bin}: expected only SOV001 (provider) and SOV003 (bucket); SOV002 on a data source's computed \
             attributes (e.g. endpoint_suffixes) would be a false positive:\n{raw}"
        );
        let all = findings(&report);
        let sov001: Vec<&serde_json::Value> =
            all.iter().filter(|f| f["rule"] == "SOV001").collect();
        let sov003: Vec<&serde_json::Value> =
            all.iter().filter(|f| f["rule"] == "SOV003").collect();
        assert_bucket_sov003(&main, sov003[0], &format!("{bin}:\n{raw}"));
        let finding = sov001[0];
        assert_eq!(finding["severity"], "error", "{bin}:\n{raw}");
        assert!(is_main_tf(&finding["file"]), "{bin}:\n{raw}");
        let region_line = line_of(&main, "region ");
        assert_eq!(
            (finding["line"].as_u64(), finding["column"].as_u64()),
            (
                Some(region_line),
                Some(column_of(&main, region_line, "var.region"))
            ),
            "{bin}: at the provider's `region` value:\n{raw}"
        );
        assert_eq!(finding["value"], "\"eu-west-1\"", "{bin}:\n{raw}");
        let message = finding["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("AWS region `eu-west-1`")
                && message.contains("outside jurisdiction `de`"),
            "{bin}: message names the region and the jurisdiction: {message}"
        );
        let provenance = finding["provenance"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            provenance,
            vec![serde_json::json!({
                "description": "var.region = \"eu-west-1\"",
                "location": {"file": "terraform.tfvars", "line": line_of(tfvars, "region"), "column": 1},
            })],
            "{bin}: the region's provenance is the tfvars line:\n{raw}"
        );
    }
}
