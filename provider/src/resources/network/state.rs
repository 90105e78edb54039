//! Reading and writing the network's state: the accessors every part uses.

use std::collections::BTreeMap;

use crate::framework::{Diagnostic, PartResult, Value};
use crate::resources::tag_map;

/// A known, non-empty string attribute.
pub fn text<'a>(value: &'a Value, name: &str) -> Option<&'a str> {
    value.get_str(name).filter(|s| !s.is_empty())
}

/// The VPC id, which every part after the root needs.
pub fn vpc_id(state: &Value) -> PartResult<&str> {
    text(state, "vpc_id").ok_or_else(|| {
        Diagnostic::error(
            "The network has no VPC id",
            "The state holds no vpc_id; the VPC must exist before its parts. Import the network by VPC id, or \
             remove it from state and apply again.",
        )
    })
}

/// The `name` argument (the `Name` tags' stem).
pub fn name(state: &Value) -> &str {
    state.get_str("name").unwrap_or_default()
}

/// `tags_all` as a map.
pub fn tags(state: &Value) -> BTreeMap<String, String> {
    tag_map(state)
}

/// The VPC's CIDR block.
pub fn cidr(state: &Value) -> &str {
    state.get_str("cidr_block").unwrap_or_default()
}

/// Sets one key of the `guardrails` map.
pub fn set_guardrail(state: &mut Value, key: &str, on: bool) {
    let mut map = state
        .attr("guardrails")
        .as_map()
        .cloned()
        .unwrap_or_default();
    map.insert(key.to_string(), Value::from(on));
    state.set_attr("guardrails", Value::Map(map));
}

/// True when the `guardrails` map says `key` holds (or does not say).
pub fn guardrail(state: &Value, key: &str) -> bool {
    state.attr("guardrails").attr(key).as_bool().unwrap_or(true)
}

/// Every EC2 object id the network owns (for tags).
pub fn owned_ids(state: &Value) -> Vec<String> {
    let mut ids = Vec::new();
    for single in [
        "vpc_id",
        "route_table_id",
        "workload_security_group_id",
        "endpoint_security_group_id",
        "s3_endpoint_id",
        "flow_log_id",
    ] {
        ids.extend(text(state, single).map(str::to_owned));
    }
    for map in ["subnet_ids_by_zone", "endpoint_ids"] {
        ids.extend(
            state
                .attr(map)
                .as_string_map()
                .unwrap_or_default()
                .into_values(),
        );
    }
    ids
}

/// Keeps the order of `prior` for the items it names, then the rest sorted (the state's lists follow the
/// configuration's order, so reading them back shows no change unless the set changed).
pub fn in_prior_order(prior: &Value, items: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut rest: Vec<String> = items.into_iter().collect();
    rest.sort();
    rest.dedup();
    let mut out = Vec::new();
    for p in prior.as_string_vec().unwrap_or_default() {
        if let Some(i) = rest.iter().position(|r| *r == p) {
            out.push(rest.remove(i));
        }
    }
    out.extend(rest);
    out
}
