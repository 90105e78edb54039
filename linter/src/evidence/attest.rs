//! `--attest`: the Statement of a finished run, signed into a bundle (or left unsigned for an
//! external signer), written to EVIDENCE.
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::json;
use serde_json::value::RawValue;
use sovereign_schemas::{Policy, catalog};

use super::bundle::Bundle;
use super::keys::SigningKey;
use super::statement::*;
use super::{EvidenceError, sha256_file, sha256_hex};
use crate::cli::Format;
use crate::config::{LoadedPolicy, PolicyResolver};
use crate::engine::{RunInputs, RunOptions};
use crate::report::{self, HumanOptions, Report};

/// What `--attest` was asked for.
#[derive(Debug)]
pub struct AttestOptions {
    /// EVIDENCE: where the bundle (or the unsigned Statement) goes.
    pub output: PathBuf,
    /// `--signing-key`, loaded before the run so a bad key fails fast.
    pub signing_key: Option<SigningKey>,
    /// `--tfplan`: the binary plan, a second subject.
    pub tfplan: Option<PathBuf>,
    /// Digests of the plan, the binary plan and the linter, computed while the run lints.
    pub early: EarlyDigests,
}

impl AttestOptions {
    /// The options, with the digests of the plan files and the linter binary started on their
    /// own thread, so that they overlap the run.
    pub fn start(
        output: PathBuf,
        signing_key: Option<SigningKey>,
        plan: Option<&Path>,
        tfplan: Option<PathBuf>,
    ) -> AttestOptions {
        let files = plan
            .into_iter()
            .chain(tfplan.as_deref())
            .map(Path::to_path_buf);
        AttestOptions {
            early: EarlyDigests::start(files.collect()),
            output,
            signing_key,
            tfplan,
        }
    }
}

/// Digests made before the statement is built. A 100 MB plan takes about a tenth of the run's
/// CPU time to digest; on a thread of its own, that overlaps the lint instead of following it.
#[derive(Default)]
pub struct EarlyDigests {
    handle: std::cell::Cell<Option<std::thread::JoinHandle<Early>>>,
}

impl std::fmt::Debug for EarlyDigests {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EarlyDigests")
    }
}

/// What [`EarlyDigests`] found: files by name (those that could be read) and the linter binary.
#[derive(Debug, Default)]
pub struct Early {
    files: Vec<(String, String)>,
    binary: Option<String>,
}

impl EarlyDigests {
    pub fn start(files: Vec<PathBuf>) -> EarlyDigests {
        let work = move || Early {
            files: files
                .iter()
                .filter_map(|p| Some((path_text(p), sha256_file(p).ok()?)))
                .collect(),
            binary: own_binary_digest().ok(),
        };
        // Without a thread, everything is digested when the statement is built.
        let handle = std::thread::Builder::new()
            .name("evidence-digests".to_string())
            .spawn(work)
            .ok();
        EarlyDigests {
            handle: std::cell::Cell::new(handle),
        }
    }

    /// The digests (empty when none were started, or the thread failed: they are then made
    /// again, and any error reported, when the statement is built).
    pub fn take(&self) -> Early {
        self.handle
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default()
    }
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub path: PathBuf,
    pub signed: bool,
    pub verification_result: String,
}

/// Builds, signs (with a key) and writes the evidence of a run. The caller writes none for a run
/// with input errors (exit 2).
pub fn write_evidence(
    run: &RunOptions,
    attest: &AttestOptions,
    report: &Report,
    inputs: &RunInputs,
) -> Result<Written, EvidenceError> {
    let statement = build_statement(
        run,
        attest.tfplan.as_deref(),
        report,
        inputs,
        attest.early.take(),
    )?;
    let verification_result = statement.predicate.verification_result.clone();
    // Signed before the file is created: a failure leaves no file behind.
    let (bundle, statement) = match &attest.signing_key {
        Some(key) => {
            let payload = serde_json::to_vec(&statement).map_err(json_error)?;
            // A large run's findings are megabytes: keep one copy at a time.
            drop(statement);
            (Some(Bundle::sign(&payload, key)?), None)
        }
        None => (None, Some(statement)),
    };
    let written = std::fs::File::create(&attest.output).and_then(|file| {
        let mut out = std::io::BufWriter::new(file);
        match (&bundle, &statement) {
            (Some(bundle), _) => serde_json::to_writer(&mut out, bundle)?,
            (None, Some(statement)) => serde_json::to_writer_pretty(&mut out, statement)?,
            (None, None) => {}
        }
        out.write_all(b"\n")?;
        out.flush()
    });
    if let Err(source) = written {
        let _ = std::fs::remove_file(&attest.output);
        return Err(EvidenceError::Write {
            path: attest.output.display().to_string(),
            source,
        });
    }
    Ok(Written {
        path: attest.output.clone(),
        signed: attest.signing_key.is_some(),
        verification_result,
    })
}

fn json_error(e: serde_json::Error) -> EvidenceError {
    EvidenceError::Sign(format!("cannot encode the Statement: {e}"))
}

/// The in-toto Statement of a run; `early` holds digests already made.
pub fn build_statement(
    run: &RunOptions,
    tfplan: Option<&Path>,
    report: &Report,
    inputs: &RunInputs,
    early: Early,
) -> Result<Statement, EvidenceError> {
    let mut files = FileDigests {
        by_name: early.files.into_iter().collect(),
    };
    let subject = match &run.plan {
        Some(plan) => {
            let mut subjects = vec![files.subject(plan)?];
            if let Some(tfplan) = tfplan {
                subjects.push(files.subject(tfplan)?);
            }
            subjects
        }
        None => inputs
            .roots
            .iter()
            .map(|root| {
                let mut listing = String::new();
                let mut names: Vec<String> =
                    root.files.iter().map(|f| report.display_path(f)).collect();
                names.sort();
                names.dedup();
                for name in names {
                    let digest = files.digest(&name)?;
                    listing.push_str(&format!("{digest}  {name}\n"));
                }
                Ok(Subject {
                    name: root.dir.clone(),
                    digest: sha256_digest(sha256_hex(listing.as_bytes())),
                })
            })
            .collect::<Result<Vec<_>, EvidenceError>>()?,
    };
    // Every file the roots read (plan mode: the configuration the findings point into).
    for root in &inputs.roots {
        for file in &root.files {
            files.digest(&report.display_path(file))?;
        }
    }
    for var_file in &run.eval.var_files {
        files.digest(&path_text(var_file))?;
    }

    let policies = policies_used(run, inputs)?;
    for policy in &policies {
        if !policy.content.is_empty() {
            files.insert(policy.name.clone(), policy.digest["sha256"].clone());
        }
    }
    let baseline = match &run.baseline {
        Some(path) => Some(files.subject(path)?),
        None => None,
    };

    let exit_code = report.exit_code();
    let passed = exit_code == 0;
    let jurisdictions: Vec<String> = policies
        .iter()
        .filter_map(|p| p.effective["jurisdiction"].as_str().map(str::to_string))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let verified_levels = if passed {
        jurisdictions
            .iter()
            .map(|j| {
                format!(
                    "SOVEREIGN_JURISDICTION_{}",
                    j.to_uppercase().replace('-', "_")
                )
            })
            .collect()
    } else {
        vec!["FAILED".to_string()]
    };

    let (summary, findings) = json_report_parts(report)?;
    let catalog_tool = Tool {
        name: "sovereign-catalog".to_string(),
        version: catalog().meta.version.clone(),
        digest: sha256_digest(sha256_hex(
            sovereign_schemas::catalog::catalog_source().as_bytes(),
        )),
    };
    let linter = Tool {
        name: "sovereign-lint".to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        digest: sha256_digest(match early.binary {
            Some(digest) => digest,
            None => own_binary_digest()?,
        }),
    };
    let scanned = run
        .paths
        .first()
        .map_or_else(|| ".".to_string(), |p| path_text(p));
    let scanned = if run.paths.len() > 1 {
        ".".to_string()
    } else {
        scanned
    };

    Ok(Statement {
        statement_type: STATEMENT_TYPE.to_string(),
        subject,
        predicate_type: VSA_PREDICATE_TYPE.to_string(),
        predicate: Predicate {
            verifier: Verifier {
                id: VERIFIER_ID.to_string(),
                version: BTreeMap::from([
                    ("sovereign-lint".to_string(), linter.version.clone()),
                    ("catalog".to_string(), catalog_tool.version.clone()),
                ]),
            },
            time_verified: now_rfc3339(),
            resource_uri: resource_uri(Path::new(&scanned)),
            policy: policy_descriptor(&policies),
            verification_result: if passed { "PASSED" } else { "FAILED" }.to_string(),
            verified_levels,
            lint_result: LintResult {
                schema_version: SCHEMA_VERSION,
                mode: if run.plan.is_some() {
                    "plan"
                } else {
                    "configuration"
                }
                .to_string(),
                exit_code,
                invocation: Invocation {
                    paths: run.paths.iter().map(|p| path_text(p)).collect(),
                    plan: run.plan.as_deref().map(path_text),
                    tfplan: tfplan.map(path_text),
                    config: run.config.as_deref().map(path_text),
                    jurisdiction: run.jurisdiction.clone(),
                    var_files: run.eval.var_files.iter().map(|p| path_text(p)).collect(),
                    vars: run.eval.vars.iter().map(|(name, _)| name.clone()).collect(),
                    fail_on: run.fail_on.as_str().to_string(),
                    min_severity: run.min_severity.as_str().to_string(),
                    inline_ignores: run.inline_ignores,
                    today: run.today.to_string(),
                    ci: ci_context(|name| std::env::var(name).ok().filter(|v| !v.is_empty())),
                },
                linter,
                catalog: catalog_tool,
                policies,
                input_files: files.into_subjects(),
                suppressions: suppression_entries(report, inputs),
                baseline,
                summary,
                findings,
            },
        },
    })
}

/// Each file's digest, computed once, by the name users read.
#[derive(Default)]
struct FileDigests {
    by_name: BTreeMap<String, String>,
}

impl FileDigests {
    fn digest(&mut self, name: &str) -> Result<String, EvidenceError> {
        if let Some(d) = self.by_name.get(name) {
            return Ok(d.clone());
        }
        let digest = sha256_file(Path::new(name)).map_err(|source| EvidenceError::Read {
            path: name.to_string(),
            source,
        })?;
        self.by_name.insert(name.to_string(), digest.clone());
        Ok(digest)
    }

    fn subject(&mut self, path: &Path) -> Result<Subject, EvidenceError> {
        let name = path_text(path);
        let digest = self.digest(&name)?;
        Ok(Subject {
            name,
            digest: sha256_digest(digest),
        })
    }

    fn insert(&mut self, name: String, digest: String) {
        self.by_name.insert(name, digest);
    }

    fn into_subjects(self) -> Vec<Subject> {
        self.by_name
            .into_iter()
            .map(|(name, digest)| Subject {
                name,
                digest: sha256_digest(digest),
            })
            .collect()
    }
}

/// A path as typed, `/`-separated.
pub(crate) fn path_text(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// The policies of the run's roots: file text, digest and effective settings.
fn policies_used(run: &RunOptions, inputs: &RunInputs) -> Result<Vec<PolicyRecord>, EvidenceError> {
    let mut resolver = PolicyResolver::new(run.config.clone(), run.jurisdiction.clone());
    let dirs: Vec<PathBuf> = match &run.plan {
        Some(_) => vec![run.paths.first().cloned().unwrap_or_else(|| ".".into())],
        None => inputs.roots.iter().map(|r| PathBuf::from(&r.dir)).collect(),
    };
    let mut records: BTreeMap<String, PolicyRecord> = BTreeMap::new();
    for dir in dirs {
        // A run whose policy did not load ended with exit 2 and writes no evidence.
        let Ok(loaded) = resolver.policy_for(&dir) else {
            continue;
        };
        let record = policy_record(&loaded)?;
        records.entry(record.name.clone()).or_insert(record);
    }
    Ok(records.into_values().collect())
}

fn policy_record(loaded: &LoadedPolicy) -> Result<PolicyRecord, EvidenceError> {
    let effective = effective_settings(&loaded.policy);
    match &loaded.path {
        Some(path) => {
            let name = crate::load::relative_path(path, Path::new("."));
            let content = std::fs::read_to_string(path).map_err(|source| EvidenceError::Read {
                path: name.clone(),
                source,
            })?;
            Ok(PolicyRecord {
                digest: sha256_digest(sha256_hex(content.as_bytes())),
                name,
                content,
                effective,
            })
        }
        None => Ok(PolicyRecord {
            name: "(built-in defaults)".to_string(),
            digest: sha256_digest(sha256_hex(effective.to_string().as_bytes())),
            content: String::new(),
            effective,
        }),
    }
}

/// The settings a policy puts in effect, with every default filled in.
pub(crate) fn effective_settings(policy: &Policy) -> serde_json::Value {
    json!({
        "jurisdiction": policy.jurisdiction,
        "allowed_regions": policy.allowed_regions,
        "allowed_endpoint_hosts": policy.allowed_endpoint_hosts,
        "allowed_registries": policy.allowed_registries,
        "allowed_module_hosts": policy.allowed_module_hosts,
        "require_hsm_keys": policy.require_hsm_keys,
        "unresolved": policy.unresolved,
        "exclude_paths": policy.exclude_paths,
        "tags": {
            "required": policy.tags.required,
            "allowed_values": policy.tags.allowed_values,
        },
        "rules": policy.rules,
    })
}

/// The VSA's one `policy`: the policy file, the built-in defaults, or (several stacks with their
/// own files) a digest over the sorted `DIGEST  NAME` lines of all of them.
fn policy_descriptor(policies: &[PolicyRecord]) -> PolicyDescriptor {
    match policies {
        [one] => PolicyDescriptor {
            uri: if one.content.is_empty() {
                DEFAULT_POLICY_URI.to_string()
            } else {
                one.name.clone()
            },
            digest: one.digest.clone(),
        },
        several => {
            let listing: String = several
                .iter()
                .map(|p| format!("{}  {}\n", p.digest["sha256"], p.name))
                .collect();
            PolicyDescriptor {
                uri: POLICY_SET_URI.to_string(),
                digest: sha256_digest(sha256_hex(listing.as_bytes())),
            }
        }
    }
}

/// The `summary` and `findings` of `--format json`, byte for byte.
fn json_report_parts(report: &Report) -> Result<(Box<RawValue>, Box<RawValue>), EvidenceError> {
    #[derive(Deserialize)]
    struct Parts {
        summary: Box<RawValue>,
        findings: Box<RawValue>,
    }
    let mut json = Vec::new();
    report::write(Format::Json, report, &HumanOptions::default(), &mut json)
        .map_err(|e| EvidenceError::Sign(format!("cannot render the JSON report: {e}")))?;
    let parts: Parts = serde_json::from_slice(&json)
        .map_err(|e| EvidenceError::Sign(format!("cannot read the JSON report back: {e}")))?;
    Ok((parts.summary, parts.findings))
}

fn suppression_entries(report: &Report, inputs: &RunInputs) -> Vec<SuppressionEntry> {
    inputs
        .suppressions
        .iter()
        .map(|s| SuppressionEntry {
            rules: s.rules.clone(),
            file: report.display_path(&s.location.file),
            line: s.location.line,
            reason: s.reason.clone(),
            expires: s.expires.map(|d| d.to_string()),
            invalid: s.problem.clone(),
            suppressed: s
                .suppressed
                .iter()
                .map(|f| SuppressedEntry {
                    rule: f.rule.to_string(),
                    address: f.address.clone(),
                    file: report.display_path(&f.location.file),
                    line: f.location.line,
                })
                .collect(),
        })
        .collect()
}

fn own_binary_digest() -> Result<String, EvidenceError> {
    let exe = std::env::current_exe().map_err(|source| EvidenceError::Read {
        path: "the sovereign-lint executable".to_string(),
        source,
    })?;
    sha256_file(&exe).map_err(|source| EvidenceError::Read {
        path: exe.display().to_string(),
        source,
    })
}

/// The CI system, pipeline and commit from the environment, when running in CI.
pub(crate) fn ci_context(var: impl Fn(&str) -> Option<String>) -> Option<CiContext> {
    if var("GITHUB_ACTIONS").as_deref() == Some("true") {
        let pipeline = match (
            var("GITHUB_SERVER_URL"),
            var("GITHUB_REPOSITORY"),
            var("GITHUB_RUN_ID"),
        ) {
            (Some(server), Some(repo), Some(run)) => {
                Some(format!("{server}/{repo}/actions/runs/{run}"))
            }
            _ => None,
        };
        return Some(CiContext {
            provider: "github-actions".to_string(),
            pipeline,
            commit: var("GITHUB_SHA"),
        });
    }
    if var("GITLAB_CI").as_deref() == Some("true") {
        return Some(CiContext {
            provider: "gitlab-ci".to_string(),
            pipeline: var("CI_PIPELINE_URL"),
            commit: var("CI_COMMIT_SHA"),
        });
    }
    var("CI").map(|_| CiContext {
        provider: "ci".to_string(),
        pipeline: None,
        commit: None,
    })
}

/// `git+REMOTE@COMMIT#PATH` inside a git work tree (`git+file://TOP@…` without a remote); the
/// path as typed otherwise.
fn resource_uri(scanned: &Path) -> String {
    let git = |args: &[&str]| -> Option<String> {
        let dir = if scanned.is_dir() {
            scanned
        } else {
            scanned.parent().unwrap_or(Path::new("."))
        };
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
            .ok()?;
        let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
        (out.status.success() && !text.is_empty()).then_some(text)
    };
    let (Some(top), Some(commit)) = (
        git(&["rev-parse", "--show-toplevel"]),
        git(&["rev-parse", "HEAD"]),
    ) else {
        return path_text(scanned);
    };
    let repo = match git(&["config", "--get", "remote.origin.url"]) {
        Some(remote) => git_remote_uri(&remote),
        None => format!("file://{top}"),
    };
    let inside = crate::load::relative_path(scanned, Path::new(&top));
    let inside = if inside.is_empty() {
        ".".to_string()
    } else {
        inside
    };
    format!("git+{repo}@{commit}#{inside}")
}

/// An scp-like remote (`git@host:org/repo.git`) as an `ssh://` URI; URLs stay; credentials in
/// an https remote are dropped.
fn git_remote_uri(remote: &str) -> String {
    if let Some((scheme, rest)) = remote.split_once("://") {
        let rest = match rest.split_once('@') {
            Some((_, host)) if scheme.starts_with("http") => host,
            _ => rest,
        };
        return format!("{scheme}://{rest}");
    }
    match remote.split_once(':') {
        Some((host, path)) if !host.contains('/') => format!("ssh://{host}/{path}"),
        _ => format!("file://{remote}"),
    }
}

/// The current time, UTC, RFC 3339 with seconds (`2026-12-03T16:30:05Z`).
fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let date = crate::suppress::Date::from_days_since_epoch((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{date}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ci_context_comes_from_the_environment() {
        let github = |name: &str| {
            match name {
                "GITHUB_ACTIONS" => Some("true"),
                "GITHUB_SERVER_URL" => Some("https://github.com"),
                "GITHUB_REPOSITORY" => Some("acme/infra"),
                "GITHUB_RUN_ID" => Some("42"),
                "GITHUB_SHA" => Some("abc123"),
                _ => None,
            }
            .map(str::to_string)
        };
        assert_eq!(
            ci_context(github),
            Some(CiContext {
                provider: "github-actions".to_string(),
                pipeline: Some("https://github.com/acme/infra/actions/runs/42".to_string()),
                commit: Some("abc123".to_string()),
            })
        );
        assert_eq!(ci_context(|_| None), None);
    }

    #[test]
    fn git_remotes_become_uris() {
        assert_eq!(
            git_remote_uri("git@github.com:acme/infra.git"),
            "ssh://git@github.com/acme/infra.git"
        );
        assert_eq!(
            git_remote_uri("https://token@gitlab.example/acme/infra.git"),
            "https://gitlab.example/acme/infra.git"
        );
        assert_eq!(
            git_remote_uri("https://github.com/acme/infra"),
            "https://github.com/acme/infra"
        );
    }

    #[test]
    fn time_is_rfc3339_utc() {
        let t = now_rfc3339();
        assert_eq!(t.len(), 20, "{t}");
        assert!(t.ends_with('Z') && t.as_bytes()[10] == b'T', "{t}");
    }
}
