//! EC2 pieces every EC2-backed resource shares: tags on creation, the tag set of many objects changed in one
//! call, and reading an object's tags.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};

use crate::aws::AwsResultExt;
use crate::framework::{Diagnostic, PartResult};

/// The `Name` tag every object gets from the resource's `name` (the EC2 console shows it).
pub const NAME_TAG: &str = "Name";

/// `tags` plus `Name = name`, as a tag specification for a create call.
pub fn tag_specification(
    resource_type: ResourceType,
    tags: &BTreeMap<String, String>,
    name: &str,
) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(resource_type)
        .set_tags(Some(ec2_tags(tags, Some(name))))
        .build()
}

/// EC2 tags from a map (and a `Name`).
pub fn ec2_tags(tags: &BTreeMap<String, String>, name: Option<&str>) -> Vec<Tag> {
    let mut out: Vec<Tag> = tags
        .iter()
        .filter(|(k, _)| k.as_str() != NAME_TAG)
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    if let Some(name) = name {
        out.push(Tag::builder().key(NAME_TAG).value(name).build());
    }
    out
}

/// The tags of one EC2 object (DescribeTags), without `Name` and `aws:` keys.
pub async fn tags_of(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
    what: &str,
) -> PartResult<BTreeMap<String, String>> {
    let out = ec2
        .describe_tags()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("resource-id")
                .values(id)
                .build(),
        )
        .send()
        .await
        .or_diag("DescribeTags", what)?;
    Ok(out
        .tags()
        .iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .filter(|(k, _)| k != NAME_TAG && !k.starts_with("aws:"))
        .collect())
}

/// The `Name` tag of a tag list.
pub fn name_of(tags: &[Tag]) -> Option<&str> {
    tags.iter()
        .find(|t| t.key() == Some(NAME_TAG))
        .and_then(|t| t.value())
}

/// Changes the tags of every object in `ids` from `old` to `new`: one DeleteTags and one CreateTags call.
pub async fn change_tags(
    ec2: &aws_sdk_ec2::Client,
    ids: &[String],
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
    what: &str,
) -> PartResult {
    if ids.is_empty() {
        return Ok(());
    }
    let removed: Vec<Tag> = old
        .keys()
        .filter(|k| !new.contains_key(*k) && k.as_str() != NAME_TAG)
        .map(|k| Tag::builder().key(k).build())
        .collect();
    if !removed.is_empty() {
        ec2.delete_tags()
            .set_resources(Some(ids.to_vec()))
            .set_tags(Some(removed))
            .send()
            .await
            .or_diag("DeleteTags", what)?;
    }
    let set: BTreeMap<String, String> = new
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !set.is_empty() {
        ec2.create_tags()
            .set_resources(Some(ids.to_vec()))
            .set_tags(Some(ec2_tags(&set, None)))
            .send()
            .await
            .or_diag("CreateTags", what)?;
    }
    Ok(())
}

/// Sets the `Name` tag of one object.
pub async fn set_name(ec2: &aws_sdk_ec2::Client, id: &str, name: &str) -> PartResult {
    ec2.create_tags()
        .resources(id)
        .tags(Tag::builder().key(NAME_TAG).value(name).build())
        .send()
        .await
        .or_diag("CreateTags", id)
        .map(|_| ())
}

/// An error for an answer AWS gave without a field the provider needs.
pub fn missing(operation: &str, field: &str) -> Diagnostic {
    Diagnostic::error(
        format!("AWS {operation} answered without {field}"),
        format!("The {operation} response has no {field}; the provider cannot go on without it."),
    )
}
