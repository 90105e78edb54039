//! GitHub Actions workflow commands: `::error file=…,line=…,col=…,title=SOV001::message`, which
//! GitHub shows as annotations on the pull request diff.
use super::Report;
use sovereign_schemas::Severity;

/// Escapes a command's message (data).
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property value.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(report: &Report) -> String {
    let mut out = Vec::new();
    // Writing to memory cannot fail.
    let _ = write(report, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Writes one command per input error and finding, as they are made.
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    for e in &report.errors {
        let mut props = Vec::new();
        let file = e
            .location
            .as_ref()
            .map(|l| l.file.clone())
            .or_else(|| e.file.clone());
        if let Some(file) = file {
            props.push(format!(
                "file={}",
                escape_property(&report.display_path(&file))
            ));
        }
        if let Some(loc) = &e.location {
            props.push(format!("line={}", loc.line));
            props.push(format!("col={}", loc.column));
        }
        props.push("title=sovereign-lint input error".to_string());
        let mut message = e.message.clone();
        if let Some(help) = &e.help {
            message.push_str(&format!("\nhelp: {help}"));
        }
        writeln!(
            out,
            "::error {}::{}",
            props.join(","),
            escape_data(&message)
        )?;
    }
    for f in &report.findings {
        let command = match f.severity {
            Severity::Error => "error",
            _ => "warning",
        };
        let title = format!("{} {}", f.rule, report.rule_name(f.rule));
        let mut message = f.message.clone();
        if let Some(via) = report.module_call_text(f) {
            message.push_str(&format!(" ({via})"));
        }
        for step in &f.provenance {
            message.push_str(&format!("\nresolved: {}", report.step_text(step)));
        }
        if !f.help.is_empty() {
            message.push_str(&format!("\nhelp: {}", f.help));
        }
        writeln!(
            out,
            "::{command} file={},line={},col={},title={}::{}",
            escape_property(&report.display_path(&f.location.file)),
            f.location.line,
            f.location.column,
            escape_property(title.trim()),
            escape_data(&message)
        )?;
    }
    Ok(())
}
