//! The in-toto Statement v1 and its predicate, a SLSA verification summary (VSA) v1 with the
//! project's extension object. One set of types serves writing and reading (`verify`).
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// `_type` of an in-toto Statement v1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// `predicateType` of a SLSA verification summary v1.
pub const VSA_PREDICATE_TYPE: &str = "https://slsa.dev/verification_summary/v1";
/// `verifier.id`.
pub const VERIFIER_ID: &str = "https://sovereign-ml.github.io/sovereign/sovereign-lint";
/// The key of the extension object in the predicate.
pub const EXTENSION_KEY: &str =
    "https://sovereign-ml.github.io/sovereign/attestation/lint-result/v1";
/// `policy.uri` when no policy file was found (the built-in defaults of SPEC §2).
pub const DEFAULT_POLICY_URI: &str = "https://sovereign-ml.github.io/sovereign/policy/defaults";
/// `policy.uri` when several policy files applied (one per stack): its digest covers all of them.
pub const POLICY_SET_URI: &str = "https://sovereign-ml.github.io/sovereign/policy/set";
/// The extension's schema version.
pub const SCHEMA_VERSION: u32 = 1;

/// `{"sha256": "<hex>"}`.
pub type DigestSet = BTreeMap<String, String>;

pub fn sha256_digest(hex: String) -> DigestSet {
    BTreeMap::from([("sha256".to_string(), hex)])
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Statement {
    #[serde(rename = "_type")]
    pub statement_type: String,
    pub subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    pub predicate: Predicate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    pub name: String,
    pub digest: DigestSet,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Predicate {
    pub verifier: Verifier,
    pub time_verified: String,
    pub resource_uri: String,
    pub policy: PolicyDescriptor,
    pub verification_result: String,
    pub verified_levels: Vec<String>,
    #[serde(rename = "https://sovereign-ml.github.io/sovereign/attestation/lint-result/v1")]
    pub lint_result: LintResult,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Verifier {
    pub id: String,
    /// `{"sovereign-lint": "0.1.0", "catalog": "2026-11-01"}`.
    pub version: BTreeMap<String, String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct PolicyDescriptor {
    pub uri: String,
    pub digest: DigestSet,
}

/// The extension object: everything needed to know what was checked, how, and with what result.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LintResult {
    pub schema_version: u32,
    /// `plan` or `configuration`.
    pub mode: String,
    pub exit_code: i32,
    pub invocation: Invocation,
    pub linter: Tool,
    pub catalog: Tool,
    pub policies: Vec<PolicyRecord>,
    pub input_files: Vec<Subject>,
    pub suppressions: Vec<SuppressionEntry>,
    pub baseline: Option<Subject>,
    /// Exactly the `summary` of `--format json`.
    pub summary: Box<RawValue>,
    /// Exactly the `findings` of `--format json`.
    pub findings: Box<RawValue>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Invocation {
    /// The scanned paths as typed (with a plan: the configuration directory).
    pub paths: Vec<String>,
    pub plan: Option<String>,
    pub tfplan: Option<String>,
    /// `--config`, when given.
    pub config: Option<String>,
    /// `--jurisdiction`, when given.
    pub jurisdiction: Option<String>,
    pub var_files: Vec<String>,
    /// Names of `--var` variables (values are not recorded: they may be secrets).
    pub vars: Vec<String>,
    pub fail_on: String,
    pub min_severity: String,
    pub inline_ignores: bool,
    /// The date suppression expiries were checked against.
    pub today: String,
    pub ci: Option<CiContext>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CiContext {
    /// `github-actions`, `gitlab-ci` or `ci`.
    pub provider: String,
    /// The run or pipeline URL, when known.
    pub pipeline: Option<String>,
    pub commit: Option<String>,
}

/// The linter (name, version, digest of its binary) or the catalog (its version and digest).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
    pub digest: DigestSet,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicyRecord {
    /// The policy file as typed or found, or `(built-in defaults)`.
    pub name: String,
    pub digest: DigestSet,
    /// The file's text (empty for the built-in defaults).
    pub content: String,
    /// The settings in effect (file, defaults and `--jurisdiction` applied).
    pub effective: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SuppressionEntry {
    pub rules: Vec<String>,
    pub file: String,
    pub line: u32,
    pub reason: Option<String>,
    pub expires: Option<String>,
    /// Why it suppresses nothing, when invalid (it then raised SOV011).
    pub invalid: Option<String>,
    pub suppressed: Vec<SuppressedEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SuppressedEntry {
    pub rule: String,
    pub address: String,
    pub file: String,
    pub line: u32,
}
