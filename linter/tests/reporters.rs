//! Every output format for one fixed report: a provider region resolved through tfvars, a finding
//! inside a module instance (with its module call chain), a warning, a note and an input error.
use std::sync::Arc;

use sovereign_lint::cli::Format;
use sovereign_lint::finding::{Finding, Related};
use sovereign_lint::model::{InputError, Location, Note, ProvenanceStep, Sources};
use sovereign_lint::report::{self, HumanOptions, Report, RuleMeta, ScanBase, Stats};
use sovereign_schemas::Severity;

const MAIN_TF: &str = r#"provider "aws" {
  region = var.region
}

module "store" {
  source = "./modules/store"
  name   = "training-data"
}
"#;

const STORE_TF: &str = r#"resource "aws_s3_bucket" "data" {
  bucket = var.name
  tags = {
    owner = "ml-platform"
  }
}
"#;

const BROKEN_TF: &str = "resource \"aws_kms_key\" \"k\" {\n  description = \"unterminated\n}\n";

fn rule(id: &'static str, name: &str, summary: &str, severity: Severity) -> RuleMeta {
    RuleMeta {
        id,
        name: name.to_string(),
        summary: summary.to_string(),
        docs: format!("# {id} {name}\n\n{summary}.\n"),
        default_severity: severity,
    }
}

fn fixed_report() -> Report {
    let mut sources = Sources::default();
    sources.insert("main.tf", MAIN_TF);
    sources.insert("modules/store/main.tf", STORE_TF);
    sources.insert("broken.tf", BROKEN_TF);
    let region_span = MAIN_TF.find("var.region").unwrap();
    let tags_span = STORE_TF.find("tags").unwrap();
    let mut report = Report {
        findings: vec![
            Finding {
                rule: "SOV003",
                severity: Severity::Warn,
                location: Location::new("modules/store/main.tf", 3, 3)
                    .with_span(tags_span, tags_span + 4),
                address: "module.store.aws_s3_bucket.data".to_string(),
                message: "data-bearing resource lacks the required tag `data-classification`"
                    .to_string(),
                value: None,
                provenance: Default::default(),
                help: "add `data-classification = \"internal\"` (allowed: public, internal, restricted) to tags or to the provider's default_tags".into(),
                related: vec![Related {
                    location: Location::new("main.tf", 5, 1),
                    message: "in module.store, called here".into(),
                    module_call: Some("module.store".into()),
                }]
                .into(),
            },
            Finding {
                rule: "SOV001",
                severity: Severity::Error,
                location: Location::new("main.tf", 2, 12)
                    .with_span(region_span, region_span + "var.region".len()),
                address: "provider[\"registry.terraform.io/hashicorp/aws\"]".to_string(),
                message: "provider region \"us-east-1\" is outside jurisdiction `eu` (EU-27)"
                    .to_string(),
                value: Some("\"us-east-1\"".to_string()),
                provenance: vec![ProvenanceStep {
                    description: "var.region = \"us-east-1\"".into(),
                    location: Some(Location::new("prod.tfvars", 3, 1)),
                }]
                .into(),
                help: "set region to one of eu-central-1, eu-west-1, eu-west-3, eu-south-1, eu-south-2, eu-north-1, eusc-de-east-1".into(),
                related: Vec::new().into(),
            },
        ],
        errors: vec![InputError {
            file: Some(Arc::from("broken.tf")),
            location: Some(Location::new("broken.tf", 2, 17).with_span(45, 58)),
            message: "cannot parse broken.tf: unterminated string".to_string(),
            help: Some("close the string with `\"`".to_string()),
        }],
        notes: vec![Note {
            location: Some(Location::new("main.tf", 5, 1)),
            message: "module.vpc: remote module not fetched (run `terraform init`); not linted"
                .to_string(),
        }],
        sources,
        rules: vec![
            rule("SOV001", "region-outside-jurisdiction", "A region outside the jurisdiction", Severity::Error),
            rule("SOV003", "untagged-data", "A data-bearing resource lacks a required tag", Severity::Error),
            rule("SOV011", "invalid-suppression", "An inline suppression is invalid", Severity::Error),
        ],
        base: ScanBase {
            display_prefix: "infra/".to_string(),
            root_uri: Some("file:///work/repo/infra/".to_string()),
        },
        stats: Stats {
            files_scanned: 3,
            roots: 1,
            suppressed: 1,
            baselined: 2,
            below_min_severity: 0,
        },
        jurisdictions: vec!["eu".to_string()],
        fail_on: Some(Severity::Error),
    };
    report.sort();
    report
}

fn render(format: Format) -> String {
    report::render(format, &fixed_report(), &HumanOptions::default())
}

#[test]
fn human() {
    let report = fixed_report();
    let options = HumanOptions::default();
    // What the command prints: input errors on stderr, then the report on stdout.
    let text = format!(
        "{}{}",
        report::render_input_errors(&report, &options),
        report::render(Format::Human, &report, &options)
    );
    // What the user must see, independent of the snapshot.
    assert!(text.contains("infra/main.tf:2:12"), "{text}");
    assert!(
        text.contains("var.region = \"us-east-1\" (from infra/prod.tfvars:3)"),
        "{text}"
    );
    assert!(text.contains("help: set region"), "{text}");
    assert!(text.contains("infra/broken.tf:2:17"), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "no colour codes without a terminal"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn json() {
    let text = render(Format::Json);
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let first = &doc["findings"][0];
    for key in [
        "rule", "severity", "file", "line", "column", "address", "message", "value",
    ] {
        assert!(first.get(key).is_some(), "finding lacks {key}");
    }
    assert_eq!(first["file"], "infra/main.tf");
    assert_eq!(doc["summary"]["by_severity"]["error"], 1);
    assert_eq!(doc["summary"]["errors"], 1);
    assert_eq!(doc["errors"][0]["line"], 2);
    insta::assert_snapshot!(text);
}

#[test]
fn sarif_has_the_required_structure() {
    let text = render(Format::Sarif);
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["version"], "2.1.0");
    assert!(doc["$schema"].as_str().unwrap().contains("sarif"));
    let run = &doc["runs"][0];
    let driver = &run["tool"]["driver"];
    for key in ["name", "version", "informationUri"] {
        assert!(driver[key].is_string(), "driver.{key}");
    }
    let rules = driver["rules"].as_array().unwrap();
    for r in rules {
        for key in ["id", "name"] {
            assert!(r[key].is_string(), "rule.{key}");
        }
        assert!(r["shortDescription"]["text"].is_string());
        assert!(r["fullDescription"]["text"].is_string());
        assert!(r["help"]["text"].is_string());
        assert!(r["help"]["markdown"].is_string());
        assert!(
            ["error", "warning", "note"]
                .contains(&r["defaultConfiguration"]["level"].as_str().unwrap())
        );
    }
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        assert!(["error", "warning"].contains(&result["level"].as_str().unwrap()));
        assert!(!result["message"]["text"].as_str().unwrap().is_empty());
        let physical = &result["locations"][0]["physicalLocation"];
        let uri = physical["artifactLocation"]["uri"].as_str().unwrap();
        assert!(
            !uri.starts_with('/') && !uri.contains("://") && !uri.starts_with("infra/"),
            "{uri}"
        );
        assert_eq!(physical["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert!(physical["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(physical["region"]["startColumn"].as_u64().unwrap() >= 1);
        assert!(result["partialFingerprints"].as_object().unwrap().len() == 1);
    }
    let in_module = results.iter().find(|r| r["ruleId"] == "SOV003").unwrap();
    assert_eq!(in_module["level"], "warning");
    assert_eq!(
        in_module["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "main.tf"
    );
    let notes = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(run["invocations"][0]["executionSuccessful"], false);
    assert_eq!(
        run["originalUriBaseIds"]["%SRCROOT%"]["uri"],
        "file:///work/repo/infra/"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn junit() {
    let text = render(Format::Junit);
    assert!(text.contains(
        "<testsuite name=\"SOV001 region-outside-jurisdiction\" tests=\"1\" failures=\"1\""
    ));
    assert!(text.contains("<error message=\"cannot parse broken.tf: unterminated string\""));
    insta::assert_snapshot!(text);
}

#[test]
fn github() {
    let text = render(Format::Github);
    assert!(text.contains(
        "::error file=infra/main.tf,line=2,col=12,title=SOV001 region-outside-jurisdiction::"
    ));
    assert!(text.contains("::warning file=infra/modules/store/main.tf,line=3,col=3,"));
    insta::assert_snapshot!(text);
}

#[test]
fn compact() {
    let text = render(Format::Compact);
    assert!(text.contains("infra/main.tf:2:12: ERROR SOV001 provider region"));
    assert!(text.contains("infra/modules/store/main.tf:3:3: WARNING SOV003 "));
    insta::assert_snapshot!(text);
}

#[test]
fn clean_report_says_so() {
    let report = Report {
        rules: fixed_report().rules,
        jurisdictions: vec!["de".to_string()],
        stats: Stats {
            files_scanned: 4,
            roots: 1,
            ..Stats::default()
        },
        ..Report::default()
    };
    assert_eq!(report.exit_code(), 0);
    let human = report::render(Format::Human, &report, &HumanOptions::default());
    assert_eq!(
        human,
        "✔ no findings: 4 files checked against jurisdiction de\n"
    );
    let junit = report::render(Format::Junit, &report, &HumanOptions::default());
    assert!(
        junit.contains("tests=\"1\" failures=\"0\" errors=\"0\""),
        "{junit}"
    );
    assert_eq!(
        report::render(Format::Compact, &report, &HumanOptions::default()),
        ""
    );
}
