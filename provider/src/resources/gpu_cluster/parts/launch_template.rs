//! The launch template every instance starts from: IMDSv2 required with hop limit 1, no public IP, the root volume
//! encrypted with `kms_key_arn`, enclave options, user data, instance profile. A change of any of these makes a new
//! version (always with the full data: a version does not inherit from its source) and makes it the default; a
//! template changed outside Terraform (an insecure default version) reads as version 0, so the plan shows a new
//! version that apply makes.

use aws_sdk_ec2::types::{
    LaunchTemplateBlockDeviceMappingRequest, LaunchTemplateEbsBlockDeviceRequest,
    LaunchTemplateEnclaveOptionsRequest, LaunchTemplateHttpTokensState,
    LaunchTemplateIamInstanceProfileSpecificationRequest,
    LaunchTemplateInstanceMetadataEndpointState, LaunchTemplateInstanceMetadataOptionsRequest,
    LaunchTemplateInstanceNetworkInterfaceSpecificationRequest, LaunchTemplatePlacementRequest,
    LaunchTemplateVersion, RequestLaunchTemplateData, ResourceType, TagSpecification, VolumeType,
};
use base64::Engine;

use crate::aws::AwsResultExt;
use crate::aws::ec2::{ec2_tags, missing};
use crate::framework::{AttributePath, Context, Diagnostic, Part, PartResult, Presence, Value};
use crate::resources::gpu_cluster::state::{name, strings, tags};
use crate::sovereign::SovereignData;

pub struct LaunchTemplate;

/// The attributes a template version is made from: a change of any makes a new version.
pub const TEMPLATE_INPUTS: [&str; 8] = [
    "instance_type",
    "kms_key_arn",
    "root_volume_size_gb",
    "confidential_computing",
    "user_data",
    "iam_instance_profile",
    "security_group_ids",
    "ami_id",
];

const NOT_FOUND: &[&str] = &[
    "InvalidLaunchTemplateId.NotFound",
    "InvalidLaunchTemplateId.Malformed",
    "InvalidLaunchTemplateName.NotFoundException",
];

pub fn template_name(cluster: &str) -> String {
    format!("sovereign-{cluster}")
}

/// The root device name of an AMI (where the encrypted root volume goes).
async fn root_device(ctx: &Context<SovereignData>, ami: &str) -> PartResult<String> {
    let images = ctx
        .provider
        .clients
        .ec2
        .describe_images()
        .image_ids(ami)
        .send()
        .await
        .found(
            "DescribeImages",
            &format!("AMI {ami}"),
            &["InvalidAMIID.NotFound", "InvalidAMIID.Malformed"],
        )?;
    images
        .as_ref()
        .and_then(|o| o.images().first())
        .and_then(|i| i.root_device_name())
        .map(str::to_owned)
        .ok_or_else(|| {
            Diagnostic::error(
                format!("AMI {ami} not found in {}", ctx.provider.region()),
                "The AMI must exist in the provider's region (copy it there first) and be visible to the account.",
            )
            .at(AttributePath::new("ami_id"))
        })
}

/// The template data for `state`.
pub fn template_data(state: &Value, root_device: &str) -> RequestLaunchTemplateData {
    let enclaves = state.get_str("confidential_computing") == Some("nitro_enclaves");
    let profile = state.get_str("iam_instance_profile").map(|p| {
        let spec = LaunchTemplateIamInstanceProfileSpecificationRequest::builder();
        if p.starts_with("arn:") {
            spec.arn(p)
        } else {
            spec.name(p)
        }
        .build()
    });
    let user_data = state
        .get_str("user_data")
        .map(|u| base64::engine::general_purpose::STANDARD.encode(u));
    RequestLaunchTemplateData::builder()
        .image_id(state.get_str("ami_id").unwrap_or_default())
        .instance_type(state.get_str("instance_type").unwrap_or_default().into())
        .metadata_options(
            LaunchTemplateInstanceMetadataOptionsRequest::builder()
                .http_tokens(LaunchTemplateHttpTokensState::Required)
                .http_put_response_hop_limit(1)
                .http_endpoint(LaunchTemplateInstanceMetadataEndpointState::Enabled)
                .build(),
        )
        .network_interfaces(
            LaunchTemplateInstanceNetworkInterfaceSpecificationRequest::builder()
                .device_index(0)
                .associate_public_ip_address(false)
                .delete_on_termination(true)
                .set_groups(Some(strings(state, "security_group_ids")))
                .build(),
        )
        .block_device_mappings(
            LaunchTemplateBlockDeviceMappingRequest::builder()
                .device_name(root_device)
                .ebs(
                    LaunchTemplateEbsBlockDeviceRequest::builder()
                        .encrypted(true)
                        .kms_key_id(state.get_str("kms_key_arn").unwrap_or_default())
                        .volume_size(state.get_i64("root_volume_size_gb").unwrap_or(100) as i32)
                        .volume_type(VolumeType::Gp3)
                        .delete_on_termination(true)
                        .build(),
                )
                .build(),
        )
        .enclave_options(
            LaunchTemplateEnclaveOptionsRequest::builder()
                .enabled(enclaves)
                .build(),
        )
        .placement(
            LaunchTemplatePlacementRequest::builder()
                .group_name(name(state))
                .build(),
        )
        .set_user_data(user_data)
        .set_iam_instance_profile(profile)
        .build()
}

/// Whether a template version still holds the cluster's guarantees and its key.
fn secure(version: &LaunchTemplateVersion, kms_key_arn: Option<&str>) -> bool {
    let Some(data) = version.launch_template_data() else {
        return false;
    };
    let imds = data.metadata_options().is_some_and(|m| {
        m.http_tokens().map(|t| t.as_str()) == Some("required")
            && m.http_put_response_hop_limit().unwrap_or(1) == 1
    });
    let private = data
        .network_interfaces()
        .iter()
        .all(|n| n.associate_public_ip_address() != Some(true));
    let encrypted = !data.block_device_mappings().is_empty()
        && data.block_device_mappings().iter().all(|b| {
            b.ebs()
                .is_some_and(|e| e.encrypted() == Some(true) && e.kms_key_id() == kms_key_arn)
        });
    imds && private && encrypted
}

#[async_trait::async_trait]
impl Part<SovereignData> for LaunchTemplate {
    fn name(&self) -> &'static str {
        "launch template"
    }

    fn plan(&self, prior: Option<&Value>, planned: &mut Value) {
        let Some(prior) = prior.filter(|p| p.get_str("launch_template_id").is_some()) else {
            planned.set_attr("launch_template_id", Value::Unknown);
            planned.set_attr("launch_template_version", Value::Unknown);
            return;
        };
        let drifted = prior.get_i64("launch_template_version").unwrap_or(0) < 1;
        let changed = TEMPLATE_INPUTS
            .iter()
            .any(|a| prior.attr(a) != planned.attr(a));
        if drifted || changed {
            planned.set_attr("launch_template_version", Value::Unknown);
        }
    }

    async fn apply(
        &self,
        ctx: &Context<SovereignData>,
        planned: &Value,
        prior: Option<&Value>,
        state: &mut Value,
    ) -> PartResult {
        let ec2 = &ctx.provider.clients.ec2;
        let existing = prior
            .and_then(|p| p.get_str("launch_template_id"))
            .map(str::to_owned);
        let current = prior
            .and_then(|p| p.get_i64("launch_template_version"))
            .unwrap_or(0);
        if existing.is_some()
            && current >= 1
            && !TEMPLATE_INPUTS
                .iter()
                .any(|a| prior.map(|p| p.attr(a)) != Some(planned.attr(a)))
        {
            return Ok(());
        }
        let ami = planned.get_str("ami_id").unwrap_or_default();
        let data = template_data(planned, &root_device(ctx, ami).await?);
        let what = format!("launch template {}", template_name(name(planned)));
        let (id, version) = match existing {
            None => {
                let out = ec2
                    .create_launch_template()
                    .launch_template_name(template_name(name(planned)))
                    .launch_template_data(data)
                    .tag_specifications(
                        TagSpecification::builder()
                            .resource_type(ResourceType::LaunchTemplate)
                            .set_tags(Some(ec2_tags(&tags(planned), None)))
                            .build(),
                    )
                    .send()
                    .await
                    .or_diag("CreateLaunchTemplate", &what)?;
                let t = out
                    .launch_template()
                    .ok_or_else(|| missing("CreateLaunchTemplate", "a template"))?;
                let id = t
                    .launch_template_id()
                    .ok_or_else(|| missing("CreateLaunchTemplate", "a template id"))?;
                (id.to_string(), t.latest_version_number().unwrap_or(1))
            }
            Some(id) => {
                let out = ec2
                    .create_launch_template_version()
                    .launch_template_id(&id)
                    .launch_template_data(data)
                    .send()
                    .await
                    .or_diag("CreateLaunchTemplateVersion", &what)?;
                let version = out
                    .launch_template_version()
                    .and_then(|v| v.version_number())
                    .ok_or_else(|| missing("CreateLaunchTemplateVersion", "a version number"))?;
                ec2.modify_launch_template()
                    .launch_template_id(&id)
                    .default_version(version.to_string())
                    .send()
                    .await
                    .or_diag("ModifyLaunchTemplate", &what)?;
                (id, version)
            }
        };
        state.set_attr("launch_template_id", Value::from(id));
        state.set_attr("launch_template_version", Value::int(version));
        Ok(())
    }

    async fn read(&self, ctx: &Context<SovereignData>, state: &mut Value) -> PartResult<Presence> {
        let ec2 = &ctx.provider.clients.ec2;
        let request = ec2.describe_launch_template_versions().versions("$Default");
        let request = match state.get_str("launch_template_id") {
            Some(id) => request.launch_template_id(id),
            None => request.launch_template_name(template_name(name(state))),
        };
        let found = request.send().await.found(
            "DescribeLaunchTemplateVersions",
            &format!("launch template of {}", name(state)),
            NOT_FOUND,
        )?;
        let Some(version) = found
            .as_ref()
            .and_then(|o| o.launch_template_versions().first())
        else {
            state.set_attr("launch_template_id", Value::Null);
            state.set_attr("launch_template_version", Value::int(0));
            return Ok(Presence::Gone);
        };
        let importing = state.attr("instance_type").is_null();
        if importing && let Some(data) = version.launch_template_data() {
            state.set_attr(
                "instance_type",
                Value::from(data.instance_type().map(|t| t.as_str())),
            );
            state.set_attr("ami_id", Value::from(data.image_id()));
            let ebs = data.block_device_mappings().first().and_then(|b| b.ebs());
            state.set_attr("kms_key_arn", Value::from(ebs.and_then(|e| e.kms_key_id())));
            state.set_attr(
                "root_volume_size_gb",
                Value::from(ebs.and_then(|e| e.volume_size()).map(i64::from)),
            );
            let enclaves = data.enclave_options().and_then(|e| e.enabled()) == Some(true);
            state.set_attr(
                "confidential_computing",
                Value::from(if enclaves { "nitro_enclaves" } else { "none" }),
            );
            let groups: Vec<String> = data
                .network_interfaces()
                .iter()
                .flat_map(|n| n.groups().iter().cloned())
                .collect();
            state.set_attr("security_group_ids", Value::string_list(groups));
            let profile = data
                .iam_instance_profile()
                .and_then(|p| p.arn().or(p.name()));
            state.set_attr("iam_instance_profile", Value::from(profile));
            let user_data = data
                .user_data()
                .and_then(|u| base64::engine::general_purpose::STANDARD.decode(u).ok())
                .and_then(|u| String::from_utf8(u).ok());
            state.set_attr("user_data", Value::from(user_data));
        }
        let number = version.version_number().unwrap_or(0);
        let recorded = state.get_i64("launch_template_version");
        let intact = secure(version, state.get_str("kms_key_arn"))
            && (importing || recorded == Some(number));
        state.set_attr(
            "launch_template_id",
            Value::from(version.launch_template_id()),
        );
        state.set_attr(
            "launch_template_version",
            Value::int(if intact { number } else { 0 }),
        );
        Ok(Presence::Present)
    }

    async fn remove(&self, ctx: &Context<SovereignData>, state: &Value) -> PartResult {
        let Some(id) = state.get_str("launch_template_id") else {
            return Ok(());
        };
        ctx.provider
            .clients
            .ec2
            .delete_launch_template()
            .launch_template_id(id)
            .send()
            .await
            .found(
                "DeleteLaunchTemplate",
                &format!("launch template {id}"),
                NOT_FOUND,
            )?;
        Ok(())
    }
}
