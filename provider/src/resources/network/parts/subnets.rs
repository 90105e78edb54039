//! One private subnet per Availability Zone, its CIDR derived from the VPC's by zone letter.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{AttributeBooleanValue, Filter, ResourceType};

use crate::aws::AwsResultExt;
use crate::aws::ec2::{missing, tag_specification};
use crate::framework::{Context, KeyedPart, PartResult, Value};
use crate::resources::network::plan::{Cidr, check_vpc_cidr, subnet_cidr};
use crate::resources::network::state::{self, in_prior_order};
use crate::sovereign::SovereignData;

pub struct Subnets;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subnet {
    pub id: String,
    pub cidr: String,
}

/// The subnet CIDR of each zone `value` asks for; `None` while the zones or the CIDR are unknown.
pub fn wanted_subnets(value: &Value) -> Option<BTreeMap<String, String>> {
    let vpc: Cidr = check_vpc_cidr(value.get_str("cidr_block")?).ok()?;
    let zones = value.attr("availability_zones");
    if !zones.is_wholly_known() {
        return None;
    }
    zones
        .as_string_vec()?
        .into_iter()
        .map(|zone| Some((zone.clone(), subnet_cidr(&vpc, &zone)?.to_string())))
        .collect()
}

#[async_trait::async_trait]
impl KeyedPart<SovereignData> for Subnets {
    type Key = String;
    type Want = String;
    type Have = Subnet;

    fn name(&self) -> &'static str {
        "subnets"
    }

    fn want(&self, planned: &Value, _made: &Value) -> Option<BTreeMap<String, String>> {
        wanted_subnets(planned)
    }

    fn recorded(&self, state: &Value) -> BTreeMap<String, Subnet> {
        let vpc = state
            .get_str("cidr_block")
            .and_then(|c| check_vpc_cidr(c).ok());
        state
            .attr("subnet_ids_by_zone")
            .as_string_map()
            .unwrap_or_default()
            .into_iter()
            .map(|(zone, id)| {
                let cidr = vpc
                    .as_ref()
                    .and_then(|v| subnet_cidr(v, &zone))
                    .map(|c| c.to_string())
                    .unwrap_or_default();
                (zone, Subnet { id, cidr })
            })
            .collect()
    }

    async fn list(
        &self,
        ctx: &Context<SovereignData>,
        state: &Value,
    ) -> PartResult<BTreeMap<String, Subnet>> {
        let vpc_id = state::vpc_id(state)?;
        let subnets: Vec<aws_sdk_ec2::types::Subnet> = ctx
            .provider
            .clients
            .ec2
            .describe_subnets()
            .filters(Filter::builder().name("vpc-id").values(vpc_id).build())
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .or_diag("DescribeSubnets", &format!("VPC {vpc_id}"))?;
        let recorded = self.recorded(state);
        let mut out = BTreeMap::new();
        for s in subnets {
            let (Some(zone), Some(id)) = (s.availability_zone(), s.subnet_id()) else {
                continue;
            };
            // Several subnets in one zone (one made outside Terraform): keep the recorded one.
            if out.contains_key(zone) && recorded.get(zone).is_none_or(|r| r.id != id) {
                continue;
            }
            let subnet = Subnet {
                id: id.to_string(),
                cidr: s.cidr_block().unwrap_or_default().to_string(),
            };
            out.insert(zone.to_string(), subnet);
        }
        Ok(out)
    }

    fn up_to_date(&self, want: &String, have: &Subnet) -> bool {
        *want == have.cidr
    }

    async fn create(
        &self,
        ctx: &Context<SovereignData>,
        state: &Value,
        zone: &String,
        cidr: &String,
    ) -> PartResult<Subnet> {
        let ec2 = &ctx.provider.clients.ec2;
        let vpc_id = state::vpc_id(state)?;
        let name = format!("{}-{zone}", state::name(state));
        let created = ec2
            .create_subnet()
            .vpc_id(vpc_id)
            .availability_zone(zone)
            .cidr_block(cidr)
            .tag_specifications(tag_specification(
                ResourceType::Subnet,
                &state::tags(state),
                &name,
            ))
            .send()
            .await
            .or_diag("CreateSubnet", &format!("{cidr} in {zone}"))?;
        let subnet = created
            .subnet()
            .ok_or_else(|| missing("CreateSubnet", "a subnet"))?;
        let id = subnet
            .subnet_id()
            .ok_or_else(|| missing("CreateSubnet", "a subnet id"))?
            .to_string();
        // Never hand out public addresses (a default subnet would).
        if subnet.map_public_ip_on_launch() != Some(false) {
            ec2.modify_subnet_attribute()
                .subnet_id(&id)
                .map_public_ip_on_launch(AttributeBooleanValue::builder().value(false).build())
                .send()
                .await
                .or_diag("ModifySubnetAttribute", &format!("subnet {id}"))?;
        }
        Ok(Subnet {
            id,
            cidr: cidr.clone(),
        })
    }

    async fn delete(
        &self,
        ctx: &Context<SovereignData>,
        _zone: &String,
        have: &Subnet,
    ) -> PartResult {
        let ec2 = &ctx.provider.clients.ec2;
        // Its route table association goes first, so no table keeps pointing at a deleted subnet.
        let tables = ec2
            .describe_route_tables()
            .filters(
                Filter::builder()
                    .name("association.subnet-id")
                    .values(&have.id)
                    .build(),
            )
            .send()
            .await
            .or_diag("DescribeRouteTables", &format!("subnet {}", have.id))?;
        for association in tables.route_tables().iter().flat_map(|t| t.associations()) {
            if association.subnet_id() == Some(have.id.as_str())
                && let Some(id) = association.route_table_association_id()
            {
                ec2.disassociate_route_table()
                    .association_id(id)
                    .send()
                    .await
                    .found(
                        "DisassociateRouteTable",
                        &format!("subnet {}", have.id),
                        &["InvalidAssociationID.NotFound"],
                    )?;
            }
        }
        ec2.delete_subnet().subnet_id(&have.id).send().await.found(
            "DeleteSubnet",
            &format!("subnet {}", have.id),
            &["InvalidSubnetID.NotFound"],
        )?;
        Ok(())
    }

    fn record(&self, state: &mut Value, have: &BTreeMap<String, Subnet>) {
        let zones = in_prior_order(state.attr("availability_zones"), have.keys().cloned());
        let ids: Vec<String> = zones
            .iter()
            .filter_map(|z| have.get(z).map(|s| s.id.clone()))
            .collect();
        state.set_attr("availability_zones", Value::string_list(zones));
        state.set_attr("subnet_ids", Value::string_list(ids));
        state.set_attr(
            "subnet_ids_by_zone",
            Value::string_map(have.iter().map(|(z, s)| (z.clone(), s.id.clone()))),
        );
    }

    fn unknown_outputs(&self, planned: &mut Value) {
        planned.set_attr("subnet_ids", Value::Unknown);
        planned.set_attr("subnet_ids_by_zone", Value::Unknown);
    }
}
