//! ## What it does
//! Requires the policy's tags on every data-bearing resource — object storage (including S3
//! directory buckets, S3 Tables table buckets and tables, S3 Vectors vector buckets and indexes),
//! databases, volumes, file systems, caches, queues and streams (including MSK), registries, ML
//! artifacts (SageMaker, Bedrock custom models, Azure ML workspaces and datastores, Azure
//! OpenAI/Cognitive Services accounts, Synapse, Vertex AI datasets, featurestores, online stores,
//! endpoints, indexes and tensorboards, Workbench instances), log groups, backup vaults,
//! `sovereign_bucket`; the Azure ones also when created with `azapi_resource` (by ARM type, e.g.
//! `Microsoft.Storage/storageAccounts`) — and checks their values against `[tags.allowed_values]`. Types that take
//! no tags or labels are not required to carry them (e.g. `azurerm_storage_data_lake_gen2_filesystem`,
//! whose storage account carries them, or `google_firestore_database`).
//!
//! Tags are read as the cloud applies them:
//! - AWS and `sovereign`: the resource's `tags` merged over the provider's `default_tags` (in a plan,
//!   `tags_all`, which already holds the merge);
//! - Azure: `tags`;
//! - Google: `labels` merged over the provider's `default_labels` (in a plan, `terraform_labels`);
//!   Cloud SQL's `settings.user_labels`. Google label keys must be lower-case, and they are compared
//!   exactly: a required tag `Data-Classification` can never be satisfied by a label.
//!
//! A tag map or tag value that cannot be resolved statically is reported as SOV010, not SOV003.
//! Data sources are not checked.
//!
//! ## Why is this bad?
//! Classification tags drive access policies, retention and residency reviews; data without them is
//! invisible to those controls, and an unapproved value (a typo such as `restriced`) is as bad as none.
//!
//! ## Example
//! ```hcl
//! resource "aws_s3_bucket" "training_data" {
//!   bucket = "ml-training-data"
//!   tags = {
//!     owner = "ml-platform"
//!   }
//! }
//! ```
//!
//! ## Use instead
//! ```hcl
//! provider "aws" {
//!   region = "eu-central-1"
//!   default_tags {
//!     tags = { data-classification = "restricted" }
//!   }
//! }
//!
//! resource "aws_s3_bucket" "training_data" {
//!   bucket = "ml-training-data"
//!   tags = {
//!     owner = "ml-platform"
//!   }
//! }
//! ```
//!
//! ## Options
//! - `[tags] required`: the tag keys every data-bearing resource needs (default `data-classification`).
//! - `[tags.allowed_values]`: per key, the values allowed.
//! - `unresolved`: severity of SOV010 for tags that cannot be resolved.
use sovereign_schemas::Cloud;

use super::support::{Subject, cloud_of, finding, get_path, is_data_bearing, loc, unresolved};
use super::{Rule, RuleContext, RuleInfo, docs};
use crate::finding::{Finding, Severity};
use crate::model::{AttrMap, ResourceInstance, Tracked, Value, lookup};

pub(crate) static INFO: RuleInfo = RuleInfo {
    id: "SOV003",
    name: "untagged-data",
    summary: "a data-bearing resource lacks a required tag or label (after merging provider default_tags), or has a value not allowed",
    docs: docs::SOV003,
    default_severity: Severity::Error,
};

pub(crate) struct UntaggedData;

impl Rule for UntaggedData {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
        for resource in cx.model.resources.iter().filter(|r| is_data_bearing(r)) {
            check_resource(cx, out, resource);
        }
    }
}

/// The merged tags of a resource, or `None` when a map that decides them is unknown (SOV010 reported).
struct Tags<'m> {
    /// The maps that give the tags, later ones overriding earlier ones (provider defaults, then
    /// the resource's own): read in place rather than merged into a new map per resource.
    maps: Maps<'m>,
    /// The argument users edit (`tags`, `labels`), for the location of a missing tag.
    attr: &'static str,
    word: &'static str,
}

impl<'m> Tags<'m> {
    fn get(&self, key: &str) -> Option<&'m Tracked> {
        self.maps.iter().rev().find_map(|m| lookup(m, key))
    }

    fn keys(&self) -> impl Iterator<Item = &'m crate::model::Key> + '_ {
        self.maps.iter().flat_map(|m| m.keys())
    }
}

/// The (at most two) maps tags come from, without a vector per resource.
#[derive(Default)]
struct Maps<'m>([Option<&'m AttrMap>; 2]);

impl<'m> Maps<'m> {
    fn push(&mut self, map: &'m AttrMap) {
        match self.0.iter_mut().find(|slot| slot.is_none()) {
            Some(slot) => *slot = Some(map),
            // Only the provider's defaults and the resource's own map are ever pushed.
            None => debug_assert!(false, "more than two tag maps"),
        }
    }

    fn iter(&self) -> impl DoubleEndedIterator<Item = &'m AttrMap> + '_ {
        self.0.iter().flatten().copied()
    }
}

fn check_resource(cx: &RuleContext<'_>, out: &mut Vec<Finding>, resource: &ResourceInstance) {
    let subject = Subject::resource(resource);
    let Some(tags) = merged_tags(cx, out, resource) else {
        return;
    };
    let cloud = cloud_of(resource);
    // Where a missing tag is reported (worked out only when one is).
    let tag_location = || match resource.resource_type.as_str() {
        "google_sql_database_instance" => get_path(&resource.attributes, "settings.user_labels")
            .and_then(|t| t.location.clone())
            .unwrap_or_else(|| resource.location.clone()),
        _ => resource.attr_location(tags.attr),
    };
    for key in &cx.policy.tags.required {
        if let Some(value) = tags.get(key) {
            if value.unknown_reason().is_some() {
                unresolved(cx, out, subject, &format!("{} `{key}`", tags.word), value);
            }
            continue;
        }
        let allowed = cx.policy.tags.allowed_values.get(key);
        let example = allowed.and_then(|v| v.first()).map_or("…", String::as_str);
        let mut help = format!("add `{key} = \"{example}\"` to `{}`", tags.attr);
        if cloud == Some(Cloud::Aws) {
            help.push_str(" or to the provider's `default_tags`");
        }
        if let Some(allowed) = allowed {
            help.push_str(&format!(" (allowed: {})", allowed.join(", ")));
        }
        if let Some(near) = tags.keys().find(|k| k.eq_ignore_ascii_case(key)) {
            help.push_str(&format!(
                "; `{near}` is present, but {} keys are compared exactly",
                tags.word
            ));
            if cloud == Some(Cloud::Google) {
                help.push_str(" (Google label keys must be lower-case)");
            }
        } else if cloud == Some(Cloud::Google) && key.chars().any(|c| c.is_ascii_uppercase()) {
            help.push_str("; Google label keys must be lower-case, so change the policy's required key to lower case");
        }
        out.push(finding(
            INFO.id,
            subject,
            tag_location(),
            format!(
                "data-bearing {} lacks required {} `{key}`",
                subject.address, tags.word
            ),
            None,
            help,
        ));
    }
    for (key, allowed) in &cx.policy.tags.allowed_values {
        let Some(value) = tags.get(key) else {
            continue;
        };
        match &value.value {
            Value::String(s) if !allowed.iter().any(|a| a == s) => out.push(finding(
                INFO.id,
                subject,
                loc(value, &tag_location()),
                format!(
                    "{} `{key}` of {} is \"{s}\", which the policy does not allow",
                    tags.word, subject.address
                ),
                Some(value),
                format!("set `{key}` to one of: {}", allowed.join(", ")),
            )),
            Value::Unknown(_) if !cx.policy.tags.required.contains(key) => {
                unresolved(cx, out, subject, &format!("{} `{key}`", tags.word), value);
            }
            _ => {}
        }
    }
}

fn merged_tags<'m>(
    cx: &RuleContext<'m>,
    out: &mut Vec<Finding>,
    resource: &'m ResourceInstance,
) -> Option<Tags<'m>> {
    let subject = Subject::resource(resource);
    let provider = cx.model.provider_of(resource);
    let mut entries = Maps::default();
    let mut add = |what: &str, t: Option<&'m Tracked>, entries: &mut Maps<'m>| -> bool {
        let Some(t) = t else { return true };
        match &t.value {
            Value::Map(m) => {
                entries.push(m);
                true
            }
            Value::Unknown(_) => {
                unresolved(cx, out, subject, what, t);
                false
            }
            _ => true,
        }
    };
    match cloud_of(resource) {
        Some(Cloud::Aws) => {
            if let Some(all) = resource.attr("tags_all").filter(|t| t.as_map().is_some()) {
                add("`tags_all`", Some(all), &mut entries);
            } else {
                let defaults = provider.and_then(|p| {
                    let d = p.attr("default_tags")?;
                    // aws: `default_tags { tags = {…} }`; sovereign: `default_tags = {…}`.
                    if p.provider_type == "sovereign" {
                        Some(d)
                    } else {
                        get_path(&p.attributes, "default_tags.tags")
                    }
                });
                if !add("the provider's `default_tags`", defaults, &mut entries)
                    || !add("`tags`", resource.attr("tags"), &mut entries)
                {
                    return None;
                }
            }
            Some(Tags {
                maps: entries,
                attr: "tags",
                word: "tag",
            })
        }
        Some(Cloud::Azure) => {
            if !add("`tags`", resource.attr("tags"), &mut entries) {
                return None;
            }
            Some(Tags {
                maps: entries,
                attr: "tags",
                word: "tag",
            })
        }
        Some(Cloud::Google) => {
            if resource.resource_type == "google_sql_database_instance" {
                if !add(
                    "`settings.user_labels`",
                    get_path(&resource.attributes, "settings.user_labels"),
                    &mut entries,
                ) {
                    return None;
                }
            } else if let Some(all) = resource
                .attr("terraform_labels")
                .filter(|t| t.as_map().is_some())
            {
                add("`terraform_labels`", Some(all), &mut entries);
            } else if !add(
                "the provider's `default_labels`",
                provider.and_then(|p| p.attr("default_labels")),
                &mut entries,
            ) || !add("`labels`", resource.attr("labels"), &mut entries)
            {
                return None;
            }
            Some(Tags {
                maps: entries,
                attr: "labels",
                word: "label",
            })
        }
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::rules::test_support::{ModelBuilder, lint};

    const POLICY: &str = "[tags]\nrequired = [\"data-classification\"]\n[tags.allowed_values]\ndata-classification = [\"internal\", \"restricted\"]\n";

    #[test]
    fn default_tags_merge_and_allowed_values() {
        let model = ModelBuilder::new()
            .provider("aws", json!({"region": "eu-central-1", "default_tags": [{"tags": {"data-classification": "internal"}}]}))
            .resource("aws_s3_bucket", "merged", json!({"bucket": "a", "tags": {"owner": "x"}}))
            .resource("aws_s3_bucket", "bad", json!({"bucket": "b", "tags": {"data-classification": "restriced"}}))
            .resource("aws_vpc", "not_data", json!({"cidr_block": "10.0.0.0/16"}))
            .build();
        let got = lint(&model, POLICY, &["SOV003"]);
        assert_eq!(got.len(), 1, "{got:#?}");
        assert!(got[0].contains("\"restriced\""), "{got:#?}");
    }

    #[test]
    fn missing_tags_labels_and_unknown_maps() {
        let model = ModelBuilder::new()
            .provider("aws", json!({"region": "eu-central-1"}))
            .resource("aws_sqs_queue", "q", json!({"name": "q"}))
            .resource(
                "aws_dynamodb_table",
                "t",
                json!({"tags": "?var.tags has no value"}),
            )
            .resource(
                "google_storage_bucket",
                "g",
                json!({"location": "EU", "labels": {"owner": "x"}}),
            )
            .resource(
                "azurerm_storage_account",
                "a",
                json!({"tags": {"data-classification": "internal"}}),
            )
            .build();
        let got = lint(&model, POLICY, &["SOV003", "SOV010"]);
        assert_eq!(got.len(), 3, "{got:#?}");
        assert!(
            got[0].contains("SOV003") && got[0].contains("aws_sqs_queue.q lacks required tag"),
            "{got:#?}"
        );
        assert!(
            got[1].contains("SOV010") && got[1].contains("var.tags"),
            "{got:#?}"
        );
        assert!(got[2].contains("lacks required label"), "{got:#?}");
    }
}
