//! The network's two security groups: the workload group (egress only to the VPC CIDR, ingress from the group
//! itself so the nodes of a training job reach each other) and the endpoint group (HTTPS from the VPC CIDR). Both
//! start without AWS's default allow-all egress rule; their rules are re-asserted on every update.

use aws_sdk_ec2::types::{
    Filter, IpPermission, IpRange, ResourceType, SecurityGroupRule, UserIdGroupPair,
};

use crate::aws::AwsResultExt;
use crate::aws::ec2::{missing, tag_specification};
use crate::framework::{Context, Part, PartResult, Presence, Value};
use crate::resources::network::parts::default_sg::{revoke_rules, security_group_rules};
use crate::resources::network::state::{self, text};
use crate::sovereign::SovereignData;

/// Which of the two groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityGroup {
    Workload,
    Endpoint,
}

/// One rule a group must have.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    egress: bool,
    protocol: &'static str,
    port: Option<i32>,
    /// The VPC CIDR, or (None) the group itself.
    cidr: Option<String>,
}

const NOT_FOUND: &[&str] = &["InvalidGroup.NotFound", "InvalidGroupId.NotFound"];

impl SecurityGroup {
    fn attribute(self) -> &'static str {
        match self {
            SecurityGroup::Workload => "workload_security_group_id",
            SecurityGroup::Endpoint => "endpoint_security_group_id",
        }
    }

    fn group_name(self) -> &'static str {
        match self {
            SecurityGroup::Workload => "sovereign-workload",
            SecurityGroup::Endpoint => "sovereign-endpoints",
        }
    }

    fn description(self) -> &'static str {
        match self {
            SecurityGroup::Workload => {
                "Workloads of a sovereign network: egress only inside the VPC"
            }
            SecurityGroup::Endpoint => {
                "Interface endpoints of a sovereign network: HTTPS from the VPC"
            }
        }
    }

    fn rules(self, vpc_cidr: &str) -> Vec<Rule> {
        match self {
            SecurityGroup::Workload => vec![
                Rule {
                    egress: true,
                    protocol: "-1",
                    port: None,
                    cidr: Some(vpc_cidr.to_string()),
                },
                Rule {
                    egress: false,
                    protocol: "-1",
                    port: None,
                    cidr: None,
                },
            ],
            SecurityGroup::Endpoint => {
                vec![Rule {
                    egress: false,
                    protocol: "tcp",
                    port: Some(443),
                    cidr: Some(vpc_cidr.to_string()),
                }]
            }
        }
    }
}

fn matches(rule: &Rule, have: &SecurityGroupRule, group_id: &str) -> bool {
    have.is_egress() == Some(rule.egress)
        && have.ip_protocol() == Some(rule.protocol)
        && (rule.port.is_none() || (have.from_port() == rule.port && have.to_port() == rule.port))
        && match &rule.cidr {
            Some(cidr) => have.cidr_ipv4() == Some(cidr.as_str()),
            None => have.referenced_group_info().and_then(|g| g.group_id()) == Some(group_id),
        }
}

fn permission(rule: &Rule, group_id: &str) -> IpPermission {
    let mut p = IpPermission::builder().ip_protocol(rule.protocol);
    if let Some(port) = rule.port {
        p = p.from_port(port).to_port(port);
    }
    match &rule.cidr {
        Some(cidr) => p.ip_ranges(IpRange::builder().cidr_ip(cidr).build()),
        None => p.user_id_group_pairs(UserIdGroupPair::builder().group_id(group_id).build()),
    }
    .build()
}

/// Makes the group's rules exactly `wanted`: revokes the others (AWS's default egress included), adds the missing.
async fn assert_rules(ctx: &Context<SovereignData>, group_id: &str, wanted: &[Rule]) -> PartResult {
    let ec2 = &ctx.provider.clients.ec2;
    let what = format!("security group {group_id}");
    let have = security_group_rules(ctx, group_id).await?;
    let extra: Vec<SecurityGroupRule> = have
        .iter()
        .filter(|h| !wanted.iter().any(|w| matches(w, h, group_id)))
        .cloned()
        .collect();
    revoke_rules(ctx, group_id, &extra).await?;
    for rule in wanted
        .iter()
        .filter(|w| !have.iter().any(|h| matches(w, h, group_id)))
    {
        let p = permission(rule, group_id);
        if rule.egress {
            ec2.authorize_security_group_egress()
                .group_id(group_id)
                .ip_permissions(p)
                .send()
                .await
                .found(
                    "AuthorizeSecurityGroupEgress",
                    &what,
                    &["InvalidPermission.Duplicate"],
                )?;
        } else {
            ec2.authorize_security_group_ingress()
                .group_id(group_id)
                .ip_permissions(p)
                .send()
                .await
                .found(
                    "AuthorizeSecurityGroupIngress",
                    &what,
                    &["InvalidPermission.Duplicate"],
                )?;
        }
    }
    Ok(())
}

#[async_trait::async_trait]
impl Part<SovereignData> for SecurityGroup {
    fn name(&self) -> &'static str {
        match self {
            SecurityGroup::Workload => "workload security group",
            SecurityGroup::Endpoint => "endpoint security group",
        }
    }

    fn plan(&self, prior: Option<&Value>, planned: &mut Value) {
        if prior.is_none_or(|p| text(p, self.attribute()).is_none()) {
            planned.set_attr(self.attribute(), Value::Unknown);
        }
    }

    async fn apply(
        &self,
        ctx: &Context<SovereignData>,
        _planned: &Value,
        prior: Option<&Value>,
        state: &mut Value,
    ) -> PartResult {
        let group_id = match prior.and_then(|p| text(p, self.attribute())) {
            Some(id) => id.to_string(),
            None => {
                let created = ctx
                    .provider
                    .clients
                    .ec2
                    .create_security_group()
                    .vpc_id(state::vpc_id(state)?)
                    .group_name(self.group_name())
                    .description(self.description())
                    .tag_specifications(tag_specification(
                        ResourceType::SecurityGroup,
                        &state::tags(state),
                        &format!(
                            "{}-{}",
                            state::name(state),
                            self.group_name().trim_start_matches("sovereign-")
                        ),
                    ))
                    .send()
                    .await
                    .or_diag(
                        "CreateSecurityGroup",
                        &format!("{} of network {}", self.name(), state::name(state)),
                    )?;
                let id = created
                    .group_id()
                    .ok_or_else(|| missing("CreateSecurityGroup", "a group id"))?
                    .to_string();
                state.set_attr(self.attribute(), Value::from(id.as_str()));
                id
            }
        };
        assert_rules(ctx, &group_id, &self.rules(state::cidr(state))).await
    }

    async fn read(&self, ctx: &Context<SovereignData>, state: &mut Value) -> PartResult<Presence> {
        let ec2 = &ctx.provider.clients.ec2;
        let request = match text(state, self.attribute()) {
            Some(id) => ec2.describe_security_groups().group_ids(id),
            // Import: the group is found by its name in the VPC.
            None => ec2
                .describe_security_groups()
                .filters(
                    Filter::builder()
                        .name("vpc-id")
                        .values(state::vpc_id(state)?)
                        .build(),
                )
                .filters(
                    Filter::builder()
                        .name("group-name")
                        .values(self.group_name())
                        .build(),
                ),
        };
        let found = request.send().await.found(
            "DescribeSecurityGroups",
            &format!("the {}", self.name()),
            NOT_FOUND,
        )?;
        let id = found
            .as_ref()
            .and_then(|o| o.security_groups().first())
            .and_then(|g| g.group_id());
        state.set_attr(self.attribute(), Value::from(id));
        Ok(if id.is_some() {
            Presence::Present
        } else {
            Presence::Gone
        })
    }

    async fn remove(&self, ctx: &Context<SovereignData>, state: &Value) -> PartResult {
        let Some(id) = text(state, self.attribute()) else {
            return Ok(());
        };
        ctx.provider
            .clients
            .ec2
            .delete_security_group()
            .group_id(id)
            .send()
            .await
            .found(
                "DeleteSecurityGroup",
                &format!("security group {id}"),
                NOT_FOUND,
            )?;
        Ok(())
    }
}
