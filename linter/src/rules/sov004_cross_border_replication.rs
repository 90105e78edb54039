//! ## What it does
//! Finds copies of data that cross the border — targets outside the jurisdiction, or targets that
//! cannot be shown to be inside:
//!
//! - S3 replication (`aws_s3_bucket_replication_configuration` and the legacy inline block): the
//!   destination bucket's region, from the ARN when it names one, else from the bucket resource it
//!   refers to (its `region` or its provider's); a destination bucket not in the configuration
//!   cannot be proven inside; the replicas' KMS key (`replica_kms_key_id`) must be inside too;
//! - DynamoDB `replica { region_name }` (tables and legacy global tables);
//! - RDS, Aurora and Neptune cross-region replicas and global clusters: the source ARN in
//!   `replicate_source_db` (`aws_db_instance`), `replication_source_identifier` (`aws_rds_cluster`,
//!   `aws_neptune_cluster`) or `source_db_cluster_identifier` (`aws_rds_global_cluster`); snapshot
//!   copies' `destination_region` and source snapshot ARN (`source_db_snapshot_identifier`,
//!   `source_db_cluster_snapshot_identifier`);
//! - `aws_ebs_snapshot_copy` `source_region` and `aws_ami_copy` `source_ami_region`;
//! - AWS Backup `copy_action { destination_vault_arn }` (or the vault resource it refers to);
//! - S3 Tables table bucket replication (`aws_s3tables_table_bucket_replication`): `rule {
//!   destination { destination_table_bucket_arn } }` (or the table bucket it refers to);
//! - KMS keys with `multi_region = true` (their replicas can be created in any region of the
//!   partition);
//! - ECR `replication_configuration` `destination { region }`;
//! - Azure storage accounts with geo-redundant replication (`GRS`, `RAGRS`, `GZRS`, `RAGZRS`): the
//!   region paired with `location` must be inside; Cosmos DB `geo_location` entries;
//! - Google Cloud Storage `custom_placement_config.data_locations` and Spanner instance `config`s.
//!
//! A replica resource created through a provider whose region is outside (`aws_kms_replica_key`,
//! `aws_dynamodb_table_replica`) is reported once, by SOV001 on that provider. A target that cannot
//! be resolved statically is SOV010.
//!
//! Azure region pairs (from Microsoft's "Azure cross-region replication pairings" list): westeurope
//! ↔ northeurope, germanywestcentral ↔ germanynorth, francecentral ↔ francesouth, swedencentral ↔
//! swedensouth, norwayeast ↔ norwaywest, switzerlandnorth ↔ switzerlandwest, uksouth ↔ ukwest,
//! eastus ↔ westus, eastus2 ↔ centralus, westus2 ↔ westcentralus, northcentralus ↔ southcentralus,
//! usgovvirginia ↔ usgovtexas, usgovarizona ↔ usgovtexas, usdodeast ↔ usdodcentral. Regions without
//! a listed pair (e.g. italynorth, polandcentral, spaincentral) are not provably inside under GRS.
//!
//! ## Why is this bad?
//! Replication and copies move the data itself: a replica abroad is data abroad, whatever the
//! primary's region. Geo-redundant storage and multi-Region keys do it implicitly.
//!
//! ## Example
//! ```hcl
//! resource "aws_dynamodb_table" "features" {
//!   name         = "features"
//!   billing_mode = "PAY_PER_REQUEST"
//!   hash_key     = "id"
//!   attribute {
//!     name = "id"
//!     type = "S"
//!   }
//!   replica {
//!     region_name = "us-east-1"
//!   }
//! }
//! ```
//!
//! ## Use instead
//! ```hcl
//! resource "aws_dynamodb_table" "features" {
//!   name         = "features"
//!   billing_mode = "PAY_PER_REQUEST"
//!   hash_key     = "id"
//!   attribute {
//!     name = "id"
//!     type = "S"
//!   }
//!   replica {
//!     region_name = "eu-west-1"
//!   }
//! }
//! ```
//!
//! ## Options
//! - `jurisdiction`, `allowed_regions`: which target regions are inside.
//! - `unresolved`: severity of SOV010 for a target that cannot be resolved.
use sovereign_schemas::Cloud;
use sovereign_schemas::arn::parse_arn;
use sovereign_schemas::region::normalize_region;

use super::support::{
    RegionOf, Subject, blocks, check_region_or_zone, decisive_path, decisive_string, finding,
    get_path, loc, referenced_resources, region_of, unexpected, unresolved,
};
use super::{Rule, RuleContext, RuleInfo, docs};
use crate::finding::{Finding, Severity};
use crate::model::{ResourceInstance, Tracked, Value};

pub(crate) static INFO: RuleInfo = RuleInfo {
    id: "SOV004",
    name: "cross-border-replication",
    summary: "replication, global tables, cross-region replicas, snapshot/AMI/backup copies, multi-region KMS keys or registry replication target a region outside (or not provably inside) the jurisdiction",
    docs: docs::SOV004,
    default_severity: Severity::Error,
};

pub(crate) struct CrossBorderReplication;

/// Arguments holding replication targets: SOV004 checks them, so SOV001 does not report their ARNs again.
const REPLICATION_ATTRS: &[&str] = &[
    "replicate_source_db",
    "replication_source_identifier",
    "source_db_cluster_identifier",
    "destination_vault_arn",
    "primary_key_arn",
    "source_db_snapshot_identifier",
    "source_db_cluster_snapshot_identifier",
    "destination_table_bucket_arn",
];

/// Whether an attribute path of a resource type is a replication target SOV004 owns.
pub(crate) fn is_replication_path(resource_type: &str, path: &[super::support::Seg<'_>]) -> bool {
    let replication_resource = matches!(
        resource_type,
        "aws_s3_bucket_replication_configuration"
            | "aws_s3_bucket"
            | "aws_ecr_replication_configuration"
    );
    path.iter().any(|p| {
        REPLICATION_ATTRS.contains(&p.as_ref()) || (replication_resource && p == "destination")
    })
}

/// Azure region pairs (Microsoft Learn, "Azure cross-region replication pairings for all geographies").
const AZURE_PAIRS: &[(&str, &str)] = &[
    ("westeurope", "northeurope"),
    ("germanywestcentral", "germanynorth"),
    ("francecentral", "francesouth"),
    ("swedencentral", "swedensouth"),
    ("norwayeast", "norwaywest"),
    ("switzerlandnorth", "switzerlandwest"),
    ("uksouth", "ukwest"),
    ("eastus", "westus"),
    ("eastus2", "centralus"),
    ("westus2", "westcentralus"),
    ("northcentralus", "southcentralus"),
    ("usgovvirginia", "usgovtexas"),
    ("usgovarizona", "usgovtexas"),
    ("usdodeast", "usdodcentral"),
];

fn azure_pair(region: &str) -> Option<&'static str> {
    AZURE_PAIRS.iter().find_map(|(a, b)| {
        if *a == region {
            Some(*b)
        } else if *b == region {
            Some(*a)
        } else {
            None
        }
    })
}

impl Rule for CrossBorderReplication {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
        for r in &cx.model.resources {
            if r.mode != crate::model::ResourceMode::Managed {
                continue;
            }
            let subject = Subject::resource(r);
            match r.resource_type.as_str() {
                "aws_s3_bucket_replication_configuration" => {
                    let rules = blocks(cx, out, subject, "`rule`", r.attr("rule"));
                    s3_replication(
                        cx,
                        out,
                        r,
                        &rules,
                        "encryption_configuration.replica_kms_key_id",
                    );
                }
                "aws_s3_bucket" => {
                    // The legacy inline block (hashicorp/aws 6.x, deprecated): `rules`, and the
                    // replicas' key directly in `destination`.
                    let Ok(config) =
                        decisive_path(cx, out, subject, &r.attributes, "replication_configuration")
                    else {
                        continue;
                    };
                    let mut rules = Vec::new();
                    for c in blocks(cx, out, subject, "`replication_configuration`", config) {
                        rules.extend(blocks(
                            cx,
                            out,
                            subject,
                            "`replication_configuration.rules`",
                            c.get("rules"),
                        ));
                    }
                    s3_replication(cx, out, r, &rules, "replica_kms_key_id");
                }
                "aws_dynamodb_table" | "aws_dynamodb_global_table" => {
                    for replica in blocks(cx, out, subject, "`replica`", r.attr("replica")) {
                        if let Some(t) = replica.get("region_name") {
                            region_target(
                                cx,
                                out,
                                r,
                                "`replica.region_name`",
                                t,
                                "replicates the table to",
                            );
                        }
                    }
                }
                t @ ("aws_db_instance"
                | "aws_rds_cluster"
                | "aws_rds_global_cluster"
                | "aws_docdb_global_cluster"
                | "aws_neptune_global_cluster"
                | "aws_neptune_cluster") => {
                    // Each type names its replica's source with its own argument (provider docs).
                    let attr = match t {
                        "aws_db_instance" => "replicate_source_db",
                        "aws_rds_global_cluster"
                        | "aws_docdb_global_cluster"
                        | "aws_neptune_global_cluster" => "source_db_cluster_identifier",
                        _ => "replication_source_identifier",
                    };
                    if let Some(t) = r.attr(attr) {
                        // An identifier that is not an ARN names a source in the same region.
                        arn_target(cx, out, r, attr, t, "replicates from", false);
                    }
                }
                t @ ("aws_db_snapshot_copy" | "aws_db_cluster_snapshot_copy") => {
                    if let Some(t) = r.attr("destination_region") {
                        region_target(
                            cx,
                            out,
                            r,
                            "`destination_region`",
                            t,
                            "copies the snapshot to",
                        );
                    }
                    let source = if t == "aws_db_cluster_snapshot_copy" {
                        "source_db_cluster_snapshot_identifier"
                    } else {
                        "source_db_snapshot_identifier"
                    };
                    if let Some(t) = r.attr(source) {
                        arn_target(cx, out, r, source, t, "copies the snapshot from", false);
                    }
                }
                "aws_redshift_snapshot_copy" => {
                    if let Some(t) = r.attr("destination_region") {
                        region_target(
                            cx,
                            out,
                            r,
                            "`destination_region`",
                            t,
                            "copies cluster snapshots to",
                        );
                    }
                }
                "aws_efs_replication_configuration" => {
                    for dest in blocks(cx, out, subject, "`destination`", r.attr("destination")) {
                        if let Some(t) = dest.get("region") {
                            region_target(
                                cx,
                                out,
                                r,
                                "`destination.region`",
                                t,
                                "replicates the file system to",
                            );
                        }
                    }
                }
                t @ ("aws_ebs_snapshot_copy" | "aws_ami_copy") => {
                    // `aws_ami_copy` names it `source_ami_region`.
                    let (attr, shown) = if t == "aws_ami_copy" {
                        ("source_ami_region", "`source_ami_region`")
                    } else {
                        ("source_region", "`source_region`")
                    };
                    if let Some(t) = r.attr(attr) {
                        region_target(cx, out, r, shown, t, "copies from");
                    }
                }
                // `rule { BLOCK { ARGUMENT } }` naming the target by ARN or by the resource it
                // refers to: AWS Backup copies and S3 Tables replication (hashicorp/aws 6.x).
                t @ ("aws_backup_plan"
                | "aws_s3tables_table_bucket_replication"
                | "aws_s3tables_table_replication") => {
                    let (block, argument, verb) = if t == "aws_backup_plan" {
                        ("copy_action", "destination_vault_arn", "copies backups to")
                    } else {
                        (
                            "destination",
                            "destination_table_bucket_arn",
                            "replicates tables to",
                        )
                    };
                    for rule in blocks(cx, out, subject, "`rule`", r.attr("rule")) {
                        let what = format!("`rule.{block}`");
                        for target in blocks(cx, out, subject, &what, rule.get(block)) {
                            if let Some(t) = target.get(argument) {
                                arn_target(cx, out, r, argument, t, verb, true);
                            }
                        }
                    }
                }
                "aws_kms_key" => {
                    let Some(t) = r.attr("multi_region") else {
                        continue;
                    };
                    match &t.value {
                        Value::Bool(true) => out.push(finding(
                            INFO.id,
                            subject,
                            loc(t, &r.location),
                            format!(
                                "{} is a multi-Region key: its key material can be replicated to any region of the partition, not provably inside jurisdiction `{}`",
                                r.address, cx.scope.jurisdiction.id
                            ),
                            Some(t),
                            "set `multi_region = false` and create one key per region inside the jurisdiction",
                        )),
                        Value::Bool(false) | Value::Null => {}
                        Value::Unknown(_) => unresolved(cx, out, subject, "`multi_region`", t),
                        _ => unexpected(cx, out, subject, "`multi_region`", t, "a bool"),
                    }
                }
                "aws_ecr_replication_configuration" => {
                    for config in blocks(
                        cx,
                        out,
                        subject,
                        "`replication_configuration`",
                        r.attr("replication_configuration"),
                    ) {
                        for rule in blocks(
                            cx,
                            out,
                            subject,
                            "`replication_configuration.rule`",
                            config.get("rule"),
                        ) {
                            for dest in blocks(
                                cx,
                                out,
                                subject,
                                "`replication_configuration.rule.destination`",
                                rule.get("destination"),
                            ) {
                                if let Some(t) = dest.get("region") {
                                    region_target(
                                        cx,
                                        out,
                                        r,
                                        "`destination.region`",
                                        t,
                                        "replicates images to",
                                    );
                                }
                            }
                        }
                    }
                }
                "azurerm_storage_account" => azure_geo_redundancy(cx, out, r),
                t @ ("azurerm_cosmosdb_account" | "azurerm_container_registry") => {
                    let (block, verb) = if t == "azurerm_cosmosdb_account" {
                        ("geo_location", "replicates the account to")
                    } else {
                        ("georeplications", "replicates the registry to")
                    };
                    let what = format!("`{block}`");
                    for geo in blocks(cx, out, subject, &what, r.attr(block)) {
                        if let Some(t) = geo.get("location") {
                            region_target(cx, out, r, &format!("`{block}.location`"), t, verb);
                        }
                    }
                }
                "google_storage_bucket" => {
                    if let Ok(Some(t)) = decisive_path(
                        cx,
                        out,
                        subject,
                        &r.attributes,
                        "custom_placement_config.data_locations",
                    ) {
                        for item in t.items() {
                            region_target(
                                cx,
                                out,
                                r,
                                "`custom_placement_config.data_locations`",
                                item,
                                "places data in",
                            );
                        }
                    }
                }
                "google_pubsub_topic" => {
                    if let Ok(Some(t)) = decisive_path(
                        cx,
                        out,
                        subject,
                        &r.attributes,
                        "message_storage_policy.allowed_persistence_regions",
                    ) {
                        for item in t.items() {
                            region_target(
                                cx,
                                out,
                                r,
                                "`message_storage_policy.allowed_persistence_regions`",
                                item,
                                "stores messages in",
                            );
                        }
                    }
                }
                "google_bigtable_instance" => {
                    for cluster in blocks(cx, out, subject, "`cluster`", r.attr("cluster")) {
                        if let Some(t) = cluster.get("zone") {
                            region_target(cx, out, r, "`cluster.zone`", t, "replicates tables to");
                        }
                    }
                }
                "google_sql_database_instance" => {
                    if let Ok(Some(t)) = decisive_path(
                        cx,
                        out,
                        subject,
                        &r.attributes,
                        "settings.backup_configuration.location",
                    ) {
                        region_target(
                            cx,
                            out,
                            r,
                            "`settings.backup_configuration.location`",
                            t,
                            "stores backups in",
                        );
                    }
                }
                "google_spanner_instance" => spanner_config(cx, out, r),
                _ => {}
            }
        }
    }
}

/// A region-valued target: checked against the jurisdiction; unknown → SOV010.
fn region_target(
    cx: &RuleContext<'_>,
    out: &mut Vec<Finding>,
    r: &ResourceInstance,
    what: &str,
    t: &Tracked,
    verb: &str,
) {
    let subject = Subject::resource(r);
    let Some(region) = decisive_string(cx, out, subject, what, t) else {
        return;
    };
    let cloud = super::support::cloud_of(r).unwrap_or(Cloud::Aws);
    let v = check_region_or_zone(cx, cloud, region);
    if !v.inside {
        out.push(finding(
            INFO.id,
            subject,
            loc(t, &r.location),
            format!("{} {verb} \"{region}\": {}", r.address, v.reason),
            Some(t),
            format!(
                "keep replicas and copies (and their sources) in regions of jurisdiction `{}`",
                cx.scope.jurisdiction.id
            ),
        ));
    }
}

/// An ARN-valued target (or a reference to a resource in the configuration). With `arn_only`
/// the argument takes nothing but an ARN, so any other text cannot be placed (SOV010); without,
/// an identifier that is not an ARN names a resource in the resource's own region.
fn arn_target(
    cx: &RuleContext<'_>,
    out: &mut Vec<Finding>,
    r: &ResourceInstance,
    attr: &str,
    t: &Tracked,
    verb: &str,
    arn_only: bool,
) {
    let subject = Subject::resource(r);
    match &t.value {
        Value::String(s) => {
            if let Some(v) = cx.scope.arn_outside(s) {
                out.push(finding(
                    INFO.id,
                    subject,
                    loc(t, &r.location),
                    format!("{} {verb} `{s}`: {}", r.address, v.reason),
                    Some(t),
                    format!(
                        "keep the source and the copy in regions of jurisdiction `{}`",
                        cx.scope.jurisdiction.id
                    ),
                ));
            } else if arn_only && parse_arn(s).is_none_or(|arn| arn.region.is_empty()) {
                unexpected(
                    cx,
                    out,
                    subject,
                    &format!("`{attr}`"),
                    t,
                    "an ARN naming a region",
                );
            }
        }
        Value::Unknown(_) => target_by_reference(cx, out, r, attr, t, verb),
        Value::Null => {}
        _ => unexpected(cx, out, subject, &format!("`{attr}`"), t, "an ARN"),
    }
}

/// An unknown target that refers to a resource of the configuration: that resource's region decides.
fn target_by_reference(
    cx: &RuleContext<'_>,
    out: &mut Vec<Finding>,
    r: &ResourceInstance,
    attr: &str,
    t: &Tracked,
    verb: &str,
) {
    let subject = Subject::resource(r);
    let referenced = referenced_resources(cx, r, t);
    let Some((target, _)) = referenced.first() else {
        unresolved(cx, out, subject, &format!("`{attr}`"), t);
        return;
    };
    match region_of(cx, target) {
        RegionOf::Missing => unresolved(
            cx,
            out,
            subject,
            &format!("the region of {}", target.address),
            t,
        ),
        region => {
            let Some(region_value) = region.value() else {
                return;
            };
            let Some(name) = decisive_string(
                cx,
                out,
                subject,
                &format!("the region of {}", target.address),
                region_value,
            ) else {
                return;
            };
            let cloud = super::support::cloud_of(target).unwrap_or(Cloud::Aws);
            let v = check_region_or_zone(cx, cloud, name);
            // A target whose region is its provider's is already SOV001's finding on that provider.
            if !v.inside && matches!(region, RegionOf::Own(_)) {
                out.push(finding(
                    INFO.id,
                    subject,
                    loc(t, &r.location),
                    format!(
                        "{} {verb} {} in \"{name}\": {}",
                        r.address, target.address, v.reason
                    ),
                    Some(t),
                    format!(
                        "keep replication targets in regions of jurisdiction `{}`",
                        cx.scope.jurisdiction.id
                    ),
                ));
            }
        }
    }
}

/// S3 replication rules (`rules`: the resource's blocks, already read fail-closed); `replica_key`
/// is where the replicas' KMS key sits inside `destination`.
fn s3_replication(
    cx: &RuleContext<'_>,
    out: &mut Vec<Finding>,
    r: &ResourceInstance,
    rules: &[&Tracked],
    replica_key: &str,
) {
    let subject = Subject::resource(r);
    for rule in rules {
        for dest in blocks(
            cx,
            out,
            subject,
            "`rule.destination`",
            rule.get("destination"),
        ) {
            if let Some(key) = get_path_in(dest, replica_key) {
                let attr = format!("destination.{replica_key}");
                arn_target(cx, out, r, &attr, key, "encrypts replicas with", true);
            }
            let Some(bucket) = dest.get("bucket") else {
                continue;
            };
            match &bucket.value {
                Value::String(s) => match parse_arn(s) {
                    Some(arn) if !arn.region.is_empty() => arn_target(
                        cx,
                        out,
                        r,
                        "destination.bucket",
                        bucket,
                        "replicates to",
                        true,
                    ),
                    Some(arn) => {
                        let name = arn.resource.to_string();
                        let target = cx.model.resources.iter().find(|b| {
                            b.resource_type == "aws_s3_bucket"
                                && b.attr("bucket").and_then(Tracked::as_str) == Some(name.as_str())
                        });
                        match target {
                            Some(target) => check_bucket_region(cx, out, r, bucket, target),
                            None => out.push(finding(
                                INFO.id,
                                subject,
                                loc(bucket, &r.location),
                                format!(
                                    "{} replicates to bucket `{name}`, which is not in this configuration: its region cannot be shown to be inside jurisdiction `{}`",
                                    r.address, cx.scope.jurisdiction.id
                                ),
                                Some(bucket),
                                "replicate to a bucket managed in this configuration with a region inside the jurisdiction, or suppress with the bucket's region as the reason",
                            )),
                        }
                    }
                    None => unexpected(
                        cx,
                        out,
                        subject,
                        "the replication destination bucket",
                        bucket,
                        "a bucket ARN",
                    ),
                },
                Value::Unknown(_) => {
                    let referenced = referenced_resources(cx, r, bucket);
                    match referenced
                        .iter()
                        .find(|(b, _)| b.resource_type == "aws_s3_bucket")
                    {
                        Some((target, _)) => check_bucket_region(cx, out, r, bucket, target),
                        None => unresolved(
                            cx,
                            out,
                            subject,
                            "the replication destination bucket",
                            bucket,
                        ),
                    }
                }
                Value::Null => {}
                _ => unexpected(
                    cx,
                    out,
                    subject,
                    "the replication destination bucket",
                    bucket,
                    "a bucket ARN",
                ),
            }
        }
    }
}

fn get_path_in<'t>(t: &'t Tracked, path: &str) -> Option<&'t Tracked> {
    t.as_map().and_then(|m| get_path(m, path))
}

fn check_bucket_region(
    cx: &RuleContext<'_>,
    out: &mut Vec<Finding>,
    r: &ResourceInstance,
    at: &Tracked,
    bucket: &ResourceInstance,
) {
    let subject = Subject::resource(r);
    let region = region_of(cx, bucket);
    let Some(t) = region.value() else {
        unresolved(
            cx,
            out,
            subject,
            &format!("the region of {}", bucket.address),
            at,
        );
        return;
    };
    let Some(name) = decisive_string(
        cx,
        out,
        subject,
        &format!("the region of {}", bucket.address),
        t,
    ) else {
        return;
    };
    let v = cx.scope.check_region(Some(Cloud::Aws), name);
    if !v.inside {
        let mut f = finding(
            INFO.id,
            subject,
            loc(at, &r.location),
            format!(
                "{} replicates to {} in \"{name}\": {}",
                r.address, bucket.address, v.reason
            ),
            Some(t),
            format!(
                "replicate only to buckets in regions of jurisdiction `{}`",
                cx.scope.jurisdiction.id
            ),
        );
        if let RegionOf::Provider(p, _) = region {
            let mut related = f.related.to_vec();
            related.push(crate::finding::Related {
                location: p.location.clone(),
                message: format!("{} takes its region from {}", bucket.address, p.address).into(),
                module_call: None,
            });
            f.related = related.into();
        }
        out.push(f);
    }
}

fn azure_geo_redundancy(cx: &RuleContext<'_>, out: &mut Vec<Finding>, r: &ResourceInstance) {
    let subject = Subject::resource(r);
    let Some(kind) = r.attr("account_replication_type") else {
        return;
    };
    let Some(kind_str) = decisive_string(cx, out, subject, "`account_replication_type`", kind)
    else {
        return;
    };
    if !matches!(
        kind_str.to_ascii_uppercase().as_str(),
        "GRS" | "RAGRS" | "GZRS" | "RAGZRS"
    ) {
        return;
    }
    // The secondary region follows from `location`: unknown, it cannot be placed either (the same
    // SOV010 as SOV001's on `location`, reported once).
    let Some(location) = r.attr("location") else {
        return;
    };
    let Some(loc_str) = decisive_string(cx, out, subject, "`location`", location) else {
        return;
    };
    let primary = normalize_region(Cloud::Azure, loc_str);
    let (inside, reason) = match azure_pair(&primary) {
        Some(pair) => {
            let v = cx.scope.check_region(Some(Cloud::Azure), pair);
            (
                v.inside,
                format!(
                    "the paired region of {primary} is {pair}: {}",
                    super::support::lower_first(&v.reason)
                ),
            )
        }
        None => (
            false,
            format!(
                "no paired region is known for {primary}, so the secondary copy is not provably inside jurisdiction `{}`",
                cx.scope.jurisdiction.id
            ),
        ),
    };
    if !inside {
        out.push(finding(
            INFO.id,
            subject,
            loc(kind, &r.location),
            format!(
                "{} uses geo-redundant replication ({kind_str}): {reason}",
                r.address
            ),
            Some(kind),
            "use LRS or ZRS, or a primary region whose pair is inside the jurisdiction",
        ));
    }
}

fn spanner_config(cx: &RuleContext<'_>, out: &mut Vec<Finding>, r: &ResourceInstance) {
    let subject = Subject::resource(r);
    let Some(t) = r.attr("config") else { return };
    let Some(config) = decisive_string(cx, out, subject, "`config`", t) else {
        return;
    };
    let config = config.rsplit('/').next().unwrap_or(config);
    let regions: Option<Vec<&str>> = match config.strip_prefix("regional-") {
        Some(region) => Some(vec![region]),
        // Google Cloud Spanner instance configurations: eur3 = Belgium + Netherlands.
        None if config == "eur3" => Some(vec!["europe-west1", "europe-west4"]),
        None => None,
    };
    let outside: Vec<String> = match &regions {
        Some(list) => list
            .iter()
            .map(|reg| cx.scope.check_region(Some(Cloud::Google), reg))
            .filter(|v| !v.inside)
            .map(|v| v.reason)
            .collect(),
        None => vec![format!(
            "multi-region configuration `{config}` is not known to lie inside jurisdiction `{}`",
            cx.scope.jurisdiction.id
        )],
    };
    if let Some(reason) = outside.first() {
        out.push(finding(
            INFO.id,
            subject,
            loc(t, &r.location),
            format!("{} places replicas by `{config}`: {reason}", r.address),
            Some(t),
            "use a `regional-REGION` configuration with a region inside the jurisdiction",
        ));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::rules::test_support::{ModelBuilder, lint};

    #[test]
    fn replicas_copies_and_keys() {
        let model = ModelBuilder::new()
            .provider("aws", json!({"region": "eu-central-1"}))
            .resource("aws_dynamodb_table", "t", json!({"replica": [{"region_name": "us-east-1"}, {"region_name": "eu-west-1"}]}))
            .resource("aws_db_instance", "r", json!({"replicate_source_db": "arn:aws:rds:us-west-2:111122223333:db:src"}))
            .resource("aws_ami_copy", "a", json!({"source_ami_region": "eu-west-1"}))
            .resource("aws_kms_key", "k", json!({"multi_region": true}))
            .resource("aws_backup_plan", "p", json!({"rule": [{"copy_action": [{"destination_vault_arn": "arn:aws:backup:us-east-2:111122223333:backup-vault:v"}]}]}))
            .build();
        let got = lint(&model, "", &["SOV004", "SOV001"]);
        assert_eq!(got.len(), 4, "{got:#?}");
        assert!(
            got.iter().all(|l| l.contains("SOV004")),
            "SOV001 must not repeat replication targets: {got:#?}"
        );
    }

    #[test]
    fn s3_replication_to_referenced_bucket() {
        let model = ModelBuilder::new()
            .provider("aws", json!({"region": "eu-central-1"}))
            .resource("aws_s3_bucket", "replica", json!({"bucket": "replica", "region": "us-east-1"}))
            .resource("aws_s3_bucket", "eu", json!({"bucket": "eu-replica", "region": "eu-west-1"}))
            .resource("aws_s3_bucket_replication_configuration", "to_us", json!({"rule": [{"destination": [{"bucket": "?aws_s3_bucket.replica.arn known after apply"}]}]}))
            .resource("aws_s3_bucket_replication_configuration", "to_eu", json!({"rule": [{"destination": [{"bucket": "arn:aws:s3:::eu-replica"}]}]}))
            .resource("aws_s3_bucket_replication_configuration", "elsewhere", json!({"rule": [{"destination": [{"bucket": "arn:aws:s3:::somebody-elses"}]}]}))
            .build();
        let got = lint(&model, "", &["SOV004", "SOV010"]);
        assert_eq!(got.len(), 2, "{got:#?}");
        assert!(
            got[0].contains("aws_s3_bucket.replica in \"us-east-1\""),
            "{got:#?}"
        );
        assert!(got[1].contains("not in this configuration"), "{got:#?}");
    }

    #[test]
    fn azure_pairs() {
        let model = ModelBuilder::new()
            .resource(
                "azurerm_storage_account",
                "de",
                json!({"location": "germanywestcentral", "account_replication_type": "GRS"}),
            )
            .resource(
                "azurerm_storage_account",
                "pl",
                json!({"location": "polandcentral", "account_replication_type": "RAGRS"}),
            )
            .resource(
                "azurerm_storage_account",
                "lrs",
                json!({"location": "polandcentral", "account_replication_type": "LRS"}),
            )
            .build();
        let got = lint(&model, "", &["SOV004"]);
        assert_eq!(got.len(), 1, "{got:#?}");
        assert!(got[0].contains("no paired region"), "{got:#?}");
    }
}
