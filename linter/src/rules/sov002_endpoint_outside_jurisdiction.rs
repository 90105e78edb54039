//! ## What it does
//! Checks the hosts a configuration sends requests or data to:
//!
//! - every entry of a provider's `endpoints {}` block (all services), and provider arguments whose
//!   name contains `endpoint` or ends in `_url` (e.g. Google's `storage_custom_endpoint`);
//! - resource arguments (at any depth, including environment-variable maps) whose name contains
//!   `endpoint` or ends in `_url`, and `url`/`uri` inside a block named for an endpoint or webhook
//!   (Kinesis Firehose `http_endpoint_configuration.url`, the HTTP destination data is delivered
//!   to; Event Grid `webhook_endpoint.url`), when the value is an `http(s)://`, `ws(s)://` or
//!   `grpc(s)://` URL, or — for those and `*endpoint*` arguments — a bare host name such as
//!   `api.partner.example`.
//!
//! A host is sovereign when it is a regional AWS, Azure or Google host of a region inside the
//! jurisdiction (`kms.eu-central-1.amazonaws.com`), listed in `allowed_endpoint_hosts`, or a
//! loopback host (`localhost`, 127.0.0.0/8, `::1`: a sidecar such as `http://localhost:4317`, whose
//! traffic never leaves the machine). Global hosts (`s3.amazonaws.com`, `management.azure.com`,
//! `storage.googleapis.com`) are not, and plain `http://` is allowed only to loopback hosts.
//!
//! Values that are computed by managed resources of a cloud (`aws_sqs_queue.jobs.url`) are not
//! reported: they are that resource's own endpoint, whose region other rules check. Any other value
//! that cannot be resolved statically — a provider endpoint, or a resource's `endpoint`,
//! `*_endpoint` or `*_url` argument from a variable without a value or a data source — is reported
//! as SOV010: it decides where requests go. Backend endpoints are SOV008's.
//! Email addresses, ARNs, `s3://` and `gs://` locations and tag values are not endpoints; nor are
//! the values of resources that send nothing anywhere (`terraform_data`, `time_sleep` triggers,
//! `random_*`, `null_resource`), allow-lists (`allowed_endpoint_hosts`), quantities per endpoint
//! (`max_rate_per_endpoint`), Compute Engine self links
//! (`network_url = "https://www.googleapis.com/compute/v1/projects/…"`, which name a resource) or
//! what a data source returns (only the arguments written
//! in its block are checked).
//!
//! ## Why is this bad?
//! An endpoint outside the jurisdiction sends requests — and the data in them — abroad, whatever the
//! region of the resources; a global endpoint may be served from any country; plain http exposes the
//! traffic to anyone on the path.
//!
//! ## Example
//! ```hcl
//! provider "aws" {
//!   region = "eu-central-1"
//!   endpoints {
//!     sts = "https://sts.amazonaws.com"
//!   }
//! }
//!
//! resource "aws_sns_topic_subscription" "alerts" {
//!   topic_arn = aws_sns_topic.alerts.arn
//!   protocol  = "https"
//!   endpoint  = "http://hooks.example.com/alerts"
//! }
//! ```
//!
//! ## Use instead
//! ```hcl
//! provider "aws" {
//!   region = "eu-central-1"
//!   endpoints {
//!     sts = "https://sts.eu-central-1.amazonaws.com"
//!   }
//! }
//!
//! resource "aws_sns_topic_subscription" "alerts" {
//!   topic_arn = aws_sns_topic.alerts.arn
//!   protocol  = "https"
//!   endpoint  = "https://alerts.sov.example/hook"
//! }
//! ```
//!
//! ## Options
//! - `jurisdiction`, `allowed_regions`: which regional hosts are inside.
//! - `allowed_endpoint_hosts`: further hosts (exact, or `.suffix` for a domain) that are sovereign.
//! - `unresolved`: severity of SOV010 for a provider endpoint that cannot be resolved.
use super::support::{Subject, display_path, finding, last_key, loc, unresolved, walk_values};
use super::{Rule, RuleContext, RuleInfo, docs};
use crate::finding::{Finding, Severity};
use crate::model::{Location, ResourceInstance, ResourceMode, Tracked, Value};

pub(crate) static INFO: RuleInfo = RuleInfo {
    id: "SOV002",
    name: "endpoint-outside-jurisdiction",
    summary: "a provider `endpoints {}` entry or an `*endpoint*`/`*_url` argument points at a non-sovereign host, or plain http to a non-loopback host",
    docs: docs::SOV002,
    default_severity: Severity::Error,
};

pub(crate) struct EndpointOutsideJurisdiction;

const URL_SCHEMES: &[&str] = &["http", "https", "ws", "wss", "grpc", "grpcs"];

impl Rule for EndpointOutsideJurisdiction {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
        for provider in &cx.model.providers {
            let subject = Subject::provider(provider);
            for (name, t) in &provider.attributes {
                if super::support::is_tag_map(name) {
                    continue;
                }
                let in_endpoints = name == "endpoints";
                walk_values(
                    t,
                    &mut super::support::attr_path(name),
                    &mut |path, value| {
                        let key = last_key(path);
                        if !(in_endpoints && path.len() > 1 || is_endpoint_key(key)) {
                            return;
                        }
                        match &value.value {
                            Value::String(s) if !s.is_empty() => {
                                check_host(cx, out, subject, path, value, s, &provider.location)
                            }
                            Value::Unknown(_) => unresolved(
                                cx,
                                out,
                                subject,
                                &format!("provider endpoint `{}`", display_path(path)),
                                value,
                            ),
                            _ => {}
                        }
                    },
                );
            }
        }
        for resource in &cx.model.resources {
            if !cx.may_hold(resource, super::support::features::ENDPOINT_KEY)
                || is_local_only(&resource.resource_type)
            {
                continue;
            }
            let subject = Subject::resource(resource);
            let data_source = resource.mode == ResourceMode::Data;
            for (name, t) in &resource.attributes {
                if super::support::is_tag_map(name) {
                    continue;
                }
                // A pull-through cache rule's upstream is a registry images come from: SOV009's.
                if resource.resource_type == "aws_ecr_pull_through_cache_rule"
                    && name == "upstream_registry_url"
                {
                    continue;
                }
                if !super::support::any_key(name, t, &is_endpoint_key) {
                    continue;
                }
                walk_values(
                    t,
                    &mut super::support::attr_path(name),
                    &mut |path, value| {
                        let key = last_key(path);
                        let nested_url = is_url_in_endpoint_block(path);
                        if !(is_endpoint_key(key) || nested_url) {
                            return;
                        }
                        // A data source's read results (in a plan: everything it returned, such as
                        // `sovereign_jurisdiction.endpoint_suffixes`) are not requests the configuration
                        // makes; only the arguments written in its block are.
                        if data_source && value.location.is_none() {
                            return;
                        }
                        if let Value::Unknown(_) = &value.value {
                            if (decides_when_unknown(path) || nested_url)
                                && !refers_to_managed_cloud_resource(cx, resource, value)
                            {
                                unresolved(
                                    cx,
                                    out,
                                    subject,
                                    &format!("`{}`", display_path(path)),
                                    value,
                                );
                            }
                            return;
                        }
                        let Some(s) = value.as_str() else { return };
                        let lower = key.to_ascii_lowercase();
                        let is_url = s.split_once("://").is_some_and(|(scheme, _)| {
                            URL_SCHEMES.contains(&scheme.to_ascii_lowercase().as_str())
                        });
                        if is_google_self_link(s) {
                            return;
                        }
                        if is_url
                            || ((lower.contains("endpoint") || nested_url) && looks_like_host(s))
                        {
                            check_host(cx, out, subject, path, value, s, &resource.location);
                        }
                    },
                );
            }
        }
    }
}

/// Resources of providers that only compute or store values in the state and send nothing
/// anywhere: an `endpoint` key in `time_sleep.triggers` or `terraform_data.input` (terraform-aws-eks
/// waits on `triggers = { cluster_endpoint = … }`) is a copy of a value, not a request.
fn is_local_only(resource_type: &str) -> bool {
    resource_type == "terraform_data"
        || ["time_", "random_", "null_", "tls_", "local_", "archive_"]
            .iter()
            .any(|prefix| resource_type.starts_with(prefix))
}

pub(crate) fn is_endpoint_key(key: &str) -> bool {
    // Attribute names are lower case; anything else is compared as written, case-folded.
    if key.bytes().any(|b| b.is_ascii_uppercase()) {
        return is_endpoint_key(&key.to_ascii_lowercase());
    }
    if key.len() < 4 || !(key.ends_with("_url") || key.contains("endpoint")) {
        return false;
    }
    // Allow-lists such as the sovereign provider's `allowed_endpoint_hosts` name hosts a policy
    // accepts; they send nothing anywhere.
    !(key.starts_with("allowed_") || key.contains("_allowed_"))
}

/// `url` or `uri` in a block named for an endpoint or webhook: Kinesis Firehose
/// `http_endpoint_configuration.url` (the HTTP destination data is delivered to), Event Grid
/// `webhook_endpoint.url`.
fn is_url_in_endpoint_block(path: &[super::support::Seg<'_>]) -> bool {
    let Some((key, parent)) = path.split_last() else {
        return false;
    };
    if !matches!(key.as_ref(), "url" | "uri") {
        return false;
    }
    let block = last_key(parent).to_ascii_lowercase();
    block.contains("endpoint") || block.contains("webhook")
}

/// Whether an unknown value of this endpoint-like key is a host or URL (`endpoint`, `*_endpoint`,
/// `*_url`, environment variables such as `OTEL_EXPORTER_OTLP_ENDPOINT`), rather than an id, type or
/// block that merely has `endpoint` in its name (`vpc_endpoint_id`, `endpoint_type`), a quantity
/// (`max_rate_per_endpoint`), or a switch: `enable_http_endpoint` (Aurora Data API), Google's
/// `enable_private_endpoint`, and the instance metadata service's `metadata_options.http_endpoint`
/// (`"enabled"`/`"disabled"` on instances and launch templates).
fn decides_when_unknown(path: &[super::support::Seg<'_>]) -> bool {
    // The key is the last name in the path (list indexes skipped), its block the name before it.
    let Some(at) = path
        .iter()
        .rposition(|p| !p.bytes().all(|c| c.is_ascii_digit()))
    else {
        return false;
    };
    let lower = path[at].to_ascii_lowercase();
    let parent = &path[..at];
    let switch = ["enable_", "disable_", "use_"]
        .iter()
        .any(|prefix| lower.starts_with(prefix))
        || (lower == "http_endpoint" && last_key(parent).ends_with("metadata_options"));
    // `max_rate_per_endpoint`, `max_connections_per_endpoint`: numbers, not places.
    !switch
        && (lower.ends_with("_url") || lower.ends_with("endpoint"))
        && !lower.ends_with("_per_endpoint")
}

/// A Google Compute Engine resource's self link
/// (`https://www.googleapis.com/compute/v1/projects/p/global/networks/n`, as in a DNS zone's
/// `networks.network_url`): it names a resource, it is not a host requests or data are sent to.
fn is_google_self_link(s: &str) -> bool {
    let Some(rest) = s
        .strip_prefix("https://www.googleapis.com/compute/")
        .or_else(|| s.strip_prefix("https://compute.googleapis.com/compute/"))
    else {
        return false;
    };
    ["v1/projects/", "beta/projects/", "alpha/projects/"]
        .iter()
        .any(|p| rest.starts_with(p))
}

/// Whether a value comes from a managed resource of a cloud (`aws_sqs_queue.jobs.url`): that
/// resource's own endpoint, in the region other rules check.
fn refers_to_managed_cloud_resource(
    cx: &RuleContext<'_>,
    resource: &ResourceInstance,
    t: &Tracked,
) -> bool {
    super::support::referenced_resources(cx, resource, t)
        .iter()
        .any(|(r, _)| r.mode == ResourceMode::Managed && super::support::cloud_of(r).is_some())
}

/// `api.partner.example` or `10.0.0.5:8443`: a host with a dot and nothing that is not a host character.
fn looks_like_host(s: &str) -> bool {
    let host = s.split(':').next().unwrap_or(s);
    !s.starts_with("arn:")
        && host.contains('.')
        && host.split('.').count() >= 3
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && !host.starts_with('.')
}

fn check_host(
    cx: &RuleContext<'_>,
    out: &mut Vec<Finding>,
    subject: Subject<'_>,
    path: &[super::support::Seg<'_>],
    value: &Tracked,
    url: &str,
    fallback: &Location,
) {
    let verdict = cx.scope.check_endpoint(url);
    if verdict.inside {
        return;
    }
    let help = if url.trim_start().to_ascii_lowercase().starts_with("http://") {
        "use https; plain http is allowed only to loopback hosts".to_string()
    } else {
        format!(
            "use a regional endpoint of jurisdiction `{}` (e.g. https://SERVICE.REGION.amazonaws.com with a region \
             inside), or add the host to allowed_endpoint_hosts in sovereign.toml if it is operated inside",
            cx.scope.jurisdiction.id
        )
    };
    out.push(finding(
        INFO.id,
        subject,
        loc(value, fallback),
        format!(
            "`{}` of {}: {}",
            display_path(path),
            subject.address,
            verdict.reason
        ),
        Some(value),
        help,
    ));
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::rules::test_support::{ModelBuilder, lint};

    #[test]
    fn provider_endpoints_and_resource_urls() {
        let model = ModelBuilder::new()
            .provider(
                "aws",
                json!({"region": "eu-central-1", "endpoints": [{"sts": "https://sts.amazonaws.com", "kms": "https://kms.eu-central-1.amazonaws.com", "s3": "?var.s3_endpoint has no value"}]}),
            )
            .resource("aws_sns_topic_subscription", "hook", json!({"protocol": "https", "endpoint": "http://hooks.example.com/a"}))
            .resource("aws_sns_topic_subscription", "mail", json!({"protocol": "email", "endpoint": "ops@example.com"}))
            .resource("aws_vpc_endpoint", "s3", json!({"vpc_endpoint_type": "Gateway", "service_name": "com.amazonaws.eu-central-1.s3"}))
            .resource("aws_sqs_queue", "q", json!({"name": "q"}))
            .resource("aws_lambda_function", "f", json!({"environment": [{"variables": {"QUEUE_URL": "?aws_sqs_queue.q.url", "API_URL": "https://api.partner.example/v1"}}]}))
            .resource("aws_s3_bucket", "b", json!({"tags": {"docs_url": "https://wiki.example"}}))
            .build();
        let got = lint(&model, "", &["SOV002", "SOV010"]);
        assert_eq!(got.len(), 4, "{got:#?}");
        assert!(
            got.iter()
                .any(|l| l.contains("endpoints[0].sts") && l.contains("global endpoint")),
            "{got:#?}"
        );
        assert!(
            got.iter()
                .any(|l| l.contains("SOV010") && l.contains("var.s3_endpoint")),
            "{got:#?}"
        );
        assert!(got.iter().any(|l| l.contains("plain http")), "{got:#?}");
        assert!(got.iter().any(|l| l.contains("API_URL")), "{got:#?}");
    }

    #[test]
    fn unknown_resource_endpoints_fail_closed() {
        let model = ModelBuilder::new()
            .resource("aws_sns_topic_subscription", "hook", json!({"protocol": "https", "endpoint": "?var.hook has no value"}))
            .resource("aws_lambda_function", "f", json!({"environment": [{"variables": {"OTEL_EXPORTER_OTLP_ENDPOINT": "?data.aws_ssm_parameter.otel.value (known after apply)"}}]}))
            .resource("aws_vpc_endpoint_route_table_association", "a", json!({"vpc_endpoint_id": "?var.vpce has no value"}))
            .build();
        let got = lint(&model, "", &["SOV002", "SOV010"]);
        assert_eq!(got.len(), 2, "{got:#?}");
        assert!(got.iter().all(|l| l.contains("SOV010")), "{got:#?}");
        assert!(
            got.iter()
                .any(|l| l.contains("`endpoint` of aws_sns_topic_subscription.hook")),
            "{got:#?}"
        );
        assert!(
            got.iter()
                .any(|l| l.contains("OTEL_EXPORTER_OTLP_ENDPOINT")),
            "{got:#?}"
        );
    }

    #[test]
    fn urls_inside_endpoint_blocks() {
        let model = ModelBuilder::new()
            .resource("aws_kinesis_firehose_delivery_stream", "saas", json!({"destination": "http_endpoint", "http_endpoint_configuration": [{"name": "vendor", "url": "https://aws-api.vendor.example.com/v1"}]}))
            .resource("aws_kinesis_firehose_delivery_stream", "unknown", json!({"destination": "http_endpoint", "http_endpoint_configuration": [{"url": "?var.endpoint_url has no value"}]}))
            .resource("azurerm_eventgrid_event_subscription", "hook", json!({"webhook_endpoint": [{"url": "https://hooks.sov.example/events"}]}))
            .resource("aws_iam_openid_connect_provider", "ci", json!({"url": "https://token.actions.githubusercontent.com"}))
            .build();
        let got = lint(
            &model,
            "allowed_endpoint_hosts = [\".sov.example\"]",
            &["SOV002", "SOV010"],
        );
        assert_eq!(got.len(), 2, "{got:#?}");
        assert!(got[0].contains("SOV002 `http_endpoint_configuration[0].url` of aws_kinesis_firehose_delivery_stream.saas"), "{got:#?}");
        assert!(got[1].contains("SOV010 `http_endpoint_configuration[0].url` of aws_kinesis_firehose_delivery_stream.unknown"), "{got:#?}");
    }

    #[test]
    fn allow_lists_are_not_endpoints() {
        let model = ModelBuilder::new()
            .provider(
                "sovereign",
                json!({"region": "eu-central-1", "jurisdiction": "eu", "allowed_endpoint_hosts": ["127.0.0.1", "moto.internal.example"]}),
            )
            .build();
        let got = lint(&model, "", &["SOV002", "SOV010"]);
        assert!(got.is_empty(), "{got:#?}");
    }

    #[test]
    fn allowed_hosts_pass() {
        let model = ModelBuilder::new()
            .provider(
                "aws",
                json!({"region": "eu-central-1", "endpoints": [{"s3": "https://s3.sov.example"}]}),
            )
            .build();
        assert!(
            lint(
                &model,
                "allowed_endpoint_hosts = [\".sov.example\"]",
                &["SOV002"]
            )
            .is_empty()
        );
        assert_eq!(lint(&model, "", &["SOV002"]).len(), 1);
    }
}
