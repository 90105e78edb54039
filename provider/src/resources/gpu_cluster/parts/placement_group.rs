//! The root: the placement group (`cluster`, `spread` or `partition`), named after the cluster.

use std::collections::BTreeSet;
use std::time::Duration;

use aws_sdk_ec2::types::{PlacementStrategy, ResourceType, TagSpecification};

use crate::aws::ec2::ec2_tags;
use crate::aws::{AwsResultExt, error_code};
use crate::framework::{AttributePath, Context, Diagnostic, Part, PartResult, Presence, Value};
use crate::resources::gpu_cluster::state::{name, node_count, strings, tags};
use crate::sovereign::SovereignData;

pub struct PlacementGroup;

const UNKNOWN: &[&str] = &["InvalidPlacementGroup.Unknown"];

/// How long destroy waits for terminating instances to leave the group.
const IN_USE_PATIENCE: Duration = Duration::from_secs(300);

#[async_trait::async_trait]
impl Part<SovereignData> for PlacementGroup {
    fn name(&self) -> &'static str {
        "placement group"
    }

    async fn apply(
        &self,
        ctx: &Context<SovereignData>,
        planned: &Value,
        prior: Option<&Value>,
        state: &mut Value,
    ) -> PartResult {
        if prior.is_some() {
            return Ok(());
        }
        let group = name(planned);
        let strategy = planned.get_str("placement_strategy").unwrap_or("cluster");
        if strategy == "cluster" {
            // Checked at plan time when the subnets were known; here before anything exists otherwise.
            let subnets = ctx
                .provider
                .clients
                .ec2
                .describe_subnets()
                .set_subnet_ids(Some(strings(planned, "subnet_ids")))
                .send()
                .await
                .or_diag("DescribeSubnets", &format!("subnets of cluster {group}"))?;
            let zones: BTreeSet<&str> = subnets
                .subnets()
                .iter()
                .filter_map(|s| s.availability_zone())
                .collect();
            if zones.len() > 1 {
                return Err(Diagnostic::error(
                    "Cluster placement needs one Availability Zone",
                    format!(
                        "A cluster placement group lives in one Availability Zone, but the subnets are in {}. Use \
                         subnets of one zone, or placement_strategy = \"spread\" or \"partition\".",
                        zones.into_iter().collect::<Vec<_>>().join(", ")
                    ),
                )
                .at(AttributePath::new("subnet_ids")));
            }
        }
        let mut request = ctx
            .provider
            .clients
            .ec2
            .create_placement_group()
            .group_name(group)
            .strategy(PlacementStrategy::from(strategy))
            .tag_specifications(
                TagSpecification::builder()
                    .resource_type(ResourceType::PlacementGroup)
                    .set_tags(Some(ec2_tags(&tags(planned), None)))
                    .build(),
            );
        if strategy == "partition" {
            // AWS allows 1–7 partitions per zone; one per node up to that.
            request = request.partition_count(node_count(planned).clamp(2, 7) as i32);
        }
        request
            .send()
            .await
            .or_diag("CreatePlacementGroup", &format!("placement group {group}"))?;
        state.set_attr("id", Value::from(group));
        state.set_attr("placement_group_name", Value::from(group));
        Ok(())
    }

    async fn read(&self, ctx: &Context<SovereignData>, state: &mut Value) -> PartResult<Presence> {
        let group = state
            .get_str("name")
            .or_else(|| state.get_str("id"))
            .unwrap_or_default()
            .to_string();
        if group.is_empty() {
            return Ok(Presence::Gone);
        }
        let found = ctx
            .provider
            .clients
            .ec2
            .describe_placement_groups()
            .group_names(&group)
            .send()
            .await
            .found(
                "DescribePlacementGroups",
                &format!("placement group {group}"),
                UNKNOWN,
            )?;
        let Some(pg) = found.as_ref().and_then(|o| o.placement_groups().first()) else {
            return Ok(Presence::Gone);
        };
        state.set_attr("id", Value::from(group.as_str()));
        state.set_attr("name", Value::from(group.as_str()));
        state.set_attr("placement_group_name", Value::from(group.as_str()));
        state.set_attr("region", Value::from(ctx.provider.region()));
        if let Some(strategy) = pg.strategy() {
            state.set_attr("placement_strategy", Value::from(strategy.as_str()));
        }
        Ok(Presence::Present)
    }

    async fn remove(&self, ctx: &Context<SovereignData>, state: &Value) -> PartResult {
        let Some(group) = state
            .get_str("placement_group_name")
            .filter(|g| !g.is_empty())
        else {
            return Ok(());
        };
        let what = format!("placement group {group}");
        let deadline = tokio::time::Instant::now() + IN_USE_PATIENCE;
        loop {
            let result = ctx
                .provider
                .clients
                .ec2
                .delete_placement_group()
                .group_name(group)
                .send()
                .await;
            match result {
                Ok(_) => return Ok(()),
                Err(e) if error_code(&e).is_some_and(|c| UNKNOWN.contains(&c)) => return Ok(()),
                // Instances just terminated still count as members for a while (terraform-provider-aws #21460).
                Err(e)
                    if error_code(&e) == Some("InvalidPlacementGroup.InUse")
                        && tokio::time::Instant::now() < deadline =>
                {
                    tokio::select! {
                        () = ctx.cancel.cancelled() => {
                            return Err(Diagnostic::error(format!("Interrupted while deleting {what}"), "Terraform asked the provider to stop."));
                        }
                        () = tokio::time::sleep(Duration::from_secs(5)) => {}
                    }
                }
                Err(e) => {
                    return Err(crate::aws::aws_error_diagnostic(
                        "DeletePlacementGroup",
                        &what,
                        &e,
                    ));
                }
            }
        }
    }

    async fn roll_back(
        &self,
        ctx: &Context<SovereignData>,
        state: &Value,
    ) -> PartResult<Option<String>> {
        if state.get_str("placement_group_name").is_none() {
            return Ok(None);
        }
        self.remove(ctx, state).await?;
        Ok(Some(format!(
            "The new cluster {} was rolled back: its instances were terminated and its launch template and placement \
             group deleted, so nothing is left untracked.",
            name(state)
        )))
    }
}
