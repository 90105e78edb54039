//! Tags, handled once for every resource: a [`Tagger`] knows how one AWS service tags (KMS keys, S3 buckets, any
//! number of EC2 objects at once), and [`TagsPart`] is the part that sets `tags_all` on apply (repairing drift,
//! since the prior state holds what AWS had at the last read) and reads it back, split into `tags` and `tags_all`.

use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::framework::{Context, Part, PartResult, Presence, Value};
use crate::resources::{tag_map, tags_from_aws};
use crate::sovereign::SovereignData;

/// How one service tags a resource's objects.
#[async_trait]
pub trait Tagger: Send + Sync {
    /// True when the create call of the root object already set every tag (no call needed on create).
    const SET_AT_CREATE: bool;
    /// The tags AWS has on the resource's main object.
    async fn get(
        &self,
        ctx: &Context<SovereignData>,
        state: &Value,
    ) -> PartResult<BTreeMap<String, String>>;
    /// Makes the objects' tags go from `old` to `new`.
    async fn change(
        &self,
        ctx: &Context<SovereignData>,
        state: &Value,
        old: &BTreeMap<String, String>,
        new: &BTreeMap<String, String>,
    ) -> PartResult;
}

/// The part that keeps `tags_all` on AWS.
pub struct TagsPart<T>(pub T);

#[async_trait]
impl<T: Tagger> Part<SovereignData> for TagsPart<T> {
    fn name(&self) -> &'static str {
        "tags"
    }

    async fn apply(
        &self,
        ctx: &Context<SovereignData>,
        planned: &Value,
        prior: Option<&Value>,
        state: &mut Value,
    ) -> PartResult {
        let new = tag_map(planned);
        let old = match prior {
            Some(prior) => tag_map(prior),
            None if T::SET_AT_CREATE => return Ok(()),
            None => BTreeMap::new(),
        };
        if old != new {
            self.0.change(ctx, state, &old, &new).await?;
        }
        Ok(())
    }

    async fn read(&self, ctx: &Context<SovereignData>, state: &mut Value) -> PartResult<Presence> {
        let aws = self.0.get(ctx, state).await?;
        let (own, all) = tags_from_aws(&aws, &ctx.provider.config.default_tags, state.attr("tags"));
        state.set_attr("tags", own);
        state.set_attr("tags_all", all);
        Ok(Presence::Present)
    }

    async fn remove(&self, _ctx: &Context<SovereignData>, _state: &Value) -> PartResult {
        Ok(())
    }
}
