//! One private route table for every subnet: only the VPC's local route (and the S3 gateway endpoint's).

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Filter, ResourceType, RouteTable as AwsRouteTable};

use crate::aws::AwsResultExt;
use crate::aws::ec2::{missing, tag_specification};
use crate::framework::{Context, Part, PartResult, Presence, Value};
use crate::resources::network::state::{self, text};
use crate::sovereign::SovereignData;

pub struct RouteTable;

const NOT_FOUND: &[&str] = &["InvalidRouteTableID.NotFound"];

/// Every route table of the VPC.
pub async fn route_tables(
    ctx: &Context<SovereignData>,
    vpc_id: &str,
) -> PartResult<Vec<AwsRouteTable>> {
    ctx.provider
        .clients
        .ec2
        .describe_route_tables()
        .filters(Filter::builder().name("vpc-id").values(vpc_id).build())
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .or_diag("DescribeRouteTables", &format!("VPC {vpc_id}"))
}

/// Associates every subnet of the network with `table`, moving it off any other table.
async fn associate_subnets(
    ctx: &Context<SovereignData>,
    state: &Value,
    table: &str,
    fresh: bool,
) -> PartResult {
    let ec2 = &ctx.provider.clients.ec2;
    let subnets = state
        .attr("subnet_ids_by_zone")
        .as_string_map()
        .unwrap_or_default();
    // subnet → (association id, table) of explicit associations today; a new VPC has none.
    let mut associated: BTreeMap<String, (String, String)> = BTreeMap::new();
    if !fresh {
        for rt in route_tables(ctx, state::vpc_id(state)?).await? {
            for a in rt.associations() {
                if let (Some(subnet), Some(id)) = (a.subnet_id(), a.route_table_association_id()) {
                    let table_id = rt.route_table_id().unwrap_or_default().to_string();
                    associated.insert(subnet.to_string(), (id.to_string(), table_id));
                }
            }
        }
    }
    for subnet in subnets.values() {
        match associated.get(subnet) {
            Some((_, t)) if t == table => {}
            Some((association, _)) => {
                ec2.replace_route_table_association()
                    .association_id(association)
                    .route_table_id(table)
                    .send()
                    .await
                    .or_diag(
                        "ReplaceRouteTableAssociation",
                        &format!("subnet {subnet} → {table}"),
                    )?;
            }
            None => {
                ec2.associate_route_table()
                    .route_table_id(table)
                    .subnet_id(subnet)
                    .send()
                    .await
                    .or_diag("AssociateRouteTable", &format!("subnet {subnet} → {table}"))?;
            }
        }
    }
    Ok(())
}

#[async_trait::async_trait]
impl Part<SovereignData> for RouteTable {
    fn name(&self) -> &'static str {
        "route table"
    }

    fn plan(&self, prior: Option<&Value>, planned: &mut Value) {
        if prior.is_none_or(|p| text(p, "route_table_id").is_none()) {
            planned.set_attr("route_table_id", Value::Unknown);
        }
    }

    async fn apply(
        &self,
        ctx: &Context<SovereignData>,
        _planned: &Value,
        prior: Option<&Value>,
        state: &mut Value,
    ) -> PartResult {
        let existing = prior
            .and_then(|p| text(p, "route_table_id"))
            .map(str::to_owned);
        let (table, fresh) = match existing {
            Some(t) => (t, false),
            None => {
                let created = ctx
                    .provider
                    .clients
                    .ec2
                    .create_route_table()
                    .vpc_id(state::vpc_id(state)?)
                    .tag_specifications(tag_specification(
                        ResourceType::RouteTable,
                        &state::tags(state),
                        &format!("{}-private", state::name(state)),
                    ))
                    .send()
                    .await
                    .or_diag(
                        "CreateRouteTable",
                        &format!("network {}", state::name(state)),
                    )?;
                let id = created
                    .route_table()
                    .and_then(|t| t.route_table_id())
                    .ok_or_else(|| missing("CreateRouteTable", "a route table id"))?
                    .to_string();
                state.set_attr("route_table_id", Value::from(id.as_str()));
                (id, prior.is_none())
            }
        };
        associate_subnets(ctx, state, &table, fresh).await
    }

    async fn read(&self, ctx: &Context<SovereignData>, state: &mut Value) -> PartResult<Presence> {
        let Some(id) = text(state, "route_table_id").map(str::to_owned) else {
            // Import: the table the network's subnets are explicitly associated with.
            let tables = route_tables(ctx, state::vpc_id(state)?).await?;
            let adopted = tables.iter().find(|t| {
                t.associations()
                    .iter()
                    .any(|a| a.main() != Some(true) && a.subnet_id().is_some())
            });
            let id = adopted.and_then(|t| t.route_table_id());
            state.set_attr("route_table_id", Value::from(id));
            return Ok(if id.is_some() {
                Presence::Present
            } else {
                Presence::Gone
            });
        };
        let found = ctx
            .provider
            .clients
            .ec2
            .describe_route_tables()
            .route_table_ids(&id)
            .send()
            .await
            .found(
                "DescribeRouteTables",
                &format!("route table {id}"),
                NOT_FOUND,
            )?;
        if found.is_none_or(|o| o.route_tables().is_empty()) {
            state.set_attr("route_table_id", Value::Null);
            return Ok(Presence::Gone);
        }
        Ok(Presence::Present)
    }

    async fn remove(&self, ctx: &Context<SovereignData>, state: &Value) -> PartResult {
        let Some(id) = text(state, "route_table_id") else {
            return Ok(());
        };
        let ec2 = &ctx.provider.clients.ec2;
        let what = format!("route table {id}");
        let found = ec2
            .describe_route_tables()
            .route_table_ids(id)
            .send()
            .await
            .found("DescribeRouteTables", &what, NOT_FOUND)?;
        let Some(table) = found.as_ref().and_then(|o| o.route_tables().first()) else {
            return Ok(());
        };
        for a in table.associations() {
            if a.main() == Some(true) {
                continue;
            }
            if let Some(association) = a.route_table_association_id() {
                ec2.disassociate_route_table()
                    .association_id(association)
                    .send()
                    .await
                    .found(
                        "DisassociateRouteTable",
                        &what,
                        &["InvalidAssociationID.NotFound"],
                    )?;
            }
        }
        ec2.delete_route_table()
            .route_table_id(id)
            .send()
            .await
            .found("DeleteRouteTable", &what, NOT_FOUND)?;
        Ok(())
    }
}
