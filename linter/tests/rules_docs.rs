//! The committed rule pages (`docs/rules/*.md`) are generated from the rules' doc comments; this
//! test fails when they are stale. Regenerate with:
//!
//! ```sh
//! UPDATE_DOCS=1 cargo test -p sovereign-lint --test rules_docs
//! ```
use std::fs;
use std::path::PathBuf;

use sovereign_lint::rules::{all_rules, explain, rule_info, rules_index_markdown, rules_table};

const REGENERATE: &str = "UPDATE_DOCS=1 cargo test -p sovereign-lint --test rules_docs";

fn expected_pages() -> Vec<(String, String)> {
    let mut pages: Vec<(String, String)> = all_rules()
        .iter()
        .map(|r| {
            let id = r.info().id;
            (format!("{id}.md"), explain(id).unwrap())
        })
        .collect();
    pages.push(("README.md".to_string(), rules_index_markdown()));
    pages
}

#[test]
fn committed_rule_docs_are_generated_from_the_doc_comments() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/rules");
    let pages = expected_pages();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        fs::create_dir_all(&dir).unwrap();
        for (name, text) in &pages {
            fs::write(dir.join(name), text).unwrap();
        }
    }
    let mut stale = Vec::new();
    for (name, text) in &pages {
        match fs::read_to_string(dir.join(name)) {
            Ok(committed) if committed == *text => {}
            Ok(_) => stale.push(format!("docs/rules/{name} differs")),
            Err(_) => stale.push(format!("docs/rules/{name} is missing")),
        }
    }
    for entry in fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if !pages.iter().any(|(n, _)| *n == name) {
            stale.push(format!("docs/rules/{name} belongs to no rule"));
        }
    }
    assert!(
        stale.is_empty(),
        "rule docs are stale ({}); regenerate them with `{REGENERATE}` and commit docs/rules",
        stale.join("; ")
    );
}

#[test]
fn explain_prints_the_rule_page() {
    let text = explain("sov003").expect("ids are case-insensitive");
    assert!(text.starts_with("# SOV003 untagged-data\n"), "{text}");
    for part in [
        "## What it does",
        "## Why is this bad?",
        "## Example",
        "```hcl",
        "## Use instead",
        "## Options",
        "default_tags",
    ] {
        assert!(text.contains(part), "explain SOV003 lacks {part}:\n{text}");
    }
    assert!(explain("SOV999").is_none());
    assert_eq!(
        rule_info("SOV001").unwrap().name,
        "region-outside-jurisdiction"
    );
    assert!(
        explain("SOV010")
            .unwrap()
            .contains("set by the policy's `unresolved`")
    );
}

#[test]
fn rules_table_lists_every_rule() {
    let table = rules_table();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 12, "{table}");
    assert!(lines[0].starts_with("ID "));
    for (line, rule) in lines[1..].iter().zip(all_rules()) {
        assert!(line.starts_with(rule.info().id), "{line}");
        assert!(line.contains(rule.info().name), "{line}");
    }
}
