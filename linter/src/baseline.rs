//! Baselines: accepted findings recorded by a stable fingerprint, so a team can adopt the linter on
//! an existing configuration and fail only on new findings.
//!
//! The fingerprint hashes the rule, the file (relative to the scanned root), the address, the
//! normalised message, the value and the files of the module calls the finding was reached through
//! — never a line or column, so unrelated edits above a finding keep it baselined. The calls' files
//! tell apart the findings of a module that several roots call (same module file, same address);
//! version-1 baselines were written without them and are matched by the version-1 fingerprint.
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::finding::Finding;

/// The baseline file format version this build writes (it reads 1 too).
pub const BASELINE_VERSION: u32 = 2;

/// The oldest baseline version this build reads.
const OLDEST_BASELINE_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("cannot read baseline `{path}`: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("baseline `{path}` is not a sovereign-lint baseline: {message}")]
    Parse { path: PathBuf, message: String },
    #[error(
        "baseline `{path}` has version {found}; this sovereign-lint reads versions {OLDEST_BASELINE_VERSION} to {BASELINE_VERSION}"
    )]
    Version { path: PathBuf, found: u32 },
    #[error("cannot write baseline `{path}`: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// One accepted finding. Fields other than the fingerprint are there for people reviewing the file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BaselineEntry {
    pub file: String,
    pub rule: String,
    pub address: String,
    pub fingerprint: String,
    #[serde(default)]
    pub message: String,
}

/// The baseline file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    pub version: u32,
    pub tool: String,
    pub findings: Vec<BaselineEntry>,
}

/// Collapses whitespace and drops `file.tf:NN` line references, which move with unrelated edits.
fn normalise_message(message: &str) -> String {
    let words: Vec<String> = message
        .split_whitespace()
        .map(|word| {
            for ext in [".tf:", ".tfvars:", ".json:"] {
                if let Some(at) = word.find(ext) {
                    let head = &word[..at + ext.len() - 1];
                    let tail: String = word[at + ext.len()..]
                        .trim_start_matches(|c: char| c.is_ascii_digit())
                        .to_string();
                    return format!("{head}{tail}");
                }
            }
            word.to_string()
        })
        .collect();
    words.join(" ")
}

/// The stable fingerprint of a finding (hex SHA-256). `file` is the finding's path relative to the
/// scanned root, `/`-separated.
pub fn fingerprint(finding: &Finding) -> String {
    let calls: Vec<&str> = finding.module_calls().map(|(_, at)| &*at.file).collect();
    hash_parts(finding, &calls)
}

/// The fingerprint version-1 baselines hold: without the module calls' files.
fn fingerprint_v1(finding: &Finding) -> String {
    hash_parts(finding, &[])
}

fn hash_parts(finding: &Finding, call_files: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in [
        finding.rule,
        &finding.location.file,
        &finding.address,
        &normalise_message(&finding.message),
        finding.value.as_deref().unwrap_or(""),
    ]
    .into_iter()
    .chain(call_files.iter().copied())
    {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Baseline {
    pub fn from_findings<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Baseline {
        let mut entries: Vec<BaselineEntry> = findings
            .into_iter()
            .map(|f| BaselineEntry {
                file: f.location.file.to_string(),
                rule: f.rule.to_string(),
                address: f.address.clone(),
                fingerprint: fingerprint(f),
                message: f.message.clone(),
            })
            .collect();
        entries.sort();
        entries.dedup();
        Baseline {
            version: BASELINE_VERSION,
            tool: "sovereign-lint".to_string(),
            findings: entries,
        }
    }

    pub fn read(path: &Path) -> Result<Baseline, BaselineError> {
        let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Baseline::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Baseline, BaselineError> {
        #[derive(Deserialize)]
        struct Versioned {
            version: u32,
        }
        let versioned: Versioned =
            serde_json::from_str(text).map_err(|e| BaselineError::Parse {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        if !(OLDEST_BASELINE_VERSION..=BASELINE_VERSION).contains(&versioned.version) {
            return Err(BaselineError::Version {
                path: path.to_path_buf(),
                found: versioned.version,
            });
        }
        serde_json::from_str(text).map_err(|e| BaselineError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    pub fn write(&self, path: &Path) -> Result<(), BaselineError> {
        let mut text = serde_json::to_string_pretty(self).map_err(|e| BaselineError::Write {
            path: path.to_path_buf(),
            source: std::io::Error::other(e),
        })?;
        text.push('\n');
        std::fs::write(path, text).map_err(|source| BaselineError::Write {
            path: path.to_path_buf(),
            source,
        })
    }

    pub fn fingerprints(&self) -> BTreeSet<&str> {
        self.findings
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect()
    }

    /// Removes baselined findings; returns how many were removed. A version-1 baseline is matched
    /// by the fingerprint it was written with.
    pub fn filter(&self, findings: &mut Vec<Finding>) -> usize {
        let known = self.fingerprints();
        let of = if self.version == 1 {
            fingerprint_v1
        } else {
            fingerprint
        };
        let before = findings.len();
        findings.retain(|f| !known.contains(of(f).as_str()));
        before - findings.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Location;
    use sovereign_schemas::Severity;

    fn finding(line: u32, message: &str) -> Finding {
        Finding {
            rule: "SOV001",
            severity: Severity::Error,
            location: Location::new("main.tf", line, 12),
            address: "provider[\"registry.terraform.io/hashicorp/aws\"]".into(),
            message: message.into(),
            value: Some("\"us-east-1\"".into()),
            provenance: Default::default(),
            help: "".into(),
            related: Vec::new().into(),
        }
    }

    #[test]
    fn fingerprint_ignores_lines_and_whitespace() {
        let a = finding(3, "region `us-east-1` set in prod.tfvars:3 is outside");
        let b = finding(40, "region  `us-east-1` set in prod.tfvars:17 is outside");
        assert_eq!(fingerprint(&a), fingerprint(&b));
        let c = finding(3, "region `us-west-2` set in prod.tfvars:3 is outside");
        assert_ne!(fingerprint(&a), fingerprint(&c));
    }

    #[test]
    fn round_trip_and_filter() {
        let findings = vec![finding(3, "a"), finding(4, "b")];
        let baseline = Baseline::from_findings(&findings[..1]);
        let text = serde_json::to_string(&baseline).unwrap();
        let read = Baseline::parse(&text, Path::new("b.json")).unwrap();
        let mut current = findings.clone();
        assert_eq!(read.filter(&mut current), 1);
        assert_eq!(current, findings[1..]);
        let err = Baseline::parse("{\"version\": 9}", Path::new("b.json")).unwrap_err();
        assert!(err.to_string().contains("version 9"), "{err}");
    }

    /// The findings of a module that two roots call differ only in the call: accepting one root's
    /// finding does not accept the other's. A version-1 baseline (written without the calls) still
    /// matches what it matched.
    #[test]
    fn findings_of_one_module_called_from_two_roots_have_their_own_fingerprints() {
        let in_module = |root: &str| {
            let mut f = finding(5, "data-bearing bucket lacks a tag");
            f.location = Location::new("modules/store/main.tf", 5, 1);
            f.address = "module.store.aws_s3_bucket.data".into();
            f.related = vec![crate::finding::Related {
                location: Location::new(format!("stacks/{root}/main.tf"), 5, 1),
                message: "in module call module.store".into(),
                module_call: Some("module.store".into()),
            }]
            .into();
            f
        };
        let (dev, prod) = (in_module("dev"), in_module("prod"));
        assert_ne!(fingerprint(&dev), fingerprint(&prod));
        let mut moved = in_module("dev");
        moved.related = vec![crate::finding::Related {
            location: Location::new("stacks/dev/main.tf", 40, 3),
            message: "in module call module.store".into(),
            module_call: Some("module.store".into()),
        }]
        .into();
        assert_eq!(
            fingerprint(&dev),
            fingerprint(&moved),
            "lines are not part of it"
        );

        let current = Baseline::from_findings([&dev]);
        assert_eq!(current.version, 2);
        let mut both = vec![dev.clone(), prod.clone()];
        assert_eq!(current.filter(&mut both), 1);
        assert_eq!(both, std::slice::from_ref(&prod));

        let mut old = current.clone();
        old.version = 1;
        old.findings[0].fingerprint = fingerprint_v1(&dev);
        let text = serde_json::to_string(&old).unwrap();
        let read = Baseline::parse(&text, Path::new("b.json")).unwrap();
        let mut both = vec![dev, prod];
        assert_eq!(
            read.filter(&mut both),
            2,
            "version 1 matched both, and still does"
        );
    }
}
