//! SSE-KMS with the configured key of the provider's region and a bucket key (the `bucket_key_enabled`
//! guardrail); read reports the key in use, so a key switched outside Terraform shows as drift.

use aws_sdk_s3::types::{
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
    ServerSideEncryptionRule,
};

use super::guardrails::set_guardrails;
use super::{bucket_ids, build_err, s3};
use crate::aws::AwsResultExt;
use crate::framework::{Context, Part, PartResult, Presence, Value, async_trait};
use crate::sovereign::SovereignData;

/// SSE-KMS with the configured key and a bucket key.
pub struct Encryption;

#[async_trait]
impl Part<SovereignData> for Encryption {
    fn name(&self) -> &'static str {
        "encryption"
    }

    fn plan(&self, _prior: Option<&Value>, planned: &mut Value) {
        set_guardrails(planned, [("bucket_key_enabled", true)]);
    }

    async fn apply(
        &self,
        ctx: &Context<SovereignData>,
        planned: &Value,
        _prior: Option<&Value>,
        state: &mut Value,
    ) -> PartResult {
        let (name, what) = bucket_ids(state)?;
        let kms_key_arn = planned.get_str("kms_key_arn").unwrap_or_default();
        let encryption = ServerSideEncryptionByDefault::builder()
            .sse_algorithm(ServerSideEncryption::AwsKms)
            .kms_master_key_id(kms_key_arn)
            .build()
            .and_then(|default| {
                ServerSideEncryptionConfiguration::builder()
                    .rules(
                        ServerSideEncryptionRule::builder()
                            .apply_server_side_encryption_by_default(default)
                            .bucket_key_enabled(true)
                            .build(),
                    )
                    .build()
            })
            .map_err(|e| build_err("PutBucketEncryption", e))?;
        s3(ctx)
            .put_bucket_encryption()
            .bucket(name)
            .server_side_encryption_configuration(encryption)
            .send()
            .await
            .or_diag(
                "PutBucketEncryption",
                &format!("{what} with key {kms_key_arn}"),
            )?;
        Ok(())
    }

    /// The KMS key in use ("" when the bucket is not encrypted with a KMS key).
    async fn read(&self, ctx: &Context<SovereignData>, state: &mut Value) -> PartResult<Presence> {
        let (name, what) = bucket_ids(state)?;
        let out = s3(ctx)
            .get_bucket_encryption()
            .bucket(name)
            .send()
            .await
            .found(
                "GetBucketEncryption",
                &what,
                &["ServerSideEncryptionConfigurationNotFoundError"],
            )?;
        let rule = out
            .as_ref()
            .and_then(|o| o.server_side_encryption_configuration())
            .and_then(|c| c.rules().first());
        let kms_key = match rule.and_then(|r| r.apply_server_side_encryption_by_default()) {
            Some(d) if d.sse_algorithm() == &ServerSideEncryption::AwsKms => {
                d.kms_master_key_id().unwrap_or_default()
            }
            _ => "",
        };
        let bucket_key = rule.and_then(|r| r.bucket_key_enabled()).unwrap_or(false);
        set_guardrails(state, [("bucket_key_enabled", bucket_key)]);
        let kms_value = match state.get_str("kms_key_arn") {
            // A key id stored by someone else, naming the same key as the configured ARN, is no drift.
            Some(prior)
                if prior == kms_key
                    || (!kms_key.is_empty() && prior.ends_with(&format!("key/{kms_key}"))) =>
            {
                Value::from(prior)
            }
            _ => Value::from(kms_key),
        };
        state.set_attr("kms_key_arn", kms_value);
        Ok(Presence::Present)
    }
}
