//! Settings of the key that change in place: automatic rotation, the description and the key policy.

use super::policy::policy_to_apply;
use super::{DEFAULT_ROTATION_DAYS, key_ids, kms};
use crate::aws::AwsResultExt;
use crate::framework::{Context, Part, PartResult, Presence, Value, async_trait};
use crate::resources::{json_equal, policy_for_state};
use crate::sovereign::SovereignData;

fn rotation_days(value: &Value) -> Option<i32> {
    value
        .get_i64("rotation_period_days")
        .and_then(|d| i32::try_from(d).ok())
}

/// Automatic rotation: always on for AWS_KMS keys; KMS cannot rotate keys in a custom key store.
pub struct Rotation;

#[async_trait]
impl Part<SovereignData> for Rotation {
    fn name(&self) -> &'static str {
        "rotation"
    }

    async fn apply(
        &self,
        ctx: &Context<SovereignData>,
        planned: &Value,
        prior: Option<&Value>,
        state: &mut Value,
    ) -> PartResult {
        let wanted = match prior {
            None => planned.attr("custom_key_store_id").is_null(),
            Some(prior) => {
                planned.get_str("origin") == Some("AWS_KMS")
                    && planned.attr("rotation_period_days") != prior.attr("rotation_period_days")
            }
        };
        let Some(days) = rotation_days(planned).filter(|_| wanted) else {
            return Ok(());
        };
        let (id, what) = key_ids(state)?;
        kms(ctx)
            .enable_key_rotation()
            .key_id(id)
            .rotation_period_in_days(days)
            .send()
            .await
            .or_diag("EnableKeyRotation", &what)?;
        Ok(())
    }

    /// Disabled rotation reads as null, so the plan (which wants a period) re-enables it.
    async fn read(&self, ctx: &Context<SovereignData>, state: &mut Value) -> PartResult<Presence> {
        let (id, what) = key_ids(state)?;
        let rotation = if state.get_str("origin") == Some("AWS_KMS") {
            let out = kms(ctx)
                .get_key_rotation_status()
                .key_id(id)
                .send()
                .await
                .or_diag("GetKeyRotationStatus", &what)?;
            if out.key_rotation_enabled() {
                // Older endpoints (and moto) omit RotationPeriodInDays: keep the known period then.
                Value::int(out.rotation_period_in_days().map_or_else(
                    || {
                        state
                            .get_i64("rotation_period_days")
                            .unwrap_or(DEFAULT_ROTATION_DAYS)
                    },
                    i64::from,
                ))
            } else {
                Value::Null
            }
        } else {
            Value::Null
        };
        state.set_attr("rotation_period_days", rotation);
        Ok(Presence::Present)
    }
}

/// The description; CreateKey sets it, and the root's DescribeKey reads it back.
pub struct Description;

#[async_trait]
impl Part<SovereignData> for Description {
    fn name(&self) -> &'static str {
        "description"
    }

    async fn apply(
        &self,
        ctx: &Context<SovereignData>,
        planned: &Value,
        prior: Option<&Value>,
        state: &mut Value,
    ) -> PartResult {
        let Some(prior) = prior else { return Ok(()) };
        if planned.attr("description") == prior.attr("description") {
            return Ok(());
        }
        let (id, what) = key_ids(state)?;
        kms(ctx)
            .update_key_description()
            .key_id(id)
            .description(planned.get_str("description").unwrap_or_default())
            .send()
            .await
            .or_diag("UpdateKeyDescription", &what)?;
        Ok(())
    }

    async fn read(
        &self,
        _ctx: &Context<SovereignData>,
        _state: &mut Value,
    ) -> PartResult<Presence> {
        Ok(Presence::Present)
    }
}

/// The key policy (the default one, the only name KMS has); CreateKey sets it.
pub struct KeyPolicy;

#[async_trait]
impl Part<SovereignData> for KeyPolicy {
    fn name(&self) -> &'static str {
        "key policy"
    }

    async fn apply(
        &self,
        ctx: &Context<SovereignData>,
        planned: &Value,
        prior: Option<&Value>,
        state: &mut Value,
    ) -> PartResult {
        let Some(prior) = prior else { return Ok(()) };
        let policy = policy_to_apply(ctx, planned, Some(prior)).await?;
        if prior
            .get_str("policy")
            .is_none_or(|p| !json_equal(p, &policy))
        {
            let (id, what) = key_ids(state)?;
            kms(ctx)
                .put_key_policy()
                .key_id(id)
                .policy_name("default")
                .policy(&policy)
                .send()
                .await
                .or_diag("PutKeyPolicy", &what)?;
        }
        state.set_attr("policy", Value::from(policy));
        Ok(())
    }

    async fn read(&self, ctx: &Context<SovereignData>, state: &mut Value) -> PartResult<Presence> {
        let (id, what) = key_ids(state)?;
        let out = kms(ctx)
            .get_key_policy()
            .key_id(id)
            .policy_name("default")
            .send()
            .await
            .or_diag("GetKeyPolicy", &what)?;
        let policy = policy_for_state(out.policy().unwrap_or_default(), state.attr("policy"));
        state.set_attr("policy", policy);
        Ok(Presence::Present)
    }
}
