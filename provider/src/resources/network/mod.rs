//! `sovereign_network`: a zero-egress VPC (SPEC §4), declared as its parts. See [`schema`] for the attributes,
//! [`plan`] for the subnet and service-name arithmetic and [`parts`] for each AWS object.

pub mod parts;
pub mod plan;
pub mod schema;
pub mod state;

use std::collections::BTreeSet;

use crate::framework::{
    AttributePath, Context, Diagnostics, Keyed, ManagedResource, Parts, PlanChange, Schema, Value,
    async_trait,
};
use crate::resources::common::tags::TagsPart;
use crate::resources::residency::{ArnRule, Residency, SovereignResource};
use crate::sovereign::SovereignData;
use parts::default_sg::DefaultSecurityGroupEmptied;
use parts::flow_log::FlowLog;
use parts::interface_endpoints::InterfaceEndpoints;
use parts::no_egress::NoEgressGateways;
use parts::route_table::RouteTable;
use parts::s3_endpoint::S3GatewayEndpoint;
use parts::security_groups::SecurityGroup;
use parts::subnets::Subnets;
use parts::tags::{Names, NetworkTags};
use parts::vpc::Vpc;
pub use schema::TYPE_NAME;

pub struct NetworkResource {
    parts: Parts<SovereignData>,
}

impl Default for NetworkResource {
    fn default() -> Self {
        NetworkResource::new()
    }
}

impl NetworkResource {
    pub fn new() -> NetworkResource {
        NetworkResource {
            parts: Parts::new(Vpc)
                .then(DefaultSecurityGroupEmptied)
                .then(Keyed(Subnets))
                .then(RouteTable)
                .then(NoEgressGateways)
                .then(SecurityGroup::Workload)
                .then(SecurityGroup::Endpoint)
                .then(Keyed(InterfaceEndpoints))
                .then(S3GatewayEndpoint)
                .then(FlowLog)
                .then(TagsPart(NetworkTags))
                .then(Names),
        }
    }
}

impl SovereignResource for NetworkResource {
    const RESIDENCY: Residency = Residency {
        regional: true,
        tagged: true,
        arns: &[ArnRule {
            attribute: "flow_logs_bucket_arn",
            service: "s3",
            noun: "flow-log bucket",
            same_region: false,
        }],
        zones: &["availability_zones"],
    };
}

/// Duplicates in a list attribute, as errors at the repeated element.
fn refuse_duplicates(config: &Value, attribute: &str, diags: &mut Diagnostics) {
    let mut seen = BTreeSet::new();
    for (i, item) in config
        .attr(attribute)
        .as_list()
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        if let Some(s) = item.as_str()
            && !seen.insert(s)
        {
            diags.error_at(
                AttributePath::new(attribute).index(i as i64),
                format!("Duplicate in {attribute}"),
                format!("{s:?} is listed twice; list each once."),
            );
        }
    }
}

#[async_trait]
impl ManagedResource<SovereignData> for NetworkResource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema::network_schema()
    }

    fn parts(&self) -> &Parts<SovereignData> {
        &self.parts
    }

    async fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Some(cidr) = config.get_str("cidr_block")
            && let Err(why) = plan::check_vpc_cidr(cidr)
        {
            diags.error_at(AttributePath::new("cidr_block"), "Invalid cidr_block", why);
        }
        let zones = config.attr("availability_zones");
        if zones.as_list().is_some_and(<[Value]>::is_empty) {
            diags.error_at(
                AttributePath::new("availability_zones"),
                "No Availability Zone",
                "A network needs at least one Availability Zone (two or more for resilience).",
            );
        }
        refuse_duplicates(config, "availability_zones", diags);
        refuse_duplicates(config, "interface_endpoints", diags);
        if config
            .attr("tags")
            .attr(crate::aws::ec2::NAME_TAG)
            .is_known()
            && !config
                .attr("tags")
                .attr(crate::aws::ec2::NAME_TAG)
                .is_null()
        {
            diags.error_at(
                AttributePath::new("tags").key(crate::aws::ec2::NAME_TAG),
                "Name comes from name",
                "The Name tag of every object of the network is derived from `name`; set `name` instead of a Name tag.",
            );
        }
    }

    async fn plan(
        &self,
        ctx: &Context<SovereignData>,
        plan: &mut PlanChange,
        diags: &mut Diagnostics,
    ) {
        let region = ctx.provider.region();
        for (i, entry) in plan
            .config
            .attr("interface_endpoints")
            .as_list()
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            if let Some(entry) = entry.as_str()
                && let Err(why) = plan::check_service(region, entry)
            {
                diags.error_at(
                    AttributePath::new("interface_endpoints").index(i as i64),
                    "Endpoint service outside the network's region",
                    why,
                );
            }
        }
        if let Some(zones) = plan.config.attr("availability_zones").as_list() {
            for (i, zone) in zones.iter().enumerate() {
                if let Some(zone) = zone.as_str()
                    && plan::zone_index(zone).is_none()
                {
                    diags.error_at(
                        AttributePath::new("availability_zones").index(i as i64),
                        "Unsupported Availability Zone name",
                        format!("{zone:?}: zone letters a to p are supported (each gets a sixteenth of cidr_block)."),
                    );
                }
            }
        }
        plan.planned
            .set_attr("guardrails", schema::all_guardrails());
        let vpc = plan.planned.attr("vpc_id").clone();
        plan.planned.set_attr("id", vpc);
    }

    async fn import(
        &self,
        _ctx: &Context<SovereignData>,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let valid = id
            .strip_prefix("vpc-")
            .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_hexdigit()));
        if !valid {
            diags.error(
                "Import sovereign_network by VPC id",
                format!("{id:?} is not a VPC id (vpc-0123456789abcdef0)."),
            );
            return None;
        }
        Some(Value::object([
            ("id", Value::from(id)),
            ("vpc_id", Value::from(id)),
        ]))
    }
}
