//! The S3 gateway endpoint on the private route table (`s3_gateway_endpoint`, default true): S3 in the region
//! without any way out of the VPC.

use aws_sdk_ec2::types::{Filter, ResourceType, VpcEndpointType};

use crate::aws::AwsResultExt;
use crate::aws::ec2::{missing, tag_specification};
use crate::framework::{Context, Part, PartResult, Presence, Value};
use crate::resources::network::plan::service_name;
use crate::resources::network::state::{self, text};
use crate::sovereign::SovereignData;

pub struct S3GatewayEndpoint;

const NOT_FOUND: &[&str] = &["InvalidVpcEndpointId.NotFound"];

fn wanted(value: &Value) -> bool {
    value.get_bool("s3_gateway_endpoint").unwrap_or(true)
}

async fn delete(ctx: &Context<SovereignData>, id: &str) -> PartResult {
    ctx.provider
        .clients
        .ec2
        .delete_vpc_endpoints()
        .vpc_endpoint_ids(id)
        .send()
        .await
        .found(
            "DeleteVpcEndpoints",
            &format!("S3 gateway endpoint {id}"),
            NOT_FOUND,
        )?;
    Ok(())
}

#[async_trait::async_trait]
impl Part<SovereignData> for S3GatewayEndpoint {
    fn name(&self) -> &'static str {
        "S3 gateway endpoint"
    }

    fn plan(&self, prior: Option<&Value>, planned: &mut Value) {
        if !wanted(planned) {
            planned.set_attr("s3_endpoint_id", Value::Null);
        } else if prior.is_none_or(|p| text(p, "s3_endpoint_id").is_none())
            || planned.attr("route_table_id").is_unknown()
        {
            planned.set_attr("s3_endpoint_id", Value::Unknown);
        }
    }

    async fn apply(
        &self,
        ctx: &Context<SovereignData>,
        planned: &Value,
        prior: Option<&Value>,
        state: &mut Value,
    ) -> PartResult {
        let existing = prior
            .and_then(|p| text(p, "s3_endpoint_id"))
            .map(str::to_owned);
        let table = text(state, "route_table_id").map(str::to_owned);
        match (wanted(planned), existing) {
            (false, Some(id)) => {
                delete(ctx, &id).await?;
                state.set_attr("s3_endpoint_id", Value::Null);
            }
            (false, None) => state.set_attr("s3_endpoint_id", Value::Null),
            (true, Some(id)) => {
                // The route table was re-created: put the endpoint's route on the new one.
                if prior.and_then(|p| text(p, "route_table_id")) != table.as_deref()
                    && let Some(table) = &table
                {
                    ctx.provider
                        .clients
                        .ec2
                        .modify_vpc_endpoint()
                        .vpc_endpoint_id(&id)
                        .add_route_table_ids(table)
                        .send()
                        .await
                        .or_diag("ModifyVpcEndpoint", &format!("S3 gateway endpoint {id}"))?;
                }
                state.set_attr("s3_endpoint_id", Value::from(id));
            }
            (true, None) => {
                let service = service_name(ctx.provider.region(), "s3");
                let created = ctx
                    .provider
                    .clients
                    .ec2
                    .create_vpc_endpoint()
                    .vpc_endpoint_type(VpcEndpointType::Gateway)
                    .vpc_id(state::vpc_id(state)?)
                    .service_name(&service)
                    .set_route_table_ids(table.map(|t| vec![t]))
                    .tag_specifications(tag_specification(
                        ResourceType::VpcEndpoint,
                        &state::tags(state),
                        &format!("{}-s3", state::name(state)),
                    ))
                    .send()
                    .await
                    .or_diag("CreateVpcEndpoint", &format!("gateway endpoint {service}"))?;
                let id = created
                    .vpc_endpoint()
                    .and_then(|e| e.vpc_endpoint_id())
                    .ok_or_else(|| missing("CreateVpcEndpoint", "an endpoint id"))?;
                state.set_attr("s3_endpoint_id", Value::from(id));
            }
        }
        Ok(())
    }

    async fn read(&self, ctx: &Context<SovereignData>, state: &mut Value) -> PartResult<Presence> {
        let vpc_id = state::vpc_id(state)?;
        let service = service_name(ctx.provider.region(), "s3");
        let found = ctx
            .provider
            .clients
            .ec2
            .describe_vpc_endpoints()
            .filters(Filter::builder().name("vpc-id").values(vpc_id).build())
            .filters(
                Filter::builder()
                    .name("vpc-endpoint-type")
                    .values("Gateway")
                    .build(),
            )
            .filters(
                Filter::builder()
                    .name("service-name")
                    .values(&service)
                    .build(),
            )
            .send()
            .await
            .or_diag(
                "DescribeVpcEndpoints",
                &format!("S3 gateway endpoint of VPC {vpc_id}"),
            )?;
        let live: Vec<&str> = found
            .vpc_endpoints()
            .iter()
            .filter(|e| {
                let s = e
                    .state()
                    .map(|s| s.as_str().to_ascii_lowercase())
                    .unwrap_or_default();
                !matches!(s.as_str(), "deleted" | "deleting")
            })
            .filter_map(|e| e.vpc_endpoint_id())
            .collect();
        let recorded = text(state, "s3_endpoint_id");
        let id = live
            .iter()
            .find(|id| Some(**id) == recorded)
            .or(live.first())
            .map(|id| id.to_string());
        state.set_attr("s3_gateway_endpoint", Value::from(id.is_some()));
        state.set_attr("s3_endpoint_id", Value::from(id));
        Ok(Presence::Present)
    }

    async fn remove(&self, ctx: &Context<SovereignData>, state: &Value) -> PartResult {
        match text(state, "s3_endpoint_id") {
            Some(id) => delete(ctx, id).await,
            None => Ok(()),
        }
    }
}
