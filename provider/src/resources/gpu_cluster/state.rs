//! Reading the cluster's state: the accessors every part uses.

use std::collections::BTreeMap;

use crate::framework::Value;
use crate::resources::tag_map;

/// The cluster name.
pub fn name(state: &Value) -> &str {
    state.get_str("name").unwrap_or_default()
}

/// `node_count` (0 when unknown).
pub fn node_count(state: &Value) -> u32 {
    state
        .get_i64("node_count")
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(0)
}

/// `tags_all` as a map.
pub fn tags(state: &Value) -> BTreeMap<String, String> {
    tag_map(state)
}

/// A known list of strings.
pub fn strings(state: &Value, attribute: &str) -> Vec<String> {
    state.attr(attribute).as_string_vec().unwrap_or_default()
}

/// The tags every instance and volume carries: `tags_all`, the cluster it belongs to, its `expires-at`.
pub fn instance_tags(state: &Value) -> BTreeMap<String, String> {
    let mut out = tags(state);
    out.insert(CLUSTER_TAG.to_string(), name(state).to_string());
    if let Some(at) = state.get_str("expires_at") {
        out.insert(EXPIRES_TAG.to_string(), at.to_string());
    }
    out
}

/// Tag naming the cluster of an instance (how the provider finds its instances).
pub const CLUSTER_TAG: &str = "sovereign-cluster";
/// Tag holding an instance's slot.
pub const SLOT_TAG: &str = "sovereign-slot";
/// Tag holding the slots of an instance's launch batch, in launch order (finds the slot of an instance whose
/// slot tag was never written).
pub const BATCH_TAG: &str = "sovereign-batch";
/// Tag holding the template version an instance was launched from.
pub const VERSION_TAG: &str = "sovereign-template-version";
/// Tag for external reapers: when the cluster's TTL ends.
pub const EXPIRES_TAG: &str = "expires-at";
