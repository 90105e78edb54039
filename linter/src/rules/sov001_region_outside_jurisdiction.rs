//! ## What it does
//! Checks every region a configuration names against the policy's jurisdiction (and its
//! `allowed_regions`):
//!
//! - provider blocks: `region` of `aws` and `sovereign`, `sts_region` of `aws` (where STS requests
//!   go), `region`/`zone` of `google`;
//! - resources and data sources that set their own `region` (AWS provider v6, Google), `location`
//!   (Azure, Google — Azure display names such as `"West Europe"` or `"Germany West Central"` are
//!   normalised), `zone`, `availability_zone`, `availability_zones`, `preferred_availability_zones`,
//!   `node_locations` and AWS `availability_zone_id` (zones are checked by the region they lie in;
//!   AWS zone ids such as `euc1-az2` by the catalog's zone id prefixes — a zone id whose prefix
//!   the catalog does not know is SOV010);
//! - arguments of particular types: EFS `availability_zone_name`, ElastiCache replication group
//!   `preferred_cache_cluster_azs`, S3 directory bucket
//!   `location.name`, Bigtable `cluster.zone`, Cloud SQL `settings.location_preference.zone` and
//!   `secondary_zone` and `settings.backup_configuration.location`, Pub/Sub
//!   `message_storage_policy.allowed_persistence_regions`, Memorystore `location_id` and
//!   `alternative_location_id`, Firestore `location_id`, regional disk `replica_zones`, regional
//!   instance group `distribution_policy_zones`, and Cloud Storage
//!   `custom_placement_config.data_locations` (a configurable dual-region is decided by its data
//!   locations, not by its multi-region `location`);
//! - Azure OpenAI deployments (`azurerm_cognitive_deployment` `sku.name`): a `Global*` type
//!   processes data in any Azure region worldwide and is outside every jurisdiction; a `DataZone*`
//!   type anywhere in its data zone, inside only a jurisdiction that holds every EU member state's
//!   regions (`eu`, `eudb`, without `allowed_regions`);
//! - Amazon Bedrock agents' `foundation_model`: a `global.` cross-Region inference profile routes
//!   anywhere and is reported; a geography's profile (`eu.`, `us.`, …) is reported when none of its
//!   destination Regions can be inside, and is SOV010 otherwise (its destinations vary by model and
//!   can change);
//! - a `google_compute_instance` without `zone` or a `google_sql_database_instance` without
//!   `region` whose provider sets none either takes it from the environment: SOV010;
//! - arguments whose absence means a default place: a `google_bigquery_dataset` without `location`
//!   is created in the `US` multi-region; a `google_pubsub_topic` without `message_storage_policy`
//!   stores messages in the region nearest each publisher, anywhere (SOV010: only an organisation
//!   policy the configuration does not show could keep them inside);
//! - ARNs in any string argument (`arn:aws:kms:us-east-1:…`), including their partition; wildcard
//!   regions in IAM policies (`arn:aws:logs:*:…`) name no region and are not reported.
//!
//! Google multi-regions and dual-regions (`EU`, `US`, `EUR4`, `NAM4`, in any case) are inside a
//! jurisdiction only when every region they store in is: `EU` and `EUR4` are inside `eu` and `eudb`
//! but not `de` (they span several member states); `US`, `NAM4` and `EUR5` (London) are inside no
//! European jurisdiction. Azure zones (`"1"`, `"2"`) name no region: for Azure only `location` is
//! checked. Google and Azure `global` locations lie in no jurisdiction and are reported, and so is
//! any name the catalog does not know — except on global configuration objects, where `global` is
//! the scope they apply in and stores no data: Azure private and public DNS zones, Traffic
//! Manager profiles, diagnostic settings and metric alerts created with `azapi` (their azurerm resources take no location), and Google
//! objects such as GKE fleet features and memberships, workforce pools, log scopes, Security Command
//! Center mute configurations and custom modules, PAM entitlements, network security address,
//! mirroring and intercept groups, and Dataplex aspect and entry types.
//!
//! Google IAM members, bindings and policies are not checked: their `region` or `location` names
//! where the resource they grant access on is, which is checked on that resource.
//!
//! A data source's region, location or zone that cannot be resolved statically is not SOV010: a
//! data source only reads (zones, versions, an existing subnetwork), and what it returns is
//! checked where a resource uses it.
//!
//! A resource that only inherits its provider's region is not reported again: the provider block is
//! the finding (one root cause, one finding); nor is a value taken from another managed resource's
//! place (`location = azurerm_resource_group.main.location`), which is checked there. Backend regions
//! are SOV008's, replication targets SOV004's. A region that cannot be resolved statically — a
//! variable without a value, a data source, a function sovereign-lint does not evaluate, an empty
//! string or a value of the wrong type — is reported as SOV010; an AWS provider without `region`
//! takes it from the environment at run time and is reported as SOV010 too. Unknown AWS
//! availability zones are not: AWS only accepts zones of the region the request is sent to; nor
//! are unknown GKE `node_locations`, which must lie in the cluster's region.
//!
//! ## Why is this bad?
//! Data and workloads in a region outside the jurisdiction are subject to that country's law and
//! operators; for regulated data (health, finance, public sector) that is a compliance breach.
//!
//! ## Example
//! ```hcl
//! provider "aws" {
//!   region = "us-east-1"
//! }
//!
//! resource "aws_ebs_volume" "scratch" {
//!   availability_zone = "us-west-2a"
//!   size              = 100
//! }
//! ```
//!
//! ## Use instead
//! ```hcl
//! provider "aws" {
//!   region = "eu-central-1"
//! }
//!
//! resource "aws_ebs_volume" "scratch" {
//!   availability_zone = "eu-central-1a"
//!   size              = 100
//! }
//! ```
//!
//! ## Options
//! - `jurisdiction`: the catalog jurisdiction regions must belong to.
//! - `allowed_regions`: narrows the jurisdiction to these regions.
//! - `unresolved`: severity of the SOV010 finding for a region that cannot be resolved.
use sovereign_schemas::Cloud;
use sovereign_schemas::region::{aws_zone_id_prefix, region_of_zone};

use super::sov004_cross_border_replication::is_replication_path;
use super::support::{
    Subject, check_region_or_zone, cloud_of, display_path, finding, loc, residency_string,
    unresolved, unresolved_with_help, walk_strings,
};
use super::{Rule, RuleContext, RuleInfo, docs};
use crate::finding::{Finding, Severity};
use crate::model::{ResourceInstance, Tracked, Value};

pub(crate) static INFO: RuleInfo = RuleInfo {
    id: "SOV001",
    name: "region-outside-jurisdiction",
    summary: "a provider block, a resource region/location/zone/availability zone, or an ARN names a region outside the jurisdiction",
    docs: docs::SOV001,
    default_severity: Severity::Error,
};

pub(crate) struct RegionOutsideJurisdiction;

/// A resource argument naming a region or zone.
struct RegionAttr {
    name: &'static str,
    what: &'static str,
    /// Whether an unknown (or empty, or mistyped) value decides residency: AWS only accepts zones
    /// of the region a request is sent to, so an unknown AWS zone cannot move data abroad.
    unknown_decides: bool,
    /// A list of names (`availability_zones`); otherwise one name.
    list: bool,
}

const fn attr(
    name: &'static str,
    what: &'static str,
    unknown_decides: bool,
    list: bool,
) -> RegionAttr {
    RegionAttr {
        name,
        what,
        unknown_decides,
        list,
    }
}

/// Resource arguments naming a region or zone, read on every resource of a cloud.
const REGION_ATTRS: &[RegionAttr] = &[
    attr("region", "`region`", true, false),
    attr("location", "`location`", true, false),
    attr("zone", "`zone`", true, false),
    attr("availability_zone", "`availability_zone`", false, false),
    attr("availability_zones", "`availability_zones`", false, true),
    attr(
        "preferred_availability_zones",
        "`preferred_availability_zones`",
        false,
        true,
    ),
    // GKE: "nodes must be in the region of their regional cluster or in the same region as their
    // cluster's zone" (google docs): zones not known yet cannot leave the cluster's region, which
    // `location` decides.
    attr("node_locations", "`node_locations`", false, true),
    // AWS zone ids (`euc1-az2`): aws_subnet, aws_ec2_subnet_cidr_reservation's subnets, …
    attr(
        "availability_zone_id",
        "`availability_zone_id`",
        false,
        false,
    ),
];

/// An argument of a particular resource type naming regions or zones, inside blocks or under a
/// name other resources use for other things. Checked against the provider documentation
/// (`arguments.toml`).
struct TypedAttr {
    resource_type: &'static str,
    argument: &'static str,
    /// The path inside the argument's blocks (empty: the argument itself).
    path: &'static [&'static str],
    what: &'static str,
    unknown_decides: bool,
    list: bool,
}

const fn typed(
    resource_type: &'static str,
    argument: &'static str,
    path: &'static [&'static str],
    what: &'static str,
    unknown_decides: bool,
    list: bool,
) -> TypedAttr {
    TypedAttr {
        resource_type,
        argument,
        path,
        what,
        unknown_decides,
        list,
    }
}

const TYPED_ATTRS: &[TypedAttr] = &[
    // One Zone EFS: the zone's name.
    typed(
        "aws_efs_file_system",
        "availability_zone_name",
        &[],
        "`availability_zone_name`",
        false,
        false,
    ),
    // ElastiCache replication groups name their cache clusters' zones under a name of their own.
    typed(
        "aws_elasticache_replication_group",
        "preferred_cache_cluster_azs",
        &[],
        "`preferred_cache_cluster_azs`",
        false,
        true,
    ),
    // S3 Express directory buckets: `location { name = "euc1-az2" }`, a zone id or Local Zone id.
    typed(
        "aws_s3_directory_bucket",
        "location",
        &["name"],
        "`location.name`",
        false,
        false,
    ),
    typed(
        "google_bigtable_instance",
        "cluster",
        &["zone"],
        "`cluster.zone`",
        true,
        false,
    ),
    typed(
        "google_compute_region_disk",
        "replica_zones",
        &[],
        "`replica_zones`",
        true,
        true,
    ),
    typed(
        "google_compute_region_instance_group_manager",
        "distribution_policy_zones",
        &[],
        "`distribution_policy_zones`",
        true,
        true,
    ),
    typed(
        "google_firestore_database",
        "location_id",
        &[],
        "`location_id`",
        true,
        false,
    ),
    typed(
        "google_pubsub_topic",
        "message_storage_policy",
        &["allowed_persistence_regions"],
        "`message_storage_policy.allowed_persistence_regions`",
        true,
        true,
    ),
    typed(
        "google_redis_instance",
        "location_id",
        &[],
        "`location_id`",
        true,
        false,
    ),
    typed(
        "google_redis_instance",
        "alternative_location_id",
        &[],
        "`alternative_location_id`",
        true,
        false,
    ),
    typed(
        "google_sql_database_instance",
        "settings",
        &["location_preference", "zone"],
        "`settings.location_preference.zone`",
        true,
        false,
    ),
    typed(
        "google_sql_database_instance",
        "settings",
        &["location_preference", "secondary_zone"],
        "`settings.location_preference.secondary_zone`",
        true,
        false,
    ),
    typed(
        "google_sql_database_instance",
        "settings",
        &["backup_configuration", "location"],
        "`settings.backup_configuration.location`",
        true,
        false,
    ),
    // A configurable dual-region stores in its data locations, whatever its multi-region `location`.
    typed(
        "google_storage_bucket",
        "custom_placement_config",
        &["data_locations"],
        "`custom_placement_config.data_locations`",
        true,
        true,
    ),
];

impl Rule for RegionOutsideJurisdiction {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
        for provider in &cx.model.providers {
            let subject = Subject::provider(provider);
            let Some(cloud) = Cloud::from_provider(&provider.provider_type) else {
                continue;
            };
            match cloud {
                Cloud::Aws => {
                    // STS requests (credentials, assumed roles) go to `sts_region` when it is set.
                    if let Some(t) = provider.attr("sts_region").filter(|t| !t.is_null()) {
                        check_value(cx, out, subject, cloud, "provider `sts_region`", t, true);
                    }
                    aws_provider_region(cx, out, provider, subject, cloud);
                }
                Cloud::Google => {
                    for attr in ["region", "zone"] {
                        if let Some(t) = provider.attr(attr).filter(|t| !t.is_null()) {
                            check_value(
                                cx,
                                out,
                                subject,
                                cloud,
                                &format!("provider `{attr}`"),
                                t,
                                true,
                            );
                        }
                    }
                }
                Cloud::Azure => {}
            }
            for (name, t) in &provider.attributes {
                check_arns(cx, out, subject, "", name, t, &provider.location);
            }
        }
        for resource in &cx.model.resources {
            check_resource(cx, out, resource);
        }
    }
}

/// Arguments whose absence places data in a default location outside the provider's region:
/// (type, argument, the provider's default, what). A BigQuery dataset without `location` is
/// created in the `US` multi-region (hashicorp/google docs, `google_bigquery_dataset`).
const DEFAULT_PLACES: &[(&str, &str, &str, &str)] = &[(
    "google_bigquery_dataset",
    "location",
    "US",
    "`location` (not set: the provider's default is \"US\")",
)];

/// An AWS provider's `region`; without one it comes from the environment at run time.
fn aws_provider_region(
    cx: &RuleContext<'_>,
    out: &mut Vec<Finding>,
    provider: &crate::model::ProviderConfig,
    subject: Subject<'_>,
    cloud: Cloud,
) {
    match provider.attr("region") {
        Some(t) if !t.is_null() => {
            check_value(cx, out, subject, cloud, "provider `region`", t, true)
        }
        _ => {
            let t = Tracked::unknown(
                "no `region` argument: taken from AWS_REGION or the AWS profile at run time",
                Some(provider.location.clone()),
            );
            unresolved(cx, out, subject, "the provider `region`", &t);
        }
    }
}

/// Google resources whose place, when not set, is the provider's (hashicorp/google docs say so for
/// these): without either it comes from the environment. (type, argument, where it comes from.)
const GOOGLE_PROVIDER_PLACES: &[(&str, &str, &str)] = &[
    (
        "google_compute_instance",
        "zone",
        "GOOGLE_ZONE or the gcloud configuration",
    ),
    (
        "google_sql_database_instance",
        "region",
        "GOOGLE_REGION or the gcloud configuration",
    ),
];

/// Configuration objects whose `location = "global"` is the scope they apply in, not a place that
/// stores data: Google resources whose documentation gives `global` as their only or default
/// location, and Azure resource types (for `azapi`, by ARM type) that exist only globally. The
/// azurerm resources for the Azure ones (`azurerm_private_dns_zone`, …) take no location at all.
const GLOBAL_SCOPE_GOOGLE: &[&str] = &[
    // Metadata schemas (not the entries that describe data).
    "google_dataplex_aspect_type",
    "google_dataplex_entry_type",
    "google_gke_hub_feature",
    "google_gke_hub_feature_membership",
    "google_gke_hub_membership",
    "google_iam_workforce_pool",
    "google_iam_workforce_pool_provider",
    "google_logging_log_scope",
    "google_network_connectivity_spoke",
    "google_network_security_address_group",
    "google_network_security_intercept_deployment_group",
    "google_network_security_intercept_endpoint_group",
    "google_network_security_mirroring_deployment_group",
    "google_network_security_mirroring_endpoint_group",
    "google_network_security_security_profile",
    "google_network_security_security_profile_group",
    "google_privileged_access_manager_entitlement",
    "google_scc_management_folder_security_health_analytics_custom_module",
    "google_scc_management_organization_security_health_analytics_custom_module",
    "google_scc_management_project_security_health_analytics_custom_module",
    "google_scc_v2_folder_mute_config",
    "google_scc_v2_organization_mute_config",
    "google_scc_v2_project_mute_config",
    "google_vmwareengine_network",
];

/// ARM resource types (and their child types) whose only location is `global`.
const GLOBAL_SCOPE_ARM: &[&str] = &[
    "microsoft.network/privatednszones",
    "microsoft.network/dnszones",
    "microsoft.network/trafficmanagerprofiles",
    // Routing configuration (azurerm_monitor_diagnostic_setting takes no location); at
    // management-group scope ARM requires `global`. Where the logs go is their destination's place.
    "microsoft.insights/diagnosticsettings",
    // azurerm_monitor_metric_alert takes no location (the provider always sends `global`).
    "microsoft.insights/metricalerts",
];

/// Whether `location = "global"` on this resource is a global configuration object's scope.
fn global_scope(resource: &ResourceInstance, t: &Tracked) -> bool {
    if !t.as_str().is_some_and(|l| l.eq_ignore_ascii_case("global")) {
        return false;
    }
    let resource_type = resource.resource_type.as_str();
    if GLOBAL_SCOPE_GOOGLE.contains(&resource_type) {
        return true;
    }
    // azapi: `type = "Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01"`.
    resource_type.starts_with("azapi_")
        && resource
            .attr("type")
            .and_then(Tracked::as_str)
            .is_some_and(|arm| {
                let arm = arm.split('@').next().unwrap_or(arm).to_ascii_lowercase();
                GLOBAL_SCOPE_ARM.iter().any(|g| {
                    arm.strip_prefix(g)
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
                })
            })
}

/// Google IAM members, bindings and policies (`google_compute_subnetwork_iam_member`,
/// `google_cloud_run_v2_service_iam_binding`, …): their `region`/`location` names where the
/// resource they grant access on is — checked on that resource when it is managed here — and they
/// place nothing themselves.
fn iam_grant(resource: &ResourceInstance) -> bool {
    let t = resource.resource_type.as_str();
    t.starts_with("google_")
        && ["_iam_member", "_iam_binding", "_iam_policy"]
            .iter()
            .any(|suffix| t.ends_with(suffix))
}

/// Position of a region-naming argument in [`REGION_ATTRS`].
fn region_attr(name: &str) -> Option<usize> {
    REGION_ATTRS.iter().position(|a| a.name == name)
}

/// Arguments that name where a resource lies, when a value refers to another resource's: that
/// resource is checked itself (`location = azurerm_resource_group.main.location`).
fn names_a_place(attribute: &str) -> bool {
    region_attr(attribute).is_some()
}

fn check_resource(cx: &RuleContext<'_>, out: &mut Vec<Finding>, resource: &ResourceInstance) {
    let subject = Subject::resource(resource);
    if let Some(cloud) = cloud_of(resource) {
        // A data source only reads (zones, versions, an existing subnetwork): a place of it not
        // known statically decides nothing; what it returns is checked where a resource uses it.
        let decides_residency = resource.mode == crate::model::ResourceMode::Managed;
        // One pass over the arguments finds those that name regions (checked in table order).
        let mut present: [Option<&Tracked>; REGION_ATTRS.len()] = [None; REGION_ATTRS.len()];
        for (name, t) in &resource.attributes {
            if let Some(slot) = region_attr(name).and_then(|i| present.get_mut(i)) {
                *slot = Some(t);
            }
        }
        // A configurable dual-region is decided by its data locations (an empty list decides
        // nothing: then `location` does).
        let data_locations_decide = resource.resource_type == "google_storage_bucket"
            && resource.attr("custom_placement_config").is_some_and(|t| {
                let mut values = Vec::new();
                nested_values(t, &["data_locations"], &mut values);
                !values.is_empty()
                    && values.iter().all(|v| match &v.value {
                        Value::List(items) => !items.is_empty(),
                        _ => true,
                    })
            });
        for (a, t) in REGION_ATTRS.iter().zip(present) {
            // `location` is a region only for Azure and Google; AWS uses it for other things
            // (Direct Connect locations, directory bucket blocks). Azure zones are "1", "2", "3":
            // only `location` counts.
            if (a.name == "location" && (cloud == Cloud::Aws || data_locations_decide))
                || (cloud == Cloud::Azure && a.name != "location")
                || (cloud != Cloud::Aws && a.name == "availability_zone_id")
            {
                continue;
            }
            let Some(t) = t.filter(|t| !t.is_null()) else {
                continue;
            };
            if (a.name == "location" && global_scope(resource, t)) || iam_grant(resource) {
                continue;
            }
            check_place(
                cx,
                out,
                resource,
                cloud,
                a.what,
                t,
                a.unknown_decides && decides_residency,
                a.list,
            );
        }
        for a in TYPED_ATTRS {
            if resource.resource_type != a.resource_type {
                continue;
            }
            let Some(t) = resource.attr(a.argument).filter(|t| !t.is_null()) else {
                continue;
            };
            let mut values = Vec::new();
            nested_values(t, a.path, &mut values);
            for v in values {
                check_place(
                    cx,
                    out,
                    resource,
                    cloud,
                    a.what,
                    v,
                    a.unknown_decides && decides_residency,
                    a.list,
                );
            }
        }
        for (resource_type, argument, default, what) in DEFAULT_PLACES {
            if resource.resource_type == *resource_type
                && resource.mode == crate::model::ResourceMode::Managed
                && resource.attr(argument).is_none_or(Tracked::is_null)
            {
                let t = Tracked::new(Value::String((*default).into()), None);
                check_value(cx, out, subject, cloud, what, &t, true);
            }
        }
        for (resource_type, argument, environment) in GOOGLE_PROVIDER_PLACES {
            if resource.resource_type == *resource_type
                && resource.mode == crate::model::ResourceMode::Managed
                && resource.attr(argument).is_none_or(Tracked::is_null)
                && cx
                    .model
                    .provider_of(resource)
                    .and_then(|p| p.attr(argument))
                    .is_none_or(Tracked::is_null)
            {
                let t = Tracked::unknown(
                    format!(
                        "neither the resource nor its provider sets `{argument}`: taken from {environment} at run time"
                    ),
                    Some(resource.location.clone()),
                );
                unresolved(cx, out, subject, &format!("`{argument}`"), &t);
            }
        }
        if resource.resource_type == "google_pubsub_topic"
            && resource.mode == crate::model::ResourceMode::Managed
        {
            pubsub_storage_unconstrained(cx, out, resource);
        }
        if resource.resource_type == "azurerm_cognitive_deployment" {
            cognitive_deployment(cx, out, resource);
        }
        if resource.resource_type == "aws_bedrockagent_agent" {
            bedrock_model(cx, out, resource);
        }
    }
    if !cx.may_hold(resource, super::support::features::ARN) {
        return;
    }
    for (name, t) in &resource.attributes {
        if super::support::is_tag_map(name) {
            continue;
        }
        check_arns(
            cx,
            out,
            subject,
            &resource.resource_type,
            name,
            t,
            &resource.location,
        );
    }
}

/// The values at `path` inside every block of `t` (`t` itself for an empty path); an unknown block
/// stands for what it would hold.
fn nested_values<'t>(t: &'t Tracked, path: &[&str], out: &mut Vec<&'t Tracked>) {
    let Some((first, rest)) = path.split_first() else {
        out.push(t);
        return;
    };
    match &t.value {
        Value::Unknown(_) => out.push(t),
        Value::List(items) => items.iter().for_each(|i| nested_values(i, path, out)),
        Value::Map(_) => {
            if let Some(v) = t.get(first).filter(|v| !v.is_null()) {
                nested_values(v, rest, out);
            }
        }
        _ => {}
    }
}

/// Checks one region- or zone-valued argument (a list of them when `list`).
#[allow(clippy::too_many_arguments)]
fn check_place(
    cx: &RuleContext<'_>,
    out: &mut Vec<Finding>,
    resource: &ResourceInstance,
    cloud: Cloud,
    what: &str,
    t: &Tracked,
    unknown_decides: bool,
    list: bool,
) {
    let subject = Subject::resource(resource);
    // Regions inside (nearly all) need no further look.
    let items: &[Tracked] = match (&t.value, list) {
        (Value::List(items), true) => items,
        _ => std::slice::from_ref(t),
    };
    if items.iter().all(|item| {
        item.as_str()
            .is_some_and(|name| check_region_or_zone(cx, cloud, name).inside)
    }) {
        return;
    }
    // `location = azurerm_resource_group.main.location`, `availability_zone =
    // aws_subnet.a.availability_zone`: the referenced resource's own place is checked itself. Only
    // a place of a managed resource of a cloud counts: `random_pet.x.id` proves nothing.
    if super::support::referenced_resources(cx, resource, t)
        .iter()
        .any(|(r, attribute)| {
            r.mode == crate::model::ResourceMode::Managed
                && cloud_of(r).is_some()
                && attribute.as_deref().is_some_and(names_a_place)
        })
    {
        return;
    }
    for item in items {
        check_value(cx, out, subject, cloud, what, item, unknown_decides);
    }
}

/// A Pub/Sub topic without `message_storage_policy` has "no constraints in effect" (google docs):
/// messages are stored in the region nearest each publisher, wherever that is — only an
/// organisation policy, which the configuration does not show, could keep them inside.
fn pubsub_storage_unconstrained(
    cx: &RuleContext<'_>,
    out: &mut Vec<Finding>,
    resource: &ResourceInstance,
) {
    let unset = resource
        .attr("message_storage_policy")
        .is_none_or(|t| match &t.value {
            Value::Null => true,
            Value::List(items) => items.is_empty(),
            _ => false,
        });
    if !unset {
        return;
    }
    let t = Tracked::unknown(
        "not set: Pub/Sub stores messages in the Google Cloud region nearest each publisher, wherever that is",
        Some(resource.location.clone()),
    );
    unresolved_with_help(
        cx,
        out,
        Subject::resource(resource),
        "`message_storage_policy`",
        &t,
        "set `message_storage_policy { allowed_persistence_regions = [...] }` to regions inside the jurisdiction",
    );
}

/// Azure OpenAI / AI Services deployments: a `Global*` deployment type processes prompts in any
/// Azure region worldwide, a `DataZone*` type anywhere in its data zone (the EU member states, or
/// the US), whatever the account's `location`.
fn cognitive_deployment(cx: &RuleContext<'_>, out: &mut Vec<Finding>, resource: &ResourceInstance) {
    let subject = Subject::resource(resource);
    let Some(sku) = resource.attr("sku").filter(|t| !t.is_null()) else {
        return;
    };
    let mut names = Vec::new();
    nested_values(sku, &["name"], &mut names);
    for t in names {
        let Some(name) = residency_string(cx, out, subject, "`sku.name` (the deployment type)", t)
        else {
            continue;
        };
        let reason = if name.starts_with("Global") {
            format!(
                "deployment type `{name}` may process prompts and completions in any Azure region worldwide, \
                 outside jurisdiction `{}`",
                cx.scope.jurisdiction.id
            )
        } else if name.starts_with("DataZone") {
            // The EU data zone spans every EU member state's regions: inside only a jurisdiction that
            // holds all of them (and is not narrowed by allowed_regions).
            let eu_regions = sovereign_schemas::catalog()
                .jurisdiction("eu")
                .map(|j| j.azure_regions.as_slice())
                .unwrap_or_default();
            let zone_inside = cx.policy.allowed_regions.is_none()
                && !eu_regions.is_empty()
                && eu_regions
                    .iter()
                    .all(|r| cx.scope.jurisdiction.contains(Cloud::Azure, r));
            if zone_inside {
                continue;
            }
            format!(
                "deployment type `{name}` may process data in any region of its data zone (all EU member \
                 states, or the US), which jurisdiction `{}` does not wholly contain",
                cx.scope.jurisdiction.id
            )
        } else {
            continue;
        };
        out.push(finding(
            INFO.id,
            subject,
            loc(t, &resource.location),
            format!("`sku.name` of {}: {reason}", resource.address),
            Some(t),
            "use a regional deployment type (`Standard`, `ProvisionedManaged`) in an account whose `location` is inside",
        ));
    }
}

/// Amazon Bedrock cross-Region inference profiles, by the geography prefix of their id, and the
/// Region names their destinations have: `global.` routes to any commercial Region worldwide; the
/// destinations of a geography's profile vary by model and can change (Amazon Bedrock user guide,
/// "Supported Regions and models for inference profiles").
const BEDROCK_GEOGRAPHIES: &[(&str, &str)] = &[
    ("us-gov", "us-gov-"),
    ("us", "us-"),
    ("eu", "eu-"),
    ("apac", "ap-"),
    ("jp", "ap-northeast-"),
    ("au", "ap-southeast-"),
    ("ca", "ca-"),
];

/// A Bedrock agent's `foundation_model`: a model id (`anthropic.claude-…`, served in the agent's
/// Region), a cross-Region inference profile id (`eu.anthropic.claude-…`, `global.…`) or its ARN.
fn bedrock_model(cx: &RuleContext<'_>, out: &mut Vec<Finding>, resource: &ResourceInstance) {
    let subject = Subject::resource(resource);
    let Some(t) = resource.attr("foundation_model").filter(|t| !t.is_null()) else {
        return;
    };
    let what = "`foundation_model`";
    let Some(model) = residency_string(cx, out, subject, what, t) else {
        return;
    };
    let id = model
        .rsplit_once("inference-profile/")
        .map_or(model, |(_, id)| id);
    let Some((geography, _)) = id.split_once('.') else {
        return;
    };
    let reason = if geography == "global" {
        format!(
            "the global cross-Region inference profile `{id}` routes requests to any commercial AWS Region \
             worldwide, outside jurisdiction `{}`",
            cx.scope.jurisdiction.id
        )
    } else if let Some((_, family)) = BEDROCK_GEOGRAPHIES.iter().find(|(g, _)| *g == geography) {
        let in_family =
            |r: &str| r.starts_with(family) && !(geography == "us" && r.starts_with("us-gov-"));
        let reachable = cx
            .scope
            .jurisdiction
            .aws_regions
            .iter()
            .any(|r| in_family(r) && cx.scope.region_inside(Cloud::Aws, r));
        if reachable {
            // Some destinations may be inside, but which ones is not fixed: not provable.
            let stand_in = Tracked {
                value: Value::Unknown(crate::model::Unknown::new(format!(
                    "`{id}` is a cross-Region inference profile: its destination Regions (`{family}*`) vary by \
                     model and can change"
                ))),
                location: t.location.clone(),
                provenance: t.provenance.clone(),
            };
            unresolved_with_help(
                cx,
                out,
                subject,
                what,
                &stand_in,
                "invoke the model in the agent's own Region (a model id without a geography prefix), in a Region inside",
            );
            return;
        }
        format!(
            "the cross-Region inference profile `{id}` routes requests to `{family}*` Regions, none of which \
             is inside jurisdiction `{}`",
            cx.scope.jurisdiction.id
        )
    } else {
        return;
    };
    out.push(finding(
        INFO.id,
        subject,
        loc(t, &resource.location),
        format!("{what} of {}: {reason}", resource.address),
        Some(t),
        "invoke the model in the agent's own Region (a model id without a geography prefix), in a Region inside",
    ));
}

fn check_value(
    cx: &RuleContext<'_>,
    out: &mut Vec<Finding>,
    subject: Subject<'_>,
    cloud: Cloud,
    what: &str,
    t: &Tracked,
    unknown_decides: bool,
) {
    let name = if unknown_decides {
        residency_string(cx, out, subject, what, t)
    } else {
        t.as_str().filter(|s| !s.trim().is_empty())
    };
    let Some(name) = name else { return };
    let verdict = check_region_or_zone(cx, cloud, name);
    if !verdict.inside {
        // A zone id whose prefix the catalog does not know (a Region whose zone ids are not
        // established, such as eusc-de-east-1's): its Region cannot be proven either way.
        if cloud == Cloud::Aws
            && let Some(prefix) = aws_zone_id_prefix(name.trim())
            && region_of_zone(cloud, name).is_none()
        {
            let stand_in = Tracked {
                value: Value::Unknown(crate::model::Unknown::new(format!(
                    "`{name}` is a zone id whose prefix `{prefix}` names no Region the catalog knows"
                ))),
                location: t.location.clone(),
                provenance: t.provenance.clone(),
            };
            unresolved_with_help(
                cx,
                out,
                subject,
                what,
                &stand_in,
                "name the zone by its Region-based name (`eu-central-1a`), whose Region can be checked",
            );
            return;
        }
        out.push(finding(
            INFO.id,
            subject,
            loc(t, subject.location),
            format!(
                "{what} of {}: {}{}",
                subject.address,
                verdict.reason,
                unlisted_note(cloud, name)
            ),
            Some(t),
            help_for(cx, cloud),
        ));
    }
}

/// Why a name the catalog does not list is outside: `global` is no region at all; anything else
/// (a region of another continent the catalog does not list, a placeholder such as `primary`
/// left unresolved) cannot be shown to be one of the jurisdiction's regions.
fn unlisted_note(cloud: Cloud, name: &str) -> &'static str {
    let region = region_of_zone(cloud, name)
        .unwrap_or_else(|| sovereign_schemas::region::normalize_region(cloud, name));
    if sovereign_schemas::catalog::catalog()
        .region_fact(cloud, &region)
        .is_some()
    {
        ""
    } else if region.eq_ignore_ascii_case("global") {
        " (`global` is not a region: the resource is not kept in any one region)"
    } else {
        " (not a region the catalog lists: only the jurisdiction's listed regions are inside)"
    }
}

fn help_for(cx: &RuleContext<'_>, cloud: Cloud) -> String {
    let regions: Vec<&String> = match &cx.policy.allowed_regions {
        Some(allowed) => allowed.iter().collect(),
        None => cx.scope.jurisdiction.regions(cloud).iter().collect(),
    };
    let list: Vec<&str> = regions.iter().take(6).map(|s| s.as_str()).collect();
    let more = if regions.len() > 6 { ", …" } else { "" };
    format!(
        "use {} region of jurisdiction `{}`: {}{more}",
        super::support::a_cloud(cloud),
        cx.scope.jurisdiction.id,
        list.join(", ")
    )
}

fn check_arns(
    cx: &RuleContext<'_>,
    out: &mut Vec<Finding>,
    subject: Subject<'_>,
    resource_type: &str,
    name: &str,
    t: &Tracked,
    fallback: &crate::model::Location,
) {
    if !super::support::any_string(t, &|s| s.starts_with("arn:")) {
        return;
    }
    let mut path = super::support::attr_path(name);
    walk_strings(t, &mut path, &mut |path, value, s| {
        if !s.starts_with("arn:") || is_replication_path(resource_type, path) {
            return;
        }
        // `arn:aws:logs:*:…` (IAM policies) or `${…}` placeholders name no particular region.
        if s.split(':')
            .nth(3)
            .is_some_and(|region| region.contains(['*', '$', '{']))
        {
            return;
        }
        if let Some(v) = cx.scope.arn_outside(s) {
            out.push(finding(
                INFO.id,
                subject,
                loc(value, fallback),
                format!("ARN in `{}` of {}: {}", display_path(path), subject.address, v.reason),
                Some(value),
                format!(
                    "refer to a resource in a region of jurisdiction `{}` (an ARN's fourth field is its region)",
                    cx.scope.jurisdiction.id
                ),
            ));
        }
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn region_attributes_are_found_by_name() {
        for (i, a) in super::REGION_ATTRS.iter().enumerate() {
            assert_eq!(super::region_attr(a.name), Some(i), "{}", a.name);
        }
        assert_eq!(super::region_attr("bucket"), None);
    }

    use serde_json::json;

    use crate::rules::test_support::{ModelBuilder, lint};

    #[test]
    fn provider_and_own_regions() {
        let model = ModelBuilder::new()
            .provider("aws", json!({"region": "us-east-1"}))
            .resource("aws_s3_bucket", "inherits", json!({"bucket": "b"}))
            .resource(
                "aws_ebs_volume",
                "own",
                json!({"availability_zone": "us-west-2a"}),
            )
            .resource(
                "aws_ebs_volume",
                "ok",
                json!({"availability_zone": "eu-central-1a"}),
            )
            .resource(
                "aws_kms_grant",
                "arn",
                json!({"key_id": "arn:aws:kms:ap-south-1:111122223333:key/x"}),
            )
            .resource(
                "azurerm_resource_group",
                "rg",
                json!({"location": "East US"}),
            )
            .resource(
                "azurerm_resource_group",
                "eu",
                json!({"location": "West Europe"}),
            )
            .resource("google_storage_bucket", "us", json!({"location": "US"}))
            .resource(
                "azurerm_linux_virtual_machine",
                "vm",
                json!({"location": "westeurope", "zone": "1"}),
            )
            .resource(
                "aws_iam_policy",
                "p",
                json!({"policy_arns": ["arn:aws:logs:*:111122223333:log-group:*"]}),
            )
            .build();
        let got = lint(&model, "", &["SOV001"]);
        assert_eq!(got.len(), 5, "{got:#?}");
        assert!(got[0].starts_with("2 SOV001 provider `region`"), "{got:#?}");
        assert!(got.iter().any(|l| l.contains("us-west-2a")));
        assert!(got.iter().any(|l| l.contains("ap-south-1")));
        assert!(got.iter().any(|l| l.contains("eastus")));
        assert!(got.iter().any(|l| l.contains("`us`")), "{got:#?}");
    }

    #[test]
    fn unknown_region_is_sov010_and_missing_aws_region_too() {
        let model = ModelBuilder::new()
            .provider("aws", json!({"region": "?var.region has no value"}))
            .provider("aws", json!({}))
            .resource(
                "aws_ebs_volume",
                "az",
                json!({"availability_zone": "?data.aws_availability_zones.a.names[0]"}),
            )
            .build();
        let got = lint(&model, "", &["SOV001", "SOV010"]);
        assert_eq!(got.len(), 2, "{got:#?}");
        assert!(
            got[0].contains("SOV010") && got[0].contains("var.region has no value"),
            "{got:#?}"
        );
        assert!(got[1].contains("AWS_REGION"), "{got:#?}");
    }

    /// Location code forms: each resolved by the catalog, never passed silently.
    #[test]
    fn location_forms_per_jurisdiction() {
        let model = ModelBuilder::new()
            .resource("google_storage_bucket", "eu", json!({"location": "EU"}))
            .resource("google_storage_bucket", "eur4", json!({"location": "eur4"}))
            .resource("google_storage_bucket", "nam4", json!({"location": "NAM4"}))
            .resource(
                "google_storage_bucket",
                "de_dual",
                json!({"location": "EU", "custom_placement_config": [{"data_locations": ["EUROPE-WEST3", "EUROPE-WEST10"]}]}),
            )
            .resource(
                "google_storage_bucket",
                "empty_dual",
                json!({"location": "US", "custom_placement_config": [{"data_locations": []}]}),
            )
            .resource("google_bigquery_dataset", "eu", json!({"location": "eu"}))
            .resource("google_compute_instance", "z", json!({"zone": "europe-west3-a"}))
            .resource("azurerm_resource_group", "gwc", json!({"location": "Germany West Central"}))
            .resource("azurerm_resource_group", "we", json!({"location": "westeurope"}))
            .resource("aws_subnet", "id", json!({"availability_zone_id": "euc1-az2"}))
            .resource("aws_subnet", "az", json!({"availability_zone": "eu-central-1a"}))
            .resource("azurerm_cognitive_deployment", "dz", json!({"sku": [{"name": "DataZoneStandard"}]}))
            .resource("aws_s3_directory_bucket", "unknown_zone_id", json!({"location": [{"name": "xyz9-az1", "type": "AvailabilityZone"}]}))
            .build();
        let outside = |jurisdiction: &str| -> Vec<String> {
            let mut got: Vec<String> = lint(
                &model,
                &format!("jurisdiction = \"{jurisdiction}\""),
                &["SOV001", "SOV010"],
            )
            .iter()
            .map(|l| {
                let address = l
                    .split(" of ")
                    .nth(1)
                    .unwrap_or("")
                    .split([':', ' '])
                    .next()
                    .unwrap_or("");
                address.to_string()
            })
            .collect();
            got.sort();
            got
        };
        assert_eq!(
            outside("eu"),
            [
                "aws_s3_directory_bucket.unknown_zone_id",
                "google_storage_bucket.empty_dual",
                "google_storage_bucket.nam4"
            ]
        );
        let unknown_zone = lint(&model, "", &["SOV010"]);
        assert_eq!(unknown_zone.len(), 1, "{unknown_zone:#?}");
        assert!(
            unknown_zone[0].contains("prefix `xyz9` names no Region"),
            "{unknown_zone:#?}"
        );
        assert_eq!(
            outside("de"),
            [
                "aws_s3_directory_bucket.unknown_zone_id",
                "azurerm_cognitive_deployment.dz",
                "azurerm_resource_group.we",
                "google_bigquery_dataset.eu",
                "google_storage_bucket.empty_dual",
                "google_storage_bucket.eu",
                "google_storage_bucket.eur4",
                "google_storage_bucket.nam4",
            ]
        );
    }

    #[test]
    fn allowed_regions_narrow() {
        let model = ModelBuilder::new()
            .provider("aws", json!({"region": "eu-west-3"}))
            .build();
        assert!(lint(&model, "", &["SOV001"]).is_empty());
        let got = lint(&model, "allowed_regions = [\"eu-central-1\"]", &["SOV001"]);
        assert_eq!(got.len(), 1);
        assert!(got[0].contains("allowed_regions"), "{got:#?}");
    }
}
