//! Tags of everything the cluster owns (template, instances, their volumes), and the `expires-at` tag that follows
//! the TTL on every instance and volume.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::Filter;

use crate::aws::AwsResultExt;
use crate::aws::ec2::{change_tags, tags_of};
use crate::framework::{Context, Part, PartResult, Presence, Value};
use crate::resources::common::tags::Tagger;
use crate::resources::gpu_cluster::state::{EXPIRES_TAG, name, strings};
use crate::sovereign::SovereignData;

/// The instances and their volumes.
async fn instances_and_volumes(
    ctx: &Context<SovereignData>,
    state: &Value,
) -> PartResult<Vec<String>> {
    let instances = strings(state, "instance_ids");
    if instances.is_empty() {
        return Ok(instances);
    }
    let volumes = ctx
        .provider
        .clients
        .ec2
        .describe_volumes()
        .filters(
            Filter::builder()
                .name("attachment.instance-id")
                .set_values(Some(instances.clone()))
                .build(),
        )
        .send()
        .await
        .or_diag("DescribeVolumes", &format!("volumes of {}", name(state)))?;
    let mut ids = instances;
    ids.extend(
        volumes
            .volumes()
            .iter()
            .filter_map(|v| v.volume_id().map(str::to_owned)),
    );
    Ok(ids)
}

/// Tags of the cluster's objects; read from the launch template.
pub struct ClusterTags;

#[async_trait::async_trait]
impl Tagger for ClusterTags {
    const SET_AT_CREATE: bool = true;

    async fn get(
        &self,
        ctx: &Context<SovereignData>,
        state: &Value,
    ) -> PartResult<BTreeMap<String, String>> {
        let Some(id) = state.get_str("launch_template_id") else {
            return Ok(BTreeMap::new());
        };
        tags_of(
            &ctx.provider.clients.ec2,
            id,
            &format!("launch template {id}"),
        )
        .await
    }

    async fn change(
        &self,
        ctx: &Context<SovereignData>,
        state: &Value,
        old: &BTreeMap<String, String>,
        new: &BTreeMap<String, String>,
    ) -> PartResult {
        let mut ids = instances_and_volumes(ctx, state).await?;
        ids.extend(state.get_str("launch_template_id").map(str::to_owned));
        change_tags(
            &ctx.provider.clients.ec2,
            &ids,
            old,
            new,
            &format!("cluster {}", name(state)),
        )
        .await
    }
}

/// `expires-at` on every instance and volume, updated when the TTL window changes.
pub struct ExpiryTags;

#[async_trait::async_trait]
impl Part<SovereignData> for ExpiryTags {
    fn name(&self) -> &'static str {
        "expires-at tags"
    }

    async fn apply(
        &self,
        ctx: &Context<SovereignData>,
        _planned: &Value,
        prior: Option<&Value>,
        state: &mut Value,
    ) -> PartResult {
        let Some(prior) = prior else { return Ok(()) };
        if prior.attr("expires_at") == state.attr("expires_at") {
            return Ok(());
        }
        let old: BTreeMap<String, String> = prior
            .get_str("expires_at")
            .map(|t| (EXPIRES_TAG.to_string(), t.to_string()))
            .into_iter()
            .collect();
        let new: BTreeMap<String, String> = state
            .get_str("expires_at")
            .map(|t| (EXPIRES_TAG.to_string(), t.to_string()))
            .into_iter()
            .collect();
        let ids = instances_and_volumes(ctx, state).await?;
        change_tags(
            &ctx.provider.clients.ec2,
            &ids,
            &old,
            &new,
            &format!("cluster {}", name(state)),
        )
        .await
    }

    async fn read(
        &self,
        _ctx: &Context<SovereignData>,
        _state: &mut Value,
    ) -> PartResult<Presence> {
        Ok(Presence::Present)
    }
}

/// Starts a TTL window when the apply runs: `expires_at` = now + `ttl_hours` when the plan left it unknown (a new
/// or changed `ttl_hours`), before the instances are launched with their `expires-at` tags.
pub struct TtlWindow;

#[async_trait::async_trait]
impl Part<SovereignData> for TtlWindow {
    fn name(&self) -> &'static str {
        "TTL window"
    }

    async fn apply(
        &self,
        _ctx: &Context<SovereignData>,
        planned: &Value,
        _prior: Option<&Value>,
        state: &mut Value,
    ) -> PartResult {
        if state.attr("expires_at").is_unknown() {
            let at = planned.get_i64("ttl_hours").map(|hours| {
                crate::resources::gpu_cluster::plan::expiry(
                    crate::resources::gpu_cluster::plan::now(),
                    hours,
                )
            });
            state.set_attr("expires_at", Value::from(at));
        }
        Ok(())
    }

    async fn read(
        &self,
        _ctx: &Context<SovereignData>,
        _state: &mut Value,
    ) -> PartResult<Presence> {
        Ok(Presence::Present)
    }
}
