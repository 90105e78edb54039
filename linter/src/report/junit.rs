//! JUnit XML: one test suite per rule with findings, one failing test case per finding, and an
//! `input` suite with an error test case per input error — for CI systems that show test reports.
use quick_xml::escape::escape;

use super::Report;

fn attr(text: &str) -> String {
    escape(text).into_owned()
}

pub fn render(report: &Report) -> String {
    let mut out = Vec::new();
    // Writing to memory cannot fail.
    let _ = write(report, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Writes the document as it goes: the totals of the root element are counted first.
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let counts = report.counts_by_rule();
    let failures: usize = counts.values().sum();
    let tests = (report.errors.len() + failures).max(1);
    write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"sovereign-lint\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{}\">\n",
        report.errors.len()
    )?;

    if !report.errors.is_empty() {
        writeln!(
            out,
            "  <testsuite name=\"input\" tests=\"{n}\" failures=\"0\" errors=\"{n}\">",
            n = report.errors.len()
        )?;
        for e in &report.errors {
            let file = e
                .location
                .as_ref()
                .map(|l| l.file.clone())
                .or_else(|| e.file.clone())
                .map(|f| report.display_path(&f))
                .unwrap_or_else(|| "sovereign-lint".to_string());
            let place = match &e.location {
                Some(l) => format!("{file}:{}:{}", l.line, l.column),
                None => file.clone(),
            };
            let mut body = format!("{place}: {}", e.message);
            if let Some(help) = &e.help {
                body.push_str(&format!("\nhelp: {help}"));
            }
            write!(
                out,
                "    <testcase name=\"{}\" classname=\"{}\">\n      <error message=\"{}\" type=\"input\">{}</error>\n    </testcase>\n",
                attr(&place),
                attr(&file),
                attr(&e.message),
                attr(&body)
            )?;
        }
        out.write_all(b"  </testsuite>\n")?;
    }

    for (rule, count) in &counts {
        let name = format!("{rule} {}", report.rule_name(rule));
        writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{count}\" failures=\"{count}\" errors=\"0\">",
            attr(name.trim())
        )?;
        for f in report.findings.iter().filter(|f| f.rule == *rule) {
            let file = report.display_path(&f.location.file);
            let mut place = format!("{file}:{}:{}", f.location.line, f.location.column);
            let mut body = format!("{place}: {}", f.message);
            if let Some(via) = report.module_call_text(f) {
                body.push_str(&format!("\n{via}"));
                // Test names must differ between the roots that call one module.
                place.push_str(&format!(", {via}"));
            }
            if let Some(value) = &f.value {
                body.push_str(&format!("\nvalue: {value}"));
            }
            for step in &f.provenance {
                body.push_str(&format!("\nresolved: {}", report.step_text(step)));
            }
            if !f.help.is_empty() {
                body.push_str(&format!("\nhelp: {}", f.help));
            }
            write!(
                out,
                "    <testcase name=\"{} ({place})\" classname=\"{}\">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
                attr(&f.address),
                attr(&file),
                attr(&f.message),
                f.severity.as_str(),
                attr(&body)
            )?;
        }
        out.write_all(b"  </testsuite>\n")?;
    }

    if report.errors.is_empty() && failures == 0 {
        let jurisdictions = report.jurisdictions.join(", ");
        write!(
            out,
            "  <testsuite name=\"sovereign-lint\" tests=\"1\" failures=\"0\" errors=\"0\">\n    <testcase name=\"{}\" classname=\"sovereign-lint\"/>\n  </testsuite>\n",
            attr(&format!("no findings (jurisdiction {jurisdictions})"))
        )?;
    }
    out.write_all(b"</testsuites>\n")
}
