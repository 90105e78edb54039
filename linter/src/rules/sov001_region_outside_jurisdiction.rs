//! ## What it does
//! Checks every region a configuration names against the policy's jurisdiction (and its
//! `allowed_regions`):
//!
//! - provider blocks: `region` of `aws` and `sovereign`, `region`/`zone` of `google`;
//! - resources and data sources that set their own `region` (AWS provider v6, Google), `location`
//!   (Azure, Google — Azure display names such as `"West Europe"` are normalised), `zone`,
//!   `availability_zone`, `availability_zones`, `preferred_availability_zones`, `node_locations`
//!   (zones are checked by the region they lie in);
//! - ARNs in any string argument (`arn:aws:kms:us-east-1:…`), including their partition; wildcard
//!   regions in IAM policies (`arn:aws:logs:*:…`) name no region and are not reported.
//!
//! Azure zones (`"1"`, `"2"`) name no region: for Azure only `location` is checked. Google and
//! Azure `global` locations lie in no jurisdiction and are reported.
//!
//! A resource that only inherits its provider's region is not reported again: the provider block is
//! the finding (one root cause, one finding). Backend regions are SOV008's, replication targets
//! SOV004's. A region that cannot be resolved statically is reported as SOV010; an AWS provider
//! without `region` takes it from the environment at run time and is reported as SOV010 too. Unknown
//! AWS availability zones are not: AWS only accepts zones of the region the request is sent to.
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

use super::sov004_cross_border_replication::is_replication_path;
use super::support::{
    Subject, check_region_or_zone, cloud_of, display_path, finding, loc, string_or_unresolved,
    unresolved, walk_strings,
};
use super::{Rule, RuleContext, RuleInfo, docs};
use crate::finding::{Finding, Severity};
use crate::model::{ResourceInstance, Tracked};

pub(crate) static INFO: RuleInfo = RuleInfo {
    id: "SOV001",
    name: "region-outside-jurisdiction",
    summary: "a provider block, a resource region/location/zone/availability zone, or an ARN names a region outside the jurisdiction",
    docs: docs::SOV001,
    default_severity: Severity::Error,
};

pub(crate) struct RegionOutsideJurisdiction;

/// Resource arguments naming a region or zone, and whether an unknown value decides residency.
const REGION_ATTRS: &[(&str, &str, bool)] = &[
    ("region", "`region`", true),
    ("location", "`location`", true),
    ("zone", "`zone`", true),
    ("availability_zone", "`availability_zone`", false),
    ("availability_zones", "`availability_zones`", false),
    (
        "preferred_availability_zones",
        "`preferred_availability_zones`",
        false,
    ),
    ("node_locations", "`node_locations`", true),
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
                Cloud::Aws => match provider.attr("region") {
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
                },
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

/// Position of a region-naming argument in [`REGION_ATTRS`].
fn region_attr(name: &str) -> Option<usize> {
    Some(match name {
        "region" => 0,
        "location" => 1,
        "zone" => 2,
        "availability_zone" => 3,
        "availability_zones" => 4,
        "preferred_availability_zones" => 5,
        "node_locations" => 6,
        _ => return None,
    })
}

fn check_resource(cx: &RuleContext<'_>, out: &mut Vec<Finding>, resource: &ResourceInstance) {
    let subject = Subject::resource(resource);
    if let Some(cloud) = cloud_of(resource) {
        // One pass over the arguments finds those that name regions (checked in table order).
        let mut present: [Option<&Tracked>; REGION_ATTRS.len()] = [None; REGION_ATTRS.len()];
        for (name, t) in &resource.attributes {
            if let Some(slot) = region_attr(name).and_then(|i| present.get_mut(i)) {
                *slot = Some(t);
            }
        }
        for ((attr, what, unknown_decides), t) in REGION_ATTRS.iter().zip(present) {
            // `location` is a region only for Azure and Google; AWS uses it for other things
            // (Direct Connect locations). Azure zones are "1", "2", "3": only `location` counts.
            if (*attr == "location" && cloud == Cloud::Aws)
                || (cloud == Cloud::Azure && *attr != "location")
            {
                continue;
            }
            let Some(t) = t.filter(|t| !t.is_null()) else {
                continue;
            };
            // Regions inside (nearly all) need no further look.
            if t.items().iter().all(|item| {
                item.as_str()
                    .is_some_and(|name| check_region_or_zone(cx, cloud, name).inside)
            }) {
                continue;
            }
            // `location = azurerm_resource_group.main.location`, `availability_zone =
            // aws_subnet.a.availability_zone`: the referenced resource is checked itself.
            if super::support::referenced_resources(cx, resource, t)
                .iter()
                .any(|(r, _)| r.mode == crate::model::ResourceMode::Managed)
            {
                continue;
            }
            for item in t.items() {
                check_value(cx, out, subject, cloud, what, item, *unknown_decides);
            }
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
        string_or_unresolved(cx, out, subject, what, t)
    } else {
        t.as_str()
    };
    let Some(name) = name else { return };
    let verdict = check_region_or_zone(cx, cloud, name);
    if !verdict.inside {
        out.push(finding(
            INFO.id,
            subject,
            loc(t, subject.location),
            format!("{what} of {}: {}", subject.address, verdict.reason),
            Some(t),
            help_for(cx, cloud),
        ));
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
        for (i, (name, ..)) in super::REGION_ATTRS.iter().enumerate() {
            assert_eq!(super::region_attr(name), Some(i), "{name}");
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
