//! The bucket itself, the root part: CreateBucket in the provider's region, HeadBucket + location on read,
//! emptying (force_destroy) or refusing a non-empty bucket, then DeleteBucket on destroy.

use std::time::Duration;

use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};

use super::empty::{empty_bucket, refuse_if_not_empty};
use super::policy::bucket_arn;
use super::{TYPE_NAME, bucket_ids, bucket_name, location_to_region, object_lock_of, s3};
use crate::aws::{AwsResultExt, aws_error_diagnostic, error_code};
use crate::framework::{
    AttributePath, Context, Diagnostic, Operation, Part, PartResult, Presence, Value, async_trait,
    timeout_for,
};
use crate::sovereign::SovereignData;

const DEFAULT_DELETE_TIMEOUT: Duration = Duration::from_secs(60 * 60);

pub struct Bucket;

#[async_trait]
impl Part<SovereignData> for Bucket {
    fn name(&self) -> &'static str {
        "bucket"
    }

    async fn apply(
        &self,
        ctx: &Context<SovereignData>,
        planned: &Value,
        prior: Option<&Value>,
        state: &mut Value,
    ) -> PartResult {
        if prior.is_some() {
            // The name and the region force a new bucket; nothing of the bucket itself changes in place.
            return Ok(());
        }
        let data = ctx.provider.as_ref();
        let (name, _) = bucket_ids(planned)?;
        // `id` is planned known (the name), so it is cleared until CreateBucket succeeds: `roll_back` deletes
        // only a bucket this create made, never one of the account that already had the name.
        state.set_attr("id", Value::Unknown);
        let location = CreateBucketConfiguration::builder()
            .location_constraint(BucketLocationConstraint::from(data.region()))
            .build();
        let created = s3(ctx)
            .create_bucket()
            .bucket(&name)
            .create_bucket_configuration(location)
            .object_lock_enabled_for_bucket(object_lock_of(planned).is_some())
            .send()
            .await;
        if let Err(e) = created {
            let mut d = aws_error_diagnostic(
                "CreateBucket",
                &format!("bucket {name} in {}", data.region()),
                &e,
            );
            if error_code(&e) == Some("BucketAlreadyOwnedByYou") {
                d.detail.push_str(&format!(
                    " The bucket already exists in your account: bring it under Terraform with \
                     `terraform import {TYPE_NAME}.NAME {name}`."
                ));
            }
            return Err(d.at(AttributePath::new("name")));
        }
        state.set_attr("id", Value::from(name.as_str()));
        Ok(())
    }

    async fn read(&self, ctx: &Context<SovereignData>, state: &mut Value) -> PartResult<Presence> {
        let data = ctx.provider.as_ref();
        let Some(name) = bucket_name(state).map(str::to_owned) else {
            return Ok(Presence::Gone);
        };
        let what = format!("bucket {name}");
        let s3 = s3(ctx);
        let head = s3.head_bucket().bucket(&name).send().await;
        if head
            .found("HeadBucket", &what, &["NotFound", "NoSuchBucket"])?
            .is_none()
        {
            return Ok(Presence::Gone);
        }
        let location = s3.get_bucket_location().bucket(&name).send().await.found(
            "GetBucketLocation",
            &what,
            &["NoSuchBucket"],
        )?;
        let Some(location) = location else {
            return Ok(Presence::Gone);
        };
        let region = location_to_region(location.location_constraint());
        if region != data.region() {
            return Err(Diagnostic::error(
                format!("Bucket {name} is in another region"),
                format!(
                    "S3 reports bucket {name} in region {region}, but this provider manages region {} (jurisdiction \
                     `{}`). Remove it from the state with `terraform state rm` if it is managed elsewhere.",
                    data.region(),
                    data.policy().jurisdiction
                ),
            ));
        }
        state.set_attr("id", Value::from(name.as_str()));
        state.set_attr("name", Value::from(name.as_str()));
        state.set_attr("arn", Value::from(bucket_arn(data.partition(), &name)));
        state.set_attr("region", Value::from(region.as_str()));
        state.set_attr(
            "bucket_regional_domain_name",
            Value::from(format!("{name}.s3.{region}.{}", data.dns_suffix())),
        );
        if state.attr("force_destroy").is_null() {
            state.set_attr("force_destroy", Value::from(false));
        }
        Ok(Presence::Present)
    }

    async fn remove(&self, ctx: &Context<SovereignData>, state: &Value) -> PartResult {
        let Some(name) = bucket_name(state) else {
            return Ok(());
        };
        let what = format!("bucket {name}");
        if state.get_bool("force_destroy") == Some(true) {
            let timeout = timeout_for(state, Operation::Delete, DEFAULT_DELETE_TIMEOUT);
            ctx.run(timeout, empty_bucket(ctx, name))
                .await
                .map_err(|interrupted| interrupted.to_diagnostic(&format!("emptying {what}")))??;
        } else if !refuse_if_not_empty(ctx, name).await? {
            return Ok(());
        }
        delete_bucket(ctx, name).await?;
        Ok(())
    }

    async fn roll_back(
        &self,
        ctx: &Context<SovereignData>,
        state: &Value,
    ) -> PartResult<Option<String>> {
        // The bucket is new and empty, so deleting it leaves nothing behind.
        let Some(name) = state.get_str("id") else {
            return Ok(None);
        };
        delete_bucket(ctx, name).await?;
        Ok(Some(format!(
            "The new bucket {name} was rolled back (deleted), so nothing is left untracked."
        )))
    }
}

/// DeleteBucket; already gone is success.
async fn delete_bucket(ctx: &Context<SovereignData>, name: &str) -> PartResult {
    s3(ctx).delete_bucket().bucket(name).send().await.found(
        "DeleteBucket",
        &format!("bucket {name}"),
        &["NoSuchBucket"],
    )?;
    Ok(())
}
