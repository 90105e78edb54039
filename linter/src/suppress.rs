//! Inline suppressions: `# sovereign:ignore SOV005 reason="…" expires=2027-03-31`.
//!
//! A suppression comment (`#` or `//`) covers:
//! - at the top of a file, before any block: every finding in that file;
//! - otherwise the item on the next non-comment line: a block header covers the whole block (down to
//!   its closing brace), an attribute covers the attribute (including a multi-line value). A finding
//!   whose module call chain passes through a covered `module` block is covered too, so callers can
//!   silence findings of a module they cannot edit.
//!
//! A reason is mandatory, `expires` optional (valid through that day). A suppression that is
//! malformed, reasonless, expired, names an unknown rule or an unsuppressible one (SOV011 itself)
//! does not suppress anything and raises an SOV011 finding at the comment.
use std::sync::Arc;

use sovereign_schemas::Severity;
use sovereign_schemas::policy::RULE_IDS;

use crate::finding::Finding;
use crate::model::{Location, Sources};

/// The rule id that reports invalid suppressions.
pub const INVALID_SUPPRESSION: &str = "SOV011";

/// Rules a suppression may not name: the invalid-suppression rule cannot silence itself.
pub const UNSUPPRESSIBLE: &[&str] = &[INVALID_SUPPRESSION];

const MARKER: &str = "sovereign:ignore";

/// A calendar date (`expires=` and today).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// Parses `YYYY-MM-DD`, checking the day exists.
    pub fn parse(text: &str) -> Option<Date> {
        let mut parts = text.split('-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        let year: i32 = y.parse().ok()?;
        let month: u32 = m.parse().ok()?;
        let day: u32 = d.parse().ok()?;
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// The date of a day count since 1970-01-01 (proleptic Gregorian calendar).
    pub fn from_days_since_epoch(days: i64) -> Date {
        // Civil-from-days over 400-year eras of 146097 days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// Today (UTC) from the system clock, or `SOVEREIGN_LINT_TODAY=YYYY-MM-DD` when set (tests, audits).
    pub fn today() -> Date {
        if let Some(date) = std::env::var("SOVEREIGN_LINT_TODAY")
            .ok()
            .and_then(|v| Date::parse(v.trim()))
        {
            return date;
        }
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Date::from_days_since_epoch((secs / 86_400) as i64)
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// What a suppression covers, in 1-based lines of its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    File,
    Lines { first: u32, last: u32 },
}

/// One parsed `sovereign:ignore` comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub file: Arc<str>,
    /// Where the comment is (its `sovereign:ignore` marker).
    pub location: Location,
    pub rules: Vec<String>,
    pub reason: Option<String>,
    pub expires: Option<Date>,
    pub coverage: Coverage,
    /// Why this suppression is invalid (then it suppresses nothing).
    pub problem: Option<String>,
}

impl Suppression {
    fn covers_location(&self, loc: &Location) -> bool {
        if *loc.file != *self.file {
            return false;
        }
        match self.coverage {
            Coverage::File => true,
            Coverage::Lines { first, last } => (first..=last).contains(&loc.line),
        }
    }

    /// Whether this (valid) suppression silences `finding`.
    pub fn covers(&self, finding: &Finding) -> bool {
        self.problem.is_none()
            && finding.rule != INVALID_SUPPRESSION
            && self.rules.iter().any(|r| r == finding.rule)
            && (self.covers_location(&finding.location)
                || finding
                    .related
                    .iter()
                    .any(|r| self.covers_location(&r.location)))
    }
}

/// The outcome of applying suppressions to one model's findings.
#[derive(Debug, Default)]
pub struct Applied {
    /// Findings left, including new SOV011 findings.
    pub findings: Vec<Finding>,
    /// How many findings were suppressed.
    pub suppressed: usize,
    /// Every suppression with what it silenced (evidence bundles record them).
    pub records: Vec<SuppressionRecord>,
}

/// A suppression as the evidence records it: where, which rules, why, until when, and what it
/// silenced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppressionRecord {
    pub location: Location,
    pub rules: Vec<String>,
    pub reason: Option<String>,
    pub expires: Option<Date>,
    /// Why it suppresses nothing, when invalid.
    pub problem: Option<String>,
    pub suppressed: Vec<SuppressedFinding>,
}

/// A finding a suppression silenced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppressedFinding {
    pub rule: &'static str,
    pub address: String,
    pub location: Location,
}

/// Parses every suppression in `sources` (`.tf` and `.tfvars`; JSON has no comments).
pub fn collect(sources: &Sources, today: Date) -> Vec<Suppression> {
    let mut out = Vec::new();
    for (file, text) in &sources.files {
        if file.ends_with(".json") {
            continue;
        }
        out.extend(parse_file(file, text, today));
    }
    out
}

/// Applies suppressions to findings. `sov011_severity` is the policy's severity for SOV011 (`Off`:
/// invalid suppressions are not reported, but still suppress nothing).
pub fn apply(
    findings: Vec<Finding>,
    suppressions: &[Suppression],
    sov011_severity: Severity,
) -> Applied {
    let mut applied = Applied::default();
    if suppressions.is_empty() {
        applied.findings = findings;
        return applied;
    }
    applied.findings.reserve(findings.len());
    applied.records = suppressions
        .iter()
        .map(|s| SuppressionRecord {
            location: s.location.clone(),
            rules: s.rules.clone(),
            reason: s.reason.clone(),
            expires: s.expires,
            problem: s.problem.clone(),
            suppressed: Vec::new(),
        })
        .collect();
    for finding in findings {
        if let Some(i) = suppressions.iter().position(|s| s.covers(&finding)) {
            applied.suppressed += 1;
            applied.records[i].suppressed.push(SuppressedFinding {
                rule: finding.rule,
                address: finding.address,
                location: finding.location,
            });
        } else {
            applied.findings.push(finding);
        }
    }
    if sov011_severity != Severity::Off {
        for s in suppressions {
            if let Some(problem) = &s.problem {
                let mut finding = crate::rules::sov011_finding(
                    s.location.clone(),
                    format!("invalid suppression: {problem}; it suppresses nothing"),
                );
                finding.severity = sov011_severity;
                finding.address = if s.rules.is_empty() {
                    MARKER.to_string()
                } else {
                    format!("{MARKER} {}", s.rules.join(","))
                };
                applied.findings.push(finding);
            }
        }
    }
    applied
}

/// A line classified for scanning: code (with the part that is not a comment), comment, or blank.
struct Line<'a> {
    text: &'a str,
    /// Byte offset of the line in the file.
    offset: usize,
    kind: LineKind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum LineKind {
    Blank,
    Comment,
    /// Inside a `/* … */` comment or a heredoc body.
    Opaque,
    Code,
}

fn classify_lines(text: &str) -> Vec<Line<'_>> {
    let mut lines = Vec::new();
    let mut offset = 0;
    let mut in_block_comment = false;
    let mut heredoc_end: Option<String> = None;
    for raw in text.split_inclusive('\n') {
        let line = raw.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim();
        let kind = if let Some(end) = &heredoc_end {
            if trimmed == end {
                heredoc_end = None;
            }
            LineKind::Opaque
        } else if in_block_comment {
            if trimmed.contains("*/") {
                in_block_comment = false;
            }
            LineKind::Opaque
        } else if trimmed.is_empty() {
            LineKind::Blank
        } else if trimmed.starts_with('#') || trimmed.starts_with("//") {
            LineKind::Comment
        } else if trimmed.starts_with("/*") {
            in_block_comment = !trimmed.contains("*/");
            LineKind::Comment
        } else {
            heredoc_end = heredoc_marker(line);
            LineKind::Code
        };
        lines.push(Line {
            text: line,
            offset,
            kind,
        });
        offset += raw.len();
    }
    lines
}

/// The terminator of a heredoc opened on this line (`<<EOF`, `<<-EOT`), if any.
fn heredoc_marker(line: &str) -> Option<String> {
    let code = strip_strings_and_comments(line);
    let idx = code.find("<<")?;
    let rest = code[idx + 2..].trim_start_matches('-');
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// The line with string contents blanked and a trailing comment removed, so brackets can be counted.
fn strip_strings_and_comments(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut in_string = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => {
                    in_string = false;
                    out.push('"');
                }
                _ => out.push(' '),
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push('"');
            }
            '#' => break,
            '/' if chars.peek() == Some(&'/') => break,
            _ => out.push(c),
        }
    }
    out
}

/// The 1-based line where the item starting at `start` (an index into `lines`) ends: where its
/// brackets balance again.
fn item_end(lines: &[Line<'_>], start: usize) -> usize {
    let mut depth: i64 = 0;
    for (i, line) in lines.iter().enumerate().skip(start) {
        if line.kind != LineKind::Code {
            continue;
        }
        for c in strip_strings_and_comments(line.text).chars() {
            match c {
                '{' | '[' | '(' => depth += 1,
                '}' | ']' | ')' => depth -= 1,
                _ => {}
            }
        }
        if depth <= 0 {
            return i + 1;
        }
    }
    lines.len()
}

fn parse_file(file: &Arc<str>, text: &str, today: Date) -> Vec<Suppression> {
    // Most files have no suppression: a substring search is far cheaper than classifying lines.
    if !text.contains(MARKER) {
        return Vec::new();
    }
    let lines = classify_lines(text);
    let mut out = Vec::new();
    let mut seen_code = false;
    for (i, line) in lines.iter().enumerate() {
        match line.kind {
            LineKind::Code => {
                seen_code = true;
                continue;
            }
            LineKind::Comment => {}
            LineKind::Blank | LineKind::Opaque => continue,
        }
        let Some(marker_at) = line.text.find(MARKER) else {
            continue;
        };
        let comment_body = &line.text[marker_at + MARKER.len()..];
        // `sovereign:ignored…` or `sovereign:ignore-foo` are not our marker.
        if comment_body
            .chars()
            .next()
            .is_some_and(|c| !c.is_whitespace())
        {
            continue;
        }
        let column = line.text[..marker_at].chars().count() as u32 + 1;
        let location = Location::new(file.clone(), i as u32 + 1, column)
            .with_span(line.offset + marker_at, line.offset + line.text.len());
        let coverage = if !seen_code {
            Coverage::File
        } else {
            match lines
                .iter()
                .enumerate()
                .skip(i + 1)
                .find(|(_, l)| l.kind == LineKind::Code)
            {
                Some((target, _)) => Coverage::Lines {
                    first: target as u32 + 1,
                    last: item_end(&lines, target) as u32,
                },
                // A comment after the last item covers nothing, which is worth telling.
                None => Coverage::Lines { first: 0, last: 0 },
            }
        };
        let mut s = parse_directive(comment_body, file.clone(), location, coverage, today);
        if s.problem.is_none() && s.coverage == (Coverage::Lines { first: 0, last: 0 }) {
            s.problem = Some("it is not followed by a block or attribute to apply to".to_string());
        }
        out.push(s);
    }
    out
}

/// Parses `SOV005,SOV006 reason="…" expires=2027-03-31` (the text after the marker).
fn parse_directive(
    body: &str,
    file: Arc<str>,
    location: Location,
    coverage: Coverage,
    today: Date,
) -> Suppression {
    let mut s = Suppression {
        file,
        location,
        rules: Vec::new(),
        reason: None,
        expires: None,
        coverage,
        problem: None,
    };
    let mut problems: Vec<String> = Vec::new();
    let mut rest = body.trim();

    // Rule ids: everything before the first `key=`, split on commas and whitespace.
    let ids_end = rest.find('=').map_or(rest.len(), |eq| {
        rest[..eq]
            .char_indices()
            .rfind(|(_, c)| c.is_whitespace() || *c == ',')
            .map_or(0, |(p, c)| p + c.len_utf8())
    });
    for id in rest[..ids_end]
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
    {
        s.rules.push(id.to_string());
    }
    rest = rest[ids_end..].trim_start();

    while !rest.is_empty() {
        let Some(eq) = rest.find('=') else {
            problems.push(format!("unexpected `{rest}`"));
            break;
        };
        let key = rest[..eq].trim();
        let after = &rest[eq + 1..];
        let (value, remaining) = if let Some(quoted) = after.strip_prefix('"') {
            match closing_quote(quoted) {
                Some(end) => (unescape(&quoted[..end]), &quoted[end + 1..]),
                None => {
                    problems.push(format!("`{key}` has no closing quote"));
                    break;
                }
            }
        } else {
            let end = after.find(char::is_whitespace).unwrap_or(after.len());
            (after[..end].to_string(), &after[end..])
        };
        match key {
            "reason" => s.reason = Some(value),
            "expires" => match Date::parse(&value) {
                Some(date) => s.expires = Some(date),
                None => problems.push(format!("`expires={value}` is not a date (YYYY-MM-DD)")),
            },
            other => problems.push(format!("unknown key `{other}` (keys are reason, expires)")),
        }
        rest = remaining.trim_start();
    }

    if s.rules.is_empty() {
        problems.push("it names no rule".to_string());
    }
    for id in &s.rules {
        if !RULE_IDS.contains(&id.as_str()) {
            problems.push(format!("unknown rule `{id}`"));
        } else if UNSUPPRESSIBLE.contains(&id.as_str()) {
            problems.push(format!("rule `{id}` cannot be suppressed"));
        }
    }
    if s.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        problems.push("it has no reason (add reason=\"…\")".to_string());
    }
    if let Some(expires) = s.expires
        && expires < today
    {
        problems.push(format!("it expired on {expires}"));
    }
    if !problems.is_empty() {
        s.problem = Some(problems.join("; "));
    }
    s
}

fn closing_quote(text: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(i),
            _ => {}
        }
    }
    None
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: Date = Date {
        year: 2026,
        month: 6,
        day: 1,
    };

    fn parse(text: &str) -> Vec<Suppression> {
        parse_file(&Arc::from("main.tf"), text, TODAY)
    }

    fn finding(rule: &'static str, line: u32) -> Finding {
        Finding {
            rule,
            severity: Severity::Error,
            location: Location::new("main.tf", line, 3),
            address: "aws_s3_bucket.data".into(),
            message: "m".into(),
            value: None,
            provenance: Default::default(),
            help: "".into(),
            related: Vec::new().into(),
        }
    }

    #[test]
    fn epoch_days_to_dates() {
        assert_eq!(Date::from_days_since_epoch(0).to_string(), "1970-01-01");
        assert_eq!(
            Date::from_days_since_epoch(19_723).to_string(),
            "2024-01-01"
        );
        assert_eq!(
            Date::from_days_since_epoch(20_514).to_string(),
            "2026-03-02"
        );
        assert_eq!(
            Date::from_days_since_epoch(20_779).to_string(),
            "2026-11-22"
        );
        assert_eq!(Date::parse("2027-02-29"), None);
        assert!(Date::parse("2028-02-29").is_some());
    }

    #[test]
    fn block_suppression_covers_the_whole_block() {
        let text = "provider \"aws\" {}\n\n# sovereign:ignore SOV005, SOV006 reason=\"proxy, SEC-42\" expires=2027-03-31\nresource \"aws_nat_gateway\" \"x\" {\n  tags = {\n    a = \"}\"\n  }\n}\nresource \"b\" \"c\" {}\n";
        let s = parse(text);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].problem, None);
        assert_eq!(s[0].rules, ["SOV005", "SOV006"]);
        assert_eq!(s[0].reason.as_deref(), Some("proxy, SEC-42"));
        assert_eq!(s[0].coverage, Coverage::Lines { first: 4, last: 8 });
        assert!(s[0].covers(&finding("SOV005", 6)));
        assert!(!s[0].covers(&finding("SOV005", 9)));
        assert!(!s[0].covers(&finding("SOV001", 5)));
    }

    #[test]
    fn top_of_file_covers_the_file() {
        let s = parse("// sovereign:ignore SOV003 reason=\"legacy\"\n\nresource \"a\" \"b\" {}\n");
        assert_eq!(s[0].coverage, Coverage::File);
        assert!(s[0].covers(&finding("SOV003", 3)));
    }

    #[test]
    fn attribute_suppression_covers_a_multiline_value() {
        let s = parse(
            "resource \"a\" \"b\" {\n  # sovereign:ignore SOV005 reason=\"r\"\n  egress = [\n    \"0.0.0.0/0\",\n  ]\n  other = 1\n}\n",
        );
        assert_eq!(s[0].coverage, Coverage::Lines { first: 3, last: 5 });
    }

    #[test]
    fn invalid_suppressions_explain_why() {
        let text = "resource \"a\" \"b\" {}\n# sovereign:ignore SOV005\nresource \"a\" \"c\" {}\n# sovereign:ignore SOV099 reason=\"x\"\nresource \"a\" \"d\" {}\n# sovereign:ignore SOV005 reason=\"x\" expires=2026-05-31\nresource \"a\" \"e\" {}\n# sovereign:ignore SOV011 reason=\"x\"\nresource \"a\" \"f\" {}\n";
        let s = parse(text);
        let problems: Vec<_> = s.iter().map(|s| s.problem.clone().unwrap()).collect();
        assert_eq!(
            problems,
            [
                "it has no reason (add reason=\"…\")",
                "unknown rule `SOV099`",
                "it expired on 2026-05-31",
                "rule `SOV011` cannot be suppressed",
            ]
        );
        assert!(!s[0].covers(&finding("SOV005", 3)));
        let applied = apply(vec![finding("SOV005", 3)], &s, Severity::Error);
        assert_eq!(applied.suppressed, 0);
        assert_eq!(applied.findings.len(), 5);
        assert_eq!(applied.findings[1].rule, "SOV011");
        assert_eq!(applied.findings[1].location.line, 2);
    }

    #[test]
    fn odd_text_never_panics() {
        for text in [
            "resource \"a\" \"b\" {}\n# sovereign:ignore\u{a0}SOV001\u{a0}reason=\"é\"\n",
            "# sovereign:ignore SOV001 reason=\"unterminated\nresource \"a\" \"b\" {}\n",
            "# sovereign:ignore ==== reason= expires=\n",
            "# sovereign:ignore SOV001 reason=\"a\\\"b\" expires=2027-13-01 extra\n}}}\n",
            "x = <<-EOT\n# sovereign:ignore\nEOT\n/* # sovereign:ignore SOV001\n*/\n",
            "# sovereign:ignore 日本 reason=\"ü\"",
        ] {
            let s = parse(text);
            assert!(s.iter().all(|s| s.problem.is_some()), "{text}: {s:?}");
        }
    }

    #[test]
    fn expiry_day_itself_is_still_valid_and_heredocs_are_not_comments() {
        let text = "resource \"a\" \"b\" {\n  x = <<EOF\n# sovereign:ignore SOV005\nEOF\n}\n# sovereign:ignore SOV005 reason=\"x\" expires=2026-06-01\nresource \"a\" \"e\" {}\n";
        let s = parse(text);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].problem, None);
    }
}
