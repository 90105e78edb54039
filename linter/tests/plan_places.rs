//! `sovereign-lint --plan`: places read from a plan as from a configuration — zone ids, nested
//! blocks, deployment types — and values that decide residency but are unknown in the plan (a data
//! source read at apply, an attribute known after apply), empty, or missing from a partial backend
//! configuration, which are SOV010 — never passed silently — and follow the policy's `unresolved`.
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/plan")
        .join(name)
}

/// The compact report lines of one rule for the `unresolved` plan fixture.
fn lines(args: &[&str], rule: &str) -> Vec<String> {
    lines_in("unresolved", args, rule)
}

/// The compact report lines of one rule.
fn lines_in(name: &str, args: &[&str], rule: &str) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_sovereign-lint"))
        .args(args)
        .current_dir(fixture(name))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .filter(|l| l.contains(&format!(" {rule} ")))
        .map(str::to_string)
        .collect()
}

#[test]
fn unknown_empty_and_missing_values_in_a_plan_are_sov010() {
    let got = lines(
        &["--plan", "plan.json", ".", "--format", "compact"],
        "SOV010",
    );
    let expected = [
        (
            "main.tf:4:3:",
            "the backend `bucket` of terraform.backend.gcs",
        ),
        ("main.tf:28:12:", "`region` of aws_s3_bucket.scratch"),
        (
            "main.tf:36:18:",
            "`zone` of google_compute_instance.trainer",
        ),
        (
            "main.tf:51:14:",
            "`location` of google_storage_bucket.exports",
        ),
        (
            "main.tf:57:15:",
            "`endpoint` of aws_sns_topic_subscription.hook",
        ),
        (
            "main.tf:69:19:",
            "the container image `image_uri` of aws_lambda_function.tokenize",
        ),
        (
            "main.tf:74:27:",
            "`container_definitions` (its container images) of aws_ecs_task_definition.inference",
        ),
        (
            "main.tf:85:23:",
            "`service_region` of aws_vpc_endpoint.partner",
        ),
    ];
    assert_eq!(got.len(), expected.len(), "{got:#?}");
    for ((place, what), line) in expected.iter().zip(&got) {
        assert!(
            line.starts_with(place)
                && line.contains(&format!("ERROR SOV010 {what} cannot be resolved")),
            "expected {place} {what}, got {line}"
        );
    }
    // The reasons name where the value would come from.
    assert!(
        got[1].contains("data.aws_ssm_parameter.placement.value"),
        "{}",
        got[1]
    );
    assert!(got[3].contains("expected a non-empty string"), "{}", got[3]);
    // Nothing unknown is reported as inside or outside by the rules that needed it.
    for rule in ["SOV001", "SOV002", "SOV008", "SOV009"] {
        let found = lines(&["--plan", "plan.json", ".", "--format", "compact"], rule);
        assert!(found.is_empty(), "{rule}: {found:#?}");
    }
}

#[test]
fn unresolved_warn_lowers_them_to_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("sovereign.toml");
    std::fs::write(&policy, "unresolved = \"warn\"\n").unwrap();
    let policy = policy.to_string_lossy().into_owned();
    let got = lines(
        &[
            "--plan",
            "plan.json",
            ".",
            "--format",
            "compact",
            "--config",
            &policy,
        ],
        "SOV010",
    );
    assert_eq!(got.len(), 8, "{got:#?}");
    assert!(
        got.iter().all(|l| l.contains(": WARNING SOV010 ")),
        "{got:#?}"
    );
}

#[test]
fn places_in_nested_blocks_and_other_forms_are_read_from_a_plan() {
    let got = lines_in(
        "locations",
        &["--plan", "plan.json", ".", "--format", "compact"],
        "SOV001",
    );
    let expected = [
        (
            "main.tf:14:26:",
            "`availability_zone_id` of aws_subnet.by_zone_id: zone `use1-az4` is in `us-east-1`",
        ),
        (
            "main.tf:22:39:",
            "`custom_placement_config.data_locations` of google_storage_bucket.custom_dual: Google Cloud region `europe-west2`",
        ),
        (
            "main.tf:36:24:",
            "`settings.location_preference.secondary_zone` of google_sql_database_instance.metadata: zone `us-central1-b`",
        ),
        (
            "main.tf:51:12:",
            "`sku.name` of azurerm_cognitive_deployment.chat: deployment type `GlobalStandard`",
        ),
    ];
    assert_eq!(got.len(), expected.len(), "{got:#?}");
    for ((place, what), line) in expected.iter().zip(&got) {
        assert!(
            line.starts_with(place) && line.contains(&format!("ERROR SOV001 {what}")),
            "expected {place} {what}, got {line}"
        );
    }
    let unresolved = lines_in(
        "locations",
        &["--plan", "plan.json", ".", "--format", "compact"],
        "SOV010",
    );
    assert!(unresolved.is_empty(), "{unresolved:#?}");
}

/// One root cause, one finding, also without the sources: a storage account whose `location` is
/// `azurerm_resource_group.ml.location` (the plan's configuration records the reference) is not
/// reported again for the resource group's US region; the resource group and the accounts with a
/// place of their own are.
#[test]
fn a_place_taken_from_another_resource_is_reported_once_without_sources() {
    let got = lines_in(
        "referenced-place",
        &["--plan", "plan.json", ".", "--format", "compact"],
        "SOV001",
    );
    let addresses: Vec<&str> = got
        .iter()
        .filter_map(|l| l.split("`location` of ").nth(1))
        .filter_map(|rest| rest.split(':').next())
        .collect();
    assert_eq!(
        addresses,
        [
            "azurerm_cosmosdb_account.features",
            "azurerm_resource_group.ml",
            "azurerm_storage_account.us"
        ],
        "{got:#?}"
    );
}

/// Terraform leaves `dynamic` blocks out of the plan's configuration: a `replica` block generated
/// from a collection known only after apply shows in the plan as `replica` known after apply and
/// nothing else. With the sources, the linter sees that the configuration writes it, and the
/// replication target it cannot prove is SOV010 — as when linting the configuration — instead of
/// passing silently.
#[test]
fn a_dynamic_block_known_after_apply_fails_closed_with_the_sources() {
    let plan = lines_in(
        "dynamic-unknown",
        &["--plan", "plan.json", ".", "--format", "compact"],
        "SOV010",
    );
    assert_eq!(plan.len(), 1, "{plan:#?}");
    assert!(
        plan[0].starts_with("main.tf:28:3: ERROR SOV010 `replica` of aws_dynamodb_table.features")
            && plan[0].contains("known after apply"),
        "{plan:#?}"
    );
    let configuration = lines_in("dynamic-unknown", &[".", "--format", "compact"], "SOV010");
    assert_eq!(configuration.len(), 1, "{configuration:#?}");
    assert!(
        configuration[0].contains("`replica.region_name` of aws_dynamodb_table.features"),
        "{configuration:#?}"
    );
}
