//! The `provider "sovereign" {}` block: its schema, its validation and the settings it yields.
//!
//! Every refusal happens here, before any AWS call, with the attribute path Terraform underlines:
//! an unknown jurisdiction, a region outside the jurisdiction or `allowed_regions`, an
//! `allowed_regions` entry outside the jurisdiction, a non-sovereign endpoint. The checks are the
//! linter's: a [`Policy`] is built from the block and its [`sovereign_schemas::Scope`] decides.

use std::collections::BTreeMap;

use sovereign_schemas::endpoint::parse_endpoint;
use sovereign_schemas::policy::TagPolicy;
use sovereign_schemas::{Cloud, Policy, catalog};

use crate::aws::{ClientSettings, Endpoints};
use crate::framework::{
    Attribute, AttributePath, Block, Diagnostics, NestedBlock, Schema, Type, Value,
};

/// The tag every data-bearing resource must carry unless `required_tags` says otherwise (SPEC §2).
pub const DEFAULT_REQUIRED_TAGS: [&str; 1] = ["data-classification"];

/// The services whose endpoints the `endpoints {}` block can override.
pub const ENDPOINT_SERVICES: [&str; 4] = ["ec2", "kms", "s3", "sts"];

/// The provider configuration schema (SPEC §4).
pub fn provider_schema() -> Schema {
    let endpoints = ENDPOINT_SERVICES.iter().fold(
        Block::new().description(
            "Custom service endpoints (URLs). Every host must be sovereign: a regional endpoint of a region in the \
             jurisdiction, or listed in `allowed_endpoint_hosts`; plain http only for loopback hosts. \
             AWS_ENDPOINT_URL* environment variables and profile endpoint settings are ignored.",
        ),
        |block, service| {
            block.attribute(
                Attribute::optional(*service, Type::String)
                    .description(format!("Endpoint URL for {}.", service.to_uppercase())),
            )
        },
    );
    Schema::new(
        Block::new()
            .description(
                "Provisions sovereign ML infrastructure on AWS and refuses, at plan time, anything outside its \
                 jurisdiction.",
            )
            .attribute(
                Attribute::required("jurisdiction", Type::String).description(format!(
                    "Jurisdiction id from the catalog: one of {}.",
                    jurisdiction_ids().join(", ")
                )),
            )
            .attribute(Attribute::required("region", Type::String).description(
                "AWS region every resource is created in. Must be in the jurisdiction (and in `allowed_regions` when set).",
            ))
            .attribute(
                Attribute::optional("allowed_regions", Type::list(Type::String)).description(
                    "Narrows the jurisdiction to these AWS regions; each must be in the jurisdiction.",
                ),
            )
            .attribute(
                Attribute::optional("required_tags", Type::list(Type::String)).description(
                    "Tag keys every resource must carry after merging `default_tags`. Default: [\"data-classification\"].",
                ),
            )
            .attribute(
                Attribute::optional("default_tags", Type::map(Type::String))
                    .description("Tags merged into every resource's `tags_all` (a resource's own `tags` win)."),
            )
            .attribute(
                Attribute::optional("allowed_endpoint_hosts", Type::list(Type::String)).description(
                    "Hosts accepted as sovereign endpoints besides regional endpoints in the jurisdiction: an exact \
                     host (`127.0.0.1`) or a domain suffix starting with a dot (`.sov.example`).",
                ),
            )
            .attribute(Attribute::optional("access_key", Type::String).description(
                "AWS access key id. With `secret_key`; otherwise `profile` or the default AWS credential chain.",
            ))
            .attribute(
                Attribute::optional("secret_key", Type::String)
                    .sensitive()
                    .description("AWS secret access key (with `access_key`)."),
            )
            .attribute(
                Attribute::optional("profile", Type::String)
                    .description("Named profile of the shared AWS config and credentials files."),
            )
            .attribute(Attribute::optional("s3_use_path_style", Type::Bool).description(
                "Address buckets as `https://HOST/BUCKET` instead of `https://BUCKET.HOST` (needed by most \
                 S3-compatible endpoints). Default false.",
            ))
            .block(NestedBlock::list("endpoints", endpoints).items(0, 1)),
    )
}

fn jurisdiction_ids() -> Vec<String> {
    catalog().jurisdiction_ids().map(str::to_owned).collect()
}

/// A validated provider configuration.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    /// The policy the provider enforces (jurisdiction, allowed_regions, endpoint hosts, required tags).
    pub policy: Policy,
    pub region: String,
    /// The AWS partition of `region` (`aws`, `aws-eusc`, `aws-us-gov`).
    pub partition: String,
    /// The partition's DNS suffix (`amazonaws.com`, `amazonaws.eu`).
    pub dns_suffix: String,
    pub required_tags: Vec<String>,
    pub default_tags: BTreeMap<String, String>,
    pub client: ClientSettings,
}

fn known_strings(value: &Value) -> Vec<(usize, Option<&str>)> {
    value
        .as_list()
        .unwrap_or(&[])
        .iter()
        .enumerate()
        .map(|(i, v)| (i, v.as_str()))
        .collect()
}

fn is_host_pattern(host: &str) -> bool {
    !host.is_empty() && !host.contains("://") && !host.contains(['/', ' ', '\t', '\n'])
}

/// Validates the provider block. Unknown values are skipped (they are checked again in
/// [`configure_settings`], where they must be known). Returns the settings when every value that
/// decides residency is known and valid.
pub fn validate_provider_config(config: &Value, diags: &mut Diagnostics) -> Option<ProviderConfig> {
    let before = diags.len();

    // jurisdiction
    let jurisdiction = match config.attr("jurisdiction") {
        Value::String(id) => match catalog().jurisdiction(id) {
            Some(j) => Some(j),
            None => {
                diags.error_at(
                    AttributePath::new("jurisdiction"),
                    "Unknown jurisdiction",
                    format!(
                        "Jurisdiction {id:?} is not in the catalog. Valid ids: {}.",
                        jurisdiction_ids().join(", ")
                    ),
                );
                None
            }
        },
        _ => None,
    };

    // allowed_regions
    let allowed_value = config.attr("allowed_regions");
    let mut allowed_regions = None;
    if let Some(items) = allowed_value.as_list() {
        let mut list = Vec::new();
        for (i, region) in known_strings(allowed_value) {
            let Some(region) = region else { continue };
            if let Some(j) = jurisdiction
                && !j.contains(Cloud::Aws, region)
            {
                let words = catalog()
                    .describe_region(Cloud::Aws, region)
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default();
                diags.error_at(
                    AttributePath::new("allowed_regions").index(i as i64),
                    "Allowed region outside the jurisdiction",
                    format!(
                        "`{region}`{words} is not an AWS region of jurisdiction `{}` ({}). allowed_regions can only \
                         narrow the jurisdiction; its AWS regions are: {}.",
                        j.id,
                        j.name,
                        j.aws_regions.join(", ")
                    ),
                );
            }
            list.push(region.to_string());
        }
        if items.iter().all(Value::is_known) {
            allowed_regions = Some(list);
        }
    }

    // allowed_endpoint_hosts
    let hosts_value = config.attr("allowed_endpoint_hosts");
    let mut allowed_hosts = Vec::new();
    for (i, host) in known_strings(hosts_value) {
        let Some(host) = host else { continue };
        if !is_host_pattern(host) {
            diags.error_at(
                AttributePath::new("allowed_endpoint_hosts").index(i as i64),
                "Invalid endpoint host",
                format!(
                    "{host:?} is not a host name. Write an exact host (`registry.sov.example`, `127.0.0.1`) or a \
                     domain suffix starting with a dot (`.sov.example`), without a scheme or path."
                ),
            );
        }
        allowed_hosts.push(host.to_string());
    }

    // required_tags
    let required_value = config.attr("required_tags");
    let required_tags: Vec<String> = if required_value.is_null() {
        DEFAULT_REQUIRED_TAGS
            .iter()
            .map(|s| s.to_string())
            .collect()
    } else {
        for (i, tag) in known_strings(required_value) {
            if tag.is_some_and(|t| t.trim().is_empty()) {
                diags.error_at(
                    AttributePath::new("required_tags").index(i as i64),
                    "Empty tag key",
                    "required_tags entries must be non-empty tag keys.",
                );
            }
        }
        required_value.as_string_vec().unwrap_or_default()
    };

    let policy = jurisdiction.map(|j| Policy {
        jurisdiction: j.id.clone(),
        allowed_regions: allowed_regions.clone(),
        allowed_endpoint_hosts: allowed_hosts.clone(),
        tags: TagPolicy {
            required: required_tags.clone(),
            allowed_values: BTreeMap::new(),
        },
        ..Policy::default()
    });

    // region
    let mut partition = None;
    if let Value::String(region) = config.attr("region") {
        match catalog().aws_partition_of(region) {
            None => diags.error_at(
                AttributePath::new("region"),
                "Unknown AWS region",
                format!("{region:?} is not an AWS region name (such as eu-central-1)."),
            ),
            Some(p) => partition = Some(p),
        }
        if let Some(policy) = &policy {
            let verdict = policy.scope().check_region(Some(Cloud::Aws), region);
            if !verdict.inside {
                let j = policy.scope().jurisdiction;
                let choices: Vec<String> = match &allowed_regions {
                    Some(allowed) if allowed.iter().any(|r| j.contains(Cloud::Aws, r)) => allowed
                        .iter()
                        .filter(|r| j.contains(Cloud::Aws, r))
                        .cloned()
                        .collect(),
                    _ => j.aws_regions.clone(),
                };
                diags.error_at(
                    AttributePath::new("region"),
                    "Region outside the jurisdiction",
                    format!(
                        "{}. The provider refuses to manage anything there. Use one of: {}.",
                        verdict.reason,
                        choices.join(", ")
                    ),
                );
            }
        }
    }

    // endpoints
    let mut endpoints = Endpoints::default();
    if let Some(block) = config.attr("endpoints").as_list().and_then(|l| l.first()) {
        for service in ENDPOINT_SERVICES {
            let Value::String(url) = block.attr(service) else {
                continue;
            };
            let path = AttributePath::new("endpoints").index(0).attr(service);
            if !check_endpoint_url(url, policy.as_ref(), &path, diags) {
                continue;
            }
            let slot = match service {
                "ec2" => &mut endpoints.ec2,
                "kms" => &mut endpoints.kms,
                "s3" => &mut endpoints.s3,
                _ => &mut endpoints.sts,
            };
            *slot = Some(url.trim().to_string());
        }
    }

    // credentials
    let access_key = config.get_str("access_key").map(str::to_owned);
    let secret_key = config.get_str("secret_key").map(str::to_owned);
    let access_set = !config.attr("access_key").is_null();
    let secret_set = !config.attr("secret_key").is_null();
    if access_set != secret_set {
        let (path, other) = if access_set {
            ("access_key", "secret_key")
        } else {
            ("secret_key", "access_key")
        };
        diags.error_at(
            AttributePath::new(path),
            "Incomplete static credentials",
            format!("{path} is set without {other}: set both, or neither to use profile or the AWS credential chain."),
        );
    }

    let default_tags = config
        .attr("default_tags")
        .as_string_map()
        .unwrap_or_default();

    let new_errors = diags
        .iter()
        .skip(before)
        .any(|d| d.severity == crate::framework::Severity::Error);
    if new_errors {
        return None;
    }
    let (Some(policy), Some(partition), Some(region)) =
        (policy, partition, config.get_str("region"))
    else {
        return None;
    };
    Some(ProviderConfig {
        region: region.to_string(),
        partition: partition.id.clone(),
        dns_suffix: partition.dns_suffix.clone(),
        required_tags,
        default_tags,
        client: ClientSettings {
            region: region.to_string(),
            access_key,
            secret_key,
            profile: config.get_str("profile").map(str::to_owned),
            endpoints,
            s3_use_path_style: config.get_bool("s3_use_path_style").unwrap_or(false),
            max_attempts: crate::aws::max_attempts_from_env(),
        },
        policy,
    })
}

/// Checks one endpoint URL: parseable, http(s), and sovereign under `policy`. Adds an error at
/// `path` and returns false when refused.
fn check_endpoint_url(
    url: &str,
    policy: Option<&Policy>,
    path: &AttributePath,
    diags: &mut Diagnostics,
) -> bool {
    let parsed = match parse_endpoint(url) {
        Ok(p) => p,
        Err(e) => {
            diags.error_at(path.clone(), "Invalid endpoint URL", format!("{e}."));
            return false;
        }
    };
    match parsed.scheme.as_deref() {
        Some("https") | Some("http") => {}
        _ => {
            diags.error_at(
                path.clone(),
                "Invalid endpoint URL",
                format!(
                    "{url:?} must be a URL starting with https:// (or http:// for a loopback host)."
                ),
            );
            return false;
        }
    }
    let Some(policy) = policy else {
        return true;
    };
    let verdict = policy.scope().check_endpoint(url);
    if !verdict.inside {
        diags.error_at(
            path.clone(),
            "Endpoint outside the jurisdiction",
            format!(
                "{}. Use a regional endpoint of a region in jurisdiction `{}`, or list a private host in \
                 allowed_endpoint_hosts.",
                verdict.reason, policy.jurisdiction
            ),
        );
        return false;
    }
    true
}

/// The settings for `ConfigureProvider`: like [`validate_provider_config`], but values that decide
/// residency must be known now.
pub fn configure_settings(config: &Value, diags: &mut Diagnostics) -> Option<ProviderConfig> {
    let mut unknown = Vec::new();
    for name in [
        "jurisdiction",
        "region",
        "allowed_regions",
        "allowed_endpoint_hosts",
        "required_tags",
        "default_tags",
    ] {
        if !config.attr(name).is_wholly_known() {
            unknown.push(name.to_string());
        }
    }
    if !config.attr("endpoints").is_wholly_known() {
        unknown.push("endpoints".to_string());
    }
    for name in &unknown {
        diags.error_at(
            AttributePath::new(name.clone()),
            "Value unknown during plan",
            format!(
                "{name} decides where resources live, so it must be known when Terraform plans. Do not derive it \
                 from resources created in the same run."
            ),
        );
    }
    if !unknown.is_empty() {
        return None;
    }
    validate_provider_config(config, diags)
}
