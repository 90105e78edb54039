//! Reporters: human, SARIF 2.1.0, JSON, JUnit, GitHub annotations and compact.
//!
//! Every reporter renders the same [`Report`]: findings and input errors whose files are relative
//! to the scanned root ([`Report::base`]), the source texts, the rule catalogue and run statistics.
//! Reporters never evaluate anything.
mod compact;
mod github;
mod human;
mod json;
mod junit;
mod sarif;

use rayon::slice::ParallelSliceMut;
use std::collections::BTreeMap;

use sovereign_schemas::Severity;

use crate::cli::Format;
use crate::finding::Finding;
use crate::model::{InputError, Note, ProvenanceStep, Sources};

pub use human::HumanOptions;

/// What a reporter needs to know about a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleMeta {
    pub id: &'static str,
    /// `region-outside-jurisdiction`
    pub name: String,
    /// One line: what the rule fails.
    pub summary: String,
    /// Full documentation (Markdown): what it does, why, example, fix.
    pub docs: String,
    pub default_severity: Severity,
}

/// Where the findings' relative paths are rooted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScanBase {
    /// The scanned root as the user typed it, `/`-terminated (`infra/`), or empty for the current
    /// directory; human-facing formats show `prefix + file`.
    pub display_prefix: String,
    /// The scanned root as an absolute `file://` URI ending in `/` (SARIF `originalUriBaseIds`).
    pub root_uri: Option<String>,
}

/// Counters for the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Distinct source files read.
    pub files_scanned: usize,
    /// Configuration roots (or plans) linted.
    pub roots: usize,
    /// Findings silenced by inline suppressions.
    pub suppressed: usize,
    /// Findings dropped because the baseline lists them.
    pub baselined: usize,
    /// Findings not shown because they are below `--min-severity`.
    pub below_min_severity: usize,
}

/// Sorts findings by file, line, column, rule, address and message, keeping the order they came
/// in among equals (the same module finding reached from several stacks differs only in its call
/// chain, and every run must print those in the same order).
///
/// The order is decided on small integer keys (file rank, line, column, rule) and an index, and
/// the findings are then moved into place once: comparing their strings in a sort of a large
/// report is most of its cost.
pub fn sort_findings_stable(findings: &mut [Finding]) {
    if findings.len() < 2 {
        return;
    }
    let files = ranks(findings.iter().map(|f| &*f.location.file).collect());
    let rules = ranks(findings.iter().map(|f| f.rule).collect());
    let mut keys: Vec<(u128, usize)> = findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let file = files.get(&*f.location.file).copied().unwrap_or(u32::MAX);
            let rule = rules.get(f.rule).copied().unwrap_or(u32::MAX);
            let key = (u128::from(file) << 96)
                | (u128::from(f.location.line) << 64)
                | (u128::from(f.location.column) << 32)
                | u128::from(rule);
            (key, i)
        })
        .collect();
    keys.par_sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| {
                let (x, y) = (&findings[a.1], &findings[b.1]);
                (&x.address, &x.message).cmp(&(&y.address, &y.message))
            })
            .then(a.1.cmp(&b.1))
    });
    // `order[i]`: the finding that goes to position `i`; follow each cycle of the permutation.
    let mut order: Vec<usize> = keys.into_iter().map(|(_, i)| i).collect();
    for start in 0..order.len() {
        let mut at = start;
        loop {
            let from = order[at];
            order[at] = at;
            if from == start || from == at {
                break;
            }
            findings.swap(at, from);
            at = from;
        }
    }
}

/// Each distinct text's rank in sorted order.
fn ranks(mut texts: Vec<&str>) -> foldhash::HashMap<&str, u32> {
    texts.sort_unstable();
    texts.dedup();
    texts
        .into_iter()
        .enumerate()
        .map(|(i, t)| (t, u32::try_from(i).unwrap_or(u32::MAX)))
        .collect()
}

/// Everything reporters render.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Sorted by file, line, column, rule.
    pub findings: Vec<Finding>,
    pub errors: Vec<InputError>,
    pub notes: Vec<Note>,
    /// Texts keyed like the findings' files (for source snippets).
    pub sources: Sources,
    /// All rules (SARIF `tool.driver.rules`, rule names).
    pub rules: Vec<RuleMeta>,
    pub base: ScanBase,
    pub stats: Stats,
    /// The jurisdictions the run checked against (one per distinct policy).
    pub jurisdictions: Vec<String>,
    /// The failing severity (`--fail-on`).
    pub fail_on: Option<Severity>,
}

impl Report {
    /// Sorts findings, errors and notes into a stable order.
    pub fn sort(&mut self) {
        sort_findings_stable(&mut self.findings);
        self.errors.sort_by(|a, b| {
            let key = |e: &InputError| {
                (
                    e.file.clone(),
                    e.location.as_ref().map(|l| (l.line, l.column)),
                    e.message.clone(),
                )
            };
            key(a).cmp(&key(b))
        });
        self.errors.dedup();
        self.notes.sort_by(|a, b| {
            (a.location.as_ref(), &a.message).cmp(&(b.location.as_ref(), &b.message))
        });
        self.notes.dedup();
    }

    /// The path users read: the scanned root as typed joined with a root-relative file.
    pub fn display_path(&self, file: &str) -> String {
        join_display(&self.base.display_prefix, file)
    }

    /// A provenance step as users read it: `var.region = "us-east-1" (from infra/prod.tfvars:3)`.
    pub fn step_text(&self, step: &ProvenanceStep) -> String {
        match &step.location {
            Some(loc) => format!(
                "{} (from {}:{})",
                step.description,
                self.display_path(&loc.file),
                loc.line
            ),
            None => step.description.to_string(),
        }
    }

    pub fn rule(&self, id: &str) -> Option<&RuleMeta> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The module calls a finding was reached through, for one-line formats: `via module.store at
    /// stacks/prod/main.tf:5` (nested calls outermost first, joined by ` > `); `None` at the root.
    pub fn module_call_text(&self, f: &Finding) -> Option<String> {
        let calls: Vec<String> = f
            .module_calls()
            .map(|(address, at)| {
                format!("{address} at {}:{}", self.display_path(&at.file), at.line)
            })
            .collect();
        (!calls.is_empty()).then(|| format!("via {}", calls.join(" > ")))
    }

    pub fn rule_name(&self, id: &str) -> &str {
        self.rule(id).map_or("", |r| r.name.as_str())
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// Findings per rule id.
    pub fn counts_by_rule(&self) -> BTreeMap<&'static str, usize> {
        let mut counts = BTreeMap::new();
        for f in &self.findings {
            *counts.entry(f.rule).or_insert(0) += 1;
        }
        counts
    }

    /// Exit code: 2 with input errors, 1 with a finding at or above the failing severity, else 0.
    pub fn exit_code(&self) -> i32 {
        let fail_on = self.fail_on.unwrap_or(Severity::Error);
        if !self.errors.is_empty() {
            2
        } else if self.findings.iter().any(|f| f.severity >= fail_on) {
            1
        } else {
            0
        }
    }
}

/// Joins a display prefix and a relative path, resolving `..` lexically; absolute paths stay as they are.
pub fn join_display(prefix: &str, file: &str) -> String {
    if file.starts_with('/') || prefix.is_empty() {
        return file.to_string();
    }
    let absolute = prefix.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in prefix.split('/').chain(file.split('/')) {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".to_string()
    } else {
        joined
    }
}

/// Word for a severity in human-facing formats.
pub(crate) fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warn => "warning",
        Severity::Off => "off",
    }
}

/// The one-line outcome (`✖ 3 findings (2 errors, 1 warning): 12 files checked against …`).
pub fn summary_line(report: &Report) -> String {
    human::summary(report)
}

/// Input errors drawn for standard error (every format also carries them in its own way).
pub fn render_input_errors(report: &Report, options: &HumanOptions) -> String {
    human::render_input_errors(report, options)
}

/// Writes a report in a format. Compact output, which large scans produce most of, is rendered
/// in parallel chunks and written as it goes rather than built whole in memory.
pub fn write(
    format: Format,
    report: &Report,
    human: &HumanOptions,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Compact => compact::write(report, out),
        Format::Json => json::write(report, out),
        Format::Sarif => sarif::write(report, out),
        Format::Human => human::write(report, human, out),
        Format::Junit => junit::write(report, out),
        Format::Github => github::write(report, out),
    }
}

/// A JSON object (`head`, keys in order) with one more entry, `key`, whose value is a list
/// serialized one item at a time: a report of a hundred thousand findings is written without first
/// building the document of all of them. Keys come out in the same (sorted) order, and the text is
/// the same, as serializing the whole document as one `serde_json::Value`.
pub(crate) struct StreamedObject<'a, I> {
    pub head: &'a serde_json::Map<String, serde_json::Value>,
    pub key: &'static str,
    pub items: std::cell::RefCell<Option<I>>,
}

impl<I> serde::Serialize for StreamedObject<'_, I>
where
    I: Iterator,
    I::Item: serde::Serialize,
{
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        struct Items<'i, I>(&'i std::cell::RefCell<Option<I>>);
        impl<I> serde::Serialize for Items<'_, I>
        where
            I: Iterator,
            I::Item: serde::Serialize,
        {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let items = self.0.borrow_mut().take();
                serializer.collect_seq(items.into_iter().flatten())
            }
        }
        let mut map = serializer.serialize_map(Some(self.head.len() + 1))?;
        let mut pending = true;
        for (k, v) in self.head {
            if pending && k.as_str() > self.key {
                map.serialize_entry(self.key, &Items(&self.items))?;
                pending = false;
            }
            map.serialize_entry(k, v)?;
        }
        if pending {
            map.serialize_entry(self.key, &Items(&self.items))?;
        }
        map.end()
    }
}

/// Writes `value` as pretty JSON (two-space indents) and a final newline.
pub(crate) fn write_pretty_json(
    value: &impl serde::Serialize,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"  ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut *out, formatter);
    value
        .serialize(&mut serializer)
        .map_err(std::io::Error::other)?;
    out.write_all(b"\n")
}

/// Renders a report in a format.
pub fn render(format: Format, report: &Report, human: &HumanOptions) -> String {
    match format {
        Format::Human => human::render(report, human),
        Format::Json => json::render(report),
        Format::Sarif => sarif::render(report),
        Format::Junit => junit::render(report),
        Format::Github => github::render(report),
        Format::Compact => compact::render(report),
    }
}

#[cfg(test)]
mod tests {
    use super::{join_display, sort_findings_stable};
    use crate::finding::{Finding, Related};
    use crate::model::Location;

    #[test]
    fn display_paths_join_lexically() {
        assert_eq!(join_display("", "main.tf"), "main.tf");
        assert_eq!(join_display("infra/", "main.tf"), "infra/main.tf");
        assert_eq!(
            join_display("infra/prod/", "../sovereign.toml"),
            "infra/sovereign.toml"
        );
        assert_eq!(join_display("./", "a/b.tf"), "a/b.tf");
        assert_eq!(join_display("infra/", "/tmp/x.tfvars"), "/tmp/x.tfvars");
        assert_eq!(join_display("../x/", "../y.tf"), "../y.tf");
    }

    /// The keyed sort gives exactly a stable sort by (file, line, column, rule, address,
    /// message): equal findings (the same module finding from two stacks) keep their order.
    #[test]
    fn findings_sort_like_a_stable_sort_by_their_fields() {
        let files = ["b.tf", "a.tf", "modules/m/main.tf", "a.tf.json"];
        let rules = ["SOV006", "SOV001", "SOV010"];
        let mut seed: u64 = 7;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        let findings: Vec<Finding> = (0..500)
            .map(|i| {
                let mut f = crate::rules::sov011_finding(
                    Location::new(
                        files[next(4) as usize],
                        next(3) as u32 + 1,
                        next(2) as u32 + 1,
                    ),
                    format!("message {}", next(2)),
                );
                f.rule = rules[next(3) as usize];
                f.address = format!("module.m[{}]", next(2));
                f.related = vec![Related {
                    location: Location::new(format!("stacks/{i}/main.tf"), 1, 1),
                    message: "call".into(),
                    module_call: Some("module.m".into()),
                }]
                .into();
                f
            })
            .collect();
        let mut expected = findings.clone();
        expected.sort_by(|a, b| {
            (
                &a.location.file,
                a.location.line,
                a.location.column,
                a.rule,
                &a.address,
                &a.message,
            )
                .cmp(&(
                    &b.location.file,
                    b.location.line,
                    b.location.column,
                    b.rule,
                    &b.address,
                    &b.message,
                ))
        });
        let mut sorted = findings;
        sort_findings_stable(&mut sorted);
        assert_eq!(sorted, expected);
    }
}
