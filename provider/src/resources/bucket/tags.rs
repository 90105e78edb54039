//! Tags of a bucket: S3 takes the whole set at once (PutBucketTagging), and an empty set is
//! DeleteBucketTagging.

use std::collections::BTreeMap;

use aws_sdk_s3::types::{Tag, Tagging};

use super::{bucket_ids, build_err, s3};
use crate::aws::AwsResultExt;
use crate::framework::{Context, PartResult, Value, async_trait};
use crate::resources::common::tags::Tagger;
use crate::sovereign::SovereignData;

pub struct S3BucketTags;

#[async_trait]
impl Tagger for S3BucketTags {
    const SET_AT_CREATE: bool = false;

    async fn get(
        &self,
        ctx: &Context<SovereignData>,
        state: &Value,
    ) -> PartResult<BTreeMap<String, String>> {
        let (name, what) = bucket_ids(state)?;
        let out = s3(ctx)
            .get_bucket_tagging()
            .bucket(name)
            .send()
            .await
            .found("GetBucketTagging", &what, &["NoSuchTagSet"])?;
        Ok(out
            .map(|o| o.tag_set.into_iter().map(|t| (t.key, t.value)).collect())
            .unwrap_or_default())
    }

    async fn change(
        &self,
        ctx: &Context<SovereignData>,
        state: &Value,
        _old: &BTreeMap<String, String>,
        new: &BTreeMap<String, String>,
    ) -> PartResult {
        let (name, what) = bucket_ids(state)?;
        let s3 = &s3(ctx);
        if new.is_empty() {
            s3.delete_bucket_tagging()
                .bucket(name)
                .send()
                .await
                .or_diag("DeleteBucketTagging", &what)?;
            return Ok(());
        }
        let tagging = new
            .iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect::<Result<Vec<_>, _>>()
            .and_then(|set| Tagging::builder().set_tag_set(Some(set)).build())
            .map_err(|e| build_err("PutBucketTagging", e))?;
        s3.put_bucket_tagging()
            .bucket(name)
            .tagging(tagging)
            .send()
            .await
            .or_diag("PutBucketTagging", &what)?;
        Ok(())
    }
}
