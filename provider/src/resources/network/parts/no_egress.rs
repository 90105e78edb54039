//! Invariant: no way out. No internet gateway, egress-only internet gateway or NAT gateway in the VPC, and no
//! route to 0.0.0.0/0 or ::/0 in any of its route tables. Read reports each as a guardrail; apply (when a
//! guardrail reads false) and destroy remove what was added outside Terraform: the routes are deleted, the
//! gateways detached and deleted.

use aws_sdk_ec2::types::{Filter, NatGatewayState};

use crate::aws::AwsResultExt;
use crate::framework::{Context, Part, PartResult, Presence, Value};
use crate::resources::network::parts::route_table::route_tables;
use crate::resources::network::state::{self, set_guardrail};
use crate::sovereign::SovereignData;

pub struct NoEgressGateways;

const KEYS: [&str; 4] = [
    "no_internet_gateway",
    "no_nat_gateway",
    "no_egress_only_gateway",
    "no_default_route",
];

/// What leads out of the VPC today.
#[derive(Debug, Default)]
struct WaysOut {
    internet_gateways: Vec<String>,
    egress_only_gateways: Vec<String>,
    nat_gateways: Vec<String>,
    /// (route table, IPv4 destination, IPv6 destination)
    default_routes: Vec<(String, Option<String>, Option<String>)>,
}

fn is_default(cidr: Option<&str>) -> bool {
    matches!(cidr, Some("0.0.0.0/0") | Some("::/0"))
}

async fn ways_out(ctx: &Context<SovereignData>, vpc_id: &str) -> PartResult<WaysOut> {
    let ec2 = &ctx.provider.clients.ec2;
    let what = format!("VPC {vpc_id}");
    let mut out = WaysOut::default();
    let igws: Vec<_> = ec2
        .describe_internet_gateways()
        .filters(
            Filter::builder()
                .name("attachment.vpc-id")
                .values(vpc_id)
                .build(),
        )
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .or_diag("DescribeInternetGateways", &what)?;
    out.internet_gateways = igws
        .iter()
        .filter_map(|g| g.internet_gateway_id().map(str::to_owned))
        .collect();
    let eigws: Vec<_> = ec2
        .describe_egress_only_internet_gateways()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .or_diag("DescribeEgressOnlyInternetGateways", &what)?;
    out.egress_only_gateways = eigws
        .iter()
        .filter(|g| g.attachments().iter().any(|a| a.vpc_id() == Some(vpc_id)))
        .filter_map(|g| g.egress_only_internet_gateway_id().map(str::to_owned))
        .collect();
    let nats: Vec<_> = ec2
        .describe_nat_gateways()
        .filter(Filter::builder().name("vpc-id").values(vpc_id).build())
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .or_diag("DescribeNatGateways", &what)?;
    out.nat_gateways = nats
        .iter()
        .filter(|n| {
            !matches!(
                n.state(),
                Some(NatGatewayState::Deleted) | Some(NatGatewayState::Deleting)
            )
        })
        .filter_map(|n| n.nat_gateway_id().map(str::to_owned))
        .collect();
    for table in route_tables(ctx, vpc_id).await? {
        let table_id = table.route_table_id().unwrap_or_default();
        for route in table.routes() {
            if is_default(route.destination_cidr_block())
                || is_default(route.destination_ipv6_cidr_block())
            {
                out.default_routes.push((
                    table_id.to_string(),
                    route.destination_cidr_block().map(str::to_owned),
                    route.destination_ipv6_cidr_block().map(str::to_owned),
                ));
            }
        }
    }
    Ok(out)
}

/// Removes every way out: routes first (they point at the gateways), then the gateways.
async fn close(ctx: &Context<SovereignData>, vpc_id: &str, ways: &WaysOut) -> PartResult {
    let ec2 = &ctx.provider.clients.ec2;
    for (table, v4, v6) in &ways.default_routes {
        ec2.delete_route()
            .route_table_id(table)
            .set_destination_cidr_block(v4.clone())
            .set_destination_ipv6_cidr_block(v6.clone())
            .send()
            .await
            .found(
                "DeleteRoute",
                &format!("default route of {table}"),
                &["InvalidRoute.NotFound"],
            )?;
    }
    for igw in &ways.internet_gateways {
        let what = format!("internet gateway {igw} (added outside Terraform)");
        ec2.detach_internet_gateway()
            .internet_gateway_id(igw)
            .vpc_id(vpc_id)
            .send()
            .await
            .found(
                "DetachInternetGateway",
                &what,
                &["Gateway.NotAttached", "InvalidInternetGatewayID.NotFound"],
            )?;
        ec2.delete_internet_gateway()
            .internet_gateway_id(igw)
            .send()
            .await
            .found(
                "DeleteInternetGateway",
                &what,
                &["InvalidInternetGatewayID.NotFound"],
            )?;
    }
    for eigw in &ways.egress_only_gateways {
        ec2.delete_egress_only_internet_gateway()
            .egress_only_internet_gateway_id(eigw)
            .send()
            .await
            .found(
                "DeleteEgressOnlyInternetGateway",
                &format!("egress-only internet gateway {eigw} (added outside Terraform)"),
                &["InvalidGatewayID.NotFound"],
            )?;
    }
    for nat in &ways.nat_gateways {
        ec2.delete_nat_gateway()
            .nat_gateway_id(nat)
            .send()
            .await
            .found(
                "DeleteNatGateway",
                &format!("NAT gateway {nat} (added outside Terraform)"),
                &["NatGatewayNotFound", "InvalidNatGatewayID.NotFound"],
            )?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl Part<SovereignData> for NoEgressGateways {
    fn name(&self) -> &'static str {
        "egress guardrails"
    }

    async fn apply(
        &self,
        ctx: &Context<SovereignData>,
        _planned: &Value,
        prior: Option<&Value>,
        state: &mut Value,
    ) -> PartResult {
        // A new VPC has no way out; an existing one is checked only when the last read found one.
        let Some(prior) = prior else {
            return Ok(());
        };
        if KEYS.iter().all(|k| state::guardrail(prior, k)) {
            return Ok(());
        }
        let vpc_id = state::vpc_id(state)?.to_string();
        let ways = ways_out(ctx, &vpc_id).await?;
        close(ctx, &vpc_id, &ways).await
    }

    async fn read(&self, ctx: &Context<SovereignData>, state: &mut Value) -> PartResult<Presence> {
        let vpc_id = state::vpc_id(state)?.to_string();
        let ways = ways_out(ctx, &vpc_id).await?;
        set_guardrail(
            state,
            "no_internet_gateway",
            ways.internet_gateways.is_empty(),
        );
        set_guardrail(
            state,
            "no_egress_only_gateway",
            ways.egress_only_gateways.is_empty(),
        );
        set_guardrail(state, "no_nat_gateway", ways.nat_gateways.is_empty());
        set_guardrail(state, "no_default_route", ways.default_routes.is_empty());
        Ok(Presence::Present)
    }

    /// A create never opens a way out, so there is nothing to undo.
    async fn roll_back(
        &self,
        _ctx: &Context<SovereignData>,
        _state: &Value,
    ) -> PartResult<Option<String>> {
        Ok(None)
    }

    async fn remove(&self, ctx: &Context<SovereignData>, state: &Value) -> PartResult {
        // Anything added outside Terraform would keep DeleteVpc from succeeding.
        let Ok(vpc_id) = state::vpc_id(state) else {
            return Ok(());
        };
        let ways = ways_out(ctx, vpc_id).await?;
        close(ctx, vpc_id, &ways).await
    }
}
