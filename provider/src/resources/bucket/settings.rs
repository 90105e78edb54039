//! Settings of the bucket that are not guardrails: versioning and default object lock retention.

use aws_sdk_s3::types::{
    BucketVersioningStatus, DefaultRetention, ObjectLockConfiguration, ObjectLockEnabled,
    ObjectLockRetentionMode, ObjectLockRule, VersioningConfiguration,
};

use super::{bucket_ids, object_lock_of, s3};
use crate::aws::AwsResultExt;
use crate::framework::{Context, Part, PartResult, Presence, Value, async_trait};
use crate::sovereign::SovereignData;

/// Versioning: put on create when wanted, and on every update (enabled or suspended).
pub struct Versioning;

#[async_trait]
impl Part<SovereignData> for Versioning {
    fn name(&self) -> &'static str {
        "versioning"
    }

    async fn apply(
        &self,
        ctx: &Context<SovereignData>,
        planned: &Value,
        prior: Option<&Value>,
        state: &mut Value,
    ) -> PartResult {
        let versioning = planned.get_bool("versioning").unwrap_or(true);
        if !versioning && prior.is_none() {
            return Ok(());
        }
        let (name, what) = bucket_ids(state)?;
        let status = if versioning {
            BucketVersioningStatus::Enabled
        } else {
            BucketVersioningStatus::Suspended
        };
        s3(ctx)
            .put_bucket_versioning()
            .bucket(name)
            .versioning_configuration(VersioningConfiguration::builder().status(status).build())
            .send()
            .await
            .or_diag("PutBucketVersioning", &what)?;
        Ok(())
    }

    async fn read(&self, ctx: &Context<SovereignData>, state: &mut Value) -> PartResult<Presence> {
        let (name, what) = bucket_ids(state)?;
        let out = s3(ctx)
            .get_bucket_versioning()
            .bucket(name)
            .send()
            .await
            .or_diag("GetBucketVersioning", &what)?;
        let enabled = out.status() == Some(&BucketVersioningStatus::Enabled);
        state.set_attr("versioning", Value::from(enabled));
        Ok(Presence::Present)
    }
}

/// Default object lock retention (WORM); the bucket is created lock-enabled when it is set.
pub struct ObjectLock;

#[async_trait]
impl Part<SovereignData> for ObjectLock {
    fn name(&self) -> &'static str {
        "object lock"
    }

    async fn apply(
        &self,
        ctx: &Context<SovereignData>,
        planned: &Value,
        prior: Option<&Value>,
        state: &mut Value,
    ) -> PartResult {
        let lock = object_lock_of(planned);
        let had_lock = prior.is_some_and(|p| object_lock_of(p).is_some());
        if lock.is_none() && !had_lock {
            return Ok(());
        }
        let (name, what) = bucket_ids(state)?;
        let mut config =
            ObjectLockConfiguration::builder().object_lock_enabled(ObjectLockEnabled::Enabled);
        if let Some((mode, days)) = &lock {
            let retention = DefaultRetention::builder()
                .mode(ObjectLockRetentionMode::from(mode.as_str()))
                .days(*days)
                .build();
            config = config.rule(
                ObjectLockRule::builder()
                    .default_retention(retention)
                    .build(),
            );
        }
        s3(ctx)
            .put_object_lock_configuration()
            .bucket(name)
            .object_lock_configuration(config.build())
            .send()
            .await
            .or_diag("PutObjectLockConfiguration", &what)?;
        Ok(())
    }

    async fn read(&self, ctx: &Context<SovereignData>, state: &mut Value) -> PartResult<Presence> {
        let (name, what) = bucket_ids(state)?;
        let out = s3(ctx)
            .get_object_lock_configuration()
            .bucket(name)
            .send()
            .await
            .found(
                "GetObjectLockConfiguration",
                &what,
                &["ObjectLockConfigurationNotFoundError"],
            )?;
        let retention = out
            .as_ref()
            .and_then(|o| o.object_lock_configuration())
            .and_then(|c| c.rule())
            .and_then(|r| r.default_retention());
        let lock = retention.and_then(|d| {
            let days = d
                .days()
                .map(i64::from)
                .or_else(|| d.years().map(|y| i64::from(y) * 365))?;
            Some(Value::object([
                ("mode", Value::from(d.mode()?.as_str())),
                ("retention_days", Value::int(days)),
            ]))
        });
        state.set_attr("object_lock", Value::List(lock.into_iter().collect()));
        Ok(Presence::Present)
    }
}
