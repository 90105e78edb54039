//! Tags of a KMS key: set by CreateKey, changed with TagResource / UntagResource, read with the SDK's
//! ListResourceTags paginator.

use std::collections::BTreeMap;

use aws_sdk_kms::types::Tag;

use super::{key_ids, kms};
use crate::aws::AwsResultExt;
use crate::framework::{Context, Diagnostic, PartResult, Value, async_trait};
use crate::resources::common::tags::Tagger;
use crate::resources::tag_changes;
use crate::sovereign::SovereignData;

pub struct KmsTags;

/// Tags as KMS takes them (CreateKey, TagResource).
pub fn kms_tags(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, Diagnostic> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder().tag_key(k).tag_value(v).build().map_err(|e| {
                Diagnostic::error(
                    "Invalid tag",
                    format!("Tag {k:?} cannot be sent to KMS: {e}"),
                )
            })
        })
        .collect()
}

#[async_trait]
impl Tagger for KmsTags {
    const SET_AT_CREATE: bool = true;

    async fn get(
        &self,
        ctx: &Context<SovereignData>,
        state: &Value,
    ) -> PartResult<BTreeMap<String, String>> {
        let (id, what) = key_ids(state)?;
        let tags = kms(ctx)
            .list_resource_tags()
            .key_id(id)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .or_diag("ListResourceTags", &what)?;
        Ok(tags.into_iter().map(|t| (t.tag_key, t.tag_value)).collect())
    }

    async fn change(
        &self,
        ctx: &Context<SovereignData>,
        state: &Value,
        old: &BTreeMap<String, String>,
        new: &BTreeMap<String, String>,
    ) -> PartResult {
        let (id, what) = key_ids(state)?;
        let kms = &kms(ctx);
        let (removed, set) = tag_changes(old, new);
        if !removed.is_empty() {
            kms.untag_resource()
                .key_id(&id)
                .set_tag_keys(Some(removed))
                .send()
                .await
                .or_diag("UntagResource", &what)?;
        }
        if !set.is_empty() {
            kms.tag_resource()
                .key_id(&id)
                .set_tags(Some(kms_tags(&set)?))
                .send()
                .await
                .or_diag("TagResource", &what)?;
        }
        Ok(())
    }
}
