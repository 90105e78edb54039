//! Invariant: the VPC's default security group holds no rule (CIS AWS Foundations 5.4). AWS creates it with a
//! self-referencing ingress rule and an allow-all egress rule; every rule found is revoked by its rule id, never
//! by guessing which rules exist.

use aws_sdk_ec2::types::{Filter, SecurityGroupRule};

use crate::aws::AwsResultExt;
use crate::framework::{Context, Part, PartResult, Presence, Value};
use crate::resources::network::state::{self, set_guardrail};
use crate::sovereign::SovereignData;

pub struct DefaultSecurityGroupEmptied;

/// The default security group of the VPC and its rules.
async fn default_group(
    ctx: &Context<SovereignData>,
    vpc_id: &str,
) -> PartResult<Option<(String, Vec<SecurityGroupRule>)>> {
    let ec2 = &ctx.provider.clients.ec2;
    let what = format!("default security group of VPC {vpc_id}");
    let groups = ec2
        .describe_security_groups()
        .filters(Filter::builder().name("vpc-id").values(vpc_id).build())
        .filters(
            Filter::builder()
                .name("group-name")
                .values("default")
                .build(),
        )
        .send()
        .await
        .or_diag("DescribeSecurityGroups", &what)?;
    let Some(group_id) = groups.security_groups().first().and_then(|g| g.group_id()) else {
        return Ok(None);
    };
    let rules = security_group_rules(ctx, group_id).await?;
    Ok(Some((group_id.to_string(), rules)))
}

/// Every rule of a security group (paginated).
pub async fn security_group_rules(
    ctx: &Context<SovereignData>,
    group_id: &str,
) -> PartResult<Vec<SecurityGroupRule>> {
    ctx.provider
        .clients
        .ec2
        .describe_security_group_rules()
        .filters(Filter::builder().name("group-id").values(group_id).build())
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .or_diag(
            "DescribeSecurityGroupRules",
            &format!("security group {group_id}"),
        )
}

/// Revokes rules by id: ingress and egress in one call each. A rule already gone is done.
pub async fn revoke_rules(
    ctx: &Context<SovereignData>,
    group_id: &str,
    rules: &[SecurityGroupRule],
) -> PartResult {
    let ec2 = &ctx.provider.clients.ec2;
    let what = format!("security group {group_id}");
    let ids = |egress: bool| -> Vec<String> {
        rules
            .iter()
            .filter(|r| r.is_egress() == Some(egress))
            .filter_map(|r| r.security_group_rule_id().map(str::to_owned))
            .collect()
    };
    let not_found = &[
        "InvalidPermission.NotFound",
        "InvalidSecurityGroupRuleId.NotFound",
    ];
    let ingress = ids(false);
    if !ingress.is_empty() {
        ec2.revoke_security_group_ingress()
            .group_id(group_id)
            .set_security_group_rule_ids(Some(ingress))
            .send()
            .await
            .found("RevokeSecurityGroupIngress", &what, not_found)?;
    }
    let egress = ids(true);
    if !egress.is_empty() {
        ec2.revoke_security_group_egress()
            .group_id(group_id)
            .set_security_group_rule_ids(Some(egress))
            .send()
            .await
            .found("RevokeSecurityGroupEgress", &what, not_found)?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl Part<SovereignData> for DefaultSecurityGroupEmptied {
    fn name(&self) -> &'static str {
        "default security group"
    }

    async fn apply(
        &self,
        ctx: &Context<SovereignData>,
        _planned: &Value,
        prior: Option<&Value>,
        state: &mut Value,
    ) -> PartResult {
        if prior.is_some_and(|p| state::guardrail(p, "default_security_group_empty")) {
            return Ok(());
        }
        let vpc_id = state::vpc_id(state)?.to_string();
        if let Some((group_id, rules)) = default_group(ctx, &vpc_id).await? {
            revoke_rules(ctx, &group_id, &rules).await?;
        }
        Ok(())
    }

    async fn read(&self, ctx: &Context<SovereignData>, state: &mut Value) -> PartResult<Presence> {
        let vpc_id = state::vpc_id(state)?.to_string();
        let empty = match default_group(ctx, &vpc_id).await? {
            Some((_, rules)) => rules.is_empty(),
            None => true,
        };
        set_guardrail(state, "default_security_group_empty", empty);
        Ok(Presence::Present)
    }

    async fn remove(&self, _ctx: &Context<SovereignData>, _state: &Value) -> PartResult {
        Ok(())
    }
}
