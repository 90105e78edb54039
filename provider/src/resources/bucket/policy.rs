//! The bucket policy the provider maintains: deny requests without TLS, deny configuring replication, and with
//! VPC endpoints deny every request that does not come through one of them.

use serde_json::json;

use super::{bucket_ids, s3};
use crate::aws::AwsResultExt;
use crate::framework::{Context, Part, PartResult, Presence, Value, async_trait};
use crate::resources::policy_for_state;
use crate::sovereign::SovereignData;

pub fn bucket_arn(partition: &str, name: &str) -> String {
    format!("arn:{partition}:s3:::{name}")
}

/// The bucket policy: deny requests without TLS, deny configuring replication, and with VPC
/// endpoints deny every request that does not come through one of them.
pub fn bucket_policy(partition: &str, name: &str, vpc_endpoint_ids: &[String]) -> String {
    let arn = bucket_arn(partition, name);
    let objects = format!("{arn}/*");
    let mut statements = vec![
        json!({
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, objects],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}
        }),
        json!({
            "Sid": "DenyReplication",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutReplicationConfiguration",
            "Resource": arn
        }),
    ];
    if !vpc_endpoint_ids.is_empty() {
        statements.push(json!({
            "Sid": "DenyOutsideVpcEndpoints",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, objects],
            "Condition": {"StringNotEquals": {"aws:SourceVpce": vpc_endpoint_ids}}
        }));
    }
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

/// The VPC endpoint ids named by the `DenyOutsideVpcEndpoints` statement of a policy (for import).
pub fn vpc_endpoints_in_policy(policy: &str) -> Vec<String> {
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(policy) else {
        return Vec::new();
    };
    let statements = match &doc["Statement"] {
        serde_json::Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    };
    for s in statements {
        if s["Sid"] == "DenyOutsideVpcEndpoints" {
            return match &s["Condition"]["StringNotEquals"]["aws:SourceVpce"] {
                serde_json::Value::String(id) => vec![id.clone()],
                serde_json::Value::Array(ids) => ids
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            };
        }
    }
    Vec::new()
}

pub fn endpoint_ids(value: &Value) -> Vec<String> {
    value
        .attr("allowed_vpc_endpoint_ids")
        .as_string_vec()
        .unwrap_or_default()
}

pub struct BucketPolicy;

#[async_trait]
impl Part<SovereignData> for BucketPolicy {
    fn name(&self) -> &'static str {
        "bucket policy"
    }

    async fn apply(
        &self,
        ctx: &Context<SovereignData>,
        planned: &Value,
        _prior: Option<&Value>,
        state: &mut Value,
    ) -> PartResult {
        let (name, what) = bucket_ids(state)?;
        let policy = bucket_policy(ctx.provider.partition(), &name, &endpoint_ids(planned));
        s3(ctx)
            .put_bucket_policy()
            .bucket(&name)
            .policy(&policy)
            .send()
            .await
            .or_diag("PutBucketPolicy", &what)?;
        state.set_attr("policy", Value::from(policy));
        Ok(())
    }

    async fn read(&self, ctx: &Context<SovereignData>, state: &mut Value) -> PartResult<Presence> {
        let (name, what) = bucket_ids(state)?;
        let policy = s3(ctx)
            .get_bucket_policy()
            .bucket(&name)
            .send()
            .await
            .found("GetBucketPolicy", &what, &["NoSuchBucketPolicy"])?
            .and_then(|out| out.policy)
            .unwrap_or_default();
        if state.attr("allowed_vpc_endpoint_ids").is_null() {
            // Import: recover the endpoints from the policy the provider wrote.
            let ids = vpc_endpoints_in_policy(&policy);
            if !ids.is_empty() {
                state.set_attr("allowed_vpc_endpoint_ids", Value::string_list(ids));
            }
        }
        let policy = policy_for_state(&policy, state.attr("policy"));
        state.set_attr("policy", policy);
        Ok(Presence::Present)
    }
}
