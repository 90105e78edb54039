//! ## What it does
//! Requires every data-bearing resource to be encrypted at rest with a customer-managed key:
//!
//! - S3 buckets and directory buckets: an `aws_s3_bucket_server_side_encryption_configuration` whose
//!   `bucket` refers to the bucket (by reference or by name), with `sse_algorithm = "aws:kms"` (or
//!   `aws:kms:dsse`) and a `kms_master_key_id` (the legacy inline
//!   `server_side_encryption_configuration` block of `aws_s3_bucket` counts too);
//! - EBS, RDS/Aurora, DocumentDB, Neptune, EFS, Redshift: `encrypted`/`storage_encrypted = true` and a
//!   `kms_key_id`/`kms_key_arn` (Redshift's `encrypted` is true when unset, since hashicorp/aws
//!   6.0.0); DynamoDB: `server_side_encryption { enabled = true, kms_key_arn }`;
//!   SQS, SNS: `kms_master_key_id`; ECR: `encryption_configuration { encryption_type = "KMS", kms_key }`;
//!   S3 Tables table buckets: `encryption_configuration { sse_algorithm = "aws:kms", kms_key_arn }`
//!   (their tables use it); S3 Vectors vector buckets: `encryption_configuration { sse_type =
//!   "aws:kms", kms_key_arn }`; MSK: `encryption_info { encryption_at_rest_kms_key_arn }`; Bedrock
//!   custom models: `custom_model_kms_key_id`; SageMaker feature groups: the key of each store they
//!   use (`offline_store_config.s3_storage_config.kms_key_id`, and
//!   `online_store_config.security_config.kms_key_id` when the online store is enabled); Redshift
//!   Serverless namespaces: `kms_key_id`; Keyspaces tables: `encryption_specification { type =
//!   "CUSTOMER_MANAGED_KMS_KEY", kms_key_identifier }`; Firehose streams with a Direct PUT source:
//!   `server_side_encryption { enabled = true, key_type = "CUSTOMER_MANAGED_CMK", key_arn }`;
//!   ElastiCache replication groups, OpenSearch, Kinesis,
//!   FSx, MemoryDB, CloudWatch log groups, Secrets Manager, Backup vaults, Timestream, SageMaker
//!   notebooks/domains/endpoint configurations, Athena workgroups: their KMS key arguments;
//! - Azure: storage accounts (`customer_managed_key` block or an
//!   `azurerm_storage_account_customer_managed_key` referring to the account), managed disks
//!   (`disk_encryption_set_id`), SQL servers (`azurerm_mssql_server_transparent_data_encryption` with
//!   `key_vault_key_id`), PostgreSQL/MySQL flexible servers and Service Bus
//!   (`customer_managed_key.key_vault_key_id`), container registries (`encryption.key_vault_key_id`),
//!   ML workspaces (`encryption.key_id`), Synapse (`customer_managed_key.key_versionless_id`),
//!   Cognitive Services/OpenAI accounts (`customer_managed_key` or an
//!   `azurerm_cognitive_account_customer_managed_key`), Event Hubs namespaces (an
//!   `azurerm_eventhub_namespace_customer_managed_key`), Cosmos DB (`key_vault_key_id`);
//! - Google: storage buckets (`encryption.default_kms_key_name`), disks (`disk_encryption_key`), Cloud SQL
//!   (`encryption_key_name`), BigQuery datasets and tables, Bigtable (`cluster.kms_key_name`), Pub/Sub
//!   topics, Artifact Registry, Vertex AI datasets, featurestores, endpoints, indexes,
//!   tensorboards and metadata stores (`encryption_spec`), AlloyDB (`encryption_config`),
//!   Memorystore Redis (`customer_managed_key`), Firestore (`cmek_config`), Filestore
//!   (`kms_key_name`);
//! - `sovereign_bucket`: `kms_key_arn`.
//!
//! A key given by reference to a key managed in the configuration (`aws_kms_key.data.arn`, also
//! through module inputs and outputs, and in a plan where it is known only after apply) is
//! customer-managed; a literal AWS-managed alias (`alias/aws/s3`) is not. The rule fails closed: a
//! key from a variable without a value or a data source attribute, and an encryption switch or
//! algorithm that cannot be resolved statically, are SOV010. Which region the key is in is
//! SOV001's question (ARNs).
//!
//! ## Why is this bad?
//! Data encrypted with a provider-managed key (or not at all) can be decrypted by the cloud operator
//! under its own procedures and jurisdiction. A customer-managed key puts decryption under your key
//! policy, audit trail and, with an HSM, your custody: revoking it makes the data unreadable.
//!
//! ## Example
//! ```hcl
//! resource "aws_ebs_volume" "datasets" {
//!   availability_zone = "eu-central-1a"
//!   size              = 500
//!   encrypted         = true
//! }
//! ```
//!
//! ## Use instead
//! ```hcl
//! resource "aws_ebs_volume" "datasets" {
//!   availability_zone = "eu-central-1a"
//!   size              = 500
//!   encrypted         = true
//!   kms_key_id        = aws_kms_key.data.arn
//! }
//! ```
//!
//! ## Options
//! None: every data-bearing resource needs a customer-managed key. Use `[rules] SOV006 = "warn"` or
//! an inline suppression with a reason for exceptions.
use foldhash::{HashMap, HashMapExt};

use super::support::{
    Subject, Unproven, computed_by_managed_resource, decisive_path, finding, get_path, loc,
    referenced_resources, unresolved_as,
};
use super::{Rule, RuleContext, RuleInfo, docs};
use crate::finding::{Finding, Severity};
use crate::model::{ResourceInstance, ResourceMode, Tracked, Value};

pub(crate) static INFO: RuleInfo = RuleInfo {
    id: "SOV006",
    name: "unmanaged-encryption",
    summary: "a data-bearing resource is unencrypted, or encrypted without a customer-managed KMS key",
    docs: docs::SOV006,
    default_severity: Severity::Error,
};

pub(crate) struct UnmanagedEncryption;

/// How a resource type is encrypted: an optional switch that must be on, and the key argument.
struct Spec {
    resource_type: &'static str,
    /// (path, accepted values) — `"true"` for booleans.
    switch: Option<(&'static str, &'static [&'static str])>,
    key: &'static str,
}

const fn spec(
    resource_type: &'static str,
    switch: Option<(&'static str, &'static [&'static str])>,
    key: &'static str,
) -> Spec {
    Spec {
        resource_type,
        switch,
        key,
    }
}

const ON: &[&str] = &["true"];

/// Types whose encryption switch is on when it is left unset (or null): Redshift clusters since
/// hashicorp/aws 6.0.0 (`encrypted` defaults to `true`, as in the AWS API).
const SWITCH_ON_BY_DEFAULT: &[&str] = &["aws_redshift_cluster"];

const SPECS: &[Spec] = &[
    spec("aws_ebs_volume", Some(("encrypted", ON)), "kms_key_id"),
    // S3 Tables: the table bucket's default encryption covers its tables (AES256 unless set).
    spec(
        "aws_s3tables_table_bucket",
        Some(("encryption_configuration.sse_algorithm", &["aws:kms"])),
        "encryption_configuration.kms_key_arn",
    ),
    spec(
        "aws_msk_cluster",
        None,
        "encryption_info.encryption_at_rest_kms_key_arn",
    ),
    spec("aws_bedrock_custom_model", None, "custom_model_kms_key_id"),
    spec("aws_redshiftserverless_namespace", None, "kms_key_id"),
    spec(
        "aws_keyspaces_table",
        Some((
            "encryption_specification.type",
            &["CUSTOMER_MANAGED_KMS_KEY"],
        )),
        "encryption_specification.kms_key_identifier",
    ),
    spec(
        "aws_s3vectors_vector_bucket",
        Some(("encryption_configuration.sse_type", &["aws:kms"])),
        "encryption_configuration.kms_key_arn",
    ),
    spec(
        "aws_db_instance",
        Some(("storage_encrypted", ON)),
        "kms_key_id",
    ),
    spec(
        "aws_rds_cluster",
        Some(("storage_encrypted", ON)),
        "kms_key_id",
    ),
    spec(
        "aws_docdb_cluster",
        Some(("storage_encrypted", ON)),
        "kms_key_id",
    ),
    spec(
        "aws_neptune_cluster",
        Some(("storage_encrypted", ON)),
        "kms_key_arn",
    ),
    spec("aws_efs_file_system", Some(("encrypted", ON)), "kms_key_id"),
    spec(
        "aws_redshift_cluster",
        Some(("encrypted", ON)),
        "kms_key_id",
    ),
    spec(
        "aws_dynamodb_table",
        Some(("server_side_encryption.enabled", ON)),
        "server_side_encryption.kms_key_arn",
    ),
    spec("aws_sqs_queue", None, "kms_master_key_id"),
    spec("aws_sns_topic", None, "kms_master_key_id"),
    spec(
        "aws_ecr_repository",
        Some((
            "encryption_configuration.encryption_type",
            &["KMS", "KMS_DSSE"],
        )),
        "encryption_configuration.kms_key",
    ),
    spec(
        "aws_elasticache_replication_group",
        Some(("at_rest_encryption_enabled", ON)),
        "kms_key_id",
    ),
    spec(
        "aws_opensearch_domain",
        Some(("encrypt_at_rest.enabled", ON)),
        "encrypt_at_rest.kms_key_id",
    ),
    spec(
        "aws_elasticsearch_domain",
        Some(("encrypt_at_rest.enabled", ON)),
        "encrypt_at_rest.kms_key_id",
    ),
    spec(
        "aws_kinesis_stream",
        Some(("encryption_type", &["KMS"])),
        "kms_key_id",
    ),
    spec("aws_fsx_lustre_file_system", None, "kms_key_id"),
    spec("aws_fsx_windows_file_system", None, "kms_key_id"),
    spec("aws_fsx_ontap_file_system", None, "kms_key_id"),
    spec("aws_fsx_openzfs_file_system", None, "kms_key_id"),
    spec("aws_memorydb_cluster", None, "kms_key_arn"),
    spec("aws_cloudwatch_log_group", None, "kms_key_id"),
    spec("aws_secretsmanager_secret", None, "kms_key_id"),
    spec("aws_backup_vault", None, "kms_key_arn"),
    spec("aws_timestreamwrite_database", None, "kms_key_id"),
    spec("aws_sagemaker_notebook_instance", None, "kms_key_id"),
    spec("aws_sagemaker_domain", None, "kms_key_id"),
    spec("aws_sagemaker_endpoint_configuration", None, "kms_key_arn"),
    spec(
        "aws_athena_workgroup",
        Some((
            "configuration.result_configuration.encryption_configuration.encryption_option",
            &["SSE_KMS", "CSE_KMS"],
        )),
        "configuration.result_configuration.encryption_configuration.kms_key_arn",
    ),
    spec("azurerm_managed_disk", None, "disk_encryption_set_id"),
    spec(
        "azurerm_postgresql_flexible_server",
        None,
        "customer_managed_key.key_vault_key_id",
    ),
    spec(
        "azurerm_mysql_flexible_server",
        None,
        "customer_managed_key.key_vault_key_id",
    ),
    spec(
        "azurerm_servicebus_namespace",
        None,
        "customer_managed_key.key_vault_key_id",
    ),
    spec(
        "azurerm_synapse_workspace",
        None,
        "customer_managed_key.key_versionless_id",
    ),
    spec(
        "azurerm_container_registry",
        None,
        "encryption.key_vault_key_id",
    ),
    // azurerm 5.2: `encryption { key_vault_id, key_id }` (there is no `key_vault_key_id`).
    spec(
        "azurerm_machine_learning_workspace",
        None,
        "encryption.key_id",
    ),
    spec("azurerm_cosmosdb_account", None, "key_vault_key_id"),
    spec(
        "google_storage_bucket",
        None,
        "encryption.default_kms_key_name",
    ),
    spec(
        "google_compute_disk",
        None,
        "disk_encryption_key.kms_key_self_link",
    ),
    spec("google_sql_database_instance", None, "encryption_key_name"),
    spec(
        "google_bigquery_dataset",
        None,
        "default_encryption_configuration.kms_key_name",
    ),
    spec("google_pubsub_topic", None, "kms_key_name"),
    spec("google_artifact_registry_repository", None, "kms_key_name"),
    spec(
        "google_vertex_ai_dataset",
        None,
        "encryption_spec.kms_key_name",
    ),
    spec(
        "google_vertex_ai_featurestore",
        None,
        "encryption_spec.kms_key_name",
    ),
    spec(
        "google_vertex_ai_endpoint",
        None,
        "encryption_spec.kms_key_name",
    ),
    spec(
        "google_vertex_ai_index",
        None,
        "encryption_spec.kms_key_name",
    ),
    spec(
        "google_vertex_ai_tensorboard",
        None,
        "encryption_spec.kms_key_name",
    ),
    spec(
        "google_bigquery_table",
        None,
        "encryption_configuration.kms_key_name",
    ),
    spec("google_bigtable_instance", None, "cluster.kms_key_name"),
    spec(
        "google_vertex_ai_metadata_store",
        None,
        "encryption_spec.kms_key_name",
    ),
    spec(
        "google_alloydb_cluster",
        None,
        "encryption_config.kms_key_name",
    ),
    spec("google_redis_instance", None, "customer_managed_key"),
    spec(
        "google_firestore_database",
        None,
        "cmek_config.kms_key_name",
    ),
    spec("google_filestore_instance", None, "kms_key_name"),
    spec("sovereign_bucket", None, "kms_key_arn"),
];

impl Rule for UnmanagedEncryption {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
        let links = Links::build(cx);
        for (index, r) in cx
            .model
            .resources
            .iter()
            .enumerate()
            .filter(|(_, r)| r.mode == ResourceMode::Managed)
        {
            match r.resource_type.as_str() {
                "aws_s3_bucket" | "aws_s3_directory_bucket" => s3_bucket(cx, &links, out, index, r),
                "aws_sagemaker_feature_group" => feature_group(cx, out, r),
                "aws_kinesis_firehose_delivery_stream" => firehose(cx, out, r),
                "azurerm_storage_account" => linked_key(
                    &links,
                    out,
                    index,
                    r,
                    "customer_managed_key.key_vault_key_id",
                    "azurerm_storage_account_customer_managed_key",
                ),
                "azurerm_mssql_server" => linked_key(
                    &links,
                    out,
                    index,
                    r,
                    "transparent_data_encryption_key_vault_key_id",
                    "azurerm_mssql_server_transparent_data_encryption",
                ),
                // azurerm 5.2: the namespace has no key argument of its own.
                "azurerm_eventhub_namespace" => linked_key(
                    &links,
                    out,
                    index,
                    r,
                    "",
                    "azurerm_eventhub_namespace_customer_managed_key",
                ),
                "azurerm_cognitive_account" => linked_key(
                    &links,
                    out,
                    index,
                    r,
                    "customer_managed_key.key_vault_key_id",
                    "azurerm_cognitive_account_customer_managed_key",
                ),
                t => {
                    if let Some(spec) = spec_of(t) {
                        by_spec(cx, out, r, spec);
                    }
                }
            }
        }
    }
}

/// The argument paths the encryption table reads, by resource type (for the argument record's
/// test: a key path is read only once the switch is on, so bare instances do not reach it).
#[cfg(test)]
pub(super) fn encryption_arguments() -> Vec<(&'static str, &'static str)> {
    SPECS
        .iter()
        .flat_map(|s| {
            let switch = s.switch.map(|(path, _)| (s.resource_type, path));
            switch
                .into_iter()
                .chain(std::iter::once((s.resource_type, s.key)))
        })
        .collect()
}

/// The encryption spec of a resource type (looked up for every resource: a hash, not a scan).
fn spec_of(resource_type: &str) -> Option<&'static Spec> {
    static BY_TYPE: std::sync::OnceLock<HashMap<&'static str, &'static Spec>> =
        std::sync::OnceLock::new();
    BY_TYPE
        .get_or_init(|| SPECS.iter().map(|s| (s.resource_type, s)).collect())
        .get(resource_type)
        .copied()
}

fn is_set(t: Option<&Tracked>) -> bool {
    t.is_some_and(|t| match &t.value {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::List(items) => !items.is_empty(),
        _ => true,
    })
}

fn report(
    out: &mut Vec<Finding>,
    r: &ResourceInstance,
    at: Option<&Tracked>,
    why: String,
    help: String,
) {
    let location = at.map_or_else(|| r.location.clone(), |t| loc(t, &r.location));
    out.push(finding(
        INFO.id,
        Subject::resource(r),
        location,
        format!("{} {why}", r.address),
        at,
        help,
    ));
}

/// A literal AWS-managed key alias (`alias/aws/s3`, or an ARN ending in it).
fn aws_managed(t: &Tracked) -> bool {
    t.as_str().is_some_and(|s| s.contains("alias/aws/"))
}

/// Whether an unknown key (`names_key`) or setting still proves a customer-managed key, failing
/// closed: a key computed by a resource managed in the configuration (`aws_kms_key.data.arn`,
/// known after apply) is the customer's own; a key from a variable without a value, a data source
/// or anything else, and any unknown setting (a switch or algorithm computed at apply time says
/// nothing about its value), cannot be proven and are SOV010.
fn unknown_is_managed(
    cx: &RuleContext<'_>,
    out: &mut Vec<Finding>,
    r: &ResourceInstance,
    what: &str,
    t: &Tracked,
    names_key: bool,
) -> bool {
    let managed = names_key && computed_by_managed_resource(cx, r, t);
    if !managed {
        unresolved_as(
            cx,
            out,
            Subject::resource(r),
            &format!("`{what}`"),
            t,
            Unproven::Encryption,
        );
    }
    managed
}

fn by_spec(cx: &RuleContext<'_>, out: &mut Vec<Finding>, r: &ResourceInstance, spec: &Spec) {
    let subject = Subject::resource(r);
    if let Some((path, accepted)) = spec.switch {
        let Ok(t) = decisive_path(cx, out, subject, &r.attributes, path, Unproven::Encryption)
        else {
            return;
        };
        let unset = t.is_none_or(Tracked::is_null);
        if unset && SWITCH_ON_BY_DEFAULT.contains(&spec.resource_type) {
            // On by default: the key decides, below.
        } else if let Some(t) = t.filter(|t| t.unknown_reason().is_some()) {
            if !unknown_is_managed(cx, out, r, path, t, false) {
                return;
            }
        } else {
            let on = t.is_some_and(|t| match &t.value {
                Value::Bool(b) => accepted.contains(&b.to_string().as_str()),
                Value::String(s) => accepted.iter().any(|a| a.eq_ignore_ascii_case(s)),
                _ => false,
            });
            if !on {
                let now = t.map_or("not set".to_string(), Tracked::render);
                report(
                    out,
                    r,
                    t,
                    format!("is not encrypted with a KMS key (`{path}` is {now})"),
                    format!(
                        "set `{path} = {}` and `{}` to a customer-managed key",
                        render_accepted(accepted),
                        spec.key
                    ),
                );
                return;
            }
        }
    }
    let Ok(key) = decisive_path(
        cx,
        out,
        subject,
        &r.attributes,
        spec.key,
        Unproven::Encryption,
    ) else {
        return;
    };
    if !is_set(key) {
        report(
            out,
            r,
            None,
            format!(
                "is encrypted with a provider-managed key: `{}` is not set",
                spec.key
            ),
            format!("set `{}` to {}", spec.key, key_example(r)),
        );
    } else if let Some(k) = key.filter(|k| aws_managed(k)) {
        report(
            out,
            r,
            Some(k),
            format!(
                "uses the AWS-managed key {} rather than a customer-managed one",
                k.render()
            ),
            format!("set `{}` to a customer-managed aws_kms_key", spec.key),
        );
    } else if let Some(k) = key.filter(|k| k.unknown_reason().is_some()) {
        unknown_is_managed(cx, out, r, spec.key, k, true);
    }
}

fn key_example(r: &ResourceInstance) -> &'static str {
    match super::support::cloud_of(r) {
        Some(sovereign_schemas::Cloud::Azure) => {
            "a customer-managed key (an azurerm_key_vault_key id, or a disk encryption set)"
        }
        Some(sovereign_schemas::Cloud::Google) => {
            "a customer-managed key (a google_kms_crypto_key id)"
        }
        _ => "a customer-managed key (e.g. aws_kms_key.data.arn or a sovereign_key ARN)",
    }
}

fn render_accepted(accepted: &[&str]) -> String {
    if accepted == ON {
        "true".to_string()
    } else {
        format!("\"{}\"", accepted[0])
    }
}

/// Resources that configure another one's encryption: (link type, link argument, target type,
/// target argument a literal link value names, the link's key argument).
const LINK_TYPES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "aws_s3_bucket_server_side_encryption_configuration",
        "bucket",
        "aws_s3_bucket",
        "bucket",
        "rule",
    ),
    (
        "aws_s3_bucket_server_side_encryption_configuration",
        "bucket",
        "aws_s3_directory_bucket",
        "bucket",
        "rule",
    ),
    (
        "azurerm_storage_account_customer_managed_key",
        "storage_account_id",
        "azurerm_storage_account",
        "id",
        "key_vault_key_id",
    ),
    (
        "azurerm_mssql_server_transparent_data_encryption",
        "server_id",
        "azurerm_mssql_server",
        "id",
        "key_vault_key_id",
    ),
    (
        "azurerm_eventhub_namespace_customer_managed_key",
        "eventhub_namespace_id",
        "azurerm_eventhub_namespace",
        "id",
        "key_vault_key_ids",
    ),
    (
        "azurerm_cognitive_account_customer_managed_key",
        "cognitive_account_id",
        "azurerm_cognitive_account",
        "id",
        "key_vault_key_id",
    ),
];

/// A link type's argument naming the resource it configures, and its key argument.
fn link_arguments(link_type: &str) -> (&'static str, &'static str) {
    LINK_TYPES
        .iter()
        .find(|(t, ..)| *t == link_type)
        .map_or(("id", "key_vault_key_id"), |(_, link, _, _, key)| {
            (link, key)
        })
}

/// Which link resources refer to which target (by address), computed once per run so that
/// thousands of buckets do not each scan thousands of configurations.
/// Link resources (`aws_s3_bucket_server_side_encryption_configuration`, …) by the position of
/// the instance they configure.
struct Links<'m> {
    by_target: Vec<(usize, &'m ResourceInstance)>,
}

impl<'m> Links<'m> {
    fn build(cx: &RuleContext<'m>) -> Self {
        let links: Vec<(&'m ResourceInstance, &'static str, &'m Tracked)> = cx
            .model
            .resources
            .iter()
            .flat_map(|r| {
                // One link type may configure several target types (S3 general purpose and
                // directory buckets).
                LINK_TYPES
                    .iter()
                    .filter(|(t, ..)| *t == r.resource_type)
                    .filter_map(move |(_, link_attr, target_type, _, _)| {
                        Some((r, *target_type, r.attr(link_attr)?))
                    })
            })
            .collect();
        let mut by_name: HashMap<(&str, &str, &str), &'m ResourceInstance> = HashMap::new();
        if links.iter().any(|(_, _, link)| link.as_str().is_some()) {
            for r in &cx.model.resources {
                for (_, _, target_type, name_attr, _) in LINK_TYPES {
                    if r.resource_type == *target_type
                        && let Some(name) = r.attr(name_attr).and_then(Tracked::as_str)
                    {
                        by_name.insert((target_type, &r.module_address, name), r);
                    }
                }
            }
        }
        let mut by_target: Vec<(usize, &'m ResourceInstance)> = Vec::with_capacity(links.len());
        for (r, target_type, link) in links {
            let mut targets: Vec<&'m ResourceInstance> = Vec::new();
            if let Some(name) = link.as_str()
                && let Some(t) = by_name.get(&(target_type, r.module_address.as_str(), name))
            {
                targets.push(t);
            }
            for (t, _) in referenced_resources(cx, r, link) {
                if t.resource_type == target_type && !targets.iter().any(|x| std::ptr::eq(*x, t)) {
                    targets.push(t);
                }
            }
            by_target.extend(
                targets
                    .into_iter()
                    .filter_map(|t| Some((cx.index_of(t)?, r))),
            );
        }
        by_target.sort_by_key(|(target, _)| *target);
        Links { by_target }
    }

    /// The links of type `link_type` to the instance at `target` (see [`RuleContext::index_of`]).
    fn of<'l>(
        &'l self,
        target: usize,
        link_type: &'l str,
    ) -> impl Iterator<Item = &'m ResourceInstance> + 'l {
        let start = self.by_target.partition_point(|(t, _)| *t < target);
        self.by_target[start..]
            .iter()
            .take_while(move |(t, _)| *t == target)
            .map(|(_, r)| *r)
            .filter(move |r| r.resource_type == link_type)
    }
}

fn s3_bucket(
    cx: &RuleContext<'_>,
    links: &Links<'_>,
    out: &mut Vec<Finding>,
    index: usize,
    r: &ResourceInstance,
) {
    let help = "add an aws_s3_bucket_server_side_encryption_configuration for this bucket with \
                `sse_algorithm = \"aws:kms\"` and `kms_master_key_id` set to a customer-managed key";
    // Legacy inline block (general purpose buckets only), then the separate configuration
    // resources.
    let inline = (r.resource_type == "aws_s3_bucket")
        .then(|| {
            get_path(
                &r.attributes,
                "server_side_encryption_configuration.rule.apply_server_side_encryption_by_default",
            )
        })
        .flatten()
        .map(|d| (d, r));
    const CONFIG: &str = "aws_s3_bucket_server_side_encryption_configuration";
    let mut defaults = inline
        .into_iter()
        .chain(links.of(index, CONFIG).filter_map(|c| {
            get_path(
                &c.attributes,
                "rule.apply_server_side_encryption_by_default",
            )
            .map(|d| (d, c))
        }))
        .peekable();
    if defaults.peek().is_none() {
        let why = if links.of(index, CONFIG).next().is_none() {
            "has no server-side encryption configuration: S3 encrypts it with S3-managed keys (SSE-S3)".to_string()
        } else {
            "has an encryption configuration without `apply_server_side_encryption_by_default`"
                .to_string()
        };
        report(out, r, None, why, help.to_string());
        return;
    }
    for (d, owner) in defaults {
        let d = d.items().first().unwrap_or(d);
        if d.unknown_reason().is_some() {
            unknown_is_managed(
                cx,
                out,
                owner,
                "apply_server_side_encryption_by_default",
                d,
                false,
            );
            continue;
        }
        let algorithm = d.get("sse_algorithm");
        if let Some(a) = algorithm.filter(|a| a.unknown_reason().is_some())
            && !unknown_is_managed(cx, out, owner, "sse_algorithm", a, false)
        {
            continue;
        }
        let kms = algorithm.is_some_and(|a| {
            a.unknown_reason().is_some() || a.as_str().is_some_and(|s| s.starts_with("aws:kms"))
        });
        if !kms {
            let now = algorithm.map_or("not set".to_string(), Tracked::render);
            let location =
                algorithm.map_or_else(|| owner.location.clone(), |a| loc(a, &owner.location));
            out.push(finding(
                INFO.id,
                Subject::resource(r),
                location,
                format!("{} is encrypted with S3-managed keys (`sse_algorithm` is {now}), not a customer-managed KMS key", r.address),
                algorithm,
                help,
            ));
        } else if !is_set(d.get("kms_master_key_id")) {
            out.push(finding(
                INFO.id,
                Subject::resource(r),
                algorithm.map_or_else(|| owner.location.clone(), |a| loc(a, &owner.location)),
                format!("{} uses SSE-KMS with the AWS-managed key aws/s3: `kms_master_key_id` is not set", r.address),
                None,
                help,
            ));
        } else if let Some(k) = d.get("kms_master_key_id").filter(|k| aws_managed(k)) {
            out.push(finding(
                INFO.id,
                Subject::resource(r),
                loc(k, &owner.location),
                format!("{} uses the AWS-managed key {}", r.address, k.render()),
                Some(k),
                help,
            ));
        } else if let Some(k) = d
            .get("kms_master_key_id")
            .filter(|k| k.unknown_reason().is_some())
        {
            unknown_is_managed(cx, out, owner, "kms_master_key_id", k, true);
        }
    }
}

/// A SageMaker feature group keeps features in up to two stores, each with its own key: the offline
/// store (`offline_store_config.s3_storage_config.kms_key_id`) when configured, and the online store
/// (`online_store_config.security_config.kms_key_id`) when enabled.
fn feature_group(cx: &RuleContext<'_>, out: &mut Vec<Finding>, r: &ResourceInstance) {
    const OFFLINE: Spec = spec(
        "aws_sagemaker_feature_group",
        None,
        "offline_store_config.s3_storage_config.kms_key_id",
    );
    const ONLINE: Spec = spec(
        "aws_sagemaker_feature_group",
        None,
        "online_store_config.security_config.kms_key_id",
    );
    let subject = Subject::resource(r);
    if let Ok(Some(t)) = decisive_path(
        cx,
        out,
        subject,
        &r.attributes,
        "offline_store_config",
        Unproven::Encryption,
    ) && !t.items().is_empty()
    {
        by_spec(cx, out, r, &OFFLINE);
    }
    // The online store is used only when enabled; whether it is must be known.
    let enabled = "online_store_config.enable_online_store";
    if let Ok(Some(t)) = decisive_path(
        cx,
        out,
        subject,
        &r.attributes,
        enabled,
        Unproven::Encryption,
    ) {
        let on = match &t.value {
            Value::Bool(b) => *b,
            Value::Unknown(_) => unknown_is_managed(cx, out, r, enabled, t, false),
            _ => false,
        };
        if on {
            by_spec(cx, out, r, &ONLINE);
        }
    }
}

/// A Firehose stream encrypts what it buffers only for Direct PUT sources (a Kinesis or MSK source
/// keeps its own encryption): `server_side_encryption { enabled = true, key_type =
/// "CUSTOMER_MANAGED_CMK", key_arn }` (the default key type is AWS-owned).
fn firehose(cx: &RuleContext<'_>, out: &mut Vec<Finding>, r: &ResourceInstance) {
    const TYPE: &str = "aws_kinesis_firehose_delivery_stream";
    const KEY: &str = "server_side_encryption.key_arn";
    const ENABLED: Spec = spec(TYPE, Some(("server_side_encryption.enabled", ON)), KEY);
    const CUSTOMER: Spec = spec(
        TYPE,
        Some(("server_side_encryption.key_type", &["CUSTOMER_MANAGED_CMK"])),
        KEY,
    );
    let subject = Subject::resource(r);
    for source in ["kinesis_source_configuration", "msk_source_configuration"] {
        match decisive_path(
            cx,
            out,
            subject,
            &r.attributes,
            source,
            Unproven::Encryption,
        ) {
            Ok(Some(t)) if !t.is_null() && !t.items().is_empty() => return,
            Ok(_) => {}
            Err(()) => return,
        }
    }
    let before = out.len();
    by_spec(cx, out, r, &ENABLED);
    if out.len() == before {
        by_spec(cx, out, r, &CUSTOMER);
    }
}

/// A key given inline (`inline_path`, "" when the type has none) or by a separate resource that
/// refers to this one.
fn linked_key(
    links: &Links<'_>,
    out: &mut Vec<Finding>,
    index: usize,
    r: &ResourceInstance,
    inline_path: &str,
    link_type: &str,
) {
    if !inline_path.is_empty() && is_set(get_path(&r.attributes, inline_path)) {
        return;
    }
    let (link_attr, key) = link_arguments(link_type);
    if links.of(index, link_type).any(|l| is_set(l.attr(key))) {
        return;
    }
    let link = format!(
        "an {link_type} whose `{link_attr}` refers to this resource, with `{key}` set to a customer-managed key"
    );
    let help = if inline_path.is_empty() {
        format!("add {link}")
    } else {
        format!("set `{inline_path}`, or add {link}")
    };
    report(
        out,
        r,
        None,
        "is encrypted with a Microsoft-managed key: no customer-managed key is configured"
            .to_string(),
        help,
    );
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::rules::test_support::{ModelBuilder, lint};

    #[test]
    fn s3_linked_configuration() {
        let model = ModelBuilder::new()
            .resource("aws_s3_bucket", "data", json!({"bucket": "data"}))
            .resource("aws_s3_bucket", "plain", json!({"bucket": "plain"}))
            .resource("aws_s3_bucket", "sse_s3", json!({"bucket": "sse-s3"}))
            .resource("aws_s3_bucket_server_side_encryption_configuration", "data", json!({
                "bucket": "?aws_s3_bucket.data.id known after apply",
                "rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms", "kms_master_key_id": "?aws_kms_key.data.arn"}]}]
            }))
            .resource("aws_s3_bucket_server_side_encryption_configuration", "sse_s3", json!({
                "bucket": "sse-s3",
                "rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "AES256"}]}]
            }))
            .build();
        let got = lint(&model, "", &["SOV006"]);
        assert_eq!(got.len(), 2, "{got:#?}");
        assert!(
            got[0].contains("aws_s3_bucket.plain has no server-side encryption"),
            "{got:#?}"
        );
        assert!(got[1].contains("\"AES256\""), "{got:#?}");
    }

    #[test]
    fn specs() {
        let model = ModelBuilder::new()
            .resource("aws_ebs_volume", "no_key", json!({"encrypted": true}))
            .resource("aws_ebs_volume", "off", json!({"encrypted": false}))
            .resource("aws_ebs_volume", "ok", json!({"encrypted": true, "kms_key_id": "?aws_kms_key.k.arn"}))
            .resource("aws_sqs_queue", "managed", json!({"kms_master_key_id": "alias/aws/sqs"}))
            .resource("aws_dynamodb_table", "ok", json!({"server_side_encryption": [{"enabled": true, "kms_key_arn": "?aws_kms_key.k.arn"}]}))
            .resource("azurerm_storage_account", "sa", json!({"name": "sa"}))
            .resource("azurerm_storage_account", "cmk", json!({"name": "cmk"}))
            .resource("azurerm_storage_account_customer_managed_key", "cmk", json!({"storage_account_id": "?azurerm_storage_account.cmk.id", "key_vault_key_id": "?azurerm_key_vault_key.k.id"}))
            .resource("google_storage_bucket", "g", json!({"encryption": [{"default_kms_key_name": "?google_kms_crypto_key.k.id"}]}))
            .resource("sovereign_bucket", "b", json!({"kms_key_arn": "?sovereign_key.k.arn"}))
            .build();
        let got = lint(&model, "", &["SOV006"]);
        assert_eq!(got.len(), 4, "{got:#?}");
        assert!(
            got[0].contains("no_key")
                && got[1].contains("off")
                && got[2].contains("alias/aws/sqs")
                && got[3].contains("azurerm_storage_account.sa"),
            "{got:#?}"
        );
    }

    /// A key or switch known only as a reference to a key managed here passes; from a variable
    /// without a value or a data source it is SOV010, never a pass (and never a guessed SOV006).
    #[test]
    fn unresolved_keys_fail_closed() {
        let model = ModelBuilder::new()
            .resource("aws_kms_key", "k", json!({"enable_key_rotation": true}))
            .resource("aws_ebs_volume", "managed", json!({"encrypted": true, "kms_key_id": "?aws_kms_key.k.arn known after apply"}))
            .resource("aws_ebs_volume", "var_key", json!({"encrypted": true, "kms_key_id": "?var.key has no value"}))
            .resource("aws_ebs_volume", "var_switch", json!({"encrypted": "?var.encrypted has no value"}))
            .resource("aws_dynamodb_table", "block", json!({"server_side_encryption": "?dynamic \"server_side_encryption\" for_each is unknown"}))
            .resource("aws_sqs_queue", "data_key", json!({"kms_master_key_id": "?data.aws_kms_key.shared.arn (known after apply)"}))
            .build();
        let got = lint(&model, "", &["SOV006", "SOV010"]);
        assert!(got.iter().all(|l| l.contains("SOV010")), "{got:#?}");
        for what in [
            "`kms_key_id` of aws_ebs_volume.var_key",
            "`encrypted` of aws_ebs_volume.var_switch",
            "`server_side_encryption.enabled` of aws_dynamodb_table.block",
            "`kms_master_key_id` of aws_sqs_queue.data_key",
        ] {
            assert!(got.iter().any(|l| l.contains(what)), "{what}: {got:#?}");
        }
        assert_eq!(got.len(), 4, "{got:#?}");
    }
}
