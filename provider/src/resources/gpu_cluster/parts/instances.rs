//! The instances, as slots `0 … node_count-1`. Launches are batched (one RunInstances per subnet) with
//! deterministic client tokens; growing launches the missing slots, shrinking terminates the highest; a slot whose
//! instance was terminated outside Terraform is launched again; an instance of an older template version is
//! replaced. After `expires_at` no slot is wanted.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{
    EnclaveOptionsRequest, Filter, HttpTokensState, Instance, InstanceMetadataOptionsRequest,
    InstanceNetworkInterfaceSpecification, LaunchTemplateSpecification, Placement, ResourceType,
    Tag, TagSpecification,
};
use aws_smithy_types::retry::RetryConfig;

use crate::aws::ec2::ec2_tags;
use crate::aws::{AwsResultExt, error_code};
use crate::framework::{Context, Diagnostic, KeyedPart, PartResult, Value, Waiter};
use crate::resources::gpu_cluster::plan::{client_token, expired, now, subnet_of};
use crate::resources::gpu_cluster::state::{
    BATCH_TAG, CLUSTER_TAG, SLOT_TAG, VERSION_TAG, instance_tags, name, node_count, strings,
};
use crate::sovereign::SovereignData;

pub struct Instances;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotWant {
    pub version: i64,
    pub subnet: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotHave {
    pub id: String,
    pub version: i64,
    pub subnet: String,
    pub private_ip: String,
    /// Carries its slot tag (an apply that stopped before tagging leaves it without).
    pub tagged: bool,
}

/// Most relaunch attempts of one batch, each with the next client token (see `launch`).
const MAX_ATTEMPTS: u32 = 16;

fn have_of(i: &Instance) -> Option<(u32, SlotHave)> {
    let tag = |key: &str| {
        i.tags()
            .iter()
            .find(|t| t.key() == Some(key))
            .and_then(Tag::value)
    };
    // The slot tag, or (an apply that stopped before tagging) the batch's slots in launch order.
    let slot = match tag(SLOT_TAG) {
        Some(slot) => slot.parse().ok()?,
        None => {
            let index = usize::try_from(i.ami_launch_index()?).ok()?;
            tag(BATCH_TAG)?.split(',').nth(index)?.parse().ok()?
        }
    };
    Some((
        slot,
        SlotHave {
            id: i.instance_id()?.to_string(),
            version: tag(VERSION_TAG).and_then(|v| v.parse().ok()).unwrap_or(0),
            subnet: i.subnet_id().unwrap_or_default().to_string(),
            private_ip: i.private_ip_address().unwrap_or_default().to_string(),
            tagged: tag(SLOT_TAG).is_some(),
        },
    ))
}

/// No slot is wanted once the TTL has passed (or without nodes).
pub fn wants_none(value: &Value) -> bool {
    node_count(value) == 0 || expired(value.get_str("expires_at"), now())
}

fn tag_spec(kind: ResourceType, tags: &BTreeMap<String, String>) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(kind)
        .set_tags(Some(ec2_tags(tags, None)))
        .build()
}

impl Instances {
    /// One RunInstances for `slots` in `subnet` (retrying with the next token while AWS answers that the token's
    /// instances were terminated), then each instance tagged with its slot.
    async fn launch(
        &self,
        ctx: &Context<SovereignData>,
        state: &Value,
        subnet: &str,
        version: i64,
        slots: &[u32],
    ) -> PartResult<Vec<SlotHave>> {
        let ec2 = &ctx.provider.clients.ec2;
        let cluster = name(state);
        let instance_type = state.get_str("instance_type").unwrap_or_default();
        let count = slots.len() as i32;
        let mut tags = instance_tags(state);
        tags.insert(VERSION_TAG.to_string(), version.to_string());
        let batch: Vec<String> = slots.iter().map(u32::to_string).collect();
        tags.insert(BATCH_TAG.to_string(), batch.join(","));
        let volume_tags = instance_tags(state);
        let mut attempt = 0;
        let reservation = loop {
            let token = client_token(cluster, slots, version, attempt);
            let result = ec2
                .run_instances()
                .launch_template(
                    LaunchTemplateSpecification::builder()
                        .launch_template_id(state.get_str("launch_template_id").unwrap_or_default())
                        .version(version.to_string())
                        .build(),
                )
                .min_count(count)
                .max_count(count)
                .client_token(&token)
                // Everything that must hold is on the request too, so it holds whatever the template says.
                .network_interfaces(
                    InstanceNetworkInterfaceSpecification::builder()
                        .device_index(0)
                        .subnet_id(subnet)
                        .associate_public_ip_address(false)
                        .delete_on_termination(true)
                        .set_groups(Some(strings(state, "security_group_ids")))
                        .build(),
                )
                .metadata_options(
                    InstanceMetadataOptionsRequest::builder()
                        .http_tokens(HttpTokensState::Required)
                        .http_put_response_hop_limit(1)
                        .build(),
                )
                .enclave_options(
                    EnclaveOptionsRequest::builder()
                        .enabled(state.get_str("confidential_computing") == Some("nitro_enclaves"))
                        .build(),
                )
                .placement(Placement::builder().group_name(cluster).build())
                .tag_specifications(tag_spec(ResourceType::Instance, &tags))
                .tag_specifications(tag_spec(ResourceType::Volume, &volume_tags))
                // Capacity errors are HTTP 500, which the SDK would retry for minutes: fail fast, the token makes
                // a later apply safe (terraform-provider-aws #43193).
                .customize()
                .config_override(
                    aws_sdk_ec2::config::Builder::default()
                        .retry_config(RetryConfig::standard().with_max_attempts(1)),
                )
                .send()
                .await;
            match result {
                Ok(out) => break out,
                // The token belongs to an earlier launch of these slots whose instances are gone (terminated, or
                // launched with other parameters, e.g. before a TTL change): `list` found no live instance for
                // these slots, or they would not be launched. The next token, then.
                Err(e)
                    if matches!(
                        error_code(&e),
                        Some("IdempotentInstanceTerminated") | Some("IdempotentParameterMismatch")
                    ) && attempt < MAX_ATTEMPTS =>
                {
                    attempt += 1;
                }
                Err(e) => {
                    let slots: Vec<String> = slots.iter().map(u32::to_string).collect();
                    let what = format!(
                        "{count} × {instance_type} in subnet {subnet}{} (slots {})",
                        zone_of(ctx, subnet)
                            .await
                            .map(|z| format!(", zone {z}"))
                            .unwrap_or_default(),
                        slots.join(", ")
                    );
                    let mut d = crate::aws::aws_error_diagnostic("RunInstances", &what, &e);
                    if error_code(&e) == Some("InsufficientInstanceCapacity") {
                        d.detail.push_str(
                            " The instances already running are kept in state; apply again later, reduce node_count, \
                             or use subnets in another zone (not possible with cluster placement).",
                        );
                    }
                    return Err(d);
                }
            }
        };
        // AmiLaunchIndex orders the reservation's instances: the i-th is the batch's i-th slot.
        let mut launched: Vec<(u32, String)> = reservation
            .instances()
            .iter()
            .filter_map(|i| {
                let index = usize::try_from(i.ami_launch_index()?).ok()?;
                Some((*slots.get(index)?, i.instance_id()?.to_string()))
            })
            .collect();
        launched.sort();
        if launched.len() != slots.len() {
            return Err(Diagnostic::error(
                format!(
                    "AWS RunInstances launched {} instances for {} slots",
                    launched.len(),
                    slots.len()
                ),
                "The reservation does not match the request; the provider cannot tell which instance holds which slot.",
            ));
        }
        for (slot, id) in &launched {
            ec2.create_tags()
                .resources(id)
                .tags(Tag::builder().key(SLOT_TAG).value(slot.to_string()).build())
                .tags(
                    Tag::builder()
                        .key("Name")
                        .value(format!("{cluster}-{slot}"))
                        .build(),
                )
                .send()
                .await
                .or_diag("CreateTags", &format!("instance {id} (slot {slot})"))?;
        }
        let ids: Vec<String> = launched.iter().map(|(_, id)| id.clone()).collect();
        let running = Waiter::new(
            format!("instances of {cluster} (slots {slots:?})"),
            &["pending"],
            &["running"],
        )
        .wait(ctx, || async {
            let out = ec2
                .describe_instances()
                .set_instance_ids(Some(ids.clone()))
                .send()
                .await
                .or_diag("DescribeInstances", &format!("instances of {cluster}"))?;
            let instances: Vec<Instance> = out
                .reservations()
                .iter()
                .flat_map(|r| r.instances().to_vec())
                .collect();
            let states: Vec<String> = instances
                .iter()
                .map(|i| {
                    i.state()
                        .and_then(|s| s.name())
                        .map(|n| n.as_str().to_string())
                        .unwrap_or_default()
                })
                .collect();
            // The batch is as far as its slowest instance; one that fails shows as that state.
            let state = states
                .iter()
                .find(|s| s.as_str() != "running" && s.as_str() != "pending")
                .or(states.iter().find(|s| s.as_str() == "pending"))
                .cloned()
                .unwrap_or_else(|| "running".to_string());
            Ok(Some((instances, state)))
        })
        .await?
        .unwrap_or_default();
        Ok(launched
            .into_iter()
            .map(|(_, id)| {
                let private_ip = running
                    .iter()
                    .find(|i| i.instance_id() == Some(id.as_str()))
                    .and_then(|i| i.private_ip_address())
                    .unwrap_or_default()
                    .to_string();
                SlotHave {
                    id,
                    version,
                    subnet: subnet.to_string(),
                    private_ip,
                    tagged: true,
                }
            })
            .collect())
    }
}

async fn zone_of(ctx: &Context<SovereignData>, subnet: &str) -> Option<String> {
    let out = ctx
        .provider
        .clients
        .ec2
        .describe_subnets()
        .subnet_ids(subnet)
        .send()
        .await
        .ok()?;
    out.subnets()
        .first()?
        .availability_zone()
        .map(str::to_owned)
}

#[async_trait::async_trait]
impl KeyedPart<SovereignData> for Instances {
    type Key = u32;
    type Want = SlotWant;
    type Have = SlotHave;
    const CONCURRENCY: usize = 8;
    const REPLACE_BY_RECREATE: bool = true;
    const KEEP_PROGRESS: bool = true;
    const REMOVE_LISTED: bool = true;

    fn name(&self) -> &'static str {
        "instances"
    }

    fn want(&self, planned: &Value, made: &Value) -> Option<BTreeMap<u32, SlotWant>> {
        // The TTL window is set when the apply starts (`made`); at plan time a new one is still unknown.
        if planned.attr("node_count").is_unknown() || made.attr("expires_at").is_unknown() {
            return None;
        }
        if wants_none(made) {
            return Some(BTreeMap::new());
        }
        let version = made.get_i64("launch_template_version")?;
        let subnets = planned.attr("subnet_ids");
        if !subnets.is_wholly_known() {
            return None;
        }
        let subnets = strings(planned, "subnet_ids");
        (0..node_count(planned))
            .map(|slot| {
                Some((
                    slot,
                    SlotWant {
                        version,
                        subnet: subnet_of(&subnets, slot)?.clone(),
                    },
                ))
            })
            .collect()
    }

    fn recorded(&self, state: &Value) -> BTreeMap<u32, SlotHave> {
        let ips = strings(state, "private_ips");
        let version = state.get_i64("launch_template_version").unwrap_or(0);
        let subnets = strings(state, "subnet_ids");
        let mut slots: Vec<(u32, String)> = state
            .attr("instance_ids_by_slot")
            .as_string_map()
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(slot, id)| Some((slot.parse().ok()?, id)))
            .collect();
        slots.sort();
        slots
            .into_iter()
            .enumerate()
            .map(|(i, (slot, id))| {
                let have = SlotHave {
                    id,
                    version,
                    subnet: subnet_of(&subnets, slot).cloned().unwrap_or_default(),
                    private_ip: ips.get(i).cloned().unwrap_or_default(),
                    tagged: true,
                };
                (slot, have)
            })
            .collect()
    }

    async fn list(
        &self,
        ctx: &Context<SovereignData>,
        state: &Value,
    ) -> PartResult<BTreeMap<u32, SlotHave>> {
        let cluster = name(state);
        let instances: Vec<aws_sdk_ec2::types::Reservation> = ctx
            .provider
            .clients
            .ec2
            .describe_instances()
            .filters(
                Filter::builder()
                    .name(format!("tag:{CLUSTER_TAG}"))
                    .values(cluster)
                    .build(),
            )
            .filters(
                Filter::builder()
                    .name("instance-state-name")
                    .values("pending")
                    .values("running")
                    .values("stopping")
                    .values("stopped")
                    .build(),
            )
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .or_diag("DescribeInstances", &format!("instances of {cluster}"))?;
        Ok(instances
            .iter()
            .flat_map(|r| r.instances())
            .filter_map(have_of)
            .collect())
    }

    fn up_to_date(&self, want: &SlotWant, have: &SlotHave) -> bool {
        want.version == have.version && want.subnet == have.subnet
    }

    async fn create(
        &self,
        ctx: &Context<SovereignData>,
        state: &Value,
        slot: &u32,
        want: &SlotWant,
    ) -> PartResult<SlotHave> {
        let mut launched = self
            .launch(ctx, state, &want.subnet, want.version, &[*slot])
            .await?;
        launched.pop().ok_or_else(|| {
            Diagnostic::error("RunInstances launched nothing", "No instance was returned.")
        })
    }

    fn batch_of(&self, _slot: &u32, want: &SlotWant) -> Option<String> {
        Some(format!("{}@{}", want.subnet, want.version))
    }

    async fn create_batch(
        &self,
        ctx: &Context<SovereignData>,
        state: &Value,
        batch: Vec<(u32, SlotWant)>,
    ) -> Vec<(u32, PartResult<SlotHave>)> {
        let Some((_, first)) = batch.first() else {
            return Vec::new();
        };
        let slots: Vec<u32> = batch.iter().map(|(s, _)| *s).collect();
        match self
            .launch(ctx, state, &first.subnet, first.version, &slots)
            .await
        {
            Ok(launched) => slots
                .into_iter()
                .zip(launched.into_iter().map(Ok))
                .collect(),
            // The whole batch failed (RunInstances launches all of MinCount or nothing): report it on its first slot.
            Err(d) => vec![(slots[0], Err(d))],
        }
    }

    async fn delete(
        &self,
        ctx: &Context<SovereignData>,
        slot: &u32,
        have: &SlotHave,
    ) -> PartResult {
        terminate(
            ctx,
            std::slice::from_ref(&have.id),
            &format!("instance {} (slot {slot})", have.id),
        )
        .await
    }

    async fn delete_batch(
        &self,
        ctx: &Context<SovereignData>,
        batch: &[(u32, SlotHave)],
    ) -> Option<Vec<(u32, PartResult)>> {
        let mut out = Vec::with_capacity(batch.len());
        for chunk in batch.chunks(TERMINATE_CHUNK) {
            let ids: Vec<String> = chunk.iter().map(|(_, h)| h.id.clone()).collect();
            let slots: Vec<String> = chunk.iter().map(|(s, _)| s.to_string()).collect();
            let result = terminate(
                ctx,
                &ids,
                &format!("instances of slots {}", slots.join(", ")),
            )
            .await;
            let failed = result.is_err();
            match result {
                Ok(()) => out.extend(chunk.iter().map(|(s, _)| (*s, Ok(())))),
                Err(d) => out.push((chunk[0].0, Err(d))),
            }
            if failed {
                break;
            }
        }
        Some(out)
    }

    fn observe(&self, state: &mut Value, have: &BTreeMap<u32, SlotHave>) {
        // An instance without its slot tag is left out of the state, so the plan shows a change whose apply
        // writes the tag (it is found again by its batch tag, not launched twice).
        if have.values().any(|h| !h.tagged) {
            let tagged: BTreeMap<u32, SlotHave> = have
                .iter()
                .filter(|(_, h)| h.tagged)
                .map(|(k, h)| (*k, h.clone()))
                .collect();
            self.record(state, &tagged);
        }
        // Import: the arguments that only the instances can tell.
        if state.attr("node_count").is_null() {
            state.set_attr("node_count", Value::int(have.len() as i64));
            let mut subnets: Vec<String> = Vec::new();
            for h in have.values() {
                if subnets.contains(&h.subnet) {
                    break;
                }
                subnets.push(h.subnet.clone());
            }
            state.set_attr("subnet_ids", Value::string_list(subnets));
        }
        if state.attr("hourly_cost_usd").is_null()
            && let Some(price) = state
                .get_str("instance_type")
                .and_then(|t| sovereign_schemas::gpu::on_demand_price(region_of(state), t))
        {
            let cost = (price.usd_per_hour * have.len() as f64 * 1e5).round() / 1e5;
            state.set_attr("hourly_cost_usd", Value::float(cost));
        }
    }

    fn record(&self, state: &mut Value, have: &BTreeMap<u32, SlotHave>) {
        state.set_attr(
            "instance_ids",
            Value::string_list(have.values().map(|h| h.id.clone())),
        );
        state.set_attr(
            "private_ips",
            Value::string_list(have.values().map(|h| h.private_ip.clone())),
        );
        state.set_attr(
            "instance_ids_by_slot",
            Value::string_map(
                have.iter()
                    .map(|(slot, h)| (slot.to_string(), h.id.clone())),
            ),
        );
    }

    fn unknown_outputs(&self, planned: &mut Value) {
        // An expired cluster (or none wanted) is planned empty, so the plan shows every instance going.
        let value = |empty: Value| {
            if wants_none(planned) {
                empty
            } else {
                Value::Unknown
            }
        };
        let (ids, ips, map) = (
            value(Value::List(vec![])),
            value(Value::List(vec![])),
            value(Value::Map(BTreeMap::new())),
        );
        planned.set_attr("instance_ids", ids);
        planned.set_attr("private_ips", ips);
        planned.set_attr("instance_ids_by_slot", map);
    }
}

/// The region recorded in state (the provider's).
fn region_of(state: &Value) -> &str {
    state.get_str("region").unwrap_or_default()
}

/// Writes the slot tag on instances an earlier apply launched but stopped before tagging (found by their batch
/// tag), so every instance carries its slot.
pub struct SlotTags;

#[async_trait::async_trait]
impl crate::framework::Part<SovereignData> for SlotTags {
    fn name(&self) -> &'static str {
        "slot tags"
    }

    async fn apply(
        &self,
        ctx: &Context<SovereignData>,
        _planned: &Value,
        prior: Option<&Value>,
        state: &mut Value,
    ) -> PartResult {
        // A create tags every instance it launches; only a later apply can meet untagged ones.
        if prior.is_none() {
            return Ok(());
        }
        let ec2 = &ctx.provider.clients.ec2;
        let cluster = name(state).to_string();
        let reservations: Vec<aws_sdk_ec2::types::Reservation> = ec2
            .describe_instances()
            .filters(
                Filter::builder()
                    .name(format!("tag:{CLUSTER_TAG}"))
                    .values(&cluster)
                    .build(),
            )
            .filters(
                Filter::builder()
                    .name("instance-state-name")
                    .values("pending")
                    .values("running")
                    .build(),
            )
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .or_diag("DescribeInstances", &format!("instances of {cluster}"))?;
        for instance in reservations.iter().flat_map(|r| r.instances()) {
            if instance.tags().iter().any(|t| t.key() == Some(SLOT_TAG)) {
                continue;
            }
            if let (Some((slot, _)), Some(id)) = (have_of(instance), instance.instance_id()) {
                ec2.create_tags()
                    .resources(id)
                    .tags(Tag::builder().key(SLOT_TAG).value(slot.to_string()).build())
                    .tags(
                        Tag::builder()
                            .key("Name")
                            .value(format!("{cluster}-{slot}"))
                            .build(),
                    )
                    .send()
                    .await
                    .or_diag("CreateTags", &format!("instance {id} (slot {slot})"))?;
            }
        }
        Ok(())
    }

    async fn read(
        &self,
        _ctx: &Context<SovereignData>,
        _state: &mut Value,
    ) -> PartResult<crate::framework::Presence> {
        Ok(crate::framework::Presence::Present)
    }
}

/// Instances terminated per TerminateInstances call (and waited for per DescribeInstances).
const TERMINATE_CHUNK: usize = 100;

/// Terminates `ids` in one call and waits until none of them is left (terminated or gone), one DescribeInstances
/// per poll for all of them.
async fn terminate(ctx: &Context<SovereignData>, ids: &[String], what: &str) -> PartResult {
    let ec2 = &ctx.provider.clients.ec2;
    let by_id = || {
        Filter::builder()
            .name("instance-id")
            .set_values(Some(ids.to_vec()))
            .build()
    };
    // Filtered, so an id already gone is no error.
    let found = ec2
        .describe_instances()
        .filters(by_id())
        .send()
        .await
        .or_diag("DescribeInstances", what)?;
    let live: Vec<String> = found
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .filter(|i| i.state().and_then(|s| s.name()).map(|n| n.as_str()) != Some("terminated"))
        .filter_map(|i| i.instance_id().map(str::to_owned))
        .collect();
    if live.is_empty() {
        return Ok(());
    }
    ec2.terminate_instances()
        .set_instance_ids(Some(live))
        .send()
        .await
        .found("TerminateInstances", what, &["InvalidInstanceID.NotFound"])?;
    Waiter::new(
        what,
        &["pending", "running", "stopping", "stopped", "shutting-down"],
        &[],
    )
    .wait(ctx, || async {
        let out = ec2
            .describe_instances()
            .filters(by_id())
            .send()
            .await
            .or_diag("DescribeInstances", what)?;
        let states: Vec<String> = out
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .filter_map(|i| {
                i.state()
                    .and_then(|s| s.name())
                    .map(|n| n.as_str().to_string())
            })
            .filter(|s| s != "terminated")
            .collect();
        Ok(states.into_iter().next().map(|s| ((), s)))
    })
    .await
    .map(|_| ())
}
