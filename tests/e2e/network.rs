//! `sovereign_network` end to end: real Terraform (1.15.5, and a PATH 1.11–1.14 when present) against moto (with
//! the project's extension), every outcome checked through the EC2 API, not through Terraform's state.

use sovereign_e2e::network::{VpcInventory, assert_no_network_left, custom_vpcs, inventory};
use sovereign_e2e::provider_fixtures::{
    ProviderBlock, assert_no_changes, assert_plan_refused, hcl_map, planned_change,
};
use sovereign_e2e::{
    Fault, Moto, MotoLease, REGION, Terraform, TerraformBin, block_on, bundled_terraform,
    ec2_client, moto, provider_config, s3_client, terraform_versions,
};

const TAGS: &[(&str, &str)] = &[("data-classification", "restricted"), ("team", "ml")];
const DEFAULT_SERVICES: [&str; 5] = ["kms", "sts", "ecr.api", "ecr.dkr", "logs"];

/// A `sovereign_network.n`; `extra` adds argument lines.
fn network(cidr: &str, zones: &[&str], tags: &[(&str, &str)], extra: &str) -> String {
    let zones: Vec<String> = zones.iter().map(|z| format!("\"{z}\"")).collect();
    format!(
        r#"
resource "sovereign_network" "n" {{
  name               = "ml-net"
  cidr_block         = "{cidr}"
  availability_zones = [{}]
  tags               = {}
{extra}}}
"#,
        zones.join(", "),
        hcl_map(tags)
    )
}

fn terraform(bin: &TerraformBin, moto: &Moto, resources: &str) -> Terraform {
    let mut tf = Terraform::with_provider(bin);
    tf.env("SOVEREIGN_AWS_MAX_ATTEMPTS", "1");
    tf.write("main.tf", &format!("{}{resources}", provider_config(moto)));
    tf
}

/// A bucket for flow logs, made outside Terraform; returns its ARN.
fn flow_log_bucket(moto: &Moto, name: &str) -> String {
    let s3 = s3_client(&moto.endpoint());
    let location = aws_sdk_s3::types::CreateBucketConfiguration::builder()
        .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(REGION))
        .build();
    block_on(
        s3.create_bucket()
            .bucket(name)
            .create_bucket_configuration(location)
            .send(),
    )
    .expect("CreateBucket");
    format!("arn:aws:s3:::{name}")
}

fn vpc_id_of(tf: &Terraform) -> String {
    tf.resource_values("sovereign_network.n")["vpc_id"]
        .as_str()
        .expect("vpc_id in state")
        .to_string()
}

fn service(name: &str) -> String {
    format!("com.amazonaws.{REGION}.{name}")
}

/// Asserts every invariant of SPEC §4 on what EC2 reports.
fn assert_zero_egress(bin: &TerraformBin, inv: &VpcInventory, zones: &[&str], services: &[&str]) {
    assert!(
        inv.dns_support && inv.dns_hostnames,
        "{bin}: DNS support and hostnames on: {inv:#?}"
    );
    let subnet_zones: Vec<&str> = inv.subnets.keys().map(String::as_str).collect();
    let mut want_zones = zones.to_vec();
    want_zones.sort();
    assert_eq!(subnet_zones, want_zones, "{bin}: one subnet per zone");
    for (zone, (_, cidr, public, tags)) in &inv.subnets {
        assert!(!public, "{bin}: subnet in {zone} hands out no public IP");
        assert_eq!(
            tags.get("Name").map(String::as_str),
            Some(format!("ml-net-{zone}").as_str()),
            "{bin}: subnet name"
        );
        assert!(cidr.ends_with("/20"), "{bin}: subnet CIDR {cidr}");
    }
    assert!(
        inv.internet_gateways.is_empty(),
        "{bin}: no internet gateway"
    );
    assert_eq!(
        inv.route_tables.len(),
        1,
        "{bin}: one private route table: {:#?}",
        inv.route_tables
    );
    let (associated, routes) = inv.route_tables.values().next().expect("one table");
    let mut associated = associated.clone();
    associated.sort();
    let mut subnet_ids: Vec<String> = inv.subnets.values().map(|s| s.0.clone()).collect();
    subnet_ids.sort();
    assert_eq!(
        associated, subnet_ids,
        "{bin}: every subnet on the private table"
    );
    for route in routes.iter().chain(&inv.main_routes) {
        assert!(
            !route.starts_with("0.0.0.0/0") && !route.starts_with("::/0"),
            "{bin}: no default route: {route}"
        );
    }
    let (_, default_rules) = &inv.security_groups["default"];
    assert!(
        default_rules.is_empty(),
        "{bin}: default security group emptied: {default_rules:?}"
    );
    let (workload_id, workload) = &inv.security_groups["sovereign-workload"];
    assert_eq!(
        workload,
        &vec!["in -1 - self".to_string(), format!("out -1 - {}", inv.cidr)],
        "{bin}: workload egress only to the VPC ({workload_id})"
    );
    let (endpoint_sg, endpoint_rules) = &inv.security_groups["sovereign-endpoints"];
    assert_eq!(
        endpoint_rules,
        &vec![format!("in tcp 443 {}", inv.cidr)],
        "{bin}: endpoint group admits HTTPS from the VPC"
    );
    let mut want_services: Vec<String> = services.iter().map(|s| service(s)).collect();
    want_services.sort();
    let have_services: Vec<String> = inv.interface_endpoints.keys().cloned().collect();
    assert_eq!(have_services, want_services, "{bin}: interface endpoints");
    for (svc, (_, subnets, groups, private_dns)) in &inv.interface_endpoints {
        assert!(private_dns, "{bin}: private DNS on {svc}");
        assert_eq!(subnets, &subnet_ids, "{bin}: {svc} in every subnet");
        assert_eq!(
            groups,
            &vec![endpoint_sg.clone()],
            "{bin}: {svc} behind the endpoint group"
        );
    }
    let (_, s3_tables) = &inv.gateway_endpoints[&service("s3")];
    assert_eq!(
        s3_tables,
        &inv.route_tables.keys().cloned().collect::<Vec<_>>(),
        "{bin}: S3 gateway on the private table"
    );
}

#[test]
fn network_lifecycle_updates_in_place_and_destroy() {
    for bin in terraform_versions() {
        let moto = moto();
        let bucket = flow_log_bucket(&moto, "ml-flow-logs");
        let flow_logs = format!("  flow_logs_bucket_arn = \"{bucket}\"\n");
        let tf = terraform(
            &bin,
            &moto,
            &network(
                "10.20.0.0/16",
                &["eu-central-1a", "eu-central-1b"],
                TAGS,
                &flow_logs,
            ),
        );
        tf.apply();
        let vpc = vpc_id_of(&tf);
        let inv = inventory(&moto, REGION, &vpc);
        assert_zero_egress(
            &bin,
            &inv,
            &["eu-central-1a", "eu-central-1b"],
            &DEFAULT_SERVICES,
        );
        assert_eq!(inv.cidr, "10.20.0.0/16");
        assert_eq!(
            inv.subnets["eu-central-1a"].1, "10.20.0.0/20",
            "{bin}: zone a gets the first sixteenth"
        );
        assert_eq!(
            inv.subnets["eu-central-1b"].1, "10.20.16.0/20",
            "{bin}: zone b the second"
        );
        assert_eq!(
            inv.tags.get("team").map(String::as_str),
            Some("ml"),
            "{bin}: VPC tags"
        );
        assert_eq!(
            inv.tags.get("Name").map(String::as_str),
            Some("ml-net"),
            "{bin}: VPC name"
        );
        let logs: Vec<_> = inv.flow_logs.values().cloned().collect();
        assert_eq!(
            logs,
            [("ALL".to_string(), bucket.clone())],
            "{bin}: flow logs of ALL traffic to the bucket"
        );
        let state = tf.resource_values("sovereign_network.n");
        assert!(
            state["guardrails"]
                .as_object()
                .is_some_and(|g| g.values().all(|v| v == true)),
            "{bin}: {state:#}"
        );
        assert_no_changes(&tf, "after create");

        // Tags, one endpoint added and one removed, a zone added, flow logs off: all in place.
        let subnet_a = inv.subnets["eu-central-1a"].0.clone();
        let kms_endpoint = inv.interface_endpoints[&service("kms")].0.clone();
        let tags_v2 = [("data-classification", "internal"), ("team", "ml")];
        tf.write(
            "main.tf",
            &format!(
                "{}{}",
                provider_config(&moto),
                network(
                    "10.20.0.0/16",
                    &["eu-central-1a", "eu-central-1b", "eu-central-1c"],
                    &tags_v2,
                    "  interface_endpoints = [\"kms\", \"sts\", \"ecr.api\", \"ecr.dkr\", \"sagemaker.api\"]\n"
                )
            ),
        );
        let change = planned_change(&tf, "sovereign_network.n");
        assert!(
            change.is_update_in_place(),
            "{bin}: an in-place update: {change:#?}"
        );
        tf.apply();
        let inv = inventory(&moto, REGION, &vpc);
        let services = ["kms", "sts", "ecr.api", "ecr.dkr", "sagemaker.api"];
        assert_zero_egress(
            &bin,
            &inv,
            &["eu-central-1a", "eu-central-1b", "eu-central-1c"],
            &services,
        );
        assert_eq!(vpc_id_of(&tf), vpc, "{bin}: same VPC");
        assert_eq!(
            inv.subnets["eu-central-1a"].0, subnet_a,
            "{bin}: zone a keeps its subnet"
        );
        assert_eq!(
            inv.subnets["eu-central-1c"].1, "10.20.32.0/20",
            "{bin}: zone c gets the third sixteenth"
        );
        assert_eq!(
            inv.interface_endpoints[&service("kms")].0,
            kms_endpoint,
            "{bin}: kms endpoint kept"
        );
        assert!(
            inv.flow_logs.is_empty(),
            "{bin}: flow logs off: {:?}",
            inv.flow_logs
        );
        assert_eq!(
            inv.subnets["eu-central-1c"]
                .3
                .get("data-classification")
                .map(String::as_str),
            Some("internal")
        );
        assert_eq!(
            inv.subnets["eu-central-1a"]
                .3
                .get("data-classification")
                .map(String::as_str),
            Some("internal"),
            "{bin}: retagged"
        );
        assert_no_changes(&tf, "after the update");

        // Zone removed, flow logs back on.
        tf.write(
            "main.tf",
            &format!(
                "{}{}",
                provider_config(&moto),
                network(
                    "10.20.0.0/16",
                    &["eu-central-1a", "eu-central-1c"],
                    &tags_v2,
                    &flow_logs
                )
            ),
        );
        tf.apply();
        let inv = inventory(&moto, REGION, &vpc);
        assert_zero_egress(
            &bin,
            &inv,
            &["eu-central-1a", "eu-central-1c"],
            &DEFAULT_SERVICES,
        );
        assert_eq!(inv.flow_logs.len(), 1, "{bin}: flow logs on again");
        assert_no_changes(&tf, "after removing a zone");

        tf.destroy();
        assert_no_network_left(&moto, REGION, &format!("{bin}: after destroy"));
    }
}

#[test]
fn network_replaced_when_its_cidr_changes() {
    let bin = bundled_terraform();
    let moto = moto();
    let tf = terraform(
        &bin,
        &moto,
        &network("10.20.0.0/16", &["eu-central-1a"], TAGS, ""),
    );
    tf.apply();
    let old = vpc_id_of(&tf);
    tf.write(
        "main.tf",
        &format!(
            "{}{}",
            provider_config(&moto),
            network("10.30.0.0/16", &["eu-central-1a"], TAGS, "")
        ),
    );
    let change = planned_change(&tf, "sovereign_network.n");
    assert!(
        change.is_replace() && change.replaces_because_of("cidr_block"),
        "{change:#?}"
    );
    tf.apply();
    let new = vpc_id_of(&tf);
    assert_ne!(new, old);
    assert_eq!(
        custom_vpcs(&moto, REGION),
        vec![new.clone()],
        "the old VPC is gone"
    );
    assert_eq!(
        inventory(&moto, REGION, &new).subnets["eu-central-1a"].1,
        "10.30.0.0/20"
    );
    tf.destroy();
    assert_no_network_left(&moto, REGION, "after destroy");
}

#[test]
fn network_import_by_vpc_id_then_no_changes_and_destroy_elsewhere_is_recreated() {
    let bin = bundled_terraform();
    let moto = moto();
    let bucket = flow_log_bucket(&moto, "ml-flow-logs");
    let config = network(
        "10.20.0.0/16",
        &["eu-central-1a", "eu-central-1b", "eu-central-1c"],
        TAGS,
        &format!("  flow_logs_bucket_arn = \"{bucket}\"\n"),
    );
    let original = terraform(&bin, &moto, &config);
    original.apply();
    let vpc = vpc_id_of(&original);

    let imported = terraform(&bin, &moto, &config);
    imported.import("sovereign_network.n", &vpc);
    assert_no_changes(&imported, "after import");
    let values = imported.resource_values("sovereign_network.n");
    assert_eq!(values["cidr_block"], "10.20.0.0/16");
    assert_eq!(values["flow_logs_bucket_arn"], bucket.as_str());

    // Destroyed from the other working directory = deleted outside Terraform for the first.
    imported.destroy();
    assert_no_network_left(&moto, REGION, "after destroying the imported copy");
    let change = planned_change(&original, "sovereign_network.n");
    assert!(
        change.is_create(),
        "a network deleted outside Terraform is planned for re-creation: {change:#?}"
    );
    original.apply();
    let again = vpc_id_of(&original);
    assert_ne!(again, vpc);
    assert_zero_egress(
        &bin,
        &inventory(&moto, REGION, &again),
        &["eu-central-1a", "eu-central-1b", "eu-central-1c"],
        &DEFAULT_SERVICES,
    );
    original.destroy();
    assert_no_network_left(&moto, REGION, "after destroy");
}

#[test]
fn network_drift_is_shown_and_repaired() {
    let bin = bundled_terraform();
    let moto = moto();
    let tf = terraform(
        &bin,
        &moto,
        &network(
            "10.20.0.0/16",
            &["eu-central-1a", "eu-central-1b"],
            TAGS,
            "",
        ),
    );
    tf.apply();
    let vpc = vpc_id_of(&tf);
    let inv = inventory(&moto, REGION, &vpc);
    let ec2 = ec2_client(&moto.endpoint());

    // Out of band: an internet gateway with a default route, an SSH rule on the default group, an endpoint deleted.
    let igw = block_on(ec2.create_internet_gateway().send())
        .unwrap()
        .internet_gateway
        .unwrap()
        .internet_gateway_id
        .unwrap();
    block_on(
        ec2.attach_internet_gateway()
            .internet_gateway_id(&igw)
            .vpc_id(&vpc)
            .send(),
    )
    .unwrap();
    let table = inv.route_tables.keys().next().unwrap().clone();
    block_on(
        ec2.create_route()
            .route_table_id(&table)
            .destination_cidr_block("0.0.0.0/0")
            .gateway_id(&igw)
            .send(),
    )
    .unwrap();
    let default_sg = inv.security_groups["default"].0.clone();
    let ssh = aws_sdk_ec2::types::IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(22)
        .to_port(22)
        .ip_ranges(
            aws_sdk_ec2::types::IpRange::builder()
                .cidr_ip("0.0.0.0/0")
                .build(),
        )
        .build();
    block_on(
        ec2.authorize_security_group_ingress()
            .group_id(&default_sg)
            .ip_permissions(ssh)
            .send(),
    )
    .unwrap();
    let kms = inv.interface_endpoints[&service("kms")].0.clone();
    block_on(ec2.delete_vpc_endpoints().vpc_endpoint_ids(&kms).send()).unwrap();

    let change = planned_change(&tf, "sovereign_network.n");
    assert!(
        change.is_update_in_place(),
        "drift shows as an update: {change:#?}"
    );
    for guardrail in [
        "no_internet_gateway",
        "no_default_route",
        "default_security_group_empty",
    ] {
        assert_eq!(
            change.before["guardrails"][guardrail], false,
            "{guardrail} reads false: {:#}",
            change.before
        );
        assert_eq!(
            change.after["guardrails"][guardrail], true,
            "{guardrail} is planned true"
        );
    }
    assert!(
        !change.before["interface_endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "kms"),
        "the deleted endpoint is missing before: {:#}",
        change.before
    );
    tf.apply();
    let inv = inventory(&moto, REGION, &vpc);
    assert_zero_egress(
        &bin,
        &inv,
        &["eu-central-1a", "eu-central-1b"],
        &DEFAULT_SERVICES,
    );
    let gateways = block_on(
        ec2.describe_internet_gateways()
            .internet_gateway_ids(&igw)
            .send(),
    );
    assert!(
        gateways
            .map(|g| g.internet_gateways().is_empty())
            .unwrap_or(true),
        "the internet gateway is deleted"
    );
    assert_no_changes(&tf, "after the repair");
    tf.destroy();
    assert_no_network_left(&moto, REGION, "after destroy");
}

fn refused(moto: &MotoLease, resources: &str, attribute: &str, mentions: &[&str]) {
    let tf = terraform(&bundled_terraform(), moto, resources);
    assert_plan_refused(&tf, attribute, mentions);
    tf.apply_err();
    assert_no_network_left(moto, REGION, &format!("refused `{attribute}`"));
}

#[test]
fn plan_time_refusals_create_nothing() {
    let moto = moto();
    refused(
        &moto,
        &network("10.20.0.0/16", &["eu-central-1a", "eu-west-1a"], TAGS, ""),
        "availability_zones",
        &["eu-west-1a", "eu-central-1"],
    );
    refused(
        &moto,
        &network(
            "10.20.0.0/16",
            &["eu-central-1a"],
            TAGS,
            "  flow_logs_bucket_arn = \"arn:aws-us-gov:s3:::logs\"\n",
        ),
        "flow_logs_bucket_arn",
        &["aws-us-gov"],
    );
    refused(
        &moto,
        &network(
            "10.20.0.0/16",
            &["eu-central-1a"],
            TAGS,
            "  interface_endpoints = [\"com.amazonaws.us-east-1.kms\"]\n",
        ),
        "interface_endpoints",
        &["us-east-1"],
    );
    refused(
        &moto,
        &network("10.20.0.0/16", &["eu-central-1a"], &[("team", "ml")], ""),
        "tags",
        &["data-classification"],
    );
    refused(
        &moto,
        &network("8.8.0.0/16", &["eu-central-1a"], TAGS, ""),
        "cidr_block",
        &["RFC 1918"],
    );
}

#[test]
fn failure_halfway_through_create_leaves_nothing() {
    let moto = moto();
    // The third interface endpoint fails, after the VPC, subnets, route table, groups and two endpoints exist.
    moto.inject(
        &Fault::new("CreateVpcEndpoint", "InternalError")
            .after(2)
            .message("injected failure"),
    );
    let tf = terraform(
        &bundled_terraform(),
        &moto,
        &network(
            "10.20.0.0/16",
            &["eu-central-1a", "eu-central-1b"],
            TAGS,
            "",
        ),
    );
    let out = tf.apply_err();
    let text = out.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains("AWS CreateVpcEndpoint failed"), "{out}");
    assert!(text.contains("injected failure"), "{out}");
    assert!(
        text.contains("rolled back"),
        "the rollback is reported: {out}"
    );
    assert!(tf.state_list().is_empty(), "nothing in state");
    assert_no_network_left(&moto, REGION, "after the failed create");

    // A flow log AWS refuses (the bucket does not exist) is an error, and rolls back too.
    moto.clear_faults();
    let tf = terraform(
        &bundled_terraform(),
        &moto,
        &network(
            "10.20.0.0/16",
            &["eu-central-1a"],
            TAGS,
            "  flow_logs_bucket_arn = \"arn:aws:s3:::no-such-bucket\"\n",
        ),
    );
    let out = tf.apply_err();
    let text = out.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains("AWS CreateFlowLogs failed"), "{out}");
    assert!(text.contains("no-such-bucket"), "{out}");
    assert!(tf.state_list().is_empty(), "nothing in state");
    assert_no_network_left(&moto, REGION, "after the refused flow log");
}

#[test]
fn failed_update_keeps_what_it_made() {
    let moto = moto();
    let tf = terraform(
        &bundled_terraform(),
        &moto,
        &network(
            "10.20.0.0/16",
            &["eu-central-1a"],
            TAGS,
            "  interface_endpoints = [\"kms\"]\n",
        ),
    );
    tf.apply();
    let vpc = vpc_id_of(&tf);
    moto.inject(&Fault::new("CreateVpcEndpoint", "InternalError").after(1));
    tf.write(
        "main.tf",
        &format!(
            "{}{}",
            provider_config(&moto),
            network(
                "10.20.0.0/16",
                &["eu-central-1a"],
                TAGS,
                "  interface_endpoints = [\"kms\", \"sts\", \"logs\"]\n"
            )
        ),
    );
    tf.apply_err();
    let inv = inventory(&moto, REGION, &vpc);
    assert_eq!(
        inv.interface_endpoints.len(),
        2,
        "one new endpoint was made before the failure: {inv:#?}"
    );
    let recorded = tf.resource_values("sovereign_network.n")["endpoint_ids"].clone();
    let made: Vec<&String> = inv.interface_endpoints.values().map(|e| &e.0).collect();
    for id in &made {
        assert!(
            recorded
                .as_object()
                .unwrap()
                .values()
                .any(|v| v == id.as_str()),
            "state keeps the id of {id}: {recorded:#}"
        );
    }
    tf.apply();
    let inv = inventory(&moto, REGION, &vpc);
    assert_zero_egress(
        &bundled_terraform(),
        &inv,
        &["eu-central-1a"],
        &["kms", "sts", "logs"],
    );
    for id in made {
        assert!(
            inv.interface_endpoints.values().any(|e| &e.0 == id),
            "{id} kept, not made twice"
        );
    }
    assert_no_changes(&tf, "after finishing the update");
    tf.destroy();
    assert_no_network_left(&moto, REGION, "after destroy");
}

#[test]
fn network_in_the_european_sovereign_cloud() {
    const EUSC: &str = "eusc-de-east-1";
    let moto = moto();
    let mut tf = Terraform::with_provider(&bundled_terraform());
    tf.env("SOVEREIGN_AWS_MAX_ATTEMPTS", "1");
    let provider = ProviderBlock::for_moto(&moto).region(EUSC);
    let provider = ProviderBlock {
        jurisdiction: "eu-esc".into(),
        ..provider
    };
    tf.write(
        "main.tf",
        &format!(
            "{}{}",
            provider.render(),
            network(
                "10.40.0.0/16",
                &["eusc-de-east-1a", "eusc-de-east-1b"],
                TAGS,
                ""
            )
        ),
    );
    tf.apply();
    let vpc = vpc_id_of(&tf);
    let inv = inventory(&moto, EUSC, &vpc);
    let services: Vec<&str> = inv.interface_endpoints.keys().map(String::as_str).collect();
    assert_eq!(
        services,
        [
            "com.amazonaws.eusc-de-east-1.kms",
            "com.amazonaws.eusc-de-east-1.logs",
            "com.amazonaws.eusc-de-east-1.sts",
            "eu.amazonaws.eusc-de-east-1.ecr.api",
            "eu.amazonaws.eusc-de-east-1.ecr.dkr",
        ],
        "service names of the European Sovereign Cloud"
    );
    assert_eq!(inv.subnets.len(), 2);
    assert!(
        inv.gateway_endpoints
            .contains_key("com.amazonaws.eusc-de-east-1.s3")
    );
    assert_no_changes(&tf, "after create");
    tf.destroy();
    assert_no_network_left(&moto, EUSC, "after destroy");
}
