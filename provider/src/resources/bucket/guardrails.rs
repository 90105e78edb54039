//! The guardrails: the public access block and owner enforcement here, SSE-KMS with a bucket key in
//! `encryption.rs`. Each part owns its keys
//! of the computed `guardrails` map: it plans them `true`, puts its setting on every apply (which repairs
//! drift) and reads back what AWS has.

use aws_sdk_s3::types::{
    ObjectOwnership, OwnershipControls, OwnershipControlsRule, PublicAccessBlockConfiguration,
};

use super::{bucket_ids, build_err, s3};
use crate::aws::AwsResultExt;
use crate::framework::{Context, Part, PartResult, Presence, Value, async_trait};
use crate::sovereign::SovereignData;

/// Sets `keys` of the `guardrails` map, leaving the keys of the other parts as they are.
pub(super) fn set_guardrails<'a>(
    value: &mut Value,
    keys: impl IntoIterator<Item = (&'a str, bool)>,
) {
    let mut map = value
        .attr("guardrails")
        .as_map()
        .cloned()
        .unwrap_or_default();
    map.extend(
        keys.into_iter()
            .map(|(k, on)| (k.to_string(), Value::from(on))),
    );
    value.set_attr("guardrails", Value::Map(map));
}

const PUBLIC_ACCESS_BLOCKS: [&str; 4] = [
    "block_public_acls",
    "block_public_policy",
    "ignore_public_acls",
    "restrict_public_buckets",
];

/// All four public access blocks on.
pub struct PublicAccessBlock;

#[async_trait]
impl Part<SovereignData> for PublicAccessBlock {
    fn name(&self) -> &'static str {
        "public access block"
    }

    fn plan(&self, _prior: Option<&Value>, planned: &mut Value) {
        set_guardrails(planned, PUBLIC_ACCESS_BLOCKS.map(|k| (k, true)));
    }

    async fn apply(
        &self,
        ctx: &Context<SovereignData>,
        _planned: &Value,
        _prior: Option<&Value>,
        state: &mut Value,
    ) -> PartResult {
        let (name, what) = bucket_ids(state)?;
        let pab = PublicAccessBlockConfiguration::builder()
            .block_public_acls(true)
            .block_public_policy(true)
            .ignore_public_acls(true)
            .restrict_public_buckets(true)
            .build();
        s3(ctx)
            .put_public_access_block()
            .bucket(name)
            .public_access_block_configuration(pab)
            .send()
            .await
            .or_diag("PutPublicAccessBlock", &what)?;
        Ok(())
    }

    async fn read(&self, ctx: &Context<SovereignData>, state: &mut Value) -> PartResult<Presence> {
        let (name, what) = bucket_ids(state)?;
        let out = s3(ctx)
            .get_public_access_block()
            .bucket(name)
            .send()
            .await
            .found(
                "GetPublicAccessBlock",
                &what,
                &["NoSuchPublicAccessBlockConfiguration"],
            )?;
        let c = out
            .as_ref()
            .and_then(|o| o.public_access_block_configuration());
        let on = [
            c.and_then(|c| c.block_public_acls()),
            c.and_then(|c| c.block_public_policy()),
            c.and_then(|c| c.ignore_public_acls()),
            c.and_then(|c| c.restrict_public_buckets()),
        ];
        set_guardrails(
            state,
            PUBLIC_ACCESS_BLOCKS
                .into_iter()
                .zip(on.map(|o| o.unwrap_or(false))),
        );
        Ok(Presence::Present)
    }
}

/// Object ownership BucketOwnerEnforced (ACLs off).
pub struct Ownership;

#[async_trait]
impl Part<SovereignData> for Ownership {
    fn name(&self) -> &'static str {
        "ownership controls"
    }

    fn plan(&self, _prior: Option<&Value>, planned: &mut Value) {
        set_guardrails(planned, [("bucket_owner_enforced", true)]);
    }

    async fn apply(
        &self,
        ctx: &Context<SovereignData>,
        _planned: &Value,
        _prior: Option<&Value>,
        state: &mut Value,
    ) -> PartResult {
        let (name, what) = bucket_ids(state)?;
        let ownership = OwnershipControlsRule::builder()
            .object_ownership(ObjectOwnership::BucketOwnerEnforced)
            .build()
            .and_then(|rule| OwnershipControls::builder().rules(rule).build())
            .map_err(|e| build_err("PutBucketOwnershipControls", e))?;
        s3(ctx)
            .put_bucket_ownership_controls()
            .bucket(name)
            .ownership_controls(ownership)
            .send()
            .await
            .or_diag("PutBucketOwnershipControls", &what)?;
        Ok(())
    }

    async fn read(&self, ctx: &Context<SovereignData>, state: &mut Value) -> PartResult<Presence> {
        let (name, what) = bucket_ids(state)?;
        let out = s3(ctx)
            .get_bucket_ownership_controls()
            .bucket(name)
            .send()
            .await
            .found(
                "GetBucketOwnershipControls",
                &what,
                &["OwnershipControlsNotFoundError"],
            )?;
        let enforced = out
            .as_ref()
            .and_then(|o| o.ownership_controls())
            .is_some_and(|c| {
                c.rules()
                    .iter()
                    .any(|r| r.object_ownership() == &ObjectOwnership::BucketOwnerEnforced)
            });
        set_guardrails(state, [("bucket_owner_enforced", enforced)]);
        Ok(Presence::Present)
    }
}
