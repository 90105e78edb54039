//! Policy discovery: `sovereign.toml` looked up from a scanned directory upwards (nearest wins),
//! `--config` overriding it and `--jurisdiction` overriding the jurisdiction.
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use miette::{Diagnostic, SourceSpan};
use sovereign_schemas::policy::POLICY_FILE_NAME;
use sovereign_schemas::{Policy, PolicyError};

/// A policy and the file it came from (`None`: the built-in defaults).
#[derive(Debug, Clone)]
pub struct LoadedPolicy {
    pub policy: Policy,
    pub path: Option<PathBuf>,
}

/// Why a policy could not be loaded. A miette diagnostic pointing into the TOML.
#[derive(Debug, Clone, thiserror::Error)]
#[error("invalid policy {}: {message}", path.display())]
pub struct PolicyLoadError {
    pub path: PathBuf,
    pub message: String,
    pub help: Option<String>,
    /// The policy text (empty when it could not be read).
    pub text: String,
    pub span: Option<Range<usize>>,
}

impl Diagnostic for PolicyLoadError {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new("sovereign-lint::policy"))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        if self.text.is_empty() {
            None
        } else {
            Some(&self.text)
        }
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let span = self.span.clone()?;
        let span = SourceSpan::from(span.start..span.end.max(span.start));
        Some(Box::new(std::iter::once(
            miette::LabeledSpan::new_with_span(Some(self.message.clone()), span),
        )))
    }
}

impl PolicyLoadError {
    /// 1-based line and column of the span start, when known.
    pub fn line_column(&self) -> Option<(u32, u32)> {
        let start = self.span.as_ref()?.start.min(self.text.len());
        let before = self.text.get(..start)?;
        let line = before.matches('\n').count() as u32 + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
        Some((line, column))
    }
}

/// Reads and validates a policy file.
pub fn load_policy_file(path: &Path) -> Result<Policy, PolicyLoadError> {
    let text = std::fs::read_to_string(path).map_err(|e| PolicyLoadError {
        path: path.to_path_buf(),
        message: format!("cannot read it: {e}"),
        help: Some("check the path given to --config".to_string()),
        text: String::new(),
        span: None,
    })?;
    Policy::from_toml(&text).map_err(
        |PolicyError {
             message,
             span,
             help,
         }| PolicyLoadError {
            path: path.to_path_buf(),
            message,
            help,
            text,
            span,
        },
    )
}

/// The nearest `sovereign.toml` at or above `dir`.
pub fn find_policy_file(dir: &Path) -> Option<PathBuf> {
    let start = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let start = if start.is_file() {
        start.parent()?.to_path_buf()
    } else {
        start
    };
    start
        .ancestors()
        .map(|d| d.join(POLICY_FILE_NAME))
        .find(|p| p.is_file())
}

/// Finds the policy for each directory, caching files already read.
#[derive(Debug)]
pub struct PolicyResolver {
    config: Option<PathBuf>,
    jurisdiction: Option<String>,
    cache: BTreeMap<Option<PathBuf>, Result<LoadedPolicy, PolicyLoadError>>,
}

impl PolicyResolver {
    /// `config`: the `--config` file (used for every directory); `jurisdiction`: `--jurisdiction`.
    pub fn new(config: Option<PathBuf>, jurisdiction: Option<String>) -> Self {
        PolicyResolver {
            config,
            jurisdiction,
            cache: BTreeMap::new(),
        }
    }

    /// The policy for a scanned directory.
    pub fn policy_for(&mut self, dir: &Path) -> Result<LoadedPolicy, PolicyLoadError> {
        let path = match &self.config {
            Some(p) => Some(p.clone()),
            None => find_policy_file(dir),
        };
        if let Some(cached) = self.cache.get(&path) {
            return cached.clone();
        }
        let loaded = self.load(path.as_deref());
        self.cache.insert(path, loaded.clone());
        loaded
    }

    fn load(&self, path: Option<&Path>) -> Result<LoadedPolicy, PolicyLoadError> {
        let policy = match path {
            Some(p) => load_policy_file(p)?,
            None => Policy::default(),
        };
        let policy = match &self.jurisdiction {
            Some(id) => policy.with_jurisdiction(id).map_err(|e| PolicyLoadError {
                path: PathBuf::from("--jurisdiction"),
                message: e.message,
                help: e.help,
                text: String::new(),
                span: None,
            })?,
            None => policy,
        };
        Ok(LoadedPolicy {
            policy,
            path: path.map(Path::to_path_buf),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_policy_wins_and_errors_point_into_the_toml() {
        let tmp = tempfile::tempdir().unwrap();
        let stack = tmp.path().join("stacks/prod");
        std::fs::create_dir_all(&stack).unwrap();
        std::fs::write(tmp.path().join(POLICY_FILE_NAME), "jurisdiction = \"de\"\n").unwrap();
        let mut resolver = PolicyResolver::new(None, None);
        assert_eq!(
            resolver.policy_for(&stack).unwrap().policy.jurisdiction,
            "de"
        );

        std::fs::write(
            stack.join(POLICY_FILE_NAME),
            "# prod\njurisdiction = \"narnia\"\n",
        )
        .unwrap();
        let mut resolver = PolicyResolver::new(None, None);
        let err = resolver.policy_for(&stack).unwrap_err();
        assert_eq!(err.message, "unknown jurisdiction `narnia`");
        assert_eq!(err.line_column(), Some((2, 16)));

        let mut resolver =
            PolicyResolver::new(Some(tmp.path().join(POLICY_FILE_NAME)), Some("fr".into()));
        assert_eq!(
            resolver.policy_for(&stack).unwrap().policy.jurisdiction,
            "fr"
        );
    }
}
