//! SARIF 2.1.0, the format GitHub code scanning and most security dashboards ingest.
//!
//! Artifact URIs are relative to the scanned root and carry `uriBaseId: %SRCROOT%`; the run's
//! `originalUriBaseIds` says where that root is when known.
use serde_json::{Map, Value, json};
use sovereign_schemas::Severity;

use super::Report;
use crate::baseline::fingerprint;
use crate::model::Location;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://example.invalid/sovereign-ml/sovereign";
const SRCROOT: &str = "%SRCROOT%";

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warn => "warning",
        Severity::Off => "none",
    }
}

/// A SARIF URI reference for a relative path: `/`-separated, spaces and `%` escaped.
fn uri(file: &str) -> String {
    let mut out = String::with_capacity(file.len());
    for c in file.chars() {
        match c {
            '%' => out.push_str("%25"),
            ' ' => out.push_str("%20"),
            '#' => out.push_str("%23"),
            '?' => out.push_str("%3F"),
            '\\' => out.push('/'),
            _ => out.push(c),
        }
    }
    out
}

fn physical_location(loc: &Location) -> Value {
    let mut artifact = json!({ "uri": uri(&loc.file) });
    if !loc.file.starts_with('/') {
        artifact["uriBaseId"] = json!(SRCROOT);
    }
    let mut region = json!({ "startLine": loc.line.max(1) });
    if loc.column > 0 {
        region["startColumn"] = json!(loc.column);
    }
    json!({ "physicalLocation": { "artifactLocation": artifact, "region": region } })
}

pub fn render(report: &Report) -> String {
    let mut out = Vec::new();
    // Writing to memory cannot fail.
    let _ = write(report, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Writes the log, its results one at a time (see [`super::StreamedObject`]).
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let rules: Vec<Value> = report
        .rules
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.name,
                "shortDescription": { "text": r.summary },
                "fullDescription": { "text": r.summary },
                "help": { "text": r.docs, "markdown": r.docs },
                "helpUri": format!("{INFORMATION_URI}/blob/main/docs/rules/{}.md", r.id),
                "defaultConfiguration": { "level": level(r.default_severity) },
            })
        })
        .collect();

    let results = report.findings.iter().map(|f| {
        let mut text = f.message.clone();
        if let Some(value) = &f.value {
            text.push_str(&format!(" (value: {value})"));
        }
        if let Some(via) = report.module_call_text(f) {
            text.push_str(&format!("\n{via}"));
        }
        for step in &f.provenance {
            text.push_str(&format!("\nresolved: {step}"));
        }
        if !f.help.is_empty() {
            text.push_str(&format!("\nhelp: {}", f.help));
        }
        let mut result = json!({
            "ruleId": f.rule,
            "level": level(f.severity),
            "message": { "text": text },
            "locations": [physical_location(&f.location)],
            "partialFingerprints": { "sovereignLint/v2": fingerprint(f) },
            "properties": { "address": f.address },
        });
        let calls: Vec<Value> = f
            .module_calls()
            .map(|(address, at)| {
                json!({
                    "address": address,
                    "uri": report.display_path(&at.file),
                    "line": at.line,
                })
            })
            .collect();
        if !calls.is_empty() {
            result["properties"]["moduleCalls"] = json!(calls);
        }
        if let Some(index) = report.rules.iter().position(|r| r.id == f.rule) {
            result["ruleIndex"] = json!(index);
        }
        let related: Vec<Value> = f
            .related
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut loc = physical_location(&r.location);
                loc["id"] = json!(i + 1);
                loc["message"] = json!({ "text": r.message });
                loc
            })
            .collect();
        if !related.is_empty() {
            result["relatedLocations"] = json!(related);
        }
        result
    });

    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| {
            let mut text = e.message.clone();
            if let Some(help) = &e.help {
                text.push_str(&format!("\nhelp: {help}"));
            }
            let mut n = json!({ "level": "error", "message": { "text": text } });
            match (&e.location, &e.file) {
                (Some(loc), _) => n["locations"] = json!([physical_location(loc)]),
                (None, Some(file)) => {
                    let mut artifact = json!({ "uri": uri(file) });
                    if !file.starts_with('/') {
                        artifact["uriBaseId"] = json!(SRCROOT);
                    }
                    n["locations"] =
                        json!([{ "physicalLocation": { "artifactLocation": artifact } }]);
                }
                (None, None) => {}
            }
            n
        })
        .collect();

    let mut run = Map::new();
    run.insert(
        "tool".into(),
        json!({
            "driver": {
                "name": "sovereign-lint",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        }),
    );
    run.insert(
        "invocations".into(),
        json!([{
            "executionSuccessful": report.errors.is_empty(),
            "toolExecutionNotifications": notifications,
        }]),
    );
    if let Some(root) = &report.base.root_uri {
        run.insert(
            "originalUriBaseIds".into(),
            json!({ "%SRCROOT%": { "uri": root } }),
        );
    }
    run.insert("columnKind".into(), json!("unicodeCodePoints"));
    let run = super::StreamedObject {
        head: &run,
        key: "results",
        items: std::cell::RefCell::new(Some(results)),
    };

    let mut head = Map::new();
    head.insert("$schema".into(), json!(SCHEMA));
    head.insert("version".into(), json!("2.1.0"));
    let doc = super::StreamedObject {
        head: &head,
        key: "runs",
        items: std::cell::RefCell::new(Some(std::iter::once(run))),
    };
    super::write_pretty_json(&doc, out)
}
