//! The command line (SPEC §3), parsed with clap.
use std::path::PathBuf;
use std::str::FromStr;

use clap::{Parser, Subcommand, ValueEnum};

/// Fails Terraform configurations and plans that leave their jurisdiction.
///
/// Lints every directory under each PATH that holds .tf or .tf.json files (default: the current
/// directory), or a plan from `terraform show -json` with --plan. Works offline.
///
/// Exit codes: 0 no finding at or above the failing severity (error, or warn with --fail-on warn);
/// 1 findings; 2 usage error, unreadable or unparsable input, or invalid policy (other findings are
/// still reported).
#[derive(Debug, Parser)]
#[command(
    name = "sovereign-lint",
    version,
    args_conflicts_with_subcommands = true,
    after_help = "Policy: sovereign.toml is looked up from each scanned directory upwards (nearest wins).\n\
                  Suppress one finding with a comment on the line above the block or attribute:\n  \
                  # sovereign:ignore SOV005 reason=\"egress via inspected proxy, SEC-42\" expires=2027-03-31\n\
                  Docs: docs/usage.md"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Directories (or single .tf files' directories) to lint; with --plan, the configuration the plan
    /// was made from, used to point findings at .tf lines.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Lint a plan (`terraform show -json plan.out > plan.json`) instead of the configuration.
    #[arg(long, value_name = "PLAN_JSON")]
    pub plan: Option<PathBuf>,

    /// Output format, optionally written to a file: `--format sarif=out.sarif`. Repeatable; at most
    /// one format may go to standard output. Formats: human, json, sarif, junit, github, compact.
    #[arg(long = "format", short = 'f', value_name = "FORMAT[=FILE]")]
    pub formats: Vec<FormatSpec>,

    /// Policy file to use instead of the nearest sovereign.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Jurisdiction id overriding the policy's (eu, eu-esc, eudb, us-gov, de, fr, …).
    #[arg(long, value_name = "ID")]
    pub jurisdiction: Option<String>,

    /// Set a root module variable, like `terraform plan -var`. Repeatable.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<VarAssignment>,

    /// Read variables from a .tfvars or .tfvars.json file, like `terraform plan -var-file`. Repeatable.
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,

    /// Ignore every `sovereign:ignore` comment (and do not check them).
    #[arg(long)]
    pub no_inline_ignores: bool,

    /// Do not report findings recorded in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Record every current finding in this baseline file (the run then reports them as baselined).
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    /// Report only findings at or above this severity.
    #[arg(long, value_enum, value_name = "SEVERITY", default_value_t = Level::Warn)]
    pub min_severity: Level,

    /// Exit with 1 when a reported finding is at or above this severity.
    #[arg(long, value_enum, value_name = "SEVERITY", default_value_t = Level::Error)]
    pub fail_on: Level,

    /// Also write signed evidence of this run for auditors: a Sigstore bundle holding an in-toto
    /// Statement (SLSA verification summary). Without --signing-key, the unsigned Statement.
    /// Not written when the run has input errors (exit 2). See docs/evidence.md.
    #[arg(long, value_name = "EVIDENCE")]
    pub attest: Option<PathBuf>,

    /// Key that signs the evidence: a PEM file (PKCS#8, or SEC1 `EC PRIVATE KEY`; ECDSA P-256
    /// recommended, Ed25519 accepted) or env://VAR naming a variable holding the PEM.
    #[arg(long, value_name = "KEYREF", requires = "attest")]
    pub signing_key: Option<String>,

    /// The binary plan (`terraform plan -out`) the plan JSON was shown from: a second subject of
    /// the evidence.
    #[arg(long, value_name = "TFPLAN", requires_all = ["attest", "plan"])]
    pub tfplan: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the rules with their default severity.
    Rules,
    /// Explain a rule: what it checks, why, and how to fix it.
    Explain {
        /// Rule id, e.g. SOV003.
        #[arg(value_name = "RULE")]
        rule: String,
    },
    /// Verify evidence written by --attest, offline: signature, payload and Statement types,
    /// subjects, and optionally the findings themselves.
    ///
    /// Exit codes: 0 valid and PASSED; 1 valid and FAILED; 2 invalid (the failed check is named).
    Verify(VerifyArgs),
}

/// `sovereign-lint verify EVIDENCE --key PUBKEY [--plan FILE] [--tfplan FILE] [--recheck]`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The bundle written by --attest.
    #[arg(value_name = "EVIDENCE")]
    pub evidence: PathBuf,
    /// The signer's public key (PEM SubjectPublicKeyInfo: `openssl pkey -in key.pem -pubout`).
    #[arg(long, value_name = "PUBKEY")]
    pub key: PathBuf,
    /// Check that this plan JSON is the evidence's subject.
    #[arg(long, value_name = "PLAN_JSON")]
    pub plan: Option<PathBuf>,
    /// Check that this binary plan is the evidence's subject.
    #[arg(long, value_name = "TFPLAN")]
    pub tfplan: Option<PathBuf>,
    /// Lint again under the policy and catalog recorded in the evidence and fail on any
    /// difference from the recorded findings.
    #[arg(long)]
    pub recheck: bool,
}

/// A severity threshold on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum Level {
    #[value(alias = "warning")]
    Warn,
    Error,
}

impl Level {
    pub fn severity(self) -> sovereign_schemas::Severity {
        match self {
            Level::Warn => sovereign_schemas::Severity::Warn,
            Level::Error => sovereign_schemas::Severity::Error,
        }
    }
}

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Junit,
    Github,
    Compact,
}

impl Format {
    pub const ALL: [Format; 6] = [
        Format::Human,
        Format::Json,
        Format::Sarif,
        Format::Junit,
        Format::Github,
        Format::Compact,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Github => "github",
            Format::Compact => "compact",
        }
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!(
                    "unknown format `{s}` (formats: {})",
                    Format::ALL.map(Format::name).join(", ")
                )
            })
    }
}

/// `FORMAT` or `FORMAT=FILE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatSpec {
    pub format: Format,
    /// `None`: standard output.
    pub output: Option<PathBuf>,
}

impl FromStr for FormatSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('=') {
            Some((format, file)) => {
                if file.is_empty() {
                    return Err(format!("`{s}`: no file after `=`"));
                }
                Ok(FormatSpec {
                    format: format.parse()?,
                    output: (file != "-").then(|| PathBuf::from(file)),
                })
            }
            None => Ok(FormatSpec {
                format: s.parse()?,
                output: None,
            }),
        }
    }
}

/// `NAME=VALUE` from `--var`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarAssignment {
    pub name: String,
    pub value: String,
}

impl FromStr for VarAssignment {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let Some((name, value)) = s.split_once('=') else {
            return Err(format!("`{s}`: expected NAME=VALUE"));
        };
        let name = name.trim();
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid {
            return Err(format!("`{name}` is not a variable name"));
        }
        Ok(VarAssignment {
            name: name.to_string(),
            value: value.to_string(),
        })
    }
}

impl Cli {
    /// The requested outputs (human on stdout when none), checked: at most one on stdout, no file twice.
    pub fn outputs(&self) -> Result<Vec<FormatSpec>, String> {
        if self.formats.is_empty() {
            return Ok(vec![FormatSpec {
                format: Format::Human,
                output: None,
            }]);
        }
        let stdout: Vec<&str> = self
            .formats
            .iter()
            .filter(|f| f.output.is_none())
            .map(|f| f.format.name())
            .collect();
        if stdout.len() > 1 {
            return Err(format!(
                "at most one --format may write to standard output, got {}; write the others to files \
                 (e.g. --format sarif=results.sarif)",
                stdout.join(", ")
            ));
        }
        let mut files: Vec<&PathBuf> = self
            .formats
            .iter()
            .filter_map(|f| f.output.as_ref())
            .collect();
        files.sort();
        if let Some(w) = files.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!(
                "two --format options write to `{}`",
                w[0].display()
            ));
        }
        Ok(self.formats.clone())
    }

    /// The directories to lint (default `.`).
    pub fn scan_paths(&self) -> Vec<PathBuf> {
        if self.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            self.paths.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn formats_and_vars_parse() {
        let cli = Cli::try_parse_from([
            "sovereign-lint",
            "--format",
            "sarif=out.sarif",
            "--format",
            "human",
            "--var",
            "region=eu-west-1",
            "stacks",
        ])
        .unwrap();
        assert_eq!(cli.outputs().unwrap().len(), 2);
        assert_eq!(cli.vars[0].value, "eu-west-1");
        assert_eq!(cli.paths, [PathBuf::from("stacks")]);
        let twice = Cli::try_parse_from(["sovereign-lint", "-f", "json", "-f", "human"]).unwrap();
        assert!(twice.outputs().is_err());
        assert!(Cli::try_parse_from(["sovereign-lint", "-f", "xml"]).is_err());
        let explain = Cli::try_parse_from(["sovereign-lint", "explain", "SOV003"]).unwrap();
        assert!(matches!(explain.command, Some(Command::Explain { .. })));
    }

    #[test]
    fn attest_flags_need_their_companions() {
        let cli = Cli::try_parse_from([
            "sovereign-lint",
            "--plan",
            "plan.json",
            "--attest",
            "evidence.json",
            "--signing-key",
            "env://KEY",
            "--tfplan",
            "tfplan.bin",
        ])
        .unwrap();
        assert_eq!(cli.signing_key.as_deref(), Some("env://KEY"));
        let err = Cli::try_parse_from(["sovereign-lint", "--signing-key", "k.pem"]).unwrap_err();
        assert!(err.to_string().contains("--attest <EVIDENCE>"), "{err}");
        let err = Cli::try_parse_from(["sovereign-lint", "--attest", "e.json", "--tfplan", "t"])
            .unwrap_err();
        assert!(err.to_string().contains("--plan <PLAN_JSON>"), "{err}");
        let verify = Cli::try_parse_from([
            "sovereign-lint",
            "verify",
            "e.json",
            "--key",
            "pub.pem",
            "--recheck",
        ])
        .unwrap();
        assert!(matches!(
            verify.command,
            Some(Command::Verify(VerifyArgs { recheck: true, .. }))
        ));
    }
}
