//! The data rules (SOV003–SOV007) fail closed: a value that decides how data is classified, where
//! it goes, how it is encrypted or how its keys are kept, but cannot be resolved statically — a variable without a
//! value, a data source attribute, a dynamic block over an unknown collection, a value of the
//! wrong type, a value known only after apply — is SOV010 (at the policy's `unresolved` severity),
//! never a silent pass. One fixture of such forms for configuration input, one for plan input.
use std::path::{Path, PathBuf};

use sovereign_lint::eval::{EvalOptions, evaluate_root};
use sovereign_lint::finding::Finding;
use sovereign_lint::load::discover;
use sovereign_lint::plan;
use sovereign_lint::rules::run;
use sovereign_schemas::Policy;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fail_closed")
        .join(name)
}

fn lint_configuration(policy: &Policy) -> Vec<Finding> {
    let dir = fixture("config");
    let roots = discover(std::slice::from_ref(&dir), &[]).expect("the fixture is discovered");
    assert_eq!(roots.len(), 1, "{}", dir.display());
    let model = evaluate_root(&roots[0], &EvalOptions::default());
    assert!(model.errors.is_empty(), "{:#?}", model.errors);
    run(&model, policy)
}

fn lint_plan(policy: &Policy) -> Vec<Finding> {
    let dir = fixture("plan");
    let model = plan::load_plan(&dir.join("plan.json"), &dir, &EvalOptions::default());
    assert!(model.errors.is_empty(), "{:#?}", model.errors);
    run(&model, policy)
}

/// A finding as users read it: `file:line:col RULE severity message | value | help`.
fn render(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| {
            let mut line = format!(
                "{}:{}:{} {} {} {}",
                f.location.file,
                f.location.line,
                f.location.column,
                f.rule,
                f.severity.as_str(),
                f.message
            );
            if let Some(v) = &f.value {
                line.push_str(&format!("\n    value: {v}"));
            }
            line.push_str(&format!("\n    help: {}", f.help));
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The resources each form sits in: every one must be reported, and only as SOV010.
fn assert_every_form_is_unresolved(findings: &[Finding], addresses: &[&str]) {
    let other: Vec<String> = findings
        .iter()
        .filter(|f| f.rule != "SOV010")
        .map(|f| format!("{} {} {}", f.rule, f.address, f.message))
        .collect();
    assert!(other.is_empty(), "only SOV010 expected: {other:#?}");
    for address in addresses {
        assert!(
            findings.iter().any(|f| f.address == *address),
            "{address}: its unresolvable value passed silently; findings:\n{}",
            render(findings)
        );
    }
}

#[test]
fn configuration_values_that_cannot_be_resolved_are_sov010() {
    let findings = lint_configuration(&Policy::default());
    assert_every_form_is_unresolved(
        &findings,
        &[
            // SOV003
            "aws_sqs_queue.tagged",
            "google_pubsub_topic.events",
            // SOV004
            "aws_dynamodb_table.features",
            "aws_dynamodb_table.labels",
            "aws_s3_bucket_replication_configuration.partner",
            "aws_backup_plan.daily",
            "aws_ecr_replication_configuration.models",
            "aws_kms_key.maybe_global",
            "azurerm_storage_account.lake",
            "aws_s3tables_table_bucket_replication.lake",
            "google_storage_bucket.checkpoints",
            "azurerm_storage_object_replication.lake",
            // SOV005
            "aws_security_group.training",
            "aws_security_group_rule.maybe_egress",
            "aws_instance.trainer",
            "google_compute_firewall.egress",
            // SOV006
            "aws_ebs_volume.scratch",
            "aws_sqs_queue.jobs",
            "aws_s3_bucket_server_side_encryption_configuration.shared",
            // SOV007
            "aws_kms_key.maybe_rotated",
        ],
    );
    insta::assert_snapshot!("fail_closed_configuration", render(&findings));
}

#[test]
fn plan_values_unknown_until_apply_are_sov010() {
    let findings = lint_plan(&Policy::default());
    assert_every_form_is_unresolved(
        &findings,
        &[
            "aws_backup_plan.daily",
            "aws_dynamodb_table.labels",
            "aws_kms_key.maybe_global",
            "aws_s3tables_table_bucket_replication.lake",
            "aws_security_group.training",
            "aws_ebs_volume.scratch",
            "aws_sqs_queue.tagged",
        ],
    );
    // A key created in the configuration and passed into a module is known only after apply; the
    // plan names the module's variable as its source. It is the customer's own: no finding.
    assert!(
        !findings
            .iter()
            .any(|f| f.address.starts_with("module.store") || f.address == "aws_kms_key.data"),
        "{}",
        render(&findings)
    );
    insta::assert_snapshot!("fail_closed_plan", render(&findings));
}

/// `unresolved = "warn"` lowers every one of them to a warning; `[rules] SOV010 = "off"` drops them
/// — and then nothing else is reported in their place, as none of these values is a finding.
#[test]
fn the_policy_decides_their_severity() {
    let warn = Policy::from_toml("unresolved = \"warn\"").expect("a valid policy");
    for findings in [lint_configuration(&warn), lint_plan(&warn)] {
        assert!(!findings.is_empty());
        assert!(
            findings
                .iter()
                .all(|f| f.rule == "SOV010" && f.severity.as_str() == "warn"),
            "{}",
            render(&findings)
        );
    }
    let off = Policy::from_toml("[rules]\nSOV010 = \"off\"").expect("a valid policy");
    assert!(lint_configuration(&off).is_empty());
    assert!(lint_plan(&off).is_empty());
}
