//! Interface endpoints with private DNS, one per entry of `interface_endpoints`, in every subnet of the network
//! and behind the endpoint security group. Every interface endpoint of the VPC is managed: one added outside
//! Terraform (say, to another region's service) is deleted by the next apply.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::{Filter, ResourceType, VpcEndpoint, VpcEndpointType};

use crate::aws::AwsResultExt;
use crate::aws::ec2::{missing, tag_specification};
use crate::framework::{Context, Diagnostic, KeyedPart, PartResult, Value, Waiter};
use crate::resources::network::plan::{service_name, short_name};
use crate::resources::network::schema::DEFAULT_INTERFACE_ENDPOINTS;
use crate::resources::network::state::{self, in_prior_order, text};
use crate::sovereign::SovereignData;

pub struct InterfaceEndpoints;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointWant {
    pub service: String,
    pub subnets: BTreeSet<String>,
    pub security_group: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointHave {
    pub id: String,
    pub service: String,
    pub subnets: BTreeSet<String>,
    pub security_groups: BTreeSet<String>,
    pub private_dns: bool,
}

const NOT_FOUND: &[&str] = &["InvalidVpcEndpointId.NotFound"];

fn have_of(e: &VpcEndpoint) -> Option<EndpointHave> {
    Some(EndpointHave {
        id: e.vpc_endpoint_id()?.to_string(),
        service: e.service_name()?.to_string(),
        subnets: e.subnet_ids().iter().cloned().collect(),
        security_groups: e
            .groups()
            .iter()
            .filter_map(|g| g.group_id().map(str::to_owned))
            .collect(),
        private_dns: e.private_dns_enabled().unwrap_or(false),
    })
}

/// EC2 reports endpoint states in lowercase; the SDK enum's own case differs (see docs/testing.md).
fn state_of(e: &VpcEndpoint) -> String {
    e.state()
        .map(|s| s.as_str().to_ascii_lowercase())
        .unwrap_or_default()
}

fn gone(state: &str) -> bool {
    matches!(
        state,
        "deleted" | "deleting" | "rejected" | "failed" | "expired"
    )
}

fn entries(value: &Value) -> Option<Vec<String>> {
    let list = value.attr("interface_endpoints");
    list.is_wholly_known()
        .then(|| list.as_string_vec())
        .flatten()
}

async fn wait_available(ctx: &Context<SovereignData>, id: &str, service: &str) -> PartResult {
    let ec2 = &ctx.provider.clients.ec2;
    Waiter::new(
        format!("VPC endpoint {id} ({service})"),
        &["pendingacceptance", "pending"],
        &["available"],
    )
    .wait(ctx, || async {
        let out = ec2
            .describe_vpc_endpoints()
            .vpc_endpoint_ids(id)
            .send()
            .await
            .found(
                "DescribeVpcEndpoints",
                &format!("VPC endpoint {id}"),
                NOT_FOUND,
            )?;
        Ok(out.and_then(|o| o.vpc_endpoints().first().map(|e| ((), state_of(e)))))
    })
    .await
    .map(|_| ())
}

#[async_trait::async_trait]
impl KeyedPart<SovereignData> for InterfaceEndpoints {
    type Key = String;
    type Want = EndpointWant;
    type Have = EndpointHave;
    const CONCURRENCY: usize = 4;

    fn name(&self) -> &'static str {
        "interface endpoints"
    }

    fn want(&self, planned: &Value, made: &Value) -> Option<BTreeMap<String, EndpointWant>> {
        let region = planned.get_str("region")?;
        let zones = planned.attr("availability_zones");
        let by_zone = made.attr("subnet_ids_by_zone");
        if !zones.is_wholly_known() || !by_zone.is_wholly_known() {
            return None;
        }
        let by_zone = by_zone.as_string_map().unwrap_or_default();
        // Only the subnets of the zones wanted now: a zone being removed loses its endpoints before its subnet.
        let subnets: BTreeSet<String> = zones
            .as_string_vec()?
            .iter()
            .map(|z| by_zone.get(z).cloned())
            .collect::<Option<_>>()?;
        let security_group = text(made, "endpoint_security_group_id")?.to_string();
        Some(
            entries(planned)?
                .into_iter()
                .map(|entry| {
                    let want = EndpointWant {
                        service: service_name(region, &entry),
                        subnets: subnets.clone(),
                        security_group: security_group.clone(),
                    };
                    (entry, want)
                })
                .collect(),
        )
    }

    fn recorded(&self, state: &Value) -> BTreeMap<String, EndpointHave> {
        let region = state.get_str("region").unwrap_or_default();
        let subnets: BTreeSet<String> = state
            .attr("subnet_ids")
            .as_string_vec()
            .unwrap_or_default()
            .into_iter()
            .collect();
        let group: BTreeSet<String> = text(state, "endpoint_security_group_id")
            .map(str::to_owned)
            .into_iter()
            .collect();
        state
            .attr("endpoint_ids")
            .as_string_map()
            .unwrap_or_default()
            .into_iter()
            .map(|(entry, id)| {
                let have = EndpointHave {
                    id,
                    service: service_name(region, &entry),
                    subnets: subnets.clone(),
                    security_groups: group.clone(),
                    private_dns: true,
                };
                (entry, have)
            })
            .collect()
    }

    async fn list(
        &self,
        ctx: &Context<SovereignData>,
        state: &Value,
    ) -> PartResult<BTreeMap<String, EndpointHave>> {
        let vpc_id = state::vpc_id(state)?;
        let region = ctx.provider.region();
        let endpoints: Vec<VpcEndpoint> = ctx
            .provider
            .clients
            .ec2
            .describe_vpc_endpoints()
            .filters(Filter::builder().name("vpc-id").values(vpc_id).build())
            .filters(
                Filter::builder()
                    .name("vpc-endpoint-type")
                    .values("Interface")
                    .build(),
            )
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .or_diag("DescribeVpcEndpoints", &format!("VPC {vpc_id}"))?;
        let configured = entries(state).unwrap_or_default();
        Ok(endpoints
            .iter()
            .filter(|e| !gone(&state_of(e)))
            .filter_map(have_of)
            .map(|have| {
                let entry = configured
                    .iter()
                    .find(|c| service_name(region, c) == have.service)
                    .cloned()
                    .unwrap_or_else(|| short_name(region, &have.service).to_string());
                (entry, have)
            })
            .collect())
    }

    fn up_to_date(&self, want: &EndpointWant, have: &EndpointHave) -> bool {
        want.service == have.service
            && want.subnets == have.subnets
            && have.security_groups.len() == 1
            && have.security_groups.contains(&want.security_group)
            && have.private_dns
    }

    async fn create(
        &self,
        ctx: &Context<SovereignData>,
        state: &Value,
        entry: &String,
        want: &EndpointWant,
    ) -> PartResult<EndpointHave> {
        let vpc_id = state::vpc_id(state)?;
        let name = format!(
            "{}-{}",
            state::name(state),
            short_name(ctx.provider.region(), entry)
        );
        let created = ctx
            .provider
            .clients
            .ec2
            .create_vpc_endpoint()
            .vpc_endpoint_type(VpcEndpointType::Interface)
            .vpc_id(vpc_id)
            .service_name(&want.service)
            .set_subnet_ids(Some(want.subnets.iter().cloned().collect()))
            .security_group_ids(&want.security_group)
            .private_dns_enabled(true)
            .tag_specifications(tag_specification(
                ResourceType::VpcEndpoint,
                &state::tags(state),
                &name,
            ))
            .send()
            .await
            .or_diag(
                "CreateVpcEndpoint",
                &format!("interface endpoint {}", want.service),
            )?;
        let id = created
            .vpc_endpoint()
            .and_then(|e| e.vpc_endpoint_id())
            .ok_or_else(|| missing("CreateVpcEndpoint", "an endpoint id"))?
            .to_string();
        wait_available(ctx, &id, &want.service).await?;
        Ok(EndpointHave {
            id,
            service: want.service.clone(),
            subnets: want.subnets.clone(),
            security_groups: BTreeSet::from([want.security_group.clone()]),
            private_dns: true,
        })
    }

    async fn update(
        &self,
        ctx: &Context<SovereignData>,
        state: &Value,
        entry: &String,
        want: &EndpointWant,
        have: &EndpointHave,
    ) -> PartResult<EndpointHave> {
        if want.service != have.service {
            self.delete(ctx, entry, have).await?;
            return self.create(ctx, state, entry, want).await;
        }
        let wanted_groups = BTreeSet::from([want.security_group.clone()]);
        ctx.provider
            .clients
            .ec2
            .modify_vpc_endpoint()
            .vpc_endpoint_id(&have.id)
            .set_add_subnet_ids(Some(
                want.subnets.difference(&have.subnets).cloned().collect(),
            ))
            .set_remove_subnet_ids(Some(
                have.subnets.difference(&want.subnets).cloned().collect(),
            ))
            .set_add_security_group_ids(Some(
                wanted_groups
                    .difference(&have.security_groups)
                    .cloned()
                    .collect(),
            ))
            .set_remove_security_group_ids(Some(
                have.security_groups
                    .difference(&wanted_groups)
                    .cloned()
                    .collect(),
            ))
            .private_dns_enabled(true)
            .send()
            .await
            .or_diag(
                "ModifyVpcEndpoint",
                &format!("VPC endpoint {} ({})", have.id, have.service),
            )?;
        Ok(EndpointHave {
            subnets: want.subnets.clone(),
            security_groups: wanted_groups,
            private_dns: true,
            ..have.clone()
        })
    }

    async fn delete(
        &self,
        ctx: &Context<SovereignData>,
        _entry: &String,
        have: &EndpointHave,
    ) -> PartResult {
        let ec2 = &ctx.provider.clients.ec2;
        let what = format!("VPC endpoint {} ({})", have.id, have.service);
        let out = ec2
            .delete_vpc_endpoints()
            .vpc_endpoint_ids(&have.id)
            .send()
            .await
            .found("DeleteVpcEndpoints", &what, NOT_FOUND)?;
        if let Some(failed) = out.as_ref().and_then(|o| o.unsuccessful().first()) {
            let error = failed.error();
            let code = error.and_then(|e| e.code()).unwrap_or_default();
            if !NOT_FOUND.contains(&code) {
                return Err(Diagnostic::error(
                    format!("AWS DeleteVpcEndpoints failed for {what}"),
                    format!(
                        "AWS answered {code}: {}",
                        error.and_then(|e| e.message()).unwrap_or("no message")
                    ),
                ));
            }
        }
        Waiter::new(what.clone(), &["deleting", "available", "pending"], &[])
            .wait(ctx, || async {
                let out = ec2
                    .describe_vpc_endpoints()
                    .vpc_endpoint_ids(&have.id)
                    .send()
                    .await
                    .found("DescribeVpcEndpoints", &what, NOT_FOUND)?;
                // EC2 keeps listing a deleted endpoint for a while, as `deleted`.
                Ok(out.and_then(|o| {
                    let e = o.vpc_endpoints().first()?;
                    let s = state_of(e);
                    (!gone(&s) || s == "deleting").then_some(((), s))
                }))
            })
            .await
            .map(|_| ())
    }

    fn observe(&self, state: &mut Value, have: &BTreeMap<String, EndpointHave>) {
        // Imported (no order known yet): the default list's order, which a configuration most likely repeats.
        let prior = match state.attr("interface_endpoints") {
            Value::Null => Value::string_list(DEFAULT_INTERFACE_ENDPOINTS),
            other => other.clone(),
        };
        let order = in_prior_order(&prior, have.keys().cloned());
        state.set_attr("interface_endpoints", Value::string_list(order));
    }

    fn record(&self, state: &mut Value, have: &BTreeMap<String, EndpointHave>) {
        state.set_attr(
            "endpoint_ids",
            Value::string_map(have.iter().map(|(k, h)| (k.clone(), h.id.clone()))),
        );
    }

    fn unknown_outputs(&self, planned: &mut Value) {
        planned.set_attr("endpoint_ids", Value::Unknown);
    }
}
