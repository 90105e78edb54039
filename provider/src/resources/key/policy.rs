//! The generated key policy: what it grants, how it is planned (so drift shows) and which text is applied.

use serde_json::json;
use sovereign_schemas::arn::parse_arn;

use crate::framework::{Context, Diagnostic, PlanChange, Value};
use crate::resources::json_equal;
use crate::sovereign::SovereignData;

/// Actions the listed principals get: administer and use the key. Replication and importing key
/// material are left out on purpose (never multi-region; key material stays inside KMS).
const PRINCIPAL_ACTIONS: [&str; 24] = [
    "kms:Create*",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
    "kms:RotateKeyOnDemand",
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:GenerateMac",
    "kms:VerifyMac",
    "kms:Sign",
    "kms:Verify",
    "kms:CreateGrant",
    "kms:RetireGrant",
];

/// The generated key policy: the account root (which delegates to IAM policies of the account) and
/// `principals` may administer and use the key; nobody else is named.
pub fn key_policy(partition: &str, account: &str, principals: &[String]) -> String {
    let mut statements = vec![json!({
        "Sid": "AccountRootAdministers",
        "Effect": "Allow",
        "Principal": {"AWS": format!("arn:{partition}:iam::{account}:root")},
        "Action": "kms:*",
        "Resource": "*"
    })];
    if !principals.is_empty() {
        statements.push(json!({
            "Sid": "AllowedPrincipalsAdministerAndUse",
            "Effect": "Allow",
            "Principal": {"AWS": principals},
            "Action": PRINCIPAL_ACTIONS,
            "Resource": "*"
        }));
    }
    json!({
        "Version": "2012-10-17",
        "Id": "sovereign-key-policy",
        "Statement": statements
    })
    .to_string()
}

fn principals(value: &Value) -> Vec<String> {
    value
        .attr("allowed_principals")
        .as_string_vec()
        .unwrap_or_default()
}

/// The account id in a key ARN.
fn account_of(arn: &str) -> Option<String> {
    parse_arn(arn).map(|a| a.account.to_string())
}

/// Plans the policy when it is not configured: generated from allowed_principals, so out-of-band
/// changes to the key policy show as a diff that apply repairs.
pub fn plan_policy(data: &SovereignData, plan: &mut PlanChange) {
    if !plan.config.attr("policy").is_null() {
        return;
    }
    let principals_value = plan.planned.attr("allowed_principals");
    let account = plan.prior.get_str("arn").and_then(account_of);
    let planned_policy = match account {
        Some(account) if principals_value.is_wholly_known() => {
            let expected = key_policy(data.partition(), &account, &principals(&plan.planned));
            match plan.prior.get_str("policy") {
                Some(prior) if json_equal(prior, &expected) => Value::from(prior),
                _ => Value::from(expected),
            }
        }
        _ => Value::Unknown,
    };
    plan.planned.set_attr("policy", planned_policy);
}

/// The policy text to put on the key: the configured one, else generated for the key's account (from the
/// prior ARN, or asked of STS on create).
pub async fn policy_to_apply(
    ctx: &Context<SovereignData>,
    planned: &Value,
    prior: Option<&Value>,
) -> Result<String, Diagnostic> {
    if let Some(p) = planned.get_str("policy") {
        return Ok(p.to_string());
    }
    let data = ctx.provider.as_ref();
    let account = match prior.and_then(|p| p.get_str("arn")).and_then(account_of) {
        Some(a) => a,
        None => data.account_id().await?,
    };
    Ok(key_policy(data.partition(), &account, &principals(planned)))
}
