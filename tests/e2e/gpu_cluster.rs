//! `sovereign_gpu_cluster` end to end: real Terraform against moto (with the project's extension), inside a
//! `sovereign_network` with a `sovereign_key`; every outcome checked through the EC2 API, not Terraform's state.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Filter, Instance};
use sovereign_e2e::network::assert_no_network_left;
use sovereign_e2e::provider_fixtures::{assert_no_changes, assert_plan_refused, planned_change};
use sovereign_e2e::{
    Fault, Moto, REGION, Terraform, block_on, bundled_terraform, ec2_client, moto, provider_config,
};

const AMI: &str = "ami-04681a1dbd79675a5";
const AMI_2: &str = "ami-760aaa0f";

/// A key, a two-zone network and (unless `cluster` is empty) `sovereign_gpu_cluster.c` with those lines.
fn stack(cluster: &str) -> String {
    let key = if cluster.contains("kms_key_arn") {
        ""
    } else {
        "  kms_key_arn = sovereign_key.k.arn\n"
    };
    let cluster = if cluster.is_empty() {
        String::new()
    } else {
        format!(
            r#"
resource "sovereign_gpu_cluster" "c" {{
  name               = "train"
  security_group_ids = [sovereign_network.n.workload_security_group_id]
{key}{cluster}}}
"#
        )
    };
    format!(
        r#"
resource "sovereign_key" "k" {{
  description          = "GPU volumes"
  tags                 = {{ data-classification = "restricted" }}
}}

resource "sovereign_network" "n" {{
  name                = "gpu-net"
  cidr_block          = "10.50.0.0/16"
  availability_zones  = ["eu-central-1a", "eu-central-1b"]
  interface_endpoints = ["kms"]
  tags                = {{ data-classification = "restricted" }}
}}
{cluster}"#
    )
}

const TAGS: &str = "  tags = { data-classification = \"restricted\", job = \"llm\" }\n";

/// Cluster lines: `nodes` × `instance_type` in zone a (cluster placement) from `ami`, tagged, plus `extra`.
fn typed(nodes: u32, instance_type: &str, ami: &str, extra: &str) -> String {
    format!(
        "  instance_type = \"{instance_type}\"\n  node_count = {nodes}\n  ami_id = \"{ami}\"\n  subnet_ids = [sovereign_network.n.subnet_ids_by_zone[\"eu-central-1a\"]]\n{extra}"
    )
}

fn in_one_zone(nodes: u32, ami: &str, extra: &str) -> String {
    typed(nodes, "g5.xlarge", ami, &format!("{TAGS}{extra}"))
}

fn terraform(moto: &Moto, cluster: &str) -> Terraform {
    let mut tf = Terraform::with_provider(&bundled_terraform());
    tf.env("SOVEREIGN_AWS_MAX_ATTEMPTS", "1");
    tf.write(
        "main.tf",
        &format!("{}{}", provider_config(moto), stack(cluster)),
    );
    tf
}

fn rewrite(tf: &Terraform, moto: &Moto, cluster: &str) {
    tf.write(
        "main.tf",
        &format!("{}{}", provider_config(moto), stack(cluster)),
    );
}

/// The cluster's live instances (not terminated), by their slot tag.
fn live_instances(moto: &Moto) -> BTreeMap<u32, Instance> {
    let ec2 = ec2_client(&moto.endpoint());
    let out = block_on(
        ec2.describe_instances()
            .filters(
                Filter::builder()
                    .name("tag:sovereign-cluster")
                    .values("train")
                    .build(),
            )
            .send(),
    )
    .expect("DescribeInstances");
    out.reservations()
        .iter()
        .flat_map(|r| r.instances())
        .filter(|i| {
            !matches!(
                i.state().and_then(|s| s.name()).map(|n| n.as_str()),
                Some("terminated") | Some("shutting-down")
            )
        })
        .map(|i| {
            let slot = i
                .tags()
                .iter()
                .find(|t| t.key() == Some("sovereign-slot"))
                .and_then(|t| t.value())
                .and_then(|v| v.parse().ok())
                .unwrap_or(u32::MAX);
            (slot, i.clone())
        })
        .collect()
}

fn ids(instances: &BTreeMap<u32, Instance>) -> BTreeMap<u32, String> {
    instances
        .iter()
        .map(|(s, i)| (*s, i.instance_id().unwrap_or_default().to_string()))
        .collect()
}

fn state_ids(tf: &Terraform) -> Vec<String> {
    tf.resource_values("sovereign_gpu_cluster.c")["instance_ids"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn key_arn(tf: &Terraform) -> String {
    tf.resource_values("sovereign_key.k")["arn"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Everything SPEC §4 promises of each instance, through the EC2 API.
fn assert_instances_sovereign(moto: &Moto, tf: &Terraform, expect_nodes: usize) {
    let ec2 = ec2_client(&moto.endpoint());
    let instances = live_instances(moto);
    assert_eq!(
        instances.len(),
        expect_nodes,
        "instances: {:?}",
        ids(&instances)
    );
    let slots: Vec<u32> = instances.keys().copied().collect();
    assert_eq!(
        slots,
        (0..expect_nodes as u32).collect::<Vec<_>>(),
        "slots 0…n-1"
    );
    let key = key_arn(tf);
    for (slot, i) in &instances {
        let id = i.instance_id().unwrap_or_default();
        assert!(i.public_ip_address().is_none(), "slot {slot}: no public IP");
        assert_eq!(i.instance_type().map(|t| t.as_str()), Some("g5.xlarge"));
        let imds = i.metadata_options().expect("metadata options");
        assert_eq!(
            imds.http_tokens().map(|t| t.as_str()),
            Some("required"),
            "slot {slot}: IMDSv2"
        );
        assert_eq!(
            imds.http_put_response_hop_limit(),
            Some(1),
            "slot {slot}: hop limit 1"
        );
        assert_eq!(
            i.placement().and_then(|p| p.group_name()),
            Some("train"),
            "slot {slot}: in the placement group"
        );
        let tags: BTreeMap<&str, &str> = i
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?, t.value()?)))
            .collect();
        assert_eq!(tags.get("job"), Some(&"llm"), "slot {slot}: tags {tags:?}");
        let volumes = block_on(
            ec2.describe_volumes()
                .filters(
                    Filter::builder()
                        .name("attachment.instance-id")
                        .values(id)
                        .build(),
                )
                .send(),
        )
        .expect("DescribeVolumes");
        assert!(!volumes.volumes().is_empty(), "slot {slot}: a root volume");
        for v in volumes.volumes() {
            assert_eq!(v.encrypted(), Some(true), "slot {slot}: volume encrypted");
            assert_eq!(
                v.kms_key_id(),
                Some(key.as_str()),
                "slot {slot}: with the cluster's key"
            );
        }
    }
}

#[test]
fn cluster_lifecycle_scale_in_place_replace_and_destroy() {
    let moto = moto();
    let tf = terraform(&moto, &in_one_zone(2, AMI, ""));
    tf.apply();
    assert_instances_sovereign(&moto, &tf, 2);
    let ec2 = ec2_client(&moto.endpoint());
    let groups = block_on(ec2.describe_placement_groups().group_names("train").send())
        .expect("placement group");
    assert_eq!(
        groups.placement_groups()[0].strategy().map(|s| s.as_str()),
        Some("cluster")
    );
    let values = tf.resource_values("sovereign_gpu_cluster.c");
    let template = values["launch_template_id"].as_str().unwrap().to_string();
    let versions = block_on(
        ec2.describe_launch_template_versions()
            .launch_template_id(&template)
            .versions("$Default")
            .send(),
    )
    .expect("template versions");
    let data = versions.launch_template_versions()[0]
        .launch_template_data()
        .unwrap();
    assert_eq!(
        data.metadata_options()
            .and_then(|m| m.http_tokens())
            .map(|t| t.as_str()),
        Some("required")
    );
    assert_eq!(
        data.network_interfaces()[0].associate_public_ip_address(),
        Some(false)
    );
    assert_eq!(
        values["hourly_cost_usd"].as_f64(),
        Some(2.516),
        "2 × 1.258 USD: {values:#}"
    );
    assert_no_changes(&tf, "after create");

    // 2 → 3 → 1 in place; survivors keep their ids.
    let before = ids(&live_instances(&moto));
    rewrite(&tf, &moto, &in_one_zone(3, AMI, ""));
    assert!(planned_change(&tf, "sovereign_gpu_cluster.c").is_update_in_place());
    tf.apply();
    let grown = ids(&live_instances(&moto));
    assert_eq!(grown.len(), 3);
    assert_eq!(grown[&0], before[&0]);
    assert_eq!(grown[&1], before[&1]);
    assert_eq!(
        state_ids(&tf),
        grown.values().cloned().collect::<Vec<_>>(),
        "state lists the instances by slot"
    );
    assert_no_changes(&tf, "after growing");
    rewrite(&tf, &moto, &in_one_zone(1, AMI, ""));
    tf.apply();
    let shrunk = ids(&live_instances(&moto));
    assert_eq!(
        shrunk,
        BTreeMap::from([(0, before[&0].clone())]),
        "the highest slots go"
    );
    assert_no_changes(&tf, "after shrinking");

    // A new AMI replaces the cluster.
    rewrite(&tf, &moto, &in_one_zone(1, AMI_2, ""));
    let change = planned_change(&tf, "sovereign_gpu_cluster.c");
    assert!(
        change.is_replace() && change.replaces_because_of("ami_id"),
        "{change:#?}"
    );
    tf.apply();
    let replaced = live_instances(&moto);
    assert_eq!(replaced.len(), 1);
    assert_ne!(ids(&replaced)[&0], before[&0]);
    assert_eq!(replaced[&0].image_id(), Some(AMI_2));

    tf.destroy();
    assert!(live_instances(&moto).is_empty(), "no instance left");
    let groups = block_on(ec2.describe_placement_groups().send()).expect("DescribePlacementGroups");
    assert!(
        groups.placement_groups().is_empty(),
        "no placement group left"
    );
    let templates =
        block_on(ec2.describe_launch_templates().send()).expect("DescribeLaunchTemplates");
    assert!(
        templates.launch_templates().is_empty(),
        "no launch template left"
    );
    assert_no_network_left(&moto, REGION, "after destroy");
}

#[test]
fn import_by_name_then_no_changes_and_terminated_instances_are_relaunched() {
    let moto = moto();
    let cluster = in_one_zone(2, AMI, "");
    let tf = terraform(&moto, &cluster);
    tf.apply();

    let copy = terraform(&moto, &cluster);
    for address in ["sovereign_key.k", "sovereign_network.n"] {
        let id = tf.resource_values(address)["id"]
            .as_str()
            .unwrap()
            .to_string();
        copy.import(address, &id);
    }
    copy.import("sovereign_gpu_cluster.c", "train");
    assert_no_changes(&copy, "after import");
    drop(copy);

    // Out of band: slot 1's instance terminated. The plan shows it; apply launches slot 1 again.
    let before = ids(&live_instances(&moto));
    let ec2 = ec2_client(&moto.endpoint());
    block_on(ec2.terminate_instances().instance_ids(&before[&1]).send()).unwrap();
    let change = planned_change(&tf, "sovereign_gpu_cluster.c");
    assert!(change.is_update_in_place(), "{change:#?}");
    tf.apply();
    let after = ids(&live_instances(&moto));
    assert_eq!(after.len(), 2);
    assert_eq!(after[&0], before[&0], "slot 0 untouched");
    assert_ne!(after[&1], before[&1], "slot 1 relaunched");
    assert_no_changes(&tf, "after the relaunch");

    // Out of band: a new default template version without IMDSv2 — shown and repaired.
    let template = tf.resource_values("sovereign_gpu_cluster.c")["launch_template_id"]
        .as_str()
        .unwrap()
        .to_string();
    let insecure = aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
        .image_id(AMI)
        .metadata_options(
            aws_sdk_ec2::types::LaunchTemplateInstanceMetadataOptionsRequest::builder()
                .http_tokens(aws_sdk_ec2::types::LaunchTemplateHttpTokensState::Optional)
                .build(),
        )
        .build();
    let made = block_on(
        ec2.create_launch_template_version()
            .launch_template_id(&template)
            .launch_template_data(insecure)
            .send(),
    )
    .unwrap();
    let version = made
        .launch_template_version()
        .and_then(|v| v.version_number())
        .unwrap();
    block_on(
        ec2.modify_launch_template()
            .launch_template_id(&template)
            .default_version(version.to_string())
            .send(),
    )
    .unwrap();
    let change = planned_change(&tf, "sovereign_gpu_cluster.c");
    assert!(change.is_update_in_place(), "{change:#?}");
    tf.apply();
    let versions = block_on(
        ec2.describe_launch_template_versions()
            .launch_template_id(&template)
            .versions("$Default")
            .send(),
    )
    .unwrap();
    let data = versions.launch_template_versions()[0]
        .launch_template_data()
        .unwrap();
    assert_eq!(
        data.metadata_options()
            .and_then(|m| m.http_tokens())
            .map(|t| t.as_str()),
        Some("required")
    );
    assert_instances_sovereign(&moto, &tf, 2);
    assert_no_changes(&tf, "after the repair");
    tf.destroy();
}

#[test]
fn a_retried_apply_never_launches_a_slot_twice() {
    let moto = moto();
    let tf = terraform(&moto, &in_one_zone(1, AMI, ""));
    tf.apply();
    // Growing to 3: the launch succeeds, then tagging the new slots fails, so the apply ends before it records them.
    moto.inject(&Fault::new("CreateTags", "InternalError").service("ec2"));
    rewrite(&tf, &moto, &in_one_zone(3, AMI, ""));
    let out = tf.apply_err();
    assert!(out.stderr.contains("CreateTags"), "{out}");
    moto.clear_faults();
    tf.apply();
    let all = block_on(
        ec2_client(&moto.endpoint())
            .describe_instances()
            .filters(
                Filter::builder()
                    .name("tag:sovereign-cluster")
                    .values("train")
                    .build(),
            )
            .send(),
    )
    .unwrap();
    let launched = all
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .count();
    assert_eq!(
        launched, 3,
        "the retry found the instances it had launched; none launched twice"
    );
    assert_eq!(
        live_instances(&moto).keys().copied().collect::<Vec<_>>(),
        [0, 1, 2]
    );
    assert_no_changes(&tf, "after the retry");
    tf.destroy();
    assert!(live_instances(&moto).is_empty());
}

#[test]
fn a_capacity_error_keeps_exactly_the_running_instances() {
    let moto = moto();
    let spread = |nodes: u32| {
        format!(
            "  instance_type = \"g5.xlarge\"\n  node_count = {nodes}\n  ami_id = \"{AMI}\"\n  placement_strategy = \"spread\"\n  subnet_ids = sovereign_network.n.subnet_ids\n{TAGS}"
        )
    };
    let tf = terraform(&moto, &spread(2));
    tf.apply();
    // Zone b has room for the one instance it runs, no more.
    moto.set_capacity("g5.xlarge", Some("eu-central-1b"), 1);
    rewrite(&tf, &moto, &spread(4));
    let out = tf.apply_err();
    let text = out.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains("InsufficientInstanceCapacity"), "{out}");
    assert!(text.contains("eu-central-1b"), "names the zone: {out}");
    assert!(text.contains("g5.xlarge"), "names the type: {out}");
    assert!(text.contains("(slots 3)"), "names the slots: {out}");
    let running = ids(&live_instances(&moto));
    assert_eq!(
        running.keys().copied().collect::<Vec<_>>(),
        [0, 1, 2],
        "zone a's new slot runs"
    );
    let mut recorded = state_ids(&tf);
    recorded.sort();
    let mut live: Vec<String> = running.values().cloned().collect();
    live.sort();
    assert_eq!(recorded, live, "state holds exactly the running instances");
    moto.clear_capacity();
    tf.apply();
    assert_eq!(
        live_instances(&moto).len(),
        4,
        "the next apply launches the rest"
    );
    tf.destroy();
    assert!(live_instances(&moto).is_empty());
}

#[test]
fn ttl_expiry_terminates_and_nothing_is_relaunched_until_the_ttl_changes() {
    let moto = moto();
    let mut tf = terraform(&moto, &in_one_zone(2, AMI, "  ttl_hours = 2\n"));
    tf.env("SOVEREIGN_CLOCK", "2026-12-03T10:00:00Z");
    tf.apply();
    let values = tf.resource_values("sovereign_gpu_cluster.c");
    assert_eq!(values["expires_at"], "2026-12-03T12:00:00Z");
    for i in live_instances(&moto).values() {
        let tag = i
            .tags()
            .iter()
            .find(|t| t.key() == Some("expires-at"))
            .and_then(|t| t.value());
        assert_eq!(
            tag,
            Some("2026-12-03T12:00:00Z"),
            "expires-at on every instance"
        );
        let volumes = block_on(
            ec2_client(&moto.endpoint())
                .describe_volumes()
                .filters(
                    Filter::builder()
                        .name("attachment.instance-id")
                        .values(i.instance_id().unwrap_or_default())
                        .build(),
                )
                .send(),
        )
        .expect("DescribeVolumes");
        assert!(!volumes.volumes().is_empty());
        for v in volumes.volumes() {
            let tag = v
                .tags()
                .iter()
                .find(|t| t.key() == Some("expires-at"))
                .and_then(|t| t.value());
            assert_eq!(
                tag,
                Some("2026-12-03T12:00:00Z"),
                "expires-at on every volume"
            );
        }
    }
    tf.env("SOVEREIGN_CLOCK", "2026-12-03T12:30:00Z");
    let change = planned_change(&tf, "sovereign_gpu_cluster.c");
    assert_eq!(
        change.after["instance_ids"],
        serde_json::json!([]),
        "{change:#?}"
    );
    assert_eq!(change.after["hourly_cost_usd"].as_f64(), Some(0.0));
    tf.apply();
    assert!(
        live_instances(&moto).is_empty(),
        "expired: every instance terminated"
    );
    assert_no_changes(&tf, "expired: nothing relaunched");
    rewrite(&tf, &moto, &in_one_zone(2, AMI, "  ttl_hours = 4\n"));
    tf.apply();
    assert_eq!(
        live_instances(&moto).len(),
        2,
        "a new TTL window launches again"
    );
    assert_eq!(
        tf.resource_values("sovereign_gpu_cluster.c")["expires_at"],
        "2026-12-03T16:30:00Z"
    );
    tf.destroy();
}

fn assert_no_cluster_left(moto: &Moto, context: &str) {
    let ec2 = ec2_client(&moto.endpoint());
    assert!(live_instances(moto).is_empty(), "{context}: no instance");
    let groups = block_on(ec2.describe_placement_groups().send()).expect("DescribePlacementGroups");
    assert!(
        groups.placement_groups().is_empty(),
        "{context}: no placement group"
    );
    let templates =
        block_on(ec2.describe_launch_templates().send()).expect("DescribeLaunchTemplates");
    assert!(
        templates.launch_templates().is_empty(),
        "{context}: no launch template"
    );
}

#[test]
fn plan_time_refusals_create_nothing() {
    let moto = moto();
    // The key and the network exist first, so the subnets are known when the cluster is planned.
    let tf = terraform(&moto, "");
    tf.apply();
    let spread = |nodes: u32| {
        format!(
            "  instance_type = \"g5.xlarge\"\n  node_count = {nodes}\n  ami_id = \"{AMI}\"\n  placement_strategy = \"spread\"\n  subnet_ids = sovereign_network.n.subnet_ids\n{TAGS}"
        )
    };
    let cases: Vec<(String, &str, Vec<&str>)> = vec![
        (
            in_one_zone(4, AMI, "  max_hourly_cost_usd = 3\n"),
            "max_hourly_cost_usd",
            vec!["5.03", "g5.xlarge", "eu-central-1"],
        ),
        (
            typed(
                1,
                "p5.48xlarge",
                AMI,
                &format!("{TAGS}  max_hourly_cost_usd = 1000\n"),
            ),
            "max_hourly_cost_usd",
            vec!["no on-demand USD price", "p5.48xlarge"],
        ),
        (
            typed(
                1,
                "p6-b200.48xlarge",
                AMI,
                &format!("{TAGS}  confidential_computing = \"nitro_enclaves\"\n"),
            ),
            "confidential_computing",
            vec!["p6-b200.48xlarge"],
        ),
        (
            typed(1, "m5.large", AMI, TAGS),
            "instance_type",
            vec!["GPU"],
        ),
        (
            spread(2).replace("spread", "cluster"),
            "subnet_ids",
            vec!["one Availability Zone", "eu-central-1a", "eu-central-1b"],
        ),
        (spread(15), "node_count", vec!["at most 14"]),
        (
            in_one_zone(
                1,
                AMI,
                "  kms_key_arn = \"arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab\"\n",
            ),
            "kms_key_arn",
            vec!["eu-west-1"],
        ),
        (
            typed(1, "g5.xlarge", AMI, "  tags = { job = \"llm\" }\n"),
            "tags",
            vec!["data-classification"],
        ),
    ];
    for (cluster, attribute, mentions) in cases {
        rewrite(&tf, &moto, &cluster);
        assert_plan_refused(&tf, attribute, &mentions);
        tf.apply_err();
        assert_no_cluster_left(&moto, &format!("refused `{attribute}`"));
    }
}
