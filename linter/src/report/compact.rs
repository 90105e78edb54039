//! `file:line:col: SEVERITY SOV001 message`, one line per finding or input error — for editors and grep.
use std::borrow::Cow;
use std::fmt::Write;

use rayon::prelude::*;

use super::Report;
use crate::finding::Finding;
use sovereign_schemas::Severity;

pub fn render(report: &Report) -> String {
    let mut out = Vec::new();
    // Writing to memory cannot fail.
    let _ = write(report, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Writes the report: input errors, then findings rendered in parallel, a batch at a time.
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    out.write_all(render_errors(report).as_bytes())?;
    for batch in report.findings.chunks(CHUNK * 8) {
        let chunks: Vec<String> = batch
            .par_chunks(CHUNK)
            .map(|chunk| render_findings(report, chunk))
            .collect();
        for chunk in chunks {
            out.write_all(chunk.as_bytes())?;
        }
    }
    Ok(())
}

const CHUNK: usize = 2048;

fn render_errors(report: &Report) -> String {
    let mut out = String::new();
    for e in &report.errors {
        let (line, column) = e.location.as_ref().map_or((0, 0), |l| (l.line, l.column));
        let file = e
            .location
            .as_ref()
            .map(|l| l.file.clone())
            .or_else(|| e.file.clone());
        let place = match file {
            Some(f) if line > 0 => format!("{}:{line}:{column}", report.display_path(&f)),
            Some(f) => report.display_path(&f),
            None => "sovereign-lint".to_string(),
        };
        out.push_str(&format!("{place}: ERROR input {}\n", one_line(&e.message)));
    }
    out
}

fn render_findings(report: &Report, findings: &[Finding]) -> String {
    let mut out = String::with_capacity(findings.len() * 160);
    let mut last_file: Option<(&str, String)> = None;
    for f in findings {
        let severity = match f.severity {
            Severity::Error => "ERROR",
            _ => "WARNING",
        };
        // Consecutive findings share files (they are sorted): display each path once.
        let path = match &last_file {
            Some((file, path)) if *file == &*f.location.file => path,
            _ => {
                &last_file
                    .insert((&f.location.file, report.display_path(&f.location.file)))
                    .1
            }
        };
        let _ = write!(
            out,
            "{path}:{}:{}: {severity} {} {}",
            f.location.line,
            f.location.column,
            f.rule,
            one_line(&f.message)
        );
        // Findings of a module used by several roots differ only in the call.
        match report.module_call_text(f) {
            Some(via) => {
                let _ = writeln!(out, " ({})", one_line(&via));
            }
            None => out.push('\n'),
        }
    }
    out
}

/// The text on one line, runs of whitespace as one space.
fn one_line(text: &str) -> Cow<'_, str> {
    if is_one_line(text) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.split_whitespace().collect::<Vec<_>>().join(" "))
    }
}

/// Whether `text` is already one line with single spaces: one pass over its bytes (messages are
/// ASCII but for quoted values; any other text takes the general check).
fn is_one_line(text: &str) -> bool {
    if !text.is_ascii() {
        return !text.contains(|c: char| c.is_whitespace() && c != ' ')
            && !text.contains("  ")
            && !text.starts_with(' ')
            && !text.ends_with(' ');
    }
    let mut after_space = true;
    for &b in text.as_bytes() {
        match b {
            b' ' if after_space => return false,
            b' ' => after_space = true,
            b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => return false,
            _ => after_space = false,
        }
    }
    !after_space || text.is_empty()
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn messages_fit_on_one_line() {
        assert_eq!(one_line("plain message"), "plain message");
        assert_eq!(one_line("two\nlines"), "two lines");
        assert_eq!(one_line("  padded   and\ttabbed "), "padded and tabbed");
        assert_eq!(one_line(""), "");
        assert_eq!(one_line(" "), "");
        assert_eq!(one_line("a "), "a");
        assert_eq!(one_line("a  b"), "a b");
        assert_eq!(one_line("caf\u{e9}\u{a0}x"), "caf\u{e9} x");
        assert!(matches!(
            one_line("a b \"c\""),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
