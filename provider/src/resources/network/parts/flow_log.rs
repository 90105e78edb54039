//! Flow logs of ALL traffic of the VPC to `flow_logs_bucket_arn`. A flow log AWS reports as unsuccessful (the
//! bucket missing, no permission to deliver) is an error, never a silent success.

use aws_sdk_ec2::types::{
    Filter, FlowLogsResourceType, LogDestinationType, ResourceType, TrafficType,
};

use crate::aws::AwsResultExt;
use crate::aws::ec2::{missing, tag_specification};
use crate::framework::{Context, Diagnostic, Part, PartResult, Presence, Value};
use crate::resources::network::state::{self, set_guardrail, text};
use crate::sovereign::SovereignData;

pub struct FlowLog;

fn wanted(value: &Value) -> Option<&str> {
    text(value, "flow_logs_bucket_arn")
}

async fn delete(ctx: &Context<SovereignData>, id: &str) -> PartResult {
    let what = format!("flow log {id}");
    let out = ctx
        .provider
        .clients
        .ec2
        .delete_flow_logs()
        .flow_log_ids(id)
        .send()
        .await
        .found("DeleteFlowLogs", &what, &["InvalidFlowLogId.NotFound"])?;
    if let Some(failed) = out.as_ref().and_then(|o| o.unsuccessful().first())
        && let Some(error) = failed.error()
        && error.code() != Some("InvalidFlowLogId.NotFound")
    {
        return Err(Diagnostic::error(
            format!("AWS DeleteFlowLogs failed for {what}"),
            format!(
                "AWS answered {}: {}",
                error.code().unwrap_or("an error"),
                error.message().unwrap_or("no message")
            ),
        ));
    }
    Ok(())
}

#[async_trait::async_trait]
impl Part<SovereignData> for FlowLog {
    fn name(&self) -> &'static str {
        "flow log"
    }

    fn plan(&self, prior: Option<&Value>, planned: &mut Value) {
        match wanted(planned) {
            None if !planned.attr("flow_logs_bucket_arn").is_unknown() => {
                planned.set_attr("flow_log_id", Value::Null)
            }
            _ => {
                let same = prior.is_some_and(|p| {
                    text(p, "flow_log_id").is_some()
                        && p.attr("flow_logs_bucket_arn") == planned.attr("flow_logs_bucket_arn")
                });
                if !same {
                    planned.set_attr("flow_log_id", Value::Unknown);
                }
            }
        }
    }

    async fn apply(
        &self,
        ctx: &Context<SovereignData>,
        planned: &Value,
        prior: Option<&Value>,
        state: &mut Value,
    ) -> PartResult {
        let existing = prior.and_then(|p| Some((text(p, "flow_log_id")?, wanted(p))));
        let want = wanted(planned);
        if let Some((id, destination)) = existing {
            if destination == want && want.is_some() {
                state.set_attr("flow_log_id", Value::from(id));
                return Ok(());
            }
            delete(ctx, id).await?;
        }
        state.set_attr("flow_log_id", Value::Null);
        let Some(bucket) = want else {
            return Ok(());
        };
        let vpc_id = state::vpc_id(state)?.to_string();
        let what = format!("flow log of VPC {vpc_id} to {bucket}");
        let out = ctx
            .provider
            .clients
            .ec2
            .create_flow_logs()
            .resource_type(FlowLogsResourceType::Vpc)
            .resource_ids(&vpc_id)
            .traffic_type(TrafficType::All)
            .log_destination_type(LogDestinationType::S3)
            .log_destination(bucket)
            .tag_specifications(tag_specification(
                ResourceType::VpcFlowLog,
                &state::tags(state),
                &format!("{}-flow-logs", state::name(state)),
            ))
            .send()
            .await
            .or_diag("CreateFlowLogs", &what)?;
        // EC2 answers HTTP 200 and lists the failure (e.g. a missing bucket) under `Unsuccessful`.
        if let Some(failed) = out.unsuccessful().first() {
            let error = failed.error();
            return Err(Diagnostic::error(
                format!("AWS CreateFlowLogs failed for {what}"),
                format!(
                    "AWS created no flow log and answered {}: {}. Check that the bucket exists and that its policy \
                     lets the log delivery service write to it.",
                    error.and_then(|e| e.code()).unwrap_or("an error"),
                    error.and_then(|e| e.message()).unwrap_or("no message")
                ),
            )
            .at(crate::framework::AttributePath::new("flow_logs_bucket_arn")));
        }
        let id = out
            .flow_log_ids()
            .first()
            .ok_or_else(|| missing("CreateFlowLogs", "a flow log id"))?;
        state.set_attr("flow_log_id", Value::from(id.as_str()));
        Ok(())
    }

    async fn read(&self, ctx: &Context<SovereignData>, state: &mut Value) -> PartResult<Presence> {
        let vpc_id = state::vpc_id(state)?;
        let found = ctx
            .provider
            .clients
            .ec2
            .describe_flow_logs()
            .filter(Filter::builder().name("resource-id").values(vpc_id).build())
            .send()
            .await
            .or_diag("DescribeFlowLogs", &format!("VPC {vpc_id}"))?;
        let recorded = text(state, "flow_log_id");
        let ours = found
            .flow_logs()
            .iter()
            .filter(|f| {
                f.traffic_type() == Some(&TrafficType::All)
                    && f.log_destination_type() == Some(&LogDestinationType::S3)
            })
            .max_by_key(|f| f.flow_log_id() == recorded);
        let configured = wanted(state).is_some();
        let delivering = ours.is_some_and(|f| {
            f.flow_log_status()
                .is_none_or(|s| s.eq_ignore_ascii_case("ACTIVE"))
                && f.deliver_logs_status()
                    .is_none_or(|s| !s.eq_ignore_ascii_case("FAILED"))
        });
        set_guardrail(state, "flow_logs", !configured || delivering);
        state.set_attr(
            "flow_log_id",
            Value::from(ours.and_then(|f| f.flow_log_id())),
        );
        state.set_attr(
            "flow_logs_bucket_arn",
            Value::from(ours.and_then(|f| f.log_destination())),
        );
        Ok(Presence::Present)
    }

    async fn remove(&self, ctx: &Context<SovereignData>, state: &Value) -> PartResult {
        match text(state, "flow_log_id") {
            Some(id) => delete(ctx, id).await,
            None => Ok(()),
        }
    }
}
