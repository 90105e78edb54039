//! Human output: miette diagnostics with the source line, a label on the offending span carrying the
//! resolved value and how it was resolved, a help line, and a summary at the end.
use std::fmt;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceSpan};
use sovereign_schemas::Severity;

use super::{Report, severity_word};
use crate::finding::Finding;
use crate::model::Location;
use rayon::prelude::*;
use std::collections::HashMap;

/// How to draw human output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HumanOptions {
    /// ANSI colours (off when not a terminal or when `NO_COLOR` is set).
    pub color: bool,
    /// Wrap width.
    pub width: usize,
}

impl Default for HumanOptions {
    fn default() -> Self {
        HumanOptions {
            color: false,
            width: 100,
        }
    }
}

/// One diagnostic as miette draws it.
#[derive(Debug)]
struct Drawn {
    code: Option<String>,
    severity: miette::Severity,
    message: String,
    source: Option<SourceWindow>,
    label: Option<(SourceSpan, String)>,
    help: Option<String>,
}

impl fmt::Display for Drawn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Drawn {}

impl Diagnostic for Drawn {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code
            .as_ref()
            .map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let (span, text) = self.label.as_ref()?;
        self.source.as_ref()?;
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            (!text.is_empty()).then(|| text.clone()),
            *span,
        ))))
    }
}

/// Where each line of a file starts: finding a line, or the line of a byte, takes a binary search
/// instead of a walk from the top of the file (which made the report quadratic in the findings of
/// one file).
#[derive(Debug)]
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineIndex { starts }
    }

    /// Byte range of 1-based line `line` (with its line ending), if the file has it.
    fn line(&self, text: &str, line: usize) -> Option<(usize, usize)> {
        let start = *self.starts.get(line.checked_sub(1)?)?;
        if start > text.len() || (start == text.len() && line > 1) {
            return None;
        }
        let end = self.starts.get(line).copied().unwrap_or(text.len());
        Some((start, end))
    }

    /// 0-based line of a byte offset.
    fn line_of(&self, offset: usize) -> usize {
        self.starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1)
    }
}

/// Byte span of a location in `text`: its own span, or from its column to the end of its line.
fn span_in(text: &str, lines: &LineIndex, loc: &Location) -> Option<SourceSpan> {
    if let Some((start, end)) = loc.span.map(|(s, e)| (s as usize, e as usize))
        && start <= end
        && end <= text.len()
        && text.is_char_boundary(start)
        && text.is_char_boundary(end)
    {
        return Some(SourceSpan::from(start..end));
    }
    if loc.line == 0 {
        return None;
    }
    let (offset, line_end) = lines.line(text, loc.line as usize)?;
    let content = text[offset..line_end].trim_end_matches(['\n', '\r']);
    let column_offset: usize = content
        .chars()
        .take(loc.column.saturating_sub(1) as usize)
        .map(char::len_utf8)
        .sum();
    let start = offset + column_offset;
    let end = offset + content.trim_end().len().max(column_offset);
    Some(SourceSpan::from(start..end))
}

/// Lines of context around a label: miette draws one; the window leaves room.
const WINDOW_CONTEXT_LINES: usize = 3;

/// The lines of a file around one finding's span, given to miette as the source: it reads what it
/// draws from the window, with the file's line numbers, instead of scanning the file from its top.
#[derive(Debug)]
struct SourceWindow {
    name: String,
    text: std::sync::Arc<str>,
    /// Byte range of the window in `text` (whole lines).
    start: usize,
    end: usize,
    /// 0-based line of `start`.
    first_line: usize,
}

impl SourceWindow {
    fn around(
        name: String,
        text: std::sync::Arc<str>,
        lines: &LineIndex,
        span: SourceSpan,
    ) -> Self {
        let first_line = lines
            .line_of(span.offset())
            .saturating_sub(WINDOW_CONTEXT_LINES);
        let last_line = lines.line_of(span.offset() + span.len()) + WINDOW_CONTEXT_LINES;
        let start = lines.starts.get(first_line).copied().unwrap_or(0);
        let end = lines
            .starts
            .get(last_line + 1)
            .copied()
            .unwrap_or(text.len())
            .min(text.len());
        SourceWindow {
            name,
            text,
            start,
            end,
            first_line,
        }
    }
}

impl miette::SourceCode for SourceWindow {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let window = self
            .text
            .as_bytes()
            .get(self.start..self.end)
            .ok_or(miette::MietteError::OutOfBounds)?;
        let local_offset = span
            .offset()
            .checked_sub(self.start)
            .ok_or(miette::MietteError::OutOfBounds)?;
        let local = SourceSpan::from((local_offset, span.len()));
        let contents = window.read_span(&local, context_lines_before, context_lines_after)?;
        let data: &'a [u8] = contents.data();
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            data,
            SourceSpan::from((contents.span().offset() + self.start, contents.span().len())),
            contents.line() + self.first_line,
            contents.column(),
            contents.line_count() + self.first_line,
        )))
    }
}

impl Report {
    /// The window of a finding's file to draw, and the span to label in it. `lines` is the file's
    /// index when the caller has it.
    fn drawn_source(
        &self,
        loc: &Location,
        lines: Option<&LineIndex>,
    ) -> Option<(SourceWindow, SourceSpan)> {
        let text = self.sources.get(&loc.file)?;
        let own;
        let lines = match lines {
            Some(l) => l,
            None => {
                own = LineIndex::new(text);
                &own
            }
        };
        let span = span_in(text, lines, loc)?;
        Some((
            // The shared text, not a copy of the file per finding.
            SourceWindow::around(self.display_path(&loc.file), text.clone(), lines, span),
            span,
        ))
    }
}

fn handler(options: &HumanOptions) -> GraphicalReportHandler {
    let theme = if options.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme)
        .with_width(options.width)
        .with_links(false)
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
        .without_syntax_highlighting()
}

fn draw(handler: &GraphicalReportHandler, out: &mut String, d: &Drawn, trailer: &[String]) {
    let mut text = String::new();
    if handler.render_report(&mut text, d).is_err() {
        text = format!("{}\n", d.message);
    }
    out.push_str(&text);
    for line in trailer {
        out.push_str(&format!("  = {line}\n"));
    }
    out.push('\n');
}

/// Input errors (unreadable or unparsable files, invalid policy, bad baseline) as diagnostics; the
/// command prints them on standard error whatever the formats.
pub fn render_input_errors(report: &Report, options: &HumanOptions) -> String {
    let handler = handler(options);
    let mut out = String::new();
    for e in &report.errors {
        let place = e
            .location
            .as_ref()
            .map(|l| format!("{}:{}:{}", report.display_path(&l.file), l.line, l.column))
            .or_else(|| e.file.as_ref().map(|f| report.display_path(f)));
        let source = e
            .location
            .as_ref()
            .and_then(|l| report.drawn_source(l, None));
        let message = match (&place, &source) {
            (Some(place), None) => format!("{place}: {}", e.message),
            _ => e.message.clone(),
        };
        let (source, label) = match source {
            Some((s, span)) => (Some(s), Some((span, String::new()))),
            None => (None, None),
        };
        let d = Drawn {
            code: Some("input error".to_string()),
            severity: miette::Severity::Error,
            message,
            source,
            label,
            help: e.help.clone(),
        };
        draw(&handler, &mut out, &d, &[]);
    }
    out
}

/// Findings, notes and the summary line (input errors are counted in the summary; they are drawn
/// by [`render_input_errors`]).
pub fn render(report: &Report, options: &HumanOptions) -> String {
    let mut out = Vec::new();
    // Writing to memory cannot fail.
    let _ = write(report, options, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Writes the findings as they are drawn (in parallel batches, in order), then notes and the
/// summary line.
pub fn write(
    report: &Report,
    options: &HumanOptions,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    // Drawing a diagnostic is the costly part.
    const BATCH: usize = 256;
    // Each file's lines indexed once: the work per finding does not grow with its file.
    let mut lines: HashMap<&str, LineIndex> = HashMap::new();
    for f in &report.findings {
        if !lines.contains_key(&*f.location.file)
            && let Some(text) = report.sources.get(&f.location.file)
        {
            lines.insert(&f.location.file, LineIndex::new(text));
        }
    }
    for group in report.findings.chunks(BATCH * 16) {
        let drawn: Vec<String> = group
            .par_chunks(BATCH)
            .map(|batch| {
                let handler = handler(options);
                let mut text = String::new();
                for f in batch {
                    draw_finding(report, &lines, &handler, &mut text, f);
                }
                text
            })
            .collect();
        for text in drawn {
            out.write_all(text.as_bytes())?;
        }
    }
    out.write_all(notes_and_summary(report).as_bytes())
}

/// The notes, then the summary line.
fn notes_and_summary(report: &Report) -> String {
    let mut out = String::new();

    for n in &report.notes {
        match &n.location {
            Some(l) => out.push_str(&format!(
                "note: {}:{}: {}\n",
                report.display_path(&l.file),
                l.line,
                n.message
            )),
            None => out.push_str(&format!("note: {}\n", n.message)),
        }
    }
    if !report.notes.is_empty() {
        out.push('\n');
    }
    out.push_str(&summary(report));
    out.push('\n');
    out
}

/// One finding as a diagnostic: source line, labelled span with the value and its provenance,
/// help, and the module call chain.
fn draw_finding(
    report: &Report,
    lines: &HashMap<&str, LineIndex>,
    handler: &GraphicalReportHandler,
    out: &mut String,
    f: &Finding,
) {
    let mut label_lines: Vec<String> = Vec::new();
    if let Some(value) = &f.value {
        label_lines.push(value.clone());
    }
    for step in &f.provenance {
        label_lines.push(format!("← {}", report.step_text(step)));
    }
    let source = report.drawn_source(&f.location, lines.get(&*f.location.file));
    // Name the address unless the rule's message already does.
    let message = if f.address.is_empty() || f.message.contains(&f.address) {
        f.message.clone()
    } else {
        format!("{}: {}", f.address, f.message)
    };
    let message = match &source {
        Some(_) => message,
        None => format!(
            "{}:{}:{}: {message}",
            report.display_path(&f.location.file),
            f.location.line,
            f.location.column,
        ),
    };
    let mut trailer = Vec::new();
    if source.is_none() && !label_lines.is_empty() {
        trailer.push(format!("value: {}", label_lines.join(" ")));
    }
    for r in f.related.iter() {
        trailer.push(format!(
            "{} ({}:{})",
            r.message,
            report.display_path(&r.location.file),
            r.location.line
        ));
    }
    let (source, label) = match source {
        Some((s, span)) => (Some(s), Some((span, label_lines.join("\n")))),
        None => (None, None),
    };
    let name = report.rule_name(f.rule);
    let d = Drawn {
        code: Some(format!("{} {name}", f.rule).trim().to_string()),
        severity: match f.severity {
            Severity::Error => miette::Severity::Error,
            _ => miette::Severity::Warning,
        },
        message,
        source,
        label,
        help: (!f.help.is_empty()).then(|| f.help.to_string()),
    };
    draw(handler, out, &d, &trailer);
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The last line: counts, files, jurisdiction, and what was left out.
pub(crate) fn summary(report: &Report) -> String {
    let errors = report.count(Severity::Error);
    let warnings = report.count(Severity::Warn);
    let mut parts = Vec::new();
    if !report.findings.is_empty() {
        let mut by_severity = Vec::new();
        if errors > 0 {
            by_severity.push(plural(errors, severity_word(Severity::Error)));
        }
        if warnings > 0 {
            by_severity.push(plural(warnings, severity_word(Severity::Warn)));
        }
        parts.push(format!(
            "{} ({})",
            plural(report.findings.len(), "finding"),
            by_severity.join(", ")
        ));
    }
    if !report.errors.is_empty() {
        parts.push(plural(report.errors.len(), "input error"));
    }
    let scope = if report.jurisdictions.is_empty() {
        format!("{} read", plural(report.stats.files_scanned, "file"))
    } else {
        format!(
            "{} checked against jurisdiction {}",
            plural(report.stats.files_scanned, "file"),
            report.jurisdictions.join(", ")
        )
    };
    let mut left_out = Vec::new();
    if report.stats.suppressed > 0 {
        left_out.push(format!("{} suppressed", report.stats.suppressed));
    }
    if report.stats.baselined > 0 {
        left_out.push(format!("{} baselined", report.stats.baselined));
    }
    if report.stats.below_min_severity > 0 {
        left_out.push(format!(
            "{} below --min-severity",
            report.stats.below_min_severity
        ));
    }
    let tail = if left_out.is_empty() {
        String::new()
    } else {
        format!("; {}", left_out.join(", "))
    };
    if parts.is_empty() {
        format!("✔ no findings: {scope}{tail}")
    } else {
        let mark = if report.exit_code() == 0 {
            "⚠"
        } else {
            "✖"
        };
        format!("{mark} {}: {scope}{tail}", parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use miette::SourceCode;

    /// What miette reads through a window is what it reads from the whole file: same bytes, same
    /// line and column numbers, for spans at the top, middle and end, across lines, with CRLF.
    #[test]
    fn a_window_reads_like_the_whole_file() {
        let mut text = String::new();
        for i in 0..200 {
            text.push_str(&format!("resource \"x\" \"r{i}\" {{ a = {i} }}"));
            text.push_str(if i % 3 == 0 { "\r\n" } else { "\n" });
        }
        text.push_str("last line without newline");
        let text: std::sync::Arc<str> = text.into();
        let lines = LineIndex::new(&text);
        let line_start = |l: usize| lines.line(&text, l).unwrap().0;
        let spans = [
            SourceSpan::from((0, 8)),
            SourceSpan::from((line_start(100) + 9, 3)),
            SourceSpan::from((line_start(150), line_start(152) - line_start(150) + 4)),
            SourceSpan::from((line_start(201), 4)),
            SourceSpan::from((text.len(), 0)),
        ];
        for span in spans {
            let window = SourceWindow::around("main.tf".into(), text.clone(), &lines, span);
            for context in [0, 1, 2] {
                let whole = (*text).read_span(&span, context, context).unwrap();
                let seen = window.read_span(&span, context, context).unwrap();
                assert_eq!(seen.data(), whole.data(), "{span:?} ±{context}");
                assert_eq!(seen.span(), whole.span(), "{span:?} ±{context}");
                assert_eq!(seen.line(), whole.line(), "{span:?} ±{context}");
                assert_eq!(seen.column(), whole.column(), "{span:?} ±{context}");
                assert_eq!(seen.name(), Some("main.tf"));
            }
        }
    }

    #[test]
    fn locations_find_their_line_without_walking_the_file() {
        let text = "a = 1\r\n  b = \"x\"\n\nlast";
        let lines = LineIndex::new(text);
        let at = |line, column| {
            let loc = Location::new("main.tf", line, column);
            span_in(text, &lines, &loc).map(|s| &text[s.offset()..s.offset() + s.len()])
        };
        assert_eq!(at(1, 1), Some("a = 1"));
        assert_eq!(at(2, 3), Some("b = \"x\""));
        assert_eq!(at(3, 1), Some(""));
        assert_eq!(at(4, 1), Some("last"));
        assert_eq!(at(5, 1), None);
        assert_eq!(at(0, 1), None);
        assert_eq!(lines.line_of(0), 0);
        assert_eq!(lines.line_of(7), 1);
        assert_eq!(lines.line_of(text.len()), 3);
    }
}
