//! `sovereign_gpu_cluster`: an ephemeral GPU pool with a cost guard and a TTL (SPEC §4), declared as its parts:
//! placement group (root) → launch template → instances by slot → tags.

pub mod parts;
pub mod plan;
pub mod schema;
pub mod state;

use std::collections::BTreeSet;

use sovereign_schemas::gpu;

use crate::aws::AwsResultExt;
use crate::framework::{
    AttributePath, Context, Diagnostics, Keyed, ManagedResource, Number, Parts, PlanChange, Schema,
    Value, async_trait,
};
use crate::resources::common::tags::TagsPart;
use crate::resources::residency::{ArnRule, Residency, SovereignResource};
use crate::sovereign::SovereignData;
use parts::instances::{Instances, SlotTags, wants_none};
use parts::launch_template::LaunchTemplate;
use parts::placement_group::PlacementGroup;
use parts::tags::{ClusterTags, ExpiryTags, TtlWindow};
pub use schema::TYPE_NAME;

/// AWS's limit of running instances per zone in a `spread` placement group.
pub const SPREAD_PER_ZONE: i64 = 7;

pub struct GpuClusterResource {
    parts: Parts<SovereignData>,
}

impl Default for GpuClusterResource {
    fn default() -> Self {
        GpuClusterResource::new()
    }
}

impl GpuClusterResource {
    pub fn new() -> GpuClusterResource {
        GpuClusterResource {
            parts: Parts::new(PlacementGroup)
                .then(TtlWindow)
                .then(LaunchTemplate)
                .then(Keyed(Instances))
                .then(SlotTags)
                .then(TagsPart(ClusterTags))
                .then(ExpiryTags),
        }
    }
}

impl SovereignResource for GpuClusterResource {
    const RESIDENCY: Residency = Residency {
        regional: true,
        tagged: true,
        arns: &[ArnRule {
            attribute: "kms_key_arn",
            service: "kms",
            noun: "KMS key",
            same_region: true,
        }],
        zones: &[],
    };
}

/// Plans `expires_at`: kept while `ttl_hours` is unchanged; a new window starts when the apply runs
/// ([`parts::tags::TtlWindow`]), so it is unknown in the plan — a time taken at plan time would differ from the one
/// Terraform's final plan takes when it applies a saved plan or plans again once unknown values are known.
fn plan_expiry(plan: &mut PlanChange) {
    let ttl = plan.planned.attr("ttl_hours").clone();
    let value = match ttl.as_i64() {
        None if ttl.is_unknown() => Value::Unknown,
        None => Value::Null,
        Some(_) => match plan.prior.get_str("expires_at") {
            Some(at) if plan.prior.attr("ttl_hours") == &ttl => Value::from(at),
            _ => Value::Unknown,
        },
    };
    plan.planned.set_attr("expires_at", value);
}

/// Plans `hourly_cost_usd` and refuses a plan over budget (or with a budget and no price).
fn plan_cost(data: &SovereignData, plan: &mut PlanChange, diags: &mut Diagnostics) {
    let (Some(instance_type), Some(nodes)) = (
        plan.planned.get_str("instance_type").map(str::to_owned),
        plan.planned.get_i64("node_count"),
    ) else {
        plan.planned.set_attr("hourly_cost_usd", Value::Unknown);
        return;
    };
    let region = data.region();
    let price = gpu::on_demand_price(region, &instance_type);
    let nodes = if wants_none(&plan.planned) { 0 } else { nodes };
    let cost = price
        .as_ref()
        .map(|p| (p.usd_per_hour * nodes as f64 * 1e5).round() / 1e5);
    plan.planned.set_attr(
        "hourly_cost_usd",
        cost.map_or(Value::Null, |c| Value::Number(Number::Float(c))),
    );
    let Some(budget) = plan.config.get_f64("max_hourly_cost_usd") else {
        return;
    };
    match (price, cost) {
        (Some(price), Some(cost)) if cost > budget => diags.error_at(
            AttributePath::new("max_hourly_cost_usd"),
            "GPU cluster over its cost budget",
            format!(
                "{nodes} × {instance_type} in {region} costs {cost:.2} USD per hour on demand ({:.4} USD each: {}, \
                 {}), above max_hourly_cost_usd = {budget}. Lower node_count, choose a smaller instance type, or raise \
                 the budget.",
                price.usd_per_hour, price.source, price.date
            ),
        ),
        (None, _) if nodes > 0 => diags.error_at(
            AttributePath::new("max_hourly_cost_usd"),
            "Cost budget cannot be proven",
            format!(
                "The provider's price table (dated {}) has no on-demand USD price for {instance_type} in {region}, so \
                 a budget of {budget} USD per hour cannot be checked. Remove max_hourly_cost_usd to run without a \
                 budget, or choose a type the table prices in this region.",
                gpu::price_table_date()
            ),
        ),
        _ => {}
    }
}

/// Read-only checks of the subnets and security groups (DescribeSubnets / DescribeSecurityGroups): in the
/// provider's region, and the zones the placement strategy allows.
async fn check_network(ctx: &Context<SovereignData>, plan: &PlanChange, diags: &mut Diagnostics) {
    let data = ctx.provider.as_ref();
    let ec2 = &data.clients.ec2;
    let subnets = plan.config.attr("subnet_ids");
    if subnets.is_wholly_known()
        && let Some(ids) = subnets.as_string_vec()
    {
        match ec2.describe_subnets().set_subnet_ids(Some(ids.clone())).send().await.found(
            "DescribeSubnets",
            "the cluster's subnets",
            &["InvalidSubnetID.NotFound", "InvalidSubnetID.Malformed"],
        ) {
            Ok(None) => diags.error_at(
                AttributePath::new("subnet_ids"),
                "Subnet outside the provider's region",
                format!(
                    "At least one of {ids:?} does not exist in {} (the provider's region): instances may only run in \
                     subnets of that region.",
                    data.region()
                ),
            ),
            Ok(Some(out)) => {
                let zones: BTreeSet<&str> = out.subnets().iter().filter_map(|s| s.availability_zone()).collect();
                let strategy = plan.planned.get_str("placement_strategy").unwrap_or("cluster");
                if strategy == "cluster" && zones.len() > 1 {
                    diags.error_at(
                        AttributePath::new("subnet_ids"),
                        "Cluster placement needs one Availability Zone",
                        format!(
                            "A cluster placement group lives in one Availability Zone, but the subnets are in {}. Use \
                             subnets of one zone, or placement_strategy = \"spread\" or \"partition\".",
                            zones.iter().copied().collect::<Vec<_>>().join(", ")
                        ),
                    );
                }
                if strategy == "spread"
                    && let Some(nodes) = plan.planned.get_i64("node_count")
                    && nodes > SPREAD_PER_ZONE * zones.len() as i64
                {
                    diags.error_at(
                        AttributePath::new("node_count"),
                        "Too many instances for a spread placement group",
                        format!(
                            "A spread placement group holds at most {SPREAD_PER_ZONE} running instances per zone; the \
                             subnets cover {} zone(s), so at most {}.",
                            zones.len(),
                            SPREAD_PER_ZONE * zones.len() as i64
                        ),
                    );
                }
            }
            Err(d) => diags.push(d.at(AttributePath::new("subnet_ids"))),
        }
    }
    let groups = plan.config.attr("security_group_ids");
    if groups.is_wholly_known()
        && let Some(ids) = groups.as_string_vec()
        && let Ok(None) = ec2
            .describe_security_groups()
            .set_group_ids(Some(ids.clone()))
            .send()
            .await
            .found(
                "DescribeSecurityGroups",
                "the cluster's security groups",
                &["InvalidGroup.NotFound", "InvalidGroupId.Malformed"],
            )
    {
        diags.error_at(
            AttributePath::new("security_group_ids"),
            "Security group outside the provider's region",
            format!(
                "At least one of {ids:?} does not exist in {} (the provider's region).",
                data.region()
            ),
        );
    }
}

#[async_trait]
impl ManagedResource<SovereignData> for GpuClusterResource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema::gpu_cluster_schema()
    }

    fn parts(&self) -> &Parts<SovereignData> {
        &self.parts
    }

    async fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if config.get_str("confidential_computing") == Some("nitro_enclaves")
            && let Some(instance_type) = config.get_str("instance_type")
            && gpu::nitro_enclaves_support(instance_type) != Some(true)
        {
            let why = match gpu::nitro_enclaves_support(instance_type) {
                Some(false) => "does not support Nitro Enclaves",
                _ => "is not known to support Nitro Enclaves",
            };
            diags.error_at(
                AttributePath::new("confidential_computing"),
                "Nitro Enclaves not available on this instance type",
                format!("{instance_type} {why} (DescribeInstanceTypes: NitroEnclavesSupport). Choose a type that does, or confidential_computing = \"none\"."),
            );
        }
    }

    async fn plan(
        &self,
        ctx: &Context<SovereignData>,
        plan: &mut PlanChange,
        diags: &mut Diagnostics,
    ) {
        let name = plan.planned.attr("name").clone();
        plan.planned.set_attr("id", name.clone());
        plan.planned.set_attr("placement_group_name", name);
        plan_expiry(plan);
        plan_cost(ctx.provider.as_ref(), plan, diags);
        let network_changed = plan.is_create()
            || [
                "subnet_ids",
                "security_group_ids",
                "node_count",
                "placement_strategy",
            ]
            .iter()
            .any(|a| plan.prior.attr(a) != plan.planned.attr(a));
        if network_changed && !diags.has_errors() {
            check_network(ctx, plan, diags).await;
        }
    }

    async fn import(
        &self,
        _ctx: &Context<SovereignData>,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        if id.is_empty()
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            diags.error(
                "Import sovereign_gpu_cluster by name",
                format!("{id:?} is not a cluster name."),
            );
            return None;
        }
        Some(Value::object([
            ("id", Value::from(id)),
            ("name", Value::from(id)),
        ]))
    }
}
