//! `{"findings":[…],"errors":[…],"notes":[…],"summary":{…}}` for scripts.
use serde_json::{Value, json};
use sovereign_schemas::Severity;

use super::Report;
use crate::baseline::fingerprint;
use crate::model::Location;

fn location_json(report: &Report, loc: &Location) -> Value {
    json!({
        "file": report.display_path(&loc.file),
        "line": loc.line,
        "column": loc.column,
    })
}

pub fn render(report: &Report) -> String {
    let mut out = Vec::new();
    // Writing to memory cannot fail.
    let _ = write(report, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Writes the document, the findings one at a time (see [`super::StreamedObject`]).
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let findings = report.findings.iter().map(|f| {
        json!({
            "rule": f.rule,
            "rule_name": report.rule_name(f.rule),
            "severity": f.severity.as_str(),
            "file": report.display_path(&f.location.file),
            "line": f.location.line,
            "column": f.location.column,
            "address": f.address,
            "message": f.message,
            "value": f.value,
            "provenance": f.provenance.iter().map(|p| json!({
                "description": p.description,
                "location": p.location.as_ref().map(|l| location_json(report, l)),
            })).collect::<Vec<_>>(),
            "help": f.help,
            "related": f.related.iter().map(|r| {
                let mut v = location_json(report, &r.location);
                v["message"] = json!(r.message);
                v
            }).collect::<Vec<_>>(),
            "fingerprint": fingerprint(f),
            // The module calls from the root, outermost first (empty at the root): what tells
            // apart the findings of a module that several roots call.
            "module_calls": f.module_calls().map(|(address, at)| {
                let mut v = location_json(report, at);
                v["address"] = json!(address);
                v
            }).collect::<Vec<_>>(),
        })
    });
    let errors: Vec<Value> = report
        .errors
        .iter()
        .map(|e| {
            let file = e
                .location
                .as_ref()
                .map(|l| l.file.clone())
                .or_else(|| e.file.clone());
            json!({
                "file": file.map(|f| report.display_path(&f)),
                "line": e.location.as_ref().map(|l| l.line),
                "column": e.location.as_ref().map(|l| l.column),
                "message": e.message,
                "help": e.help,
            })
        })
        .collect();
    let notes: Vec<Value> = report
        .notes
        .iter()
        .map(|n| {
            json!({
                "file": n.location.as_ref().map(|l| report.display_path(&l.file)),
                "line": n.location.as_ref().map(|l| l.line),
                "message": n.message,
            })
        })
        .collect();
    let summary = json!({
        "findings": report.findings.len(),
        "by_severity": {
            "error": report.count(Severity::Error),
            "warn": report.count(Severity::Warn),
        },
        "by_rule": report.counts_by_rule(),
        "errors": report.errors.len(),
        "files_scanned": report.stats.files_scanned,
        "roots": report.stats.roots,
        "suppressed": report.stats.suppressed,
        "baselined": report.stats.baselined,
        "below_min_severity": report.stats.below_min_severity,
        "jurisdictions": report.jurisdictions,
        "exit_code": report.exit_code(),
    });
    let head = json!({
        "version": 1,
        "tool": {"name": "sovereign-lint", "version": env!("CARGO_PKG_VERSION")},
        "errors": errors,
        "notes": notes,
        "summary": summary,
    });
    let Value::Object(head) = head else {
        return Ok(());
    };
    let doc = super::StreamedObject {
        head: &head,
        key: "findings",
        items: std::cell::RefCell::new(Some(findings)),
    };
    super::write_pretty_json(&doc, out)
}
