//! `sovereign-lint verify EVIDENCE --key PUBKEY [--plan] [--tfplan] [--recheck]`: checks a bundle
//! offline, one named check after another; the first that fails is the answer.
use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;

use super::attest::{build_statement, path_text};
use super::bundle::{BUNDLE_MEDIA_TYPE, Bundle, pae};
use super::keys::VerifyingKey;
use super::statement::*;
use super::{IN_TOTO_PAYLOAD_TYPE, sha256_file, sha256_hex};
use crate::engine::{self, RunOptions};
use crate::eval::EvalOptions;
use crate::suppress::Date;

/// The checks `verify` makes, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// EVIDENCE is a Sigstore bundle v0.3 with one DSSE signature.
    Bundle,
    /// PUBKEY is readable and is the key the bundle names.
    Key,
    PayloadType,
    Signature,
    StatementType,
    PredicateType,
    /// The predicate is a VSA written by sovereign-lint, consistent with itself.
    Predicate,
    Subject,
    Recheck,
}

impl Check {
    pub fn name(self) -> &'static str {
        match self {
            Check::Bundle => "bundle",
            Check::Key => "key",
            Check::PayloadType => "payload type",
            Check::Signature => "signature",
            Check::StatementType => "statement type",
            Check::PredicateType => "predicate type",
            Check::Predicate => "predicate",
            Check::Subject => "subject",
            Check::Recheck => "recheck",
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A failed check: the evidence is invalid (exit 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("evidence check `{check}` failed: {message}")]
pub struct VerifyError {
    pub check: Check,
    pub message: String,
    pub help: Option<String>,
}

impl miette::Diagnostic for VerifyError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(format!(
            "sovereign-lint::verify::{}",
            self.check.name().replace(' ', "-")
        )))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
}

fn fail(check: Check, message: impl Into<String>) -> VerifyError {
    VerifyError {
        check,
        message: message.into(),
        help: None,
    }
}

impl VerifyError {
    fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// What `verify` was asked to check.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    pub evidence: PathBuf,
    pub key: PathBuf,
    pub plan: Option<PathBuf>,
    pub tfplan: Option<PathBuf>,
    pub recheck: bool,
}

/// A bundle that passed every check.
#[derive(Debug)]
pub struct Verified {
    pub statement: Statement,
    /// What each passed check established, for the user.
    pub passed: Vec<(Check, String)>,
}

impl Verified {
    /// `PASSED` or `FAILED`.
    pub fn result(&self) -> &str {
        &self.statement.predicate.verification_result
    }

    /// 0 for PASSED, 1 for FAILED.
    pub fn exit_code(&self) -> u8 {
        u8::from(self.result() != "PASSED")
    }
}

/// Runs every check on a bundle.
pub fn verify(opts: &VerifyOptions) -> Result<Verified, VerifyError> {
    let mut passed = Vec::new();
    let text = std::fs::read(&opts.evidence).map_err(|e| {
        fail(
            Check::Bundle,
            format!("cannot read {}: {e}", opts.evidence.display()),
        )
    })?;
    let bundle = parse_bundle(&text)?;
    if bundle.media_type != BUNDLE_MEDIA_TYPE {
        return Err(fail(
            Check::Bundle,
            format!(
                "mediaType is `{}`, expected `{BUNDLE_MEDIA_TYPE}`",
                bundle.media_type
            ),
        ));
    }
    let envelope = &bundle.dsse_envelope;
    let [signature] = envelope.signatures.as_slice() else {
        return Err(fail(
            Check::Bundle,
            format!(
                "the DSSE envelope holds {} signatures; evidence has exactly one",
                envelope.signatures.len()
            ),
        ));
    };

    let key = VerifyingKey::read(&opts.key).map_err(|e| {
        fail(Check::Key, e.to_string())
            .help("--key takes the PEM public key (`openssl pkey -in key.pem -pubout`)")
    })?;
    // The hint only names a key (Sigstore: a lookup aid, never trusted): a signer that computes
    // it differently still verifies. It explains a signature that fails.
    let hint = &bundle.verification_material.public_key.hint;
    let hint_names_another_key = !hint.is_empty() && *hint != key.hint();

    if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Err(fail(
            Check::PayloadType,
            format!(
                "payloadType is `{}`, expected `{IN_TOTO_PAYLOAD_TYPE}`",
                envelope.payload_type
            ),
        ));
    }
    passed.push((Check::PayloadType, IN_TOTO_PAYLOAD_TYPE.to_string()));

    let payload = BASE64
        .decode(envelope.payload.as_bytes())
        .map_err(|e| fail(Check::Bundle, format!("the payload is not base64: {e}")))?;
    let sig = BASE64.decode(signature.sig.as_bytes()).map_err(|e| {
        fail(
            Check::Signature,
            format!("the signature is not base64: {e}"),
        )
    })?;
    if !key.verify(&pae(&envelope.payload_type, &payload), &sig) {
        if hint_names_another_key {
            return Err(fail(
                Check::Key,
                format!(
                    "the bundle was signed by another key (its hint is {hint}; {} has hint {})",
                    opts.key.display(),
                    key.hint()
                ),
            )
            .help("verify with the public key of the signing key the pipeline used"));
        }
        return Err(fail(
            Check::Signature,
            format!(
                "the DSSE signature does not verify with {}: the payload or the signature was changed after signing, or another key signed it",
                opts.key.display()
            ),
        ));
    }
    passed.push((
        Check::Key,
        format!("{} ({})", opts.key.display(), key.algorithm.name()),
    ));
    passed.push((Check::Signature, "DSSE signature valid".to_string()));

    let statement = read_statement(&payload)?;
    passed.push((Check::StatementType, STATEMENT_TYPE.to_string()));
    passed.push((Check::PredicateType, VSA_PREDICATE_TYPE.to_string()));
    check_predicate(&statement)?;
    passed.push((
        Check::Predicate,
        format!(
            "{} by {} {}",
            statement.predicate.verification_result,
            VERIFIER_ID,
            statement.predicate.lint_result.linter.version
        ),
    ));

    let mode = statement.predicate.lint_result.mode.as_str();
    for (flag, file) in [("--plan", &opts.plan), ("--tfplan", &opts.tfplan)] {
        let Some(file) = file else { continue };
        if mode != "plan" {
            return Err(fail(
                Check::Subject,
                format!("{flag} given, but the evidence is of a {mode} run"),
            ));
        }
        let digest = sha256_file(file).map_err(|e| {
            fail(
                Check::Subject,
                format!("cannot read {}: {e}", file.display()),
            )
        })?;
        let Some(subject) = statement
            .subject
            .iter()
            .find(|s| s.digest.get("sha256") == Some(&digest))
        else {
            let recorded: Vec<String> = statement
                .subject
                .iter()
                .map(|s| {
                    format!(
                        "{} (sha256:{})",
                        s.name,
                        s.digest.get("sha256").map_or("?", String::as_str)
                    )
                })
                .collect();
            return Err(fail(
                Check::Subject,
                format!(
                    "{} (sha256:{digest}) is not a subject of the evidence; its subjects are {}",
                    file.display(),
                    recorded.join(", ")
                ),
            )
            .help("the evidence is of another plan: find the bundle made for this plan"));
        };
        passed.push((
            Check::Subject,
            format!(
                "{} is subject {} (sha256:{digest})",
                file.display(),
                subject.name
            ),
        ));
    }

    if opts.recheck {
        let summary = recheck(&statement, opts)?;
        passed.push((Check::Recheck, summary));
    }
    Ok(Verified { statement, passed })
}

fn parse_bundle(text: &[u8]) -> Result<Bundle, VerifyError> {
    let value: Value =
        serde_json::from_slice(text).map_err(|e| fail(Check::Bundle, format!("not JSON: {e}")))?;
    if value.get("_type").is_some() {
        return Err(fail(
            Check::Bundle,
            "this is an unsigned in-toto Statement (written by --attest without --signing-key), not a signed bundle",
        )
        .help("sign it (`cosign attest-blob --statement`), or attest with --signing-key"));
    }
    serde_json::from_value(value).map_err(|e| {
        fail(
            Check::Bundle,
            format!("not a Sigstore bundle with a DSSE envelope: {e}"),
        )
    })
}

fn read_statement(payload: &[u8]) -> Result<Statement, VerifyError> {
    let value: Value = serde_json::from_slice(payload).map_err(|e| {
        fail(
            Check::StatementType,
            format!("the payload is not JSON: {e}"),
        )
    })?;
    let statement_type = value.get("_type").and_then(Value::as_str).unwrap_or("");
    if statement_type != STATEMENT_TYPE {
        return Err(fail(
            Check::StatementType,
            format!("_type is `{statement_type}`, expected `{STATEMENT_TYPE}`"),
        ));
    }
    let predicate_type = value
        .get("predicateType")
        .and_then(Value::as_str)
        .unwrap_or("");
    if predicate_type != VSA_PREDICATE_TYPE {
        return Err(fail(
            Check::PredicateType,
            format!("predicateType is `{predicate_type}`, expected `{VSA_PREDICATE_TYPE}`"),
        ));
    }
    // From the bytes (not the `Value`): the findings are kept as written.
    serde_json::from_slice(payload).map_err(|e| {
        fail(
            Check::Predicate,
            format!("the Statement is not a sovereign-lint verification summary: {e}"),
        )
    })
}

fn check_predicate(statement: &Statement) -> Result<(), VerifyError> {
    let predicate = &statement.predicate;
    if predicate.verifier.id != VERIFIER_ID {
        return Err(fail(
            Check::Predicate,
            format!(
                "verifier.id is `{}`, expected `{VERIFIER_ID}`",
                predicate.verifier.id
            ),
        ));
    }
    let result = predicate.verification_result.as_str();
    let exit_code = predicate.lint_result.exit_code;
    let consistent = matches!((result, exit_code), ("PASSED", 0) | ("FAILED", 1));
    if !consistent {
        return Err(fail(
            Check::Predicate,
            format!(
                "verificationResult {result} does not match the recorded exit code {exit_code}"
            ),
        ));
    }
    let failed_level = predicate.verified_levels == ["FAILED"];
    if (result == "PASSED") == failed_level {
        return Err(fail(
            Check::Predicate,
            format!(
                "verifiedLevels {:?} do not match verificationResult {result}",
                predicate.verified_levels
            ),
        ));
    }
    if statement.subject.is_empty() {
        return Err(fail(Check::Predicate, "the Statement has no subject"));
    }
    Ok(())
}

/// Lints the recorded inputs again under the recorded policy and catalog and compares.
fn recheck(statement: &Statement, opts: &VerifyOptions) -> Result<String, VerifyError> {
    let recorded = &statement.predicate.lint_result;
    let our_catalog = sha256_hex(sovereign_schemas::catalog::catalog_source().as_bytes());
    if recorded.catalog.digest.get("sha256") != Some(&our_catalog) {
        return Err(fail(
            Check::Recheck,
            format!(
                "the evidence was made with catalog {} (sha256:{}); this linter has catalog {} (sha256:{our_catalog})",
                recorded.catalog.version,
                recorded.catalog.digest.get("sha256").map_or("?", String::as_str),
                sovereign_schemas::catalog().meta.version,
            ),
        )
        .help(format!(
            "recheck with sovereign-lint {}, which carries that catalog",
            recorded.linter.version
        )));
    }
    let invocation = &recorded.invocation;
    if !invocation.vars.is_empty() {
        return Err(fail(
            Check::Recheck,
            format!(
                "the run set --var {} and their values are not recorded, so it cannot be repeated",
                invocation.vars.join(", --var ")
            ),
        ));
    }
    let today = Date::parse(&invocation.today).ok_or_else(|| {
        fail(
            Check::Recheck,
            format!("the recorded date `{}` is not YYYY-MM-DD", invocation.today),
        )
    })?;
    let severity = |text: &str| match text {
        "warn" => Ok(sovereign_schemas::Severity::Warn),
        "error" => Ok(sovereign_schemas::Severity::Error),
        other => Err(fail(
            Check::Recheck,
            format!("the recorded severity `{other}` is not warn or error"),
        )),
    };
    let plan = match (&recorded.mode[..], &opts.plan, &invocation.plan) {
        ("plan", Some(given), _) => Some(given.clone()),
        ("plan", None, Some(recorded)) => Some(PathBuf::from(recorded)),
        ("plan", None, None) => {
            return Err(fail(Check::Recheck, "no plan to lint again: pass --plan"));
        }
        _ => None,
    };

    // The recorded policy itself, when the run had one: the rerun does not depend on what the
    // policy file holds today.
    let policy_file = match recorded.policies.as_slice() {
        [one] => Some(TempPolicy::write(&one.content)?),
        _ => None,
    };
    let run = RunOptions {
        paths: invocation.paths.iter().map(PathBuf::from).collect(),
        plan,
        config: match &policy_file {
            Some(file) => Some(file.path.clone()),
            None => invocation.config.as_ref().map(PathBuf::from),
        },
        jurisdiction: invocation.jurisdiction.clone(),
        eval: EvalOptions {
            vars: Vec::new(),
            var_files: invocation.var_files.iter().map(PathBuf::from).collect(),
            env: std::env::vars()
                .filter(|(k, _)| k.starts_with("TF_VAR_"))
                .collect(),
        },
        inline_ignores: invocation.inline_ignores,
        baseline: recorded.baseline.as_ref().map(|b| PathBuf::from(&b.name)),
        write_baseline: None,
        min_severity: severity(&invocation.min_severity)?,
        fail_on: severity(&invocation.fail_on)?,
        today,
        finding_snippets: false,
    };
    let run = RunOptions {
        paths: if run.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            run.paths
        },
        ..run
    };
    let (report, inputs) = engine::run_with_inputs(&run);
    if !report.errors.is_empty() {
        let first = report
            .errors
            .first()
            .map_or(String::new(), |e| e.message.clone());
        return Err(fail(
            Check::Recheck,
            format!(
                "linting again ended with {} input error(s), first: {first}",
                report.errors.len()
            ),
        ));
    }
    // Only a binary plan the auditor passes is digested again: recheck lints the JSON.
    let again = build_statement(
        &run,
        opts.tfplan.as_deref(),
        &report,
        &inputs,
        Default::default(),
    )
    .map_err(|e| fail(Check::Recheck, e.to_string()))?;
    drop(policy_file);
    let again_result = &again.predicate.lint_result;

    // With the recorded policy used, the effective settings must come out the same; with several,
    // each file must still hold what was recorded.
    for (old, new) in recorded.policies.iter().zip(&again_result.policies) {
        let same = if recorded.policies.len() == 1 {
            old.effective == new.effective
        } else {
            old.digest == new.digest
        };
        if !same {
            return Err(fail(
                Check::Recheck,
                format!("the policy {} differs from the one recorded", old.name),
            ));
        }
    }
    if recorded.policies.len() != again_result.policies.len() {
        return Err(fail(
            Check::Recheck,
            format!(
                "{} policies were recorded, linting again used {}",
                recorded.policies.len(),
                again_result.policies.len()
            ),
        ));
    }
    if recorded.mode == "plan"
        && let Some(plan) = again.subject.first()
        && !statement.subject.contains(plan)
    {
        return Err(fail(
            Check::Recheck,
            format!(
                "the plan linted again, {} (sha256:{}), is not a subject of the evidence",
                plan.name,
                plan.digest.get("sha256").map_or("?", String::as_str)
            ),
        )
        .help("pass the plan the evidence was made for with --plan"));
    }
    if again_result.baseline != recorded.baseline {
        return Err(fail(
            Check::Recheck,
            "the baseline differs from the one recorded (or is missing)",
        ));
    }
    if recorded.mode == "configuration" && again.subject != statement.subject {
        let changed: Vec<&str> = again
            .subject
            .iter()
            .filter(|s| !statement.subject.contains(s))
            .map(|s| s.name.as_str())
            .collect();
        return Err(fail(
            Check::Recheck,
            format!(
                "the configuration differs from the one recorded (changed roots: {})",
                changed.join(", ")
            ),
        ));
    }
    let old: Value = serde_json::from_str(recorded.findings.get()).map_err(|e| {
        fail(
            Check::Recheck,
            format!("the recorded findings are not JSON: {e}"),
        )
    })?;
    let new: Value = serde_json::from_str(again_result.findings.get())
        .map_err(|e| fail(Check::Recheck, format!("cannot read the new findings: {e}")))?;
    if old != new {
        return Err(fail(Check::Recheck, findings_difference(&old, &new)).help(
            "the findings in the evidence are not what this plan and policy give: the evidence was edited, or made from other inputs",
        ));
    }
    if again_result.exit_code != recorded.exit_code {
        return Err(fail(
            Check::Recheck,
            format!(
                "linting again exits {}, the evidence records {}",
                again_result.exit_code, recorded.exit_code
            ),
        ));
    }
    let count = old.as_array().map_or(0, Vec::len);
    Ok(format!(
        "linted again under the recorded policy and catalog: the same {count} finding(s), {}",
        again.predicate.verification_result
    ))
}

/// Which findings differ, by fingerprint, for the diagnostic.
fn findings_difference(old: &Value, new: &Value) -> String {
    let describe = |f: &Value| {
        format!(
            "{} at {}:{} ({})",
            f["rule"].as_str().unwrap_or("?"),
            f["file"].as_str().unwrap_or("?"),
            f["line"],
            f["address"].as_str().unwrap_or("?")
        )
    };
    let empty = Vec::new();
    let old = old.as_array().unwrap_or(&empty);
    let new = new.as_array().unwrap_or(&empty);
    let missing: Vec<String> = old
        .iter()
        .filter(|f| !new.contains(f))
        .map(describe)
        .collect();
    let added: Vec<String> = new
        .iter()
        .filter(|f| !old.contains(f))
        .map(describe)
        .collect();
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!(
            "{} recorded finding(s) not found again (first: {})",
            missing.len(),
            missing[0]
        ));
    }
    if !added.is_empty() {
        parts.push(format!(
            "{} finding(s) not in the evidence (first: {})",
            added.len(),
            added[0]
        ));
    }
    if parts.is_empty() {
        parts.push("the findings come in another order".to_string());
    }
    format!("the findings differ: {}", parts.join("; "))
}

/// The recorded policy text in a private temporary file, removed on drop.
struct TempPolicy {
    path: PathBuf,
}

impl TempPolicy {
    fn write(content: &str) -> Result<TempPolicy, VerifyError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!(
            "sovereign-lint-recheck-{}-{nanos}.toml",
            std::process::id()
        ));
        std::fs::write(&path, content).map_err(|e| {
            fail(
                Check::Recheck,
                format!(
                    "cannot write the recorded policy to {}: {e}",
                    path.display()
                ),
            )
        })?;
        Ok(TempPolicy { path })
    }
}

impl Drop for TempPolicy {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The lines `verify` prints for a valid bundle.
pub fn render_verified(evidence: &Path, verified: &Verified) -> String {
    let mut out = format!("{}: valid evidence\n", path_text(evidence));
    for (check, what) in &verified.passed {
        out.push_str(&format!("  ok  {check}: {what}\n"));
    }
    let predicate = &verified.statement.predicate;
    let levels = if verified.exit_code() == 0 {
        format!(" ({})", predicate.verified_levels.join(", "))
    } else {
        String::new()
    };
    out.push_str(&format!(
        "{}{levels}: {} run of {}, verified {}\n",
        verified.result(),
        predicate.lint_result.mode,
        predicate.resource_uri,
        predicate.time_verified
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_differences_name_the_first_finding_each_way() {
        let a = serde_json::json!({"rule": "SOV001", "file": "main.tf", "line": 3, "address": "aws_s3_bucket.a"});
        let b = serde_json::json!({"rule": "SOV006", "file": "main.tf", "line": 9, "address": "aws_s3_bucket.b"});
        assert_eq!(
            findings_difference(&serde_json::json!([a, b]), &serde_json::json!([b])),
            "the findings differ: 1 recorded finding(s) not found again (first: SOV001 at main.tf:3 (aws_s3_bucket.a))"
        );
        assert_eq!(
            findings_difference(&serde_json::json!([b]), &serde_json::json!([a, b])),
            "the findings differ: 1 finding(s) not in the evidence (first: SOV001 at main.tf:3 (aws_s3_bucket.a))"
        );
        assert_eq!(
            findings_difference(&serde_json::json!([a, b]), &serde_json::json!([b, a])),
            "the findings differ: the findings come in another order"
        );
    }
}
