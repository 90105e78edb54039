//! The KMS key itself, the root part: CreateKey (with its policy, tags and description), DescribeKey, and
//! ScheduleKeyDeletion on destroy and on rollback.

use aws_sdk_kms::types::{KeySpec, KeyState, KeyUsageType, OriginType};
use sovereign_schemas::arn::parse_arn;

use super::policy::policy_to_apply;
use super::tags::kms_tags;
use super::{DEFAULT_DELETION_WINDOW_DAYS, key_what, kms};
use crate::aws::AwsResultExt;
use crate::framework::{Context, Diagnostic, Part, PartResult, Presence, Value, async_trait};
use crate::resources::tag_map;
use crate::sovereign::SovereignData;

/// The shortest window, used when rolling back a key whose creation failed halfway.
const ROLLBACK_DELETION_WINDOW_DAYS: i32 = 7;

/// Codes of ScheduleKeyDeletion that mean the key is already gone or already pending deletion.
const ALREADY_DELETED: &[&str] = &["NotFoundException", "KMSInvalidStateException"];

pub struct Key;

#[async_trait]
impl Part<SovereignData> for Key {
    fn name(&self) -> &'static str {
        "key"
    }

    async fn apply(
        &self,
        ctx: &Context<SovereignData>,
        planned: &Value,
        prior: Option<&Value>,
        state: &mut Value,
    ) -> PartResult {
        if prior.is_some() {
            // Nothing of the key itself changes in place: the key store forces a new key.
            return Ok(());
        }
        let data = ctx.provider.as_ref();
        let policy = policy_to_apply(ctx, planned, None).await?;
        let store = planned.get_str("custom_key_store_id");
        let request = kms(ctx)
            .create_key()
            .key_usage(KeyUsageType::EncryptDecrypt)
            .key_spec(KeySpec::SymmetricDefault)
            .multi_region(false)
            .policy(&policy)
            .set_tags(Some(kms_tags(&tag_map(planned))?))
            .set_description(planned.get_str("description").map(str::to_owned));
        let request = match store {
            Some(store) => request
                .origin(OriginType::AwsCloudhsm)
                .custom_key_store_id(store),
            None => request.origin(OriginType::AwsKms),
        };
        let created = request.send().await.or_diag("CreateKey", "a new KMS key")?;
        let Some(meta) = created.key_metadata() else {
            return Err(Diagnostic::error(
                "AWS CreateKey returned no key metadata",
                "KMS answered without KeyMetadata.",
            ));
        };
        let origin = meta.origin().map_or(
            if store.is_some() {
                "AWS_CLOUDHSM"
            } else {
                "AWS_KMS"
            },
            |o| o.as_str(),
        );
        state.set_attr("id", Value::from(meta.key_id()));
        state.set_attr("arn", Value::from(meta.arn().unwrap_or_default()));
        state.set_attr("region", Value::from(data.region()));
        state.set_attr("policy", Value::from(policy));
        state.set_attr("hsm_backed", Value::from(origin == "AWS_CLOUDHSM"));
        state.set_attr("origin", Value::from(origin));
        state.set_attr(
            "key_state",
            Value::from(meta.key_state().map_or("Enabled", |s| s.as_str())),
        );
        Ok(())
    }

    async fn read(&self, ctx: &Context<SovereignData>, state: &mut Value) -> PartResult<Presence> {
        let data = ctx.provider.as_ref();
        let Some((id, what)) = key_what(state) else {
            return Ok(Presence::Gone);
        };
        let described = kms(ctx).describe_key().key_id(&id).send().await.found(
            "DescribeKey",
            &what,
            &["NotFoundException"],
        )?;
        let Some(meta) = described.as_ref().and_then(|d| d.key_metadata()) else {
            return Ok(Presence::Gone);
        };
        if matches!(
            meta.key_state(),
            Some(KeyState::PendingDeletion | KeyState::PendingReplicaDeletion)
        ) {
            return Ok(Presence::Gone);
        }
        let arn = meta.arn().unwrap_or_default();
        let origin = meta.origin().map_or("AWS_KMS", |o| o.as_str());
        let region =
            parse_arn(arn).map_or_else(|| data.region().to_string(), |a| a.region.to_string());
        let description = meta.description().unwrap_or_default();
        let description = if description.is_empty() && state.attr("description").is_null() {
            Value::Null
        } else {
            Value::from(description)
        };
        state.set_attr("id", Value::from(meta.key_id()));
        state.set_attr("arn", Value::from(arn));
        state.set_attr("region", Value::from(region));
        state.set_attr("hsm_backed", Value::from(origin == "AWS_CLOUDHSM"));
        state.set_attr("origin", Value::from(origin));
        state.set_attr(
            "key_state",
            Value::from(meta.key_state().map_or("Unknown", |s| s.as_str())),
        );
        state.set_attr(
            "custom_key_store_id",
            Value::from(meta.custom_key_store_id()),
        );
        state.set_attr("description", description);
        if state.attr("require_hsm").is_null() {
            state.set_attr("require_hsm", Value::from(false));
        }
        if state.attr("deletion_window_days").is_null() {
            state.set_attr(
                "deletion_window_days",
                Value::int(DEFAULT_DELETION_WINDOW_DAYS),
            );
        }
        Ok(Presence::Present)
    }

    async fn remove(&self, ctx: &Context<SovereignData>, state: &Value) -> PartResult {
        let Some((id, what)) = key_what(state) else {
            return Ok(());
        };
        let window = state
            .get_i64("deletion_window_days")
            .and_then(|d| i32::try_from(d).ok())
            .unwrap_or(DEFAULT_DELETION_WINDOW_DAYS as i32);
        schedule_deletion(ctx, &id, window).await.found(
            "ScheduleKeyDeletion",
            &what,
            ALREADY_DELETED,
        )?;
        Ok(())
    }

    async fn roll_back(
        &self,
        ctx: &Context<SovereignData>,
        state: &Value,
    ) -> PartResult<Option<String>> {
        // No id: CreateKey itself failed and there is nothing to undo.
        let Some((id, what)) = key_what(state) else {
            return Ok(None);
        };
        schedule_deletion(ctx, &id, ROLLBACK_DELETION_WINDOW_DAYS)
            .await
            .or_diag("ScheduleKeyDeletion", &what)?;
        Ok(Some(format!(
            "The new KMS key {id} was rolled back: it is scheduled for deletion in {ROLLBACK_DELETION_WINDOW_DAYS} \
             days, so nothing is left untracked."
        )))
    }
}

async fn schedule_deletion(
    ctx: &Context<SovereignData>,
    id: &str,
    days: i32,
) -> Result<
    aws_sdk_kms::operation::schedule_key_deletion::ScheduleKeyDeletionOutput,
    aws_sdk_kms::error::SdkError<
        aws_sdk_kms::operation::schedule_key_deletion::ScheduleKeyDeletionError,
    >,
> {
    kms(ctx)
        .schedule_key_deletion()
        .key_id(id)
        .pending_window_in_days(days)
        .send()
        .await
}
