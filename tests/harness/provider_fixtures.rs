//! Helpers for the provider's end-to-end suites (`tests/e2e/{key,bucket,refusals,data_source,stack}.rs`):
//! provider blocks with other regions or endpoints, plan actions from `terraform show -json`, diagnostics from
//! `terraform plan -json` (to check that a refusal points at the offending attribute), and AWS-side checks that
//! nothing was left behind.

use std::collections::BTreeMap;

use crate::{
    ACCESS_KEY, Moto, PROVIDER_SOURCE, REGION, SECRET_KEY, Terraform, TfOutput, block_on,
    hcl_string, kms_client_in, s3_client_in,
};

/// A `provider "sovereign"` block (plus `required_providers`) aimed at moto, with every knob a test may turn.
/// `ProviderBlock::for_moto(&moto).render()` equals [`crate::provider_config`].
#[derive(Clone, Debug)]
pub struct ProviderBlock {
    pub jurisdiction: String,
    pub region: String,
    /// service → URL (`ec2`, `kms`, `s3`, `sts`).
    pub endpoints: BTreeMap<String, String>,
    /// Extra attribute lines inside the provider block, e.g. `default_tags = { owner = "ml" }`.
    pub extra_lines: Vec<String>,
}

impl ProviderBlock {
    pub fn for_moto(moto: &Moto) -> ProviderBlock {
        let endpoint = moto.endpoint();
        ProviderBlock {
            jurisdiction: "eu".into(),
            region: REGION.into(),
            endpoints: ["ec2", "kms", "s3", "sts"]
                .into_iter()
                .map(|s| (s.to_string(), endpoint.clone()))
                .collect(),
            extra_lines: Vec::new(),
        }
    }

    pub fn region(mut self, region: &str) -> Self {
        self.region = region.into();
        self
    }

    pub fn endpoint(mut self, service: &str, url: &str) -> Self {
        self.endpoints.insert(service.into(), url.into());
        self
    }

    pub fn line(mut self, line: &str) -> Self {
        self.extra_lines.push(line.into());
        self
    }

    pub fn render(&self) -> String {
        let mut out = format!(
            "terraform {{\n  required_providers {{\n    sovereign = {{\n      source = \"{PROVIDER_SOURCE}\"\n    }}\n  }}\n}}\n\n\
             provider \"sovereign\" {{\n  jurisdiction = {}\n  region = {}\n  allowed_endpoint_hosts = [\"127.0.0.1\"]\n  \
             access_key = \"{ACCESS_KEY}\"\n  secret_key = \"{SECRET_KEY}\"\n  s3_use_path_style = true\n",
            hcl_string(&self.jurisdiction),
            hcl_string(&self.region)
        );
        for line in &self.extra_lines {
            out.push_str("  ");
            out.push_str(line);
            out.push('\n');
        }
        out.push_str("  endpoints {\n");
        for (service, url) in &self.endpoints {
            out.push_str(&format!("    {service} = {}\n", hcl_string(url)));
        }
        out.push_str("  }\n}\n");
        out
    }
}

// ------------------------------------------------------------------------------------------------ plans

/// One entry of a JSON plan's `resource_changes`.
#[derive(Clone, Debug)]
pub struct PlannedChange {
    pub address: String,
    /// e.g. `["create"]`, `["update"]`, `["delete","create"]`, `["no-op"]`.
    pub actions: Vec<String>,
    /// `replace_paths` as JSON (e.g. `[["name"]]`), `null` when absent.
    pub replace_paths: serde_json::Value,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
}

impl PlannedChange {
    pub fn is_replace(&self) -> bool {
        self.actions.iter().any(|a| a == "delete") && self.actions.iter().any(|a| a == "create")
    }

    pub fn is_update_in_place(&self) -> bool {
        self.actions == ["update"]
    }

    pub fn is_create(&self) -> bool {
        self.actions == ["create"]
    }

    /// True when `replace_paths` names the top-level attribute `attr`.
    pub fn replaces_because_of(&self, attr: &str) -> bool {
        self.replace_paths
            .as_array()
            .is_some_and(|paths| paths.iter().any(|p| p[0] == attr))
    }
}

/// `terraform plan -out` + `show -json` → the resource changes, by address.
pub fn planned_changes(tf: &Terraform) -> BTreeMap<String, PlannedChange> {
    let plan = tf.plan_json();
    plan["resource_changes"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|c| {
            let change = PlannedChange {
                address: c["address"].as_str().unwrap_or_default().to_string(),
                actions: c["change"]["actions"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|s| s.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
                replace_paths: c["change"]["replace_paths"].clone(),
                before: c["change"]["before"].clone(),
                after: c["change"]["after"].clone(),
            };
            (change.address.clone(), change)
        })
        .collect()
}

/// The planned change of `address`, panicking with the whole plan when it is missing.
pub fn planned_change(tf: &Terraform, address: &str) -> PlannedChange {
    let changes = planned_changes(tf);
    changes
        .get(address)
        .cloned()
        .unwrap_or_else(|| panic!("{address} has no planned change; changes: {changes:#?}"))
}

/// Asserts `plan -detailed-exitcode` reports no changes.
pub fn assert_no_changes(tf: &Terraform, context: &str) {
    let out = tf.plan_detailed();
    assert_eq!(
        out.code,
        0,
        "{} — {context}: expected no changes:\n{out}",
        tf.bin()
    );
}

// ------------------------------------------------------------------------------------------------ diagnostics

/// An error diagnostic from `terraform plan -json` / `apply -json`.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub summary: String,
    pub detail: String,
    /// The source lines Terraform quotes (the attribute's line when the provider gave an attribute path; the
    /// block header otherwise).
    pub code: String,
    /// The highlighted part of `code`.
    pub highlight: String,
}

impl Diagnostic {
    /// Summary and detail.
    pub fn text(&self) -> String {
        format!("{}\n{}", self.summary, self.detail)
    }

    /// True when the quoted source line is an assignment to `attribute` (`attribute = …`): Terraform quotes that
    /// line only when the provider's diagnostic carries the attribute's path.
    pub fn points_at_attribute(&self, attribute: &str) -> bool {
        self.code.lines().any(|line| {
            line.trim_start()
                .strip_prefix(attribute)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
    }
}

/// Runs `terraform ARGS… -json` and returns the output plus its error diagnostics.
pub fn json_diagnostics(tf: &Terraform, args: &[&str]) -> (TfOutput, Vec<Diagnostic>) {
    let mut full: Vec<&str> = args.to_vec();
    full.push("-json");
    let out = tf.run(&full);
    let diagnostics = out
        .stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["type"] == "diagnostic" && m["diagnostic"]["severity"] == "error")
        .map(|m| {
            let d = &m["diagnostic"];
            let code = d["snippet"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let start = d["snippet"]["highlight_start_offset"].as_u64().unwrap_or(0) as usize;
            let end = d["snippet"]["highlight_end_offset"].as_u64().unwrap_or(0) as usize;
            let highlight = code.get(start..end).unwrap_or_default().to_string();
            Diagnostic {
                summary: d["summary"].as_str().unwrap_or_default().to_string(),
                detail: d["detail"].as_str().unwrap_or_default().to_string(),
                code,
                highlight,
            }
        })
        .collect();
    (out, diagnostics)
}

/// Runs `terraform plan -json`, asserts it fails (exit 1) with an error that points at `attribute` (Terraform
/// quotes the `attribute = …` line) and whose text mentions every word of `mentions`; returns that diagnostic.
pub fn assert_plan_refused(tf: &Terraform, attribute: &str, mentions: &[&str]) -> Diagnostic {
    let (out, diagnostics) = json_diagnostics(tf, &["plan", "-input=false", "-no-color"]);
    assert_eq!(
        out.code,
        1,
        "{}: plan should be refused (exit 1):\n{out}",
        tf.bin()
    );
    let found = diagnostics.iter().find(|d| {
        d.points_at_attribute(attribute) && mentions.iter().all(|m| d.text().contains(m))
    });
    match found {
        Some(d) => d.clone(),
        None => panic!(
            "{}: no error diagnostic points at `{attribute}` and mentions {mentions:?}; diagnostics: {diagnostics:#?}\n{out}",
            tf.bin()
        ),
    }
}

// ------------------------------------------------------------------------------------------------ AWS-side checks

/// Keys in `region` that are not pending deletion (moto keeps deleted keys as PendingDeletion).
pub fn live_keys(moto: &Moto, region: &str) -> Vec<String> {
    let kms = kms_client_in(&moto.endpoint(), region);
    let keys = block_on(kms.list_keys().send()).expect("ListKeys");
    keys.keys()
        .iter()
        .filter_map(|k| k.key_id())
        .filter(|id| {
            let described = block_on(kms.describe_key().key_id(*id).send()).expect("DescribeKey");
            described
                .key_metadata()
                .and_then(|m| m.key_state())
                .map(|s| s.as_str())
                != Some("PendingDeletion")
        })
        .map(str::to_string)
        .collect()
}

/// Every key in `region`, pending deletion or not.
pub fn all_keys(moto: &Moto, region: &str) -> Vec<String> {
    let kms = kms_client_in(&moto.endpoint(), region);
    let keys = block_on(kms.list_keys().send()).expect("ListKeys");
    keys.keys()
        .iter()
        .filter_map(|k| k.key_id().map(str::to_string))
        .collect()
}

/// Names of every bucket (ListBuckets).
pub fn bucket_names(moto: &Moto) -> Vec<String> {
    let s3 = s3_client_in(&moto.endpoint(), REGION);
    let buckets = block_on(s3.list_buckets().send()).expect("ListBuckets");
    buckets
        .buckets()
        .iter()
        .filter_map(|b| b.name().map(str::to_string))
        .collect()
}

/// Asserts moto holds no KMS key (in any of `regions`) and no bucket: a refused plan created nothing.
pub fn assert_nothing_created(moto: &Moto, regions: &[&str], context: &str) {
    for region in regions {
        let keys = all_keys(moto, region);
        assert!(
            keys.is_empty(),
            "{context}: keys exist in {region}: {keys:?}"
        );
    }
    let buckets = bucket_names(moto);
    assert!(buckets.is_empty(), "{context}: buckets exist: {buckets:?}");
}

/// The statements of an IAM policy document (`Statement` may be one object or an array).
pub fn policy_statements(policy: &str) -> Vec<serde_json::Value> {
    let doc: serde_json::Value = serde_json::from_str(policy)
        .unwrap_or_else(|e| panic!("policy is not JSON ({e}): {policy}"));
    match &doc["Statement"] {
        serde_json::Value::Array(items) => items.clone(),
        serde_json::Value::Object(_) => vec![doc["Statement"].clone()],
        _ => Vec::new(),
    }
}

/// A statement's `Action` (string or array) as a list.
pub fn statement_actions(statement: &serde_json::Value) -> Vec<String> {
    match &statement["Action"] {
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Array(items) => items
            .iter()
            .filter_map(|a| a.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// True when a bucket policy denies requests without TLS (`aws:SecureTransport` = false).
pub fn policy_denies_insecure_transport(policy: &str) -> bool {
    policy_statements(policy).iter().any(|s| {
        s["Effect"] == "Deny"
            && s["Condition"]
                .as_object()
                .into_iter()
                .flat_map(|ops| ops.values())
                .any(|kv| {
                    let v = &kv["aws:SecureTransport"];
                    v == "false" || v == false || v == &serde_json::json!(["false"])
                })
    })
}

/// True when a bucket policy denies `s3:PutReplicationConfiguration` (named exactly).
pub fn policy_denies_replication(policy: &str) -> bool {
    policy_statements(policy).iter().any(|s| {
        s["Effect"] == "Deny"
            && statement_actions(s)
                .iter()
                .any(|a| a == "s3:PutReplicationConfiguration")
    })
}

/// `tags = { k = "v", … }` in HCL (one line).
pub fn hcl_map(entries: &[(&str, &str)]) -> String {
    let inner: Vec<String> = entries
        .iter()
        .map(|(k, v)| format!("{} = {}", hcl_string(k), hcl_string(v)))
        .collect();
    format!("{{ {} }}", inner.join(", "))
}

/// A map from `(key, value)` pairs.
pub fn string_map(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
    entries
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A JSON object of strings (e.g. a state's `tags`) as a map.
pub fn json_string_map(value: &serde_json::Value) -> BTreeMap<String, String> {
    value
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// A bucket's versioning status (`Enabled`, `Suspended`, or `None` when never set), from GetBucketVersioning.
/// (Plain moto 5.2.5 answers with a root element the Rust SDK rejects; the project's moto extension fixes that.)
pub fn bucket_versioning_status(moto: &Moto, bucket: &str) -> Option<String> {
    let s3 = s3_client_in(&moto.endpoint(), REGION);
    block_on(s3.get_bucket_versioning().bucket(bucket).send())
        .unwrap_or_else(|e| panic!("GetBucketVersioning {bucket}: {e:?}"))
        .status()
        .map(|s| s.as_str().to_string())
}
