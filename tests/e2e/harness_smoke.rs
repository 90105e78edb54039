//! Proves the e2e harness itself works: moto starts and resets, the project's moto extension behaves like AWS for
//! KMS custom key stores, EC2 placement groups, eusc-de-east-1 zones and endpoint service names, endpoint and subnet
//! refusals and the default security group, RunInstances with placement groups, client tokens, launch-template
//! options and capacity limits (`InsufficientInstanceCapacity`), placement group tags; fault injection works,
//! Terraform 1.15.5 (and a PATH Terraform 1.11–1.14 when present) runs configurations, and Terraform loads the
//! provider through `dev_overrides`.
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::types::{
    Filter, HttpTokensState, InstanceType, LaunchTemplateBlockDeviceMappingRequest,
    LaunchTemplateEbsBlockDeviceRequest, LaunchTemplateEnclaveOptionsRequest,
    LaunchTemplateHttpTokensState, LaunchTemplateInstanceMetadataOptionsRequest,
    LaunchTemplateSpecification, LaunchTemplateTagSpecificationRequest, Placement,
    PlacementStrategy, RequestLaunchTemplateData, ResourceType, Tag, VolumeType, VpcEndpointType,
};
use sovereign_e2e::{
    Fault, PROVIDER_SOURCE, Terraform, block_on, bundled_terraform, ec2_client, ec2_client_in,
    kms_client, moto, path_terraform, repo_root, terraform_versions,
};
use std::process::Command;

/// The AWS error code and message of a failed SDK call.
fn error_of<E: ProvideErrorMetadata, R>(err: SdkError<E, R>) -> (String, String) {
    (
        err.code().unwrap_or_default().to_string(),
        err.message().unwrap_or_default().to_string(),
    )
}

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

fn create_vpc(ec2: &aws_sdk_ec2::Client, cidr: &str) -> String {
    let out = block_on(ec2.create_vpc().cidr_block(cidr).send()).unwrap();
    out.vpc().unwrap().vpc_id().unwrap().to_string()
}

#[test]
fn moto_starts_and_reset_drops_state() {
    let moto = moto();
    let kms = kms_client(&moto.endpoint());
    block_on(kms.create_key().description("smoke").send()).unwrap();
    let keys = block_on(kms.list_keys().send()).unwrap();
    assert_eq!(keys.keys().len(), 1, "one key after CreateKey");

    moto.reset();
    let keys = block_on(kms.list_keys().send()).unwrap();
    assert!(
        keys.keys().is_empty(),
        "reset drops every key, found {:?}",
        keys.keys()
    );
}

#[test]
fn moto_honours_regions() {
    let moto = moto();
    let key = block_on(kms_client(&moto.endpoint()).create_key().send()).unwrap();
    let key_id = key.key_metadata().unwrap().key_id().to_string();
    let other = sovereign_e2e::kms_client_in(&moto.endpoint(), "us-east-1");
    let err = block_on(other.describe_key().key_id(&key_id).send()).unwrap_err();
    assert_eq!(
        err.into_service_error().meta().code(),
        Some("NotFoundException")
    );
}

#[test]
fn custom_key_store_extension_behaves_like_aws() {
    let moto = moto();
    let kms = kms_client(&moto.endpoint());

    let store_id = block_on(
        kms.create_custom_key_store()
            .custom_key_store_name("smoke-hsm")
            .cloud_hsm_cluster_id("cluster-1234567890a")
            .trust_anchor_certificate(
                "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
            )
            .key_store_password("kmsuser-password")
            .send(),
    )
    .unwrap()
    .custom_key_store_id()
    .unwrap()
    .to_string();
    assert!(store_id.starts_with("cks-"), "store id {store_id}");

    let stores = block_on(
        kms.describe_custom_key_stores()
            .custom_key_store_id(&store_id)
            .send(),
    )
    .unwrap();
    let store = &stores.custom_key_stores()[0];
    assert_eq!(store.custom_key_store_name(), Some("smoke-hsm"));
    assert_eq!(store.cloud_hsm_cluster_id(), Some("cluster-1234567890a"));
    assert_eq!(
        store.connection_state().map(|s| s.as_str()),
        Some("DISCONNECTED")
    );

    // Like AWS, a key can only be created in a connected store.
    let err = block_on(
        kms.create_key()
            .origin(aws_sdk_kms::types::OriginType::AwsCloudhsm)
            .custom_key_store_id(&store_id)
            .send(),
    )
    .unwrap_err();
    assert_eq!(
        err.into_service_error().meta().code(),
        Some("CustomKeyStoreInvalidStateException")
    );

    block_on(
        kms.connect_custom_key_store()
            .custom_key_store_id(&store_id)
            .send(),
    )
    .unwrap();
    let stores = block_on(kms.describe_custom_key_stores().send()).unwrap();
    assert_eq!(
        stores.custom_key_stores()[0]
            .connection_state()
            .map(|s| s.as_str()),
        Some("CONNECTED")
    );

    let created = block_on(
        kms.create_key()
            .description("hsm-backed")
            .origin(aws_sdk_kms::types::OriginType::AwsCloudhsm)
            .custom_key_store_id(&store_id)
            .send(),
    )
    .unwrap();
    let key_id = created.key_metadata().unwrap().key_id().to_string();

    let described = block_on(kms.describe_key().key_id(&key_id).send()).unwrap();
    let meta = described.key_metadata().unwrap();
    assert_eq!(meta.custom_key_store_id(), Some(store_id.as_str()));
    assert_eq!(meta.cloud_hsm_cluster_id(), Some("cluster-1234567890a"));
    assert_eq!(meta.origin().map(|o| o.as_str()), Some("AWS_CLOUDHSM"));

    let err = block_on(kms.enable_key_rotation().key_id(&key_id).send()).unwrap_err();
    assert_eq!(
        err.into_service_error().meta().code(),
        Some("UnsupportedOperationException")
    );

    // Ordinary keys still rotate, and an unknown store is reported as such.
    let plain = block_on(kms.create_key().send())
        .unwrap()
        .key_metadata()
        .unwrap()
        .key_id()
        .to_string();
    block_on(
        kms.enable_key_rotation()
            .key_id(&plain)
            .rotation_period_in_days(90)
            .send(),
    )
    .unwrap();
    let status = block_on(kms.get_key_rotation_status().key_id(&plain).send()).unwrap();
    assert!(status.key_rotation_enabled());
    let plain_meta = block_on(kms.describe_key().key_id(&plain).send()).unwrap();
    assert_eq!(
        plain_meta.key_metadata().unwrap().custom_key_store_id(),
        None
    );
    let err = block_on(
        kms.describe_custom_key_stores()
            .custom_key_store_id("cks-00000000000000000")
            .send(),
    )
    .unwrap_err();
    assert_eq!(
        err.into_service_error().meta().code(),
        Some("CustomKeyStoreNotFoundException")
    );
}

/// The harness has no EC2 SDK client (the provider's EC2 dependency is not there yet), so the placement-group part
/// of the extension is checked with boto3 from the harness venv.
#[test]
fn placement_group_extension_behaves_like_aws() {
    let moto = moto();
    let script = r#"
import sys, boto3, botocore.exceptions
ec2 = boto3.client("ec2", endpoint_url=sys.argv[1], region_name="eu-central-1",
                   aws_access_key_id="testing", aws_secret_access_key="testing")
pg = ec2.create_placement_group(GroupName="gpu", Strategy="cluster", TagSpecifications=[
    {"ResourceType": "placement-group", "Tags": [{"Key": "team", "Value": "ml"}]}])["PlacementGroup"]
assert pg["GroupName"] == "gpu" and pg["Strategy"] == "cluster" and pg["GroupId"].startswith("pg-"), pg
found = ec2.describe_placement_groups(GroupNames=["gpu"])["PlacementGroups"]
assert [g["Tags"] for g in found] == [[{"Key": "team", "Value": "ml"}]], found
try:
    ec2.create_placement_group(GroupName="gpu", Strategy="cluster")
    raise SystemExit("duplicate accepted")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "InvalidPlacementGroup.Duplicate", e
ec2.delete_placement_group(GroupName="gpu")
assert ec2.describe_placement_groups()["PlacementGroups"] == []
try:
    ec2.describe_placement_groups(GroupNames=["gpu"])
    raise SystemExit("deleted group still described")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "InvalidPlacementGroup.Unknown", e
print("placement groups ok")
"#;
    let out = Command::new(repo_root().join(".venv/bin/python"))
        .args(["-c", script, &moto.endpoint()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "boto3 check failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "placement groups ok"
    );
}

#[test]
fn eusc_has_two_zones_and_subnets_refuse_other_regions_zones() {
    let moto = moto();
    let eusc = ec2_client_in(&moto.endpoint(), "eusc-de-east-1");
    let zones = block_on(eusc.describe_availability_zones().send()).unwrap();
    let zones: Vec<_> = zones
        .availability_zones()
        .iter()
        .map(|z| (z.zone_name().unwrap(), z.zone_id().unwrap()))
        .collect();
    assert_eq!(
        zones,
        [
            ("eusc-de-east-1a", "eusc1-az1"),
            ("eusc-de-east-1b", "eusc1-az2")
        ]
    );

    let vpc = create_vpc(&eusc, "10.0.0.0/16");
    let subnet = block_on(
        eusc.create_subnet()
            .vpc_id(&vpc)
            .cidr_block("10.0.1.0/24")
            .availability_zone("eusc-de-east-1b")
            .send(),
    )
    .unwrap();
    let subnet = subnet.subnet().unwrap();
    assert_eq!(subnet.availability_zone(), Some("eusc-de-east-1b"));
    assert_eq!(subnet.availability_zone_id(), Some("eusc1-az2"));

    let err = block_on(
        eusc.create_subnet()
            .vpc_id(&vpc)
            .cidr_block("10.0.2.0/24")
            .availability_zone("eu-central-1a")
            .send(),
    )
    .unwrap_err();
    let (code, message) = error_of(err);
    assert_eq!(code, "InvalidParameterValue", "{message}");
    assert!(
        message.contains("eusc-de-east-1a, eusc-de-east-1b"),
        "{message}"
    );
}

#[test]
fn eusc_names_its_ecr_endpoints_eu_amazonaws_and_refuses_the_com_form() {
    let moto = moto();
    let eusc = ec2_client_in(&moto.endpoint(), "eusc-de-east-1");
    let services = block_on(eusc.describe_vpc_endpoint_services().send()).unwrap();
    let names = services.service_names();
    for svc in ["ecr.api", "ecr.dkr", "execute-api", "securityhub"] {
        assert!(
            names.contains(&format!("eu.amazonaws.eusc-de-east-1.{svc}")),
            "{svc}: {names:?}"
        );
        assert!(
            !names.contains(&format!("com.amazonaws.eusc-de-east-1.{svc}")),
            "{svc}"
        );
    }
    for svc in ["kms", "sts", "logs", "s3"] {
        assert!(
            names.contains(&format!("com.amazonaws.eusc-de-east-1.{svc}")),
            "{svc}"
        );
    }

    let vpc = create_vpc(&eusc, "10.0.0.0/16");
    let endpoint = |name: &str| {
        block_on(
            eusc.create_vpc_endpoint()
                .vpc_id(&vpc)
                .service_name(name)
                .vpc_endpoint_type(VpcEndpointType::Interface)
                .private_dns_enabled(false)
                .send(),
        )
        .map(|out| {
            out.vpc_endpoint()
                .unwrap()
                .service_name()
                .unwrap()
                .to_string()
        })
        .map_err(error_of)
    };
    let (code, message) = endpoint("com.amazonaws.eusc-de-east-1.ecr.dkr").unwrap_err();
    assert_eq!(code, "InvalidServiceName");
    assert_eq!(
        message,
        "The Vpc Endpoint Service 'com.amazonaws.eusc-de-east-1.ecr.dkr' does not exist"
    );
    assert_eq!(
        endpoint("eu.amazonaws.eusc-de-east-1.ecr.dkr").unwrap(),
        "eu.amazonaws.eusc-de-east-1.ecr.dkr"
    );
    // Names DescribeVpcEndpointServices does not list are refused in every region.
    let ec2 = ec2_client(&moto.endpoint());
    let other = create_vpc(&ec2, "10.1.0.0/16");
    let err = block_on(
        ec2.create_vpc_endpoint()
            .vpc_id(&other)
            .service_name("com.amazonaws.us-east-1.kms")
            .vpc_endpoint_type(VpcEndpointType::Interface)
            .private_dns_enabled(false)
            .send(),
    )
    .unwrap_err();
    assert_eq!(error_of(err).0, "InvalidServiceName");
}

#[test]
fn interface_endpoint_private_dns_needs_both_vpc_dns_attributes() {
    let moto = moto();
    let ec2 = ec2_client(&moto.endpoint());
    let vpc = create_vpc(&ec2, "10.0.0.0/16");
    let create = || {
        block_on(
            ec2.create_vpc_endpoint()
                .vpc_id(&vpc)
                .service_name("com.amazonaws.eu-central-1.kms")
                .vpc_endpoint_type(VpcEndpointType::Interface)
                .private_dns_enabled(true)
                .send(),
        )
        .map(|_| ())
        .map_err(error_of)
    };
    // A new VPC has DNS support but not DNS hostnames.
    let (code, message) = create().unwrap_err();
    assert_eq!(code, "InvalidParameter");
    assert_eq!(
        message,
        format!(
            "Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true for {vpc}"
        )
    );
    block_on(
        ec2.modify_vpc_attribute()
            .vpc_id(&vpc)
            .enable_dns_hostnames(
                aws_sdk_ec2::types::AttributeBooleanValue::builder()
                    .value(true)
                    .build(),
            )
            .send(),
    )
    .unwrap();
    create().unwrap();
}

#[test]
fn default_security_group_has_aws_rules_and_cannot_be_deleted() {
    let moto = moto();
    let ec2 = ec2_client(&moto.endpoint());
    let vpc = create_vpc(&ec2, "10.0.0.0/16");
    let groups = block_on(
        ec2.describe_security_groups()
            .filters(filter("vpc-id", &vpc))
            .filters(filter("group-name", "default"))
            .send(),
    )
    .unwrap();
    let [group] = groups.security_groups() else {
        panic!("one default group: {groups:?}");
    };
    let group_id = group.group_id().unwrap().to_string();

    let rules = |ec2: &aws_sdk_ec2::Client| {
        block_on(
            ec2.describe_security_group_rules()
                .filters(filter("group-id", &group_id))
                .send(),
        )
        .unwrap()
        .security_group_rules()
        .to_vec()
    };
    let all = rules(&ec2);
    assert_eq!(all.len(), 2, "{all:?}");
    let egress = all.iter().find(|r| r.is_egress() == Some(true)).unwrap();
    assert_eq!(egress.cidr_ipv4(), Some("0.0.0.0/0"));
    assert_eq!(egress.ip_protocol(), Some("-1"));
    let ingress = all.iter().find(|r| r.is_egress() == Some(false)).unwrap();
    assert_eq!(ingress.ip_protocol(), Some("-1"));
    assert_eq!(
        ingress.referenced_group_info().and_then(|g| g.group_id()),
        Some(group_id.as_str())
    );

    block_on(
        ec2.revoke_security_group_ingress()
            .group_id(&group_id)
            .security_group_rule_ids(ingress.security_group_rule_id().unwrap())
            .send(),
    )
    .unwrap();
    let left = rules(&ec2);
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0].is_egress(), Some(true));

    let err = block_on(ec2.delete_security_group().group_id(&group_id).send()).unwrap_err();
    assert_eq!(
        error_of(err),
        (
            "CannotDelete".to_string(),
            format!(
                "the specified group: \"{group_id}\" name: \"default\" cannot be deleted by a user"
            )
        )
    );
    // DeleteVpc still takes its default group with it.
    block_on(ec2.delete_vpc().vpc_id(&vpc).send()).unwrap();
}

#[test]
fn injected_fault_fails_the_second_call_then_calls_succeed() {
    let moto = moto();
    let ec2 = ec2_client(&moto.endpoint());
    moto.inject_fault("CreateVpc", 1, "InternalError");
    create_vpc(&ec2, "10.0.0.0/16");
    let err = block_on(ec2.create_vpc().cidr_block("10.1.0.0/16").send()).unwrap_err();
    assert_eq!(
        error_of(err),
        ("InternalError".to_string(), "injected failure".to_string())
    );
    create_vpc(&ec2, "10.1.0.0/16");
    // Other actions were never affected.
    block_on(ec2.describe_vpcs().send()).unwrap();

    // A fuller fault: KMS (JSON protocol), HTTP 500, twice, only for kms.
    let kms = kms_client(&moto.endpoint());
    moto.inject(
        &Fault::new("CreateKey", "KMSInternalException")
            .times(2)
            .status(500)
            .message("kms is down")
            .service("kms"),
    );
    for _ in 0..2 {
        let err = block_on(kms.create_key().send()).unwrap_err();
        assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(500));
        let err = err.into_service_error();
        assert_eq!(err.meta().code(), Some("KMSInternalException"));
        assert_eq!(err.meta().message(), Some("kms is down"));
    }
    block_on(kms.create_key().send()).unwrap();
}

#[test]
fn reset_and_clear_faults_drop_injected_faults() {
    let moto = moto();
    let ec2 = ec2_client(&moto.endpoint());
    moto.inject_fault("DescribeVpcs", 0, "Unavailable");
    moto.reset();
    block_on(ec2.describe_vpcs().send()).unwrap();

    moto.inject(&Fault::new("DescribeVpcs", "Unavailable").times(5));
    moto.clear_faults();
    block_on(ec2.describe_vpcs().send()).unwrap();
}

#[test]
fn bundled_terraform_is_1_15_5_and_ignores_the_machine_cli_config() {
    let tf = Terraform::new(&bundled_terraform());
    let out = tf.run_ok(&["version"]);
    assert_eq!(
        out.stdout.lines().next(),
        Some("Terraform v1.15.5"),
        "{out}"
    );
    // The harness always points TF_CLI_CONFIG_FILE at its own file.
    assert!(
        !out.combined()
            .contains("Unable to open CLI configuration file"),
        "{out}"
    );
}

#[test]
fn path_terraform_is_used_only_when_1_11_to_1_14() {
    let versions = terraform_versions();
    assert_eq!(versions[0], bundled_terraform());
    match path_terraform() {
        Some(bin) => {
            assert_eq!(versions.len(), 2);
            let minor: u32 = bin.version.split('.').nth(1).unwrap().parse().unwrap();
            assert!((11..=14).contains(&minor), "{bin}");
            let tf = Terraform::new(&bin);
            assert_eq!(tf.version(), format!("Terraform v{}", bin.version));
        }
        None => assert_eq!(versions.len(), 1),
    }
}

const DATA_ONLY: &str = r#"
variable "label" {
  type    = string
  default = "first"
}

resource "terraform_data" "a" {
  input = var.label
}

resource "terraform_data" "b" {
  input = "${terraform_data.a.output}-derived"
}

output "derived" {
  value = terraform_data.b.output
}
"#;

#[test]
fn terraform_applies_and_destroys_builtin_resources_with_every_version() {
    for bin in terraform_versions() {
        let tf = Terraform::new(&bin);
        tf.write("main.tf", DATA_ONLY);
        tf.init();

        let plan = tf.plan_detailed();
        assert_eq!(plan.code, 2, "{bin}: a fresh config has changes:\n{plan}");
        let planned = tf.plan_json();
        let actions: Vec<_> = planned["resource_changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["address"].as_str().unwrap().to_string(),
                    c["change"]["actions"].clone(),
                )
            })
            .collect();
        assert_eq!(
            actions,
            vec![
                (
                    "terraform_data.a".to_string(),
                    serde_json::json!(["create"])
                ),
                (
                    "terraform_data.b".to_string(),
                    serde_json::json!(["create"])
                ),
            ],
            "{bin}"
        );

        tf.apply();
        assert_eq!(
            tf.output_json()["derived"]["value"],
            "first-derived",
            "{bin}"
        );
        assert_eq!(
            tf.state_list(),
            vec!["terraform_data.a", "terraform_data.b"],
            "{bin}"
        );
        assert!(
            tf.state_show("terraform_data.a").contains("\"first\""),
            "{bin}"
        );
        assert_eq!(
            tf.resource_values("terraform_data.b")["output"],
            "first-derived",
            "{bin}"
        );

        let again = tf.plan_detailed();
        assert_eq!(again.code, 0, "{bin}: no changes after apply:\n{again}");

        tf.write("terraform.tfvars", "label = \"second\"\n");
        let changed = tf.plan_detailed();
        assert_eq!(
            changed.code, 2,
            "{bin}: changed input plans changes:\n{changed}"
        );
        tf.apply();
        assert_eq!(
            tf.output_json()["derived"]["value"],
            "second-derived",
            "{bin}"
        );

        tf.destroy();
        assert!(
            tf.state_list().is_empty(),
            "{bin}: state empty after destroy"
        );
    }
}

#[test]
fn terraform_errors_come_back_as_exit_code_1() {
    let tf = Terraform::new(&bundled_terraform());
    tf.write(
        "main.tf",
        "resource \"terraform_data\" \"x\" {\n  input = var.missing\n}\n",
    );
    let out = tf.plan_err();
    assert!(
        out.stderr
            .contains("Reference to undeclared input variable"),
        "{out}"
    );
}

#[test]
fn provider_schema_through_dev_overrides() {
    for bin in terraform_versions() {
        let tf = Terraform::with_provider(&bin);
        tf.write(
            "main.tf",
            &format!("terraform {{\n  required_providers {{\n    sovereign = {{ source = \"{PROVIDER_SOURCE}\" }}\n  }}\n}}\n"),
        );
        let schema = tf.providers_schema_json();
        let provider = &schema["provider_schemas"][PROVIDER_SOURCE];
        assert!(
            provider.is_object(),
            "{bin}: {PROVIDER_SOURCE} missing from the schema:\n{schema:#}"
        );
        let resources = provider["resource_schemas"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert!(
            resources.keys().all(|name| name.starts_with("sovereign_")),
            "{bin}: {:?}",
            resources.keys()
        );
    }
}

// ------------------------------------------------------------------------------- RunInstances for GPU clusters

/// Amazon Linux 2 (root `/dev/xvda`), built into moto in every region.
const AMI: &str = "ami-04681a1dbd79675a5";

fn create_subnet(ec2: &aws_sdk_ec2::Client, vpc: &str, cidr: &str, zone: &str) -> String {
    let out = block_on(
        ec2.create_subnet()
            .vpc_id(vpc)
            .cidr_block(cidr)
            .availability_zone(zone)
            .send(),
    )
    .unwrap();
    out.subnet().unwrap().subnet_id().unwrap().to_string()
}

/// A RunInstances request for `count` instances of `instance_type` in `subnet`.
fn launch(
    ec2: &aws_sdk_ec2::Client,
    instance_type: &str,
    subnet: &str,
    count: i32,
) -> aws_sdk_ec2::operation::run_instances::builders::RunInstancesFluentBuilder {
    ec2.run_instances()
        .image_id(AMI)
        .instance_type(InstanceType::from(instance_type))
        .subnet_id(subnet)
        .min_count(count)
        .max_count(count)
}

fn instance_ids(instances: &[aws_sdk_ec2::types::Instance]) -> Vec<String> {
    instances
        .iter()
        .map(|i| i.instance_id().unwrap().to_string())
        .collect()
}

/// The instances DescribeInstances lists for one filter, sorted by id.
fn described_ids(ec2: &aws_sdk_ec2::Client, name: &str, value: &str) -> Vec<String> {
    let out = block_on(ec2.describe_instances().filters(filter(name, value)).send()).unwrap();
    let mut ids: Vec<String> = out
        .reservations()
        .iter()
        .flat_map(|r| instance_ids(r.instances()))
        .collect();
    ids.sort();
    ids
}

fn terminate(ec2: &aws_sdk_ec2::Client, ids: &[String]) {
    block_on(
        ec2.terminate_instances()
            .set_instance_ids(Some(ids.to_vec()))
            .send(),
    )
    .unwrap();
}

/// A VPC with one subnet in eu-central-1a and one in eu-central-1b.
fn two_zone_subnets(ec2: &aws_sdk_ec2::Client) -> (String, String) {
    let vpc = create_vpc(ec2, "10.0.0.0/16");
    (
        create_subnet(ec2, &vpc, "10.0.1.0/24", "eu-central-1a"),
        create_subnet(ec2, &vpc, "10.0.2.0/24", "eu-central-1b"),
    )
}

#[test]
fn run_instances_records_and_checks_placement_groups_like_aws() {
    let moto = moto();
    let ec2 = ec2_client(&moto.endpoint());
    let (subnet_a, subnet_b) = two_zone_subnets(&ec2);
    let group = block_on(
        ec2.create_placement_group()
            .group_name("gpu")
            .strategy(PlacementStrategy::Cluster)
            .send(),
    )
    .unwrap();
    let group_id = group
        .placement_group()
        .unwrap()
        .group_id()
        .unwrap()
        .to_string();
    let in_group = |name: &str| Placement::builder().group_name(name).build();

    // Unknown group: refused, nothing launched.
    let err = block_on(
        launch(&ec2, "p4d.24xlarge", &subnet_a, 1)
            .placement(in_group("nope"))
            .send(),
    )
    .unwrap_err();
    assert_eq!(
        error_of(err),
        (
            "InvalidPlacementGroup.Unknown".to_string(),
            "The Placement Group 'nope' is unknown.".to_string()
        )
    );

    // Launched into the group: DescribeInstances shows it, and the placement-group-name filter finds them.
    let out = block_on(
        launch(&ec2, "p4d.24xlarge", &subnet_a, 2)
            .placement(in_group("gpu"))
            .send(),
    )
    .unwrap();
    let mut launched = instance_ids(out.instances());
    launched.sort();
    assert_eq!(described_ids(&ec2, "placement-group-name", "gpu"), launched);
    let described = block_on(ec2.describe_instances().instance_ids(&launched[0]).send()).unwrap();
    let placement = described.reservations()[0].instances()[0]
        .placement()
        .unwrap();
    assert_eq!(placement.group_name(), Some("gpu"));
    assert_eq!(placement.group_id(), Some(group_id.as_str()));
    assert_eq!(placement.availability_zone(), Some("eu-central-1a"));

    // A cluster group lives in one zone.
    let err = block_on(
        launch(&ec2, "p4d.24xlarge", &subnet_b, 1)
            .placement(in_group("gpu"))
            .send(),
    )
    .unwrap_err();
    assert_eq!(
        error_of(err),
        (
            "InvalidPlacementGroup.InUse".to_string(),
            "The placement group 'gpu' is in use in another availability zone".to_string()
        )
    );

    // A group with instances inside cannot be deleted; once they are terminated it can.
    let err = block_on(ec2.delete_placement_group().group_name("gpu").send()).unwrap_err();
    assert_eq!(error_of(err).0, "InvalidPlacementGroup.InUse");
    terminate(&ec2, &launched);
    block_on(ec2.delete_placement_group().group_name("gpu").send()).unwrap();
}

#[test]
fn run_instances_client_tokens_are_idempotent_like_aws() {
    let moto = moto();
    let ec2 = ec2_client(&moto.endpoint());
    let (subnet_a, _) = two_zone_subnets(&ec2);

    let first = block_on(
        launch(&ec2, "g5.xlarge", &subnet_a, 2)
            .client_token("gpu-0-1-v1")
            .send(),
    )
    .unwrap();
    let again = block_on(
        launch(&ec2, "g5.xlarge", &subnet_a, 2)
            .client_token("gpu-0-1-v1")
            .send(),
    )
    .unwrap();
    assert_eq!(again.reservation_id(), first.reservation_id());
    let mut ids = instance_ids(first.instances());
    ids.sort();
    assert_eq!(instance_ids(again.instances()).len(), 2);
    // The retry launched nothing: two instances carry the token.
    assert_eq!(described_ids(&ec2, "client-token", "gpu-0-1-v1"), ids);

    let err = block_on(
        launch(&ec2, "g5.2xlarge", &subnet_a, 2)
            .client_token("gpu-0-1-v1")
            .send(),
    )
    .unwrap_err();
    assert_eq!(
        error_of(err),
        (
            "IdempotentParameterMismatch".to_string(),
            "Arguments on this idempotent request are inconsistent with arguments used in previous request(s)."
                .to_string()
        )
    );

    terminate(&ec2, &ids);
    let err = block_on(
        launch(&ec2, "g5.xlarge", &subnet_a, 2)
            .client_token("gpu-0-1-v1")
            .send(),
    )
    .unwrap_err();
    assert_eq!(
        error_of(err),
        (
            "IdempotentInstanceTerminated".to_string(),
            "The client token you have provided is associated with a terminated instance. Please use a different \
             client token."
                .to_string()
        )
    );
}

#[test]
fn run_instances_applies_the_launch_templates_metadata_enclave_and_volume_settings() {
    let moto = moto();
    let ec2 = ec2_client(&moto.endpoint());
    let (subnet_a, _) = two_zone_subnets(&ec2);
    let key_arn = "arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555";
    let tag = |k: &str, v: &str| Tag::builder().key(k).value(v).build();
    let data = RequestLaunchTemplateData::builder()
        .image_id(AMI)
        .instance_type(InstanceType::from("g5.xlarge"))
        .metadata_options(
            LaunchTemplateInstanceMetadataOptionsRequest::builder()
                .http_tokens(LaunchTemplateHttpTokensState::Required)
                .http_put_response_hop_limit(1)
                .build(),
        )
        .enclave_options(
            LaunchTemplateEnclaveOptionsRequest::builder()
                .enabled(true)
                .build(),
        )
        .block_device_mappings(
            LaunchTemplateBlockDeviceMappingRequest::builder()
                .device_name("/dev/xvda")
                .ebs(
                    LaunchTemplateEbsBlockDeviceRequest::builder()
                        .volume_size(100)
                        .volume_type(VolumeType::Gp3)
                        .encrypted(true)
                        .kms_key_id(key_arn)
                        .delete_on_termination(true)
                        .build(),
                )
                .build(),
        )
        .tag_specifications(
            LaunchTemplateTagSpecificationRequest::builder()
                .resource_type(ResourceType::Volume)
                .tags(tag("expires-at", "2026-12-04T00:00:00Z"))
                .build(),
        )
        .build();
    let template = block_on(
        ec2.create_launch_template()
            .launch_template_name("gpu")
            .launch_template_data(data)
            .send(),
    )
    .unwrap();
    let template_id = template
        .launch_template()
        .unwrap()
        .launch_template_id()
        .unwrap();

    let out = block_on(
        ec2.run_instances()
            .launch_template(
                LaunchTemplateSpecification::builder()
                    .launch_template_id(template_id)
                    .version("$Latest")
                    .build(),
            )
            .subnet_id(&subnet_a)
            .min_count(1)
            .max_count(1)
            .send(),
    )
    .unwrap();
    let id = instance_ids(out.instances()).remove(0);
    let described = block_on(ec2.describe_instances().instance_ids(&id).send()).unwrap();
    let instance = &described.reservations()[0].instances()[0];
    let metadata = instance.metadata_options().unwrap();
    assert_eq!(metadata.http_tokens(), Some(&HttpTokensState::Required));
    assert_eq!(metadata.http_put_response_hop_limit(), Some(1));
    assert_eq!(
        instance.enclave_options().and_then(|e| e.enabled()),
        Some(true)
    );

    // One volume: the template's encrypted root, tagged from the template (no extra unencrypted default root).
    let volumes = block_on(
        ec2.describe_volumes()
            .filters(filter("attachment.instance-id", &id))
            .send(),
    )
    .unwrap();
    let volumes = volumes.volumes();
    assert_eq!(volumes.len(), 1, "{volumes:?}");
    assert_eq!(volumes[0].encrypted(), Some(true));
    assert_eq!(volumes[0].kms_key_id(), Some(key_arn));
    assert_eq!(volumes[0].size(), Some(100));
    assert!(
        volumes[0]
            .tags()
            .iter()
            .any(|t| t.key() == Some("expires-at") && t.value() == Some("2026-12-04T00:00:00Z")),
        "{:?}",
        volumes[0].tags()
    );

    // Without enclave options anywhere, the instance reports them disabled (as AWS does).
    let plain = block_on(launch(&ec2, "m5.large", &subnet_a, 1).send()).unwrap();
    assert_eq!(
        plain.instances()[0]
            .enclave_options()
            .and_then(|e| e.enabled()),
        Some(false)
    );
}

#[test]
fn capacity_limits_fail_launches_with_insufficient_instance_capacity() {
    let moto = moto();
    let ec2 = ec2_client(&moto.endpoint());
    let (subnet_a, subnet_b) = two_zone_subnets(&ec2);
    moto.set_capacity("p4d.24xlarge", Some("eu-central-1a"), 2);

    let first = block_on(launch(&ec2, "p4d.24xlarge", &subnet_a, 2).send()).unwrap();
    let err = block_on(launch(&ec2, "p4d.24xlarge", &subnet_a, 1).send()).unwrap_err();
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(500));
    assert_eq!(
        error_of(err),
        (
            "InsufficientInstanceCapacity".to_string(),
            "We currently do not have sufficient p4d.24xlarge capacity in the Availability Zone you requested \
             (eu-central-1a). Our system will be working on provisioning additional capacity. You can currently \
             get p4d.24xlarge capacity by not specifying an Availability Zone in your request or choosing \
             eu-central-1b, eu-central-1c."
                .to_string()
        )
    );
    // Other zones and types are not limited.
    block_on(launch(&ec2, "p4d.24xlarge", &subnet_b, 3).send()).unwrap();
    block_on(launch(&ec2, "g5.xlarge", &subnet_a, 1).send()).unwrap();

    // One slot free: a launch needing two (MinCount) fails whole and launches nothing.
    terminate(&ec2, &instance_ids(first.instances())[..1]);
    let err = block_on(launch(&ec2, "p4d.24xlarge", &subnet_a, 2).send()).unwrap_err();
    assert_eq!(error_of(err).0, "InsufficientInstanceCapacity");
    let running_in_a = |ec2: &aws_sdk_ec2::Client| {
        let out = block_on(
            ec2.describe_instances()
                .filters(filter("instance-type", "p4d.24xlarge"))
                .filters(filter("availability-zone", "eu-central-1a"))
                .filters(filter("instance-state-name", "running"))
                .send(),
        )
        .unwrap();
        out.reservations()
            .iter()
            .map(|r| r.instances().len())
            .sum::<usize>()
    };
    assert_eq!(running_in_a(&ec2), 1);
    block_on(launch(&ec2, "p4d.24xlarge", &subnet_a, 1).send()).unwrap();
    assert_eq!(running_in_a(&ec2), 2);

    // Cleared explicitly, and by every reset.
    moto.clear_capacity();
    block_on(launch(&ec2, "p4d.24xlarge", &subnet_a, 1).send()).unwrap();
    moto.set_capacity("p4d.24xlarge", None, 0);
    moto.reset();
    let (subnet_a, _) = two_zone_subnets(&ec2);
    block_on(launch(&ec2, "p4d.24xlarge", &subnet_a, 1).send()).unwrap();
}

#[test]
fn placement_groups_take_tags_by_id() {
    let moto = moto();
    let ec2 = ec2_client(&moto.endpoint());
    let group = block_on(
        ec2.create_placement_group()
            .group_name("gpu")
            .strategy(PlacementStrategy::Spread)
            .send(),
    )
    .unwrap();
    let group_id = group
        .placement_group()
        .unwrap()
        .group_id()
        .unwrap()
        .to_string();
    let tag = |k: &str, v: &str| Tag::builder().key(k).value(v).build();
    block_on(
        ec2.create_tags()
            .resources(&group_id)
            .tags(tag("expires-at", "2026-12-04T00:00:00Z"))
            .tags(tag("team", "ml"))
            .send(),
    )
    .unwrap();
    block_on(
        ec2.delete_tags()
            .resources(&group_id)
            .tags(Tag::builder().key("team").build())
            .send(),
    )
    .unwrap();
    let found = block_on(ec2.describe_placement_groups().group_names("gpu").send()).unwrap();
    let tags: Vec<(Option<&str>, Option<&str>)> = found.placement_groups()[0]
        .tags()
        .iter()
        .map(|t| (t.key(), t.value()))
        .collect();
    assert_eq!(
        tags,
        vec![(Some("expires-at"), Some("2026-12-04T00:00:00Z"))]
    );
}
