//! Baselines: accepted findings recorded by a stable fingerprint, so a team can adopt the linter on
//! an existing configuration and fail only on new findings.
//!
//! The fingerprint hashes the rule, the file (relative to the scanned root), the address and the
//! normalised message — never the line or column, so unrelated edits above a finding keep it baselined.
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::finding::Finding;

/// The baseline file format version this build reads and writes.
pub const BASELINE_VERSION: u32 = 1;

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
        "baseline `{path}` has version {found}; this sovereign-lint reads version {BASELINE_VERSION}"
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
    let mut hasher = Sha256::new();
    for part in [
        finding.rule,
        &finding.location.file,
        &finding.address,
        &normalise_message(&finding.message),
        finding.value.as_deref().unwrap_or(""),
    ] {
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
        if versioned.version != BASELINE_VERSION {
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

    /// Removes baselined findings; returns how many were removed.
    pub fn filter(&self, findings: &mut Vec<Finding>) -> usize {
        let known = self.fingerprints();
        let before = findings.len();
        findings.retain(|f| !known.contains(fingerprint(f).as_str()));
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
}
