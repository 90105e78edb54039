//! `file:line:col: SEVERITY SOV001 message`, one line per finding or input error — for editors and grep.
use super::Report;
use sovereign_schemas::Severity;

pub fn render(report: &Report) -> String {
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
    for f in &report.findings {
        let severity = match f.severity {
            Severity::Error => "ERROR",
            _ => "WARNING",
        };
        out.push_str(&format!(
            "{}:{}:{}: {severity} {} {}\n",
            report.display_path(&f.location.file),
            f.location.line,
            f.location.column,
            f.rule,
            one_line(&f.message)
        ));
    }
    out
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
