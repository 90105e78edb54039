//! The sovereign ML training stack (issue 13): the module `examples/modules/sovereign-ml-training` and the example
//! roots that call it, as a user runs them — `terraform validate` of every root, `sovereign-lint` on every root (the
//! non-compliant one's findings snapshotted), the EU stack applied against moto, re-planned with no changes, its
//! plan JSON linted with `--plan`, destroyed with nothing left (checked through the AWS API), the non-compliant
//! root refused at plan time with nothing created, and the module README's tables checked against the module.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sovereign_e2e::network::{assert_no_network_left, custom_vpcs, inventory};
use sovereign_e2e::provider_fixtures::{
    assert_no_changes, assert_nothing_created, bucket_names, json_diagnostics, live_keys,
};
use sovereign_e2e::{
    MotoLease, REGION, Terraform, block_on, bundled_terraform, ec2_client, moto, provider_binary,
    repo_root, s3_client,
};

const MODULE: &str = "examples/modules/sovereign-ml-training";
const COMPLIANT_ROOTS: [&str; 3] = ["ml-stack-eu", "ml-stack-eusc", "ml-stack-govcloud"];
const NONCOMPLIANT_ROOT: &str = "ml-stack-noncompliant";
/// An AMI moto knows in eu-central-1.
const AMI: &str = "ami-04681a1dbd79675a5";

// ------------------------------------------------------------------------------------------------ module README

/// `(name, description)` of every `KIND "NAME" { … description = "…" … }` block of an HCL file, in file order.
/// Deliberately simple: the module's files are formatted by `terraform fmt` (blocks start at column 0 and end with
/// `}` alone on a line; `description` is a one-line string).
fn hcl_blocks(text: &str, kind: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(String, Option<String>)> = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix(&format!("{kind} \"")) {
            let name = rest.split('"').next().unwrap_or_default().to_string();
            current = Some((name, None));
        } else if line == "}" {
            if let Some((name, description)) = current.take() {
                let description =
                    description.unwrap_or_else(|| panic!("{kind} {name:?} has no description"));
                blocks.push((name, description));
            }
        } else if let Some((_, description)) = current.as_mut()
            && let Some(value) = line.trim_start().strip_prefix("description")
            && line.starts_with("  description")
        {
            let value = value.trim_start().strip_prefix('=').unwrap_or(value).trim();
            let inner = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or_else(|| panic!("description is not a one-line string: {line}"));
            *description = Some(inner.replace("\\\"", "\"").replace("\\\\", "\\"));
        }
    }
    blocks
}

/// `(name, description)` of every row of the table that follows `## HEADING` in a Markdown file.
fn readme_table(readme: &str, heading: &str) -> Vec<(String, String)> {
    let section = readme
        .split(&format!("\n## {heading}\n"))
        .nth(1)
        .unwrap_or_else(|| panic!("README has no `## {heading}` section"));
    let section = section.split("\n## ").next().unwrap_or_default();
    section
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|row| {
            let cells: Vec<&str> = row.trim_matches('|').split(" | ").map(str::trim).collect();
            (cells[0].trim_matches('`').to_string(), cells[1].to_string())
        })
        .collect()
}

#[test]
fn module_readme_tables_match_the_module() {
    let module = repo_root().join(MODULE);
    let read = |name: &str| fs::read_to_string(module.join(name)).unwrap();
    let readme = read("README.md");
    let variables = hcl_blocks(&read("variables.tf"), "variable");
    let outputs = hcl_blocks(&read("outputs.tf"), "output");
    assert!(
        variables.len() >= 10 && outputs.len() >= 10,
        "the parser found the blocks"
    );
    assert_eq!(
        readme_table(&readme, "Inputs"),
        variables,
        "README.md `## Inputs` must list every variable of variables.tf, in order, with its description"
    );
    assert_eq!(
        readme_table(&readme, "Outputs"),
        outputs,
        "README.md `## Outputs` must list every output of outputs.tf, in order, with its description"
    );
}

#[test]
fn the_readme_parser_sees_a_stale_table() {
    let tf = "variable \"a\" {\n  description = \"First \\\"one\\\".\"\n  type        = string\n}\n\nvariable \"b\" {\n  description = \"Second.\"\n}\n";
    assert_eq!(
        hcl_blocks(tf, "variable"),
        [
            ("a".to_string(), "First \"one\".".to_string()),
            ("b".to_string(), "Second.".to_string())
        ]
    );
    let readme = "# m\n\n## Inputs\n\n| Name | Description |\n|---|---|\n| `a` | First \"one\". |\n\n## Outputs\n";
    assert_ne!(readme_table(readme, "Inputs"), hcl_blocks(tf, "variable"));
}

// ------------------------------------------------------------------------------------------------ example roots

/// A working directory laid out like `examples/`: the root's `.tf` files in the working directory and the module
/// in `../modules/sovereign-ml-training`, so the root's `source = "../modules/…"` works unchanged; then
/// `terraform get` installs the module (dev_overrides needs no `init` for the provider).
fn example(root: &str) -> Terraform {
    let mut tf = Terraform::with_provider(&bundled_terraform());
    tf.env("SOVEREIGN_AWS_MAX_ATTEMPTS", "1");
    copy_tf_files(&tf, &repo_root().join("examples").join(root), "");
    copy_tf_files(
        &tf,
        &repo_root().join(MODULE),
        "../modules/sovereign-ml-training/",
    );
    tf.run_ok(&["get", "-no-color"]);
    tf
}

fn copy_tf_files(tf: &Terraform, from: &Path, prefix: &str) {
    for entry in fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "tf") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            tf.write(
                &format!("{prefix}{name}"),
                &fs::read_to_string(&path).unwrap(),
            );
        }
    }
}

/// Points the example's provider at moto (its `endpoint` and `allowed_endpoint_hosts` variables).
fn at_moto(tf: &mut Terraform, moto: &MotoLease) {
    tf.env("TF_VAR_endpoint", &moto.endpoint());
    tf.env("TF_VAR_allowed_endpoint_hosts", "[\"127.0.0.1\"]");
}

#[test]
fn every_example_root_validates() {
    for root in COMPLIANT_ROOTS.iter().chain([&NONCOMPLIANT_ROOT]) {
        let tf = example(root);
        let validate = tf.validate_json();
        assert_eq!(validate["valid"], true, "{root}: {validate:#}");
        assert_eq!(validate["error_count"], 0, "{root}: {validate:#}");
    }
}

/// `sovereign-lint`, built by the harness's workspace build next to the provider binary.
fn linter_binary() -> PathBuf {
    let linter = provider_binary()
        .parent()
        .unwrap_or(Path::new("/"))
        .join("sovereign-lint");
    assert!(
        linter.is_file(),
        "sovereign-lint is not next to the provider binary: expected {}",
        linter.display()
    );
    linter
}

/// Runs `sovereign-lint ARGS…` in `dir` → (exit code, stdout, stderr).
fn lint(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(linter_binary())
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "120")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn compliant_roots_lint_clean_and_the_examples_run_of_the_demo_passes() {
    let examples = repo_root().join("examples");
    for root in COMPLIANT_ROOTS {
        let (code, stdout, stderr) = lint(&examples, &[root]);
        assert_eq!(code, 0, "{root}:\n{stdout}{stderr}");
        assert!(stdout.starts_with("✔ no findings"), "{root}: {stdout}");
    }
    // What scripts/demo runs: the whole of examples/ (the non-compliant root is excluded by its sovereign.toml).
    let (code, stdout, stderr) = lint(&repo_root(), &["examples"]);
    assert_eq!(code, 0, "sovereign-lint examples:\n{stdout}{stderr}");
}

#[test]
fn noncompliant_root_fails_the_linter_with_sov001_on_the_zone() {
    let examples = repo_root().join("examples");
    let (code, stdout, stderr) = lint(&examples, &[NONCOMPLIANT_ROOT, "--format", "compact"]);
    assert_eq!(code, 1, "findings exit 1:\n{stdout}{stderr}");
    // Snapshot of what the user sees (compact format: one finding a line).
    assert_eq!(
        stdout.trim_end(),
        "ml-stack-noncompliant/main.tf:31:42: ERROR SOV001 `availability_zones` of \
         module.training.sovereign_network.this: zone `us-east-1a` is in `us-east-1`: AWS region `us-east-1` \
         (US East (N. Virginia), US) is outside jurisdiction `eu` (European Union (EU-27 member states)) \
         (via module.training at ml-stack-noncompliant/main.tf:27)",
        "{stderr}"
    );
    // The human format shows the offending line and the module call it came through.
    let (code, stdout, _) = lint(&examples, &[NONCOMPLIANT_ROOT]);
    assert_eq!(code, 1);
    for expected in [
        "SOV001 region-outside-jurisdiction",
        "availability_zones = [\"eu-central-1a\", \"us-east-1a\"]",
        "in module call module.training (ml-stack-noncompliant/main.tf:27)",
        "✖ 1 finding (1 error)",
    ] {
        assert!(stdout.contains(expected), "missing {expected:?}:\n{stdout}");
    }
}

#[test]
fn noncompliant_root_is_refused_at_plan_time_with_nothing_created() {
    let moto = moto();
    let mut tf = example(NONCOMPLIANT_ROOT);
    at_moto(&mut tf, &moto);
    let (out, diagnostics) = json_diagnostics(&tf, &["plan", "-input=false", "-no-color"]);
    assert_eq!(out.code, 1, "the plan is refused:\n{out}");
    let refusal = diagnostics
        .iter()
        .find(|d| d.summary == "Availability Zone outside the provider's region")
        .unwrap_or_else(|| panic!("no zone refusal: {diagnostics:#?}"));
    assert!(refusal.text().contains("us-east-1a"), "{refusal:#?}");
    // The human output of a plain `terraform plan` says the same.
    let plain = tf.plan_err();
    assert!(
        plain
            .stderr
            .contains("Availability Zone outside the provider's region"),
        "{plain}"
    );
    assert_nothing_created(&moto, &[REGION, "us-east-1"], "refused plan");
    assert!(custom_vpcs(&moto, REGION).is_empty(), "no VPC created");
}

// ------------------------------------------------------------------------------------------------ the EU stack

#[test]
fn ml_stack_eu_applies_replans_clean_lints_its_plan_and_destroys() {
    let moto = moto();
    let mut tf = example("ml-stack-eu");
    at_moto(&mut tf, &moto);
    tf.env("TF_VAR_ami_id", AMI);
    tf.env("TF_VAR_node_count", "1");

    // The plan JSON the CI gate lints: no finding, exit 0.
    let plan = tf.plan_json();
    fs::write(
        tf.dir().join("plan.json"),
        serde_json::to_string(&plan).unwrap(),
    )
    .unwrap();
    let (code, stdout, stderr) = lint(&tf.dir(), &["--plan", "plan.json", "."]);
    assert_eq!(code, 0, "sovereign-lint --plan:\n{stdout}{stderr}");
    assert!(stdout.starts_with("✔ no findings"), "{stdout}");

    // The gate's last step: apply exactly the plan that was linted (only because the linter exited 0).
    tf.run_ok(&["apply", "-input=false", "-no-color", "harness.tfplan"]);
    let outputs = tf.output_json();
    let training = &outputs["training"]["value"];

    // The network, as EC2 reports it: zero egress, flow logs into the audit bucket.
    let vpc_id = training["vpc_id"].as_str().unwrap();
    let inv = inventory(&moto, REGION, vpc_id);
    assert_eq!(
        inv.subnets.keys().collect::<Vec<_>>(),
        ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
    );
    assert!(inv.internet_gateways.is_empty(), "no internet gateway");
    let flow_logs: Vec<(String, String)> = inv.flow_logs.values().cloned().collect();
    assert_eq!(
        flow_logs,
        [(
            "ALL".to_string(),
            "arn:aws:s3:::sovereign-ml-eu-central-1-audit".to_string()
        )],
        "every packet logged into the audit bucket"
    );
    assert!(
        inv.gateway_endpoints
            .keys()
            .any(|service| service == "com.amazonaws.eu-central-1.s3"),
        "S3 through the gateway endpoint: {:?}",
        inv.gateway_endpoints
    );

    // The buckets: in the region, the audit one WORM.
    let mut buckets = bucket_names(&moto);
    buckets.sort();
    assert_eq!(
        buckets,
        [
            "sovereign-ml-eu-central-1-audit",
            "sovereign-ml-eu-central-1-checkpoints",
            "sovereign-ml-eu-central-1-datasets"
        ]
    );
    let s3 = s3_client(&moto.endpoint());
    let lock = block_on(
        s3.get_object_lock_configuration()
            .bucket("sovereign-ml-eu-central-1-audit")
            .send(),
    )
    .unwrap();
    let retention = lock
        .object_lock_configuration()
        .and_then(|c| c.rule())
        .and_then(|r| r.default_retention())
        .expect("default retention");
    assert_eq!(retention.mode().map(|m| m.as_str()), Some("COMPLIANCE"));
    assert_eq!(retention.days(), Some(365));
    assert_eq!(
        training["bucket_names"]["datasets"],
        "sovereign-ml-eu-central-1-datasets"
    );
    assert!(
        training["key_arn"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:kms:eu-central-1:")
    );

    // The GPU node: in the first zone's subnet, the workload security group, tagged with its expiry.
    let ids: Vec<String> = training["cluster_instance_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 1, "{training:#}");
    assert_eq!(training["cluster_private_ips"].as_array().unwrap().len(), 1);
    assert!(training["cluster_expires_at"].as_str().is_some());
    let ec2 = ec2_client(&moto.endpoint());
    let described = block_on(
        ec2.describe_instances()
            .set_instance_ids(Some(ids.clone()))
            .send(),
    )
    .unwrap();
    let instance = &described.reservations()[0].instances()[0];
    assert_eq!(
        instance.subnet_id(),
        Some(inv.subnets["eu-central-1a"].0.as_str())
    );
    let groups: Vec<&str> = instance
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id())
        .collect();
    assert_eq!(
        groups,
        [training["workload_security_group_id"].as_str().unwrap()]
    );
    assert!(instance.public_ip_address().is_none(), "no public IP");

    assert_no_changes(&tf, "ml-stack-eu after apply");

    tf.destroy();
    assert_no_network_left(&moto, REGION, "ml-stack-eu destroyed");
    let left = bucket_names(&moto);
    assert!(left.is_empty(), "buckets left: {left:?}");
    let keys = live_keys(&moto, REGION);
    assert!(keys.is_empty(), "keys not pending deletion: {keys:?}");
    let described = block_on(ec2.describe_instances().set_instance_ids(Some(ids)).send()).unwrap();
    for reservation in described.reservations() {
        for instance in reservation.instances() {
            assert_eq!(
                instance.state().and_then(|s| s.name()).map(|n| n.as_str()),
                Some("terminated"),
                "{:?}",
                instance.instance_id()
            );
        }
    }
}
