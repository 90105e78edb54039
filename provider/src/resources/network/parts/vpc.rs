//! The root: the VPC, with DNS support and hostnames on (private DNS of interface endpoints needs both).

use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, VpcAttributeName};

use crate::aws::AwsResultExt;
use crate::aws::ec2::{missing, name_of, tag_specification};
use crate::framework::{Context, Part, PartResult, Presence, Value, Waiter};
use crate::resources::network::state::{self, set_guardrail, text};
use crate::sovereign::SovereignData;

pub struct Vpc;

const NOT_FOUND: &[&str] = &["InvalidVpcID.NotFound"];

async fn enable_dns(
    ctx: &Context<SovereignData>,
    vpc_id: &str,
    attribute: VpcAttributeName,
) -> PartResult {
    let ec2 = &ctx.provider.clients.ec2;
    let on = AttributeBooleanValue::builder().value(true).build();
    let request = ec2.modify_vpc_attribute().vpc_id(vpc_id);
    let request = match attribute {
        VpcAttributeName::EnableDnsSupport => request.enable_dns_support(on),
        _ => request.enable_dns_hostnames(on),
    };
    request.send().await.or_diag(
        "ModifyVpcAttribute",
        &format!("{} of VPC {vpc_id}", attribute.as_str()),
    )?;
    Ok(())
}

async fn dns_attribute(
    ctx: &Context<SovereignData>,
    vpc_id: &str,
    attribute: VpcAttributeName,
) -> PartResult<bool> {
    let out = ctx
        .provider
        .clients
        .ec2
        .describe_vpc_attribute()
        .vpc_id(vpc_id)
        .attribute(attribute.clone())
        .send()
        .await
        .or_diag(
            "DescribeVpcAttribute",
            &format!("{} of VPC {vpc_id}", attribute.as_str()),
        )?;
    let value = match attribute {
        VpcAttributeName::EnableDnsSupport => out.enable_dns_support(),
        _ => out.enable_dns_hostnames(),
    };
    Ok(value
        .and_then(AttributeBooleanValue::value)
        .unwrap_or(false))
}

#[async_trait::async_trait]
impl Part<SovereignData> for Vpc {
    fn name(&self) -> &'static str {
        "VPC"
    }

    async fn apply(
        &self,
        ctx: &Context<SovereignData>,
        planned: &Value,
        prior: Option<&Value>,
        state: &mut Value,
    ) -> PartResult {
        let ec2 = &ctx.provider.clients.ec2;
        let Some(prior) = prior else {
            let created = ec2
                .create_vpc()
                .cidr_block(state::cidr(planned))
                .tag_specifications(tag_specification(
                    ResourceType::Vpc,
                    &state::tags(planned),
                    state::name(planned),
                ))
                .send()
                .await
                .or_diag("CreateVpc", &format!("network {}", state::name(planned)))?;
            let vpc_id = created
                .vpc()
                .and_then(|v| v.vpc_id())
                .ok_or_else(|| missing("CreateVpc", "a VPC id"))?
                .to_string();
            state.set_attr("id", Value::from(vpc_id.as_str()));
            state.set_attr("vpc_id", Value::from(vpc_id.as_str()));
            Waiter::new(format!("VPC {vpc_id}"), &["pending"], &["available"])
                .wait(ctx, || async {
                    let out = ec2.describe_vpcs().vpc_ids(&vpc_id).send().await.found(
                        "DescribeVpcs",
                        &format!("VPC {vpc_id}"),
                        NOT_FOUND,
                    )?;
                    Ok(out.and_then(|o| {
                        let state = o.vpcs().first()?.state()?.as_str().to_string();
                        Some(((), state))
                    }))
                })
                .await?;
            // Private DNS of interface endpoints needs both, set one per call (EC2's rule), support first.
            enable_dns(ctx, &vpc_id, VpcAttributeName::EnableDnsSupport).await?;
            enable_dns(ctx, &vpc_id, VpcAttributeName::EnableDnsHostnames).await?;
            return Ok(());
        };
        let vpc_id = state::vpc_id(prior)?.to_string();
        if !state::guardrail(prior, "dns_support") {
            enable_dns(ctx, &vpc_id, VpcAttributeName::EnableDnsSupport).await?;
        }
        if !state::guardrail(prior, "dns_hostnames") {
            enable_dns(ctx, &vpc_id, VpcAttributeName::EnableDnsHostnames).await?;
        }
        Ok(())
    }

    async fn read(&self, ctx: &Context<SovereignData>, state: &mut Value) -> PartResult<Presence> {
        let Some(vpc_id) = text(state, "vpc_id")
            .or_else(|| text(state, "id"))
            .map(str::to_owned)
        else {
            return Ok(Presence::Gone);
        };
        let found = ctx
            .provider
            .clients
            .ec2
            .describe_vpcs()
            .vpc_ids(&vpc_id)
            .send()
            .await
            .found("DescribeVpcs", &format!("VPC {vpc_id}"), NOT_FOUND)?;
        let Some(vpc) = found.as_ref().and_then(|o| o.vpcs().first()) else {
            return Ok(Presence::Gone);
        };
        state.set_attr("id", Value::from(vpc_id.as_str()));
        state.set_attr("vpc_id", Value::from(vpc_id.as_str()));
        state.set_attr("region", Value::from(ctx.provider.region()));
        state.set_attr("cidr_block", Value::from(vpc.cidr_block()));
        if let Some(name) = name_of(vpc.tags()) {
            state.set_attr("name", Value::from(name));
        }
        let support = dns_attribute(ctx, &vpc_id, VpcAttributeName::EnableDnsSupport).await?;
        let hostnames = dns_attribute(ctx, &vpc_id, VpcAttributeName::EnableDnsHostnames).await?;
        set_guardrail(state, "dns_support", support);
        set_guardrail(state, "dns_hostnames", hostnames);
        Ok(Presence::Present)
    }

    async fn remove(&self, ctx: &Context<SovereignData>, state: &Value) -> PartResult {
        let Some(vpc_id) = text(state, "vpc_id") else {
            return Ok(());
        };
        ctx.provider
            .clients
            .ec2
            .delete_vpc()
            .vpc_id(vpc_id)
            .send()
            .await
            .found("DeleteVpc", &format!("VPC {vpc_id}"), NOT_FOUND)?;
        Ok(())
    }

    async fn roll_back(
        &self,
        ctx: &Context<SovereignData>,
        state: &Value,
    ) -> PartResult<Option<String>> {
        self.remove(ctx, state).await?;
        Ok(text(state, "vpc_id").map(|id| {
            format!("The new VPC {id} and everything made in it were rolled back (deleted), so nothing is left untracked.")
        }))
    }
}
