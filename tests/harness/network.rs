//! EC2-side views for the network suites: everything a `sovereign_network` made, read through the EC2 API (never
//! through Terraform's state), and the check that nothing but the region's default VPC is left.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::Filter;

use crate::{Moto, block_on, ec2_client_in};

/// The objects of one VPC, as EC2 reports them.
#[derive(Debug, Clone, Default)]
pub struct VpcInventory {
    pub vpc_id: String,
    pub cidr: String,
    pub dns_support: bool,
    pub dns_hostnames: bool,
    pub tags: BTreeMap<String, String>,
    /// zone → (subnet id, CIDR, public IP on launch, tags)
    pub subnets: BTreeMap<String, (String, String, bool, BTreeMap<String, String>)>,
    /// Non-main route tables: id → (associated subnet ids, routes as "destination→target")
    pub route_tables: BTreeMap<String, (Vec<String>, Vec<String>)>,
    /// The main route table's routes.
    pub main_routes: Vec<String>,
    /// Security groups by name → (id, rules as "in|out proto port source")
    pub security_groups: BTreeMap<String, (String, Vec<String>)>,
    /// Live interface endpoints: service name → (id, subnet ids, group ids, private DNS)
    pub interface_endpoints: BTreeMap<String, (String, Vec<String>, Vec<String>, bool)>,
    /// Live gateway endpoints: service name → (id, route table ids)
    pub gateway_endpoints: BTreeMap<String, (String, Vec<String>)>,
    /// Flow logs: id → (traffic type, destination)
    pub flow_logs: BTreeMap<String, (String, String)>,
    pub internet_gateways: Vec<String>,
}

fn tags_of(tags: &[aws_sdk_ec2::types::Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

fn live(state: Option<&str>) -> bool {
    !matches!(
        state.map(str::to_ascii_lowercase).as_deref(),
        Some("deleted") | Some("deleting")
    )
}

/// Reads everything in `vpc_id`.
pub fn inventory(moto: &Moto, region: &str, vpc_id: &str) -> VpcInventory {
    let ec2 = ec2_client_in(&moto.endpoint(), region);
    let by_vpc = || Filter::builder().name("vpc-id").values(vpc_id).build();
    let mut inv = VpcInventory {
        vpc_id: vpc_id.to_string(),
        ..Default::default()
    };
    let vpcs = block_on(ec2.describe_vpcs().vpc_ids(vpc_id).send()).expect("DescribeVpcs");
    let vpc = vpcs.vpcs().first().expect("the VPC exists");
    inv.cidr = vpc.cidr_block().unwrap_or_default().to_string();
    inv.tags = tags_of(vpc.tags());
    let attribute = |name: aws_sdk_ec2::types::VpcAttributeName| {
        block_on(
            ec2.describe_vpc_attribute()
                .vpc_id(vpc_id)
                .attribute(name.clone())
                .send(),
        )
        .expect("DescribeVpcAttribute")
    };
    inv.dns_support = attribute(aws_sdk_ec2::types::VpcAttributeName::EnableDnsSupport)
        .enable_dns_support()
        .and_then(|v| v.value())
        .unwrap_or(false);
    inv.dns_hostnames = attribute(aws_sdk_ec2::types::VpcAttributeName::EnableDnsHostnames)
        .enable_dns_hostnames()
        .and_then(|v| v.value())
        .unwrap_or(false);
    for s in block_on(ec2.describe_subnets().filters(by_vpc()).send())
        .expect("DescribeSubnets")
        .subnets()
    {
        inv.subnets.insert(
            s.availability_zone().unwrap_or_default().to_string(),
            (
                s.subnet_id().unwrap_or_default().to_string(),
                s.cidr_block().unwrap_or_default().to_string(),
                s.map_public_ip_on_launch().unwrap_or(false),
                tags_of(s.tags()),
            ),
        );
    }
    for t in block_on(ec2.describe_route_tables().filters(by_vpc()).send())
        .expect("DescribeRouteTables")
        .route_tables()
    {
        let routes: Vec<String> = t
            .routes()
            .iter()
            .map(|r| {
                let destination = r
                    .destination_cidr_block()
                    .or(r.destination_ipv6_cidr_block())
                    .or(r.destination_prefix_list_id())
                    .unwrap_or_default();
                let target = r.gateway_id().or(r.nat_gateway_id()).unwrap_or_default();
                format!("{destination}→{target}")
            })
            .collect();
        if t.associations().iter().any(|a| a.main() == Some(true)) {
            inv.main_routes = routes;
        } else {
            let subnets = t
                .associations()
                .iter()
                .filter_map(|a| a.subnet_id().map(str::to_owned))
                .collect();
            inv.route_tables.insert(
                t.route_table_id().unwrap_or_default().to_string(),
                (subnets, routes),
            );
        }
    }
    let groups = block_on(ec2.describe_security_groups().filters(by_vpc()).send())
        .expect("DescribeSecurityGroups");
    for g in groups.security_groups() {
        let id = g.group_id().unwrap_or_default().to_string();
        let rules = block_on(
            ec2.describe_security_group_rules()
                .filters(Filter::builder().name("group-id").values(&id).build())
                .send(),
        )
        .expect("DescribeSecurityGroupRules");
        let mut described: Vec<String> = rules
            .security_group_rules()
            .iter()
            .map(|r| {
                let source = r
                    .cidr_ipv4()
                    .map(str::to_owned)
                    .or(r.cidr_ipv6().map(str::to_owned))
                    .or(r
                        .referenced_group_info()
                        .and_then(|g| g.group_id())
                        .map(|g| {
                            if g == id {
                                "self".to_string()
                            } else {
                                g.to_string()
                            }
                        }))
                    .unwrap_or_default();
                format!(
                    "{} {} {} {source}",
                    if r.is_egress() == Some(true) {
                        "out"
                    } else {
                        "in"
                    },
                    r.ip_protocol().unwrap_or_default(),
                    // All-traffic rules report port -1 (AWS) or none.
                    r.from_port()
                        .filter(|p| *p >= 0)
                        .map(|p| p.to_string())
                        .unwrap_or_else(|| "-".into()),
                )
            })
            .collect();
        described.sort();
        inv.security_groups.insert(
            g.group_name().unwrap_or_default().to_string(),
            (id, described),
        );
    }
    for e in block_on(ec2.describe_vpc_endpoints().filters(by_vpc()).send())
        .expect("DescribeVpcEndpoints")
        .vpc_endpoints()
    {
        if !live(e.state().map(|s| s.as_str())) {
            continue;
        }
        let service = e.service_name().unwrap_or_default().to_string();
        let id = e.vpc_endpoint_id().unwrap_or_default().to_string();
        if e.vpc_endpoint_type().map(|t| t.as_str()) == Some("Gateway") {
            inv.gateway_endpoints
                .insert(service, (id, e.route_table_ids().to_vec()));
        } else {
            let mut subnets = e.subnet_ids().to_vec();
            subnets.sort();
            let mut groups: Vec<String> = e
                .groups()
                .iter()
                .filter_map(|g| g.group_id().map(str::to_owned))
                .collect();
            groups.sort();
            inv.interface_endpoints.insert(
                service,
                (
                    id,
                    subnets,
                    groups,
                    e.private_dns_enabled().unwrap_or(false),
                ),
            );
        }
    }
    let logs = block_on(
        ec2.describe_flow_logs()
            .filter(Filter::builder().name("resource-id").values(vpc_id).build())
            .send(),
    )
    .expect("DescribeFlowLogs");
    for f in logs.flow_logs() {
        inv.flow_logs.insert(
            f.flow_log_id().unwrap_or_default().to_string(),
            (
                f.traffic_type()
                    .map(|t| t.as_str().to_string())
                    .unwrap_or_default(),
                f.log_destination().unwrap_or_default().to_string(),
            ),
        );
    }
    let igws = block_on(
        ec2.describe_internet_gateways()
            .filters(
                Filter::builder()
                    .name("attachment.vpc-id")
                    .values(vpc_id)
                    .build(),
            )
            .send(),
    )
    .expect("DescribeInternetGateways");
    inv.internet_gateways = igws
        .internet_gateways()
        .iter()
        .filter_map(|g| g.internet_gateway_id().map(str::to_owned))
        .collect();
    inv
}

/// The VPCs of `region` other than the default VPC.
pub fn custom_vpcs(moto: &Moto, region: &str) -> Vec<String> {
    let ec2 = ec2_client_in(&moto.endpoint(), region);
    block_on(ec2.describe_vpcs().send())
        .expect("DescribeVpcs")
        .vpcs()
        .iter()
        .filter(|v| v.is_default() != Some(true))
        .filter_map(|v| v.vpc_id().map(str::to_owned))
        .collect()
}

/// Panics unless `region` holds nothing a network makes: no VPC but the default one, no live VPC endpoint, no
/// flow log, no subnet, security group or route table outside the default VPC.
pub fn assert_no_network_left(moto: &Moto, region: &str, context: &str) {
    let ec2 = ec2_client_in(&moto.endpoint(), region);
    let vpcs = custom_vpcs(moto, region);
    assert!(
        vpcs.is_empty(),
        "{context}: VPCs left in {region}: {vpcs:?}"
    );
    let endpoints: Vec<String> = block_on(ec2.describe_vpc_endpoints().send())
        .expect("DescribeVpcEndpoints")
        .vpc_endpoints()
        .iter()
        .filter(|e| live(e.state().map(|s| s.as_str())))
        .filter_map(|e| e.vpc_endpoint_id().map(str::to_owned))
        .collect();
    assert!(
        endpoints.is_empty(),
        "{context}: VPC endpoints left in {region}: {endpoints:?}"
    );
    let logs = block_on(ec2.describe_flow_logs().send()).expect("DescribeFlowLogs");
    assert!(
        logs.flow_logs().is_empty(),
        "{context}: flow logs left in {region}: {:?}",
        logs.flow_logs()
    );
    let default_vpc: Vec<String> = block_on(ec2.describe_vpcs().send())
        .expect("DescribeVpcs")
        .vpcs()
        .iter()
        .filter(|v| v.is_default() == Some(true))
        .filter_map(|v| v.vpc_id().map(str::to_owned))
        .collect();
    let outside = |vpc: Option<&str>| vpc.is_some_and(|v| !default_vpc.iter().any(|d| d == v));
    let subnets = block_on(ec2.describe_subnets().send()).expect("DescribeSubnets");
    let stray: Vec<_> = subnets
        .subnets()
        .iter()
        .filter(|s| outside(s.vpc_id()))
        .collect();
    assert!(
        stray.is_empty(),
        "{context}: subnets left in {region}: {stray:?}"
    );
    let groups = block_on(ec2.describe_security_groups().send()).expect("DescribeSecurityGroups");
    let stray: Vec<_> = groups
        .security_groups()
        .iter()
        .filter(|g| outside(g.vpc_id()))
        .collect();
    assert!(
        stray.is_empty(),
        "{context}: security groups left in {region}: {stray:?}"
    );
    let tables = block_on(ec2.describe_route_tables().send()).expect("DescribeRouteTables");
    let stray: Vec<_> = tables
        .route_tables()
        .iter()
        .filter(|t| outside(t.vpc_id()))
        .collect();
    assert!(
        stray.is_empty(),
        "{context}: route tables left in {region}: {stray:?}"
    );
}
