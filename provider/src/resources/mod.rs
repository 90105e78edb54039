//! Managed resources and the plan-time checks they share: required tags, tag bookkeeping,
//! ARN checks against the provider's region and partition, JSON policy comparison.

pub mod bucket;
pub mod common;
pub mod gpu_cluster;
pub mod key;
pub mod network;
pub mod residency;

use std::collections::BTreeMap;
use std::sync::Arc;

use sovereign_schemas::arn::parse_arn;

use crate::framework::{AttributePath, Diagnostics, PlanChange, Resource, Value};
use crate::sovereign::SovereignData;

/// Every managed resource of the provider, each wrapped with its residency checks.
pub fn all() -> Vec<Arc<dyn Resource<SovereignData>>> {
    vec![
        residency::sovereign(key::KeyResource::new()),
        residency::sovereign(bucket::BucketResource::new()),
        residency::sovereign(network::NetworkResource::new()),
        residency::sovereign(gpu_cluster::GpuClusterResource::new()),
    ]
}

/// Refuses a plan whose `tags_all` (provider `default_tags` + `tags`) lacks a required tag.
/// The error names the `tags` attribute. Skipped while the tags are unknown.
pub fn check_required_tags(data: &SovereignData, plan: &PlanChange, diags: &mut Diagnostics) {
    let tags_all = plan.planned.attr("tags_all");
    if !tags_all.is_wholly_known() || !plan.planned.attr("tags").is_wholly_known() {
        return;
    }
    let present = tags_all.as_string_map().unwrap_or_default();
    let missing: Vec<&str> = data
        .config
        .required_tags
        .iter()
        .filter(|t| !present.contains_key(t.as_str()))
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        return;
    }
    let defaults = &data.config.default_tags;
    let from_defaults = if defaults.is_empty() {
        "The provider sets no default_tags.".to_string()
    } else {
        format!(
            "The provider's default_tags contribute: {}.",
            defaults.keys().cloned().collect::<Vec<_>>().join(", ")
        )
    };
    diags.error_at(
        AttributePath::new("tags"),
        "Missing required tags",
        format!(
            "This resource must carry the tag{} {} (the provider's required_tags). {from_defaults} Add {} to tags or \
             to the provider's default_tags.",
            if missing.len() == 1 { "" } else { "s" },
            missing.iter().map(|t| format!("{t:?}")).collect::<Vec<_>>().join(", "),
            if missing.len() == 1 { "it" } else { "them" },
        ),
    );
}

/// Splits the tags AWS reports into the state's `tags` and `tags_all`: `tags_all` is everything;
/// `tags` drops entries that only come from the provider's `default_tags`, unless the prior `tags`
/// named that key. Null `tags` stays null when nothing is left.
pub fn tags_from_aws(
    aws_tags: &BTreeMap<String, String>,
    default_tags: &BTreeMap<String, String>,
    prior_tags: &Value,
) -> (Value, Value) {
    let prior = prior_tags.as_string_map().unwrap_or_default();
    let own: BTreeMap<&String, &String> = aws_tags
        .iter()
        .filter(|(k, v)| prior.contains_key(*k) || default_tags.get(*k) != Some(*v))
        .collect();
    let tags = if own.is_empty() && prior_tags.is_null() {
        Value::Null
    } else {
        Value::string_map(own.into_iter().map(|(k, v)| (k.clone(), v.clone())))
    };
    (tags, Value::string_map(aws_tags.clone()))
}

/// `tags_all` of a planned/prior value as a map (null → empty).
pub fn tag_map(value: &Value) -> BTreeMap<String, String> {
    value.attr("tags_all").as_string_map().unwrap_or_default()
}

/// What changes between two tag maps: keys to remove, entries to set.
pub fn tag_changes(
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> (Vec<String>, BTreeMap<String, String>) {
    let removed = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .cloned()
        .collect();
    let set = new
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (removed, set)
}

/// True when two JSON documents are equal as JSON (AWS may reformat policies).
pub fn json_equal(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<serde_json::Value>(a),
        serde_json::from_str::<serde_json::Value>(b),
    ) {
        (Ok(x), Ok(y)) => normalize_policy(x) == normalize_policy(y),
        _ => a == b,
    }
}

/// Normalizes IAM policy JSON for comparison: a one-element array equals its element, as IAM treats them.
fn normalize_policy(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        J::Array(items) if items.len() == 1 => {
            normalize_policy(items.into_iter().next().unwrap_or(J::Null))
        }
        J::Array(items) => J::Array(items.into_iter().map(normalize_policy).collect()),
        J::Object(map) => J::Object(
            map.into_iter()
                .map(|(k, v)| (k, normalize_policy(v)))
                .collect(),
        ),
        other => other,
    }
}

/// The state's copy of a policy read from AWS: the prior string when it is the same JSON (so
/// formatting never shows as drift), else what AWS has.
pub fn policy_for_state(aws_policy: &str, prior: &Value) -> Value {
    match prior.as_str() {
        Some(p) if json_equal(p, aws_policy) => Value::from(p),
        _ => Value::from(aws_policy),
    }
}

/// Checks that an ARN belongs to the provider's partition and region (`region_required`: a regional
/// ARN such as a KMS key). Adds an error at `path` otherwise.
pub fn check_arn_location(
    data: &SovereignData,
    arn_text: &str,
    expected_service: &str,
    noun: &str,
    region_required: bool,
    path: AttributePath,
    diags: &mut Diagnostics,
) -> bool {
    let Some(arn) = parse_arn(arn_text) else {
        diags.error_at(
            path,
            "Invalid ARN",
            format!("{arn_text:?} is not an ARN (arn:PARTITION:{expected_service}:REGION:ACCOUNT:RESOURCE)."),
        );
        return false;
    };
    if arn.service != expected_service {
        diags.error_at(
            path,
            "Wrong kind of ARN",
            format!(
                "{arn_text:?} is an ARN of service {:?}; expected a {expected_service} ARN.",
                arn.service
            ),
        );
        return false;
    }
    if arn.partition != data.partition() {
        diags.error_at(
            path,
            "ARN in another partition",
            format!(
                "{arn_text:?} is in AWS partition `{}`, but this provider manages region {} in partition `{}` \
                 (jurisdiction `{}`). Resources cannot be shared across partitions.",
                arn.partition,
                data.region(),
                data.partition(),
                data.policy().jurisdiction
            ),
        );
        return false;
    }
    if region_required && arn.region != data.region() {
        let scope = data.policy().scope();
        let verdict = scope.check_arn(arn_text);
        let where_ = match verdict {
            Some(v) if !v.inside => format!(" ({})", v.reason),
            _ => String::new(),
        };
        diags.error_at(
            path,
            "ARN in another region",
            format!(
                "{arn_text:?} is in region `{}`{where_}, but this provider manages region `{}`: the {noun} must be in \
                 the provider's region so data never leaves it.",
                if arn.region.is_empty() { "(none)" } else { arn.region },
                data.region()
            ),
        );
        return false;
    }
    true
}

/// Requires replacement when the provider's region changed since the object was created
/// (objects cannot move between regions), and plans the provider region.
pub fn plan_region(data: &SovereignData, plan: &mut PlanChange) {
    plan.planned.set_attr("region", Value::from(data.region()));
    if let Some(prior) = plan.prior.get_str("region")
        && prior != data.region()
    {
        plan.require_replace(AttributePath::new("region"));
    }
}
