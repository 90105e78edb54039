//! Tags of every object of the network, changed in one DeleteTags and one CreateTags call, and the `Name` tags
//! that follow `name`.

use std::collections::BTreeMap;

use crate::aws::ec2::{change_tags, set_name, tags_of};
use crate::framework::{Context, Part, PartResult, Presence, Value};
use crate::resources::common::tags::Tagger;
use crate::resources::network::state::{self, owned_ids, text};
use crate::sovereign::SovereignData;

/// Tags of the network's EC2 objects; read from the VPC.
pub struct NetworkTags;

#[async_trait::async_trait]
impl Tagger for NetworkTags {
    const SET_AT_CREATE: bool = true;

    async fn get(
        &self,
        ctx: &Context<SovereignData>,
        state: &Value,
    ) -> PartResult<BTreeMap<String, String>> {
        let vpc_id = state::vpc_id(state)?;
        tags_of(&ctx.provider.clients.ec2, vpc_id, &format!("VPC {vpc_id}")).await
    }

    async fn change(
        &self,
        ctx: &Context<SovereignData>,
        state: &Value,
        old: &BTreeMap<String, String>,
        new: &BTreeMap<String, String>,
    ) -> PartResult {
        let what = format!("network {}", state::name(state));
        change_tags(
            &ctx.provider.clients.ec2,
            &owned_ids(state),
            old,
            new,
            &what,
        )
        .await
    }
}

/// Renaming the network renames every object (`Name` tags), each after its role.
pub struct Names;

/// Each owned object with the `Name` it should carry.
fn names(state: &Value) -> Vec<(String, String)> {
    let base = state::name(state);
    let mut out = Vec::new();
    for (attribute, suffix) in [
        ("vpc_id", ""),
        ("route_table_id", "-private"),
        ("workload_security_group_id", "-workload"),
        ("endpoint_security_group_id", "-endpoints"),
        ("s3_endpoint_id", "-s3"),
        ("flow_log_id", "-flow-logs"),
    ] {
        if let Some(id) = text(state, attribute) {
            out.push((id.to_string(), format!("{base}{suffix}")));
        }
    }
    for (attribute, prefix) in [("subnet_ids_by_zone", ""), ("endpoint_ids", "")] {
        for (key, id) in state.attr(attribute).as_string_map().unwrap_or_default() {
            out.push((id, format!("{base}-{prefix}{key}")));
        }
    }
    out
}

#[async_trait::async_trait]
impl Part<SovereignData> for Names {
    fn name(&self) -> &'static str {
        "names"
    }

    async fn apply(
        &self,
        ctx: &Context<SovereignData>,
        planned: &Value,
        prior: Option<&Value>,
        state: &mut Value,
    ) -> PartResult {
        if prior.is_none_or(|p| p.get_str("name") == planned.get_str("name")) {
            return Ok(());
        }
        for (id, name) in names(state) {
            set_name(&ctx.provider.clients.ec2, &id, &name).await?;
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

    async fn remove(&self, _ctx: &Context<SovereignData>, _state: &Value) -> PartResult {
        Ok(())
    }
}
