//! The `sovereign-lint` command as users run it: exit codes, formats and files, policy discovery
//! and overrides, suppressions, baselines, subcommands and input errors.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cli")
}

/// Runs the binary in `dir` with a fixed "today", no colour and no TF_VAR_* from the environment.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sovereign-lint"));
    cmd.args(args)
        .current_dir(dir)
        .env("SOVEREIGN_LINT_TODAY", "2026-06-01")
        .env("NO_COLOR", "1");
    for (key, _) in std::env::vars() {
        if key.starts_with("TF_VAR_") {
            cmd.env_remove(key);
        }
    }
    cmd.output().unwrap()
}

fn run(args: &[&str]) -> Output {
    run_in(&fixtures(), args)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap()
}

/// A temporary configuration with the given files.
fn config(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

const US_PROVIDER: &str = "provider \"aws\" {\n  region = \"us-east-1\"\n}\n";

#[test]
fn compliant_configuration_exits_0() {
    let o = run(&["clean"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert_eq!(
        stdout(&o),
        "✔ no findings: 1 file checked against jurisdiction eu\n"
    );
}

#[test]
fn the_examples_pass() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let o = run_in(&examples, &["."]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn findings_exit_1_with_value_provenance_and_help() {
    let o = run(&["demo"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let out = stdout(&o);
    for expected in [
        "SOV001 region-outside-jurisdiction",
        "╭─[demo/main.tf:10:12]",
        "region = var.region",
        "← var.region = \"us-east-1\" (from demo/prod.auto.tfvars:3)",
        "SOV008 state-outside-jurisdiction",
        "SOV003 untagged-data",
        "╭─[demo/modules/dataset/main.tf:",
        "help: ",
        "findings (",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }
    assert!(!out.contains('\u{1b}'), "no colour when not a terminal");
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
}

#[test]
fn several_formats_at_once_with_files() {
    let tmp = tempfile::tempdir().unwrap();
    let sarif = tmp.path().join("out.sarif");
    let json = tmp.path().join("out.json");
    let junit = tmp.path().join("out.xml");
    let o = run(&[
        "demo",
        "--format",
        &format!("sarif={}", sarif.display()),
        "--format",
        &format!("json={}", json.display()),
        "--format",
        &format!("junit={}", junit.display()),
        "--format",
        "compact",
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let compact = stdout(&o);
    assert!(
        compact
            .lines()
            .any(|l| l.starts_with("demo/main.tf:10:12: ERROR SOV001 ")),
        "{compact}"
    );
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), compact.lines().count());
    let uri = results
        .iter()
        .find(|r| r["ruleId"] == "SOV001")
        .map(|r| &r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
        .unwrap();
    assert_eq!(uri, "main.tf", "relative to the scanned root");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(json["findings"].as_array().unwrap().len(), results.len());
    assert!(
        std::fs::read_to_string(&junit)
            .unwrap()
            .contains("<testsuites")
    );
}

#[test]
fn github_format_annotates() {
    let o = run(&["demo", "--format", "github"]);
    assert_eq!(code(&o), 1);
    assert!(
        stdout(&o).contains("::error file=demo/main.tf,line=10,col=12,title=SOV001 "),
        "{}",
        stdout(&o)
    );
}

#[test]
fn two_formats_on_stdout_is_a_usage_error() {
    let o = run(&["clean", "--format", "json", "--format", "human"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("at most one --format"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn unknown_flag_and_unknown_format_exit_2() {
    let o = run(&["--bogus"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--bogus"));
    let o = run(&["clean", "--format", "xml"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("unknown format `xml`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn min_severity_and_fail_on() {
    // The demo's policy makes SOV005 a warning.
    let o = run(&["demo", "--format", "compact"]);
    assert!(stdout(&o).contains("WARNING SOV005"), "{}", stdout(&o));
    let o = run(&["demo", "--format", "compact", "--min-severity", "error"]);
    assert!(!stdout(&o).contains("SOV005"), "{}", stdout(&o));

    // Only a warning: reported, exit 0 by default; exit 1 with --fail-on warn.
    let dir = config(&[
        ("sovereign.toml", "[rules]\nSOV001 = \"warn\"\n"),
        ("main.tf", US_PROVIDER),
    ]);
    let o = run_in(dir.path(), &["--format", "compact"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("main.tf:2:12: WARNING SOV001"),
        "{}",
        stdout(&o)
    );
    let o = run_in(dir.path(), &["--fail-on", "warn"]);
    assert_eq!(code(&o), 1);
}

#[test]
fn config_and_jurisdiction_override_the_policy() {
    // clean/ is in eu-central-1: fine for eu and de, not for us-gov.
    let o = run(&["clean", "--jurisdiction", "us-gov", "--format", "compact"]);
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).contains("SOV001"), "{}", stdout(&o));
    let o = run(&["clean", "--jurisdiction", "de"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));

    let policy = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(policy.path(), "jurisdiction = \"fr\"\n").unwrap();
    let o = run(&["clean", "--config", policy.path().to_str().unwrap()]);
    assert_eq!(code(&o), 1, "eu-central-1 is not in fr");
    assert!(stdout(&o).contains("jurisdiction fr"), "{}", stdout(&o));

    let o = run(&["clean", "--jurisdiction", "narnia"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("unknown jurisdiction `narnia`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn nearest_policy_wins() {
    let dir = config(&[
        ("sovereign.toml", "jurisdiction = \"us-gov\"\n"),
        ("eu-stack/sovereign.toml", "jurisdiction = \"eu\"\n"),
        (
            "eu-stack/main.tf",
            "provider \"aws\" {\n  region = \"eu-west-1\"\n}\n",
        ),
        (
            "gov-stack/main.tf",
            "provider \"aws\" {\n  region = \"us-gov-west-1\"\n}\n",
        ),
    ]);
    let o = run_in(dir.path(), &[]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("jurisdiction eu, us-gov"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn invalid_policy_exits_2_showing_the_toml_line() {
    let o = run(&["invalid-policy"]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    for expected in [
        "invalid policy: unknown jurisdiction `atlantis`",
        "invalid-policy/sovereign.toml:2:16",
        "2 │ jurisdiction = \"atlantis\"",
        "help: use one of:",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in\n{err}");
    }
    // Every format carries the error too.
    let o = run(&["invalid-policy", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(json["errors"][0]["file"], "invalid-policy/sovereign.toml");
    assert_eq!(json["errors"][0]["line"], 2);
}

#[test]
fn missing_path_exits_2_naming_it() {
    let o = run(&["clean", "no-such-dir"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("no-such-dir"), "{}", stderr(&o));
    assert!(stdout(&o).contains("1 input error"), "{}", stdout(&o));
}

#[test]
fn broken_file_exits_2_while_other_findings_still_print() {
    let o = run(&["broken"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("broken/bad/main.tf"), "{}", stderr(&o));
    assert!(stdout(&o).contains("SOV001"), "{}", stdout(&o));
    let o = run(&["broken", "--format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let sarif_run = &sarif["runs"][0];
    assert_eq!(sarif_run["invocations"][0]["executionSuccessful"], false);
    let notes = sarif_run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert_eq!(
        notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "bad/main.tf"
    );
    assert_eq!(sarif_run["results"].as_array().unwrap().len(), 1);
    // Without the human format, scanned files' texts are let go early; the input error still
    // shows its source line and every scanned file is counted.
    let o = run(&["broken", "--format", "json"]);
    assert!(
        stderr(&o).contains(r#"resource "aws_s3_bucket" "x" {"#),
        "{}",
        stderr(&o)
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(json["summary"]["files_scanned"], 2);
}

#[test]
fn valid_suppression_silences_the_block() {
    let dir = config(&[(
        "main.tf",
        "# Regional pinning lives in the landing zone.\n\nlocals {\n  x = 1\n}\n\n# sovereign:ignore SOV001 reason=\"DR copy approved, ticket SEC-42\" expires=2027-03-31\nprovider \"aws\" {\n  region = \"us-east-1\"\n}\n",
    )]);
    let o = run_in(dir.path(), &[]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).contains("1 suppressed"), "{}", stdout(&o));

    // --no-inline-ignores brings it back.
    let o = run_in(dir.path(), &["--no-inline-ignores", "--format", "compact"]);
    assert_eq!(code(&o), 1);
    assert!(
        stdout(&o).contains("main.tf:9:12: ERROR SOV001"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn file_level_suppression_with_double_slash_comment() {
    let dir = config(&[(
        "main.tf",
        &format!("// sovereign:ignore SOV001 reason=\"lab account\"\n{US_PROVIDER}"),
    )]);
    let o = run_in(dir.path(), &[]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}

fn suppression_fails(comment: &str, expected: &str) {
    let dir = config(&[("main.tf", &format!("locals {{}}\n{comment}\n{US_PROVIDER}"))]);
    let o = run_in(dir.path(), &["--format", "compact"]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    assert!(
        out.contains("main.tf:2:3: ERROR SOV011 invalid suppression: "),
        "{comment}: {out}"
    );
    assert!(
        out.contains(expected),
        "{comment}: expected {expected:?} in {out}"
    );
    assert!(
        out.contains("main.tf:4:12: ERROR SOV001"),
        "not suppressed: {out}"
    );
}

#[test]
fn reasonless_suppression_raises_sov011() {
    suppression_fails("# sovereign:ignore SOV001", "it has no reason");
    suppression_fails("# sovereign:ignore SOV001 reason=\"\"", "it has no reason");
}

#[test]
fn expired_suppression_raises_sov011() {
    suppression_fails(
        "# sovereign:ignore SOV001 reason=\"temporary\" expires=2026-05-31",
        "it expired on 2026-05-31",
    );
}

#[test]
fn unknown_or_unsuppressible_rule_raises_sov011() {
    suppression_fails(
        "# sovereign:ignore SOV042 reason=\"x\"",
        "unknown rule `SOV042`",
    );
    suppression_fails(
        "# sovereign:ignore SOV011,SOV001 reason=\"x\"",
        "rule `SOV011` cannot be suppressed",
    );
}

#[test]
fn baseline_write_then_apply() {
    let dir = config(&[("main.tf", US_PROVIDER)]);
    let o = run_in(dir.path(), &["--write-baseline", "baseline.json"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("1 baselined"), "{}", stdout(&o));
    let baseline: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("baseline.json")).unwrap())
            .unwrap();
    assert_eq!(baseline["version"], 2);
    assert_eq!(baseline["findings"][0]["rule"], "SOV001");
    assert_eq!(
        baseline["findings"][0]["fingerprint"]
            .as_str()
            .unwrap()
            .len(),
        64
    );

    // Unrelated edits move the finding; it stays baselined. A new finding is reported.
    std::fs::write(
        dir.path().join("main.tf"),
        format!(
            "# moved down\n\n{US_PROVIDER}\nprovider \"aws\" {{\n  alias  = \"west\"\n  region = \"us-west-2\"\n}}\n"
        ),
    )
    .unwrap();
    let o = run_in(
        dir.path(),
        &["--baseline", "baseline.json", "--format", "compact"],
    );
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("us-west-2"), "{out}");
    let o = run_in(dir.path(), &["--baseline", "baseline.json"]);
    assert!(stdout(&o).contains("1 baselined"), "{}", stdout(&o));

    let o = run_in(dir.path(), &["--baseline", "missing.json"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("cannot read baseline `missing.json`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn rules_and_explain() {
    let o = run(&["rules"]);
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    for id in ["SOV001", "SOV006", "SOV011"] {
        assert!(out.contains(id), "{out}");
    }
    let o = run(&["explain", "SOV003"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("untagged-data"), "{}", stdout(&o));
    let o = run(&["explain", "SOV999"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("unknown rule `SOV999`"));
}

#[test]
fn help_documents_exit_codes_and_severity_flags() {
    let o = run(&["--help"]);
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    for expected in [
        "--min-severity",
        "--fail-on",
        "--no-inline-ignores",
        "Exit codes",
        "sovereign:ignore",
    ] {
        assert!(out.contains(expected), "missing {expected} in --help");
    }
}

#[test]
fn suppression_above_a_module_call_covers_the_module_instance() {
    let module = "variable \"name\" {\n  type = string\n}\n\nresource \"aws_s3_bucket\" \"this\" {\n  bucket = var.name\n}\n";
    let root = "provider \"aws\" {\n  region = \"eu-west-1\"\n}\n\n# sovereign:ignore SOV003,SOV006 reason=\"vendor module, tags and keys set by the account baseline\"\nmodule \"vendor\" {\n  source = \"./modules/vendor\"\n  name   = \"vendor-data\"\n}\n";
    let dir = config(&[("main.tf", root), ("modules/vendor/main.tf", module)]);
    let o = run_in(dir.path(), &["--no-inline-ignores", "--format", "compact"]);
    assert_eq!(code(&o), 1);
    assert!(
        stdout(&o).contains("modules/vendor/main.tf:5:1: ERROR SOV006"),
        "{}",
        stdout(&o)
    );
    let o = run_in(dir.path(), &[]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).contains("suppressed"), "{}", stdout(&o));
}

#[test]
fn plan_findings_point_at_tf_lines() {
    let plan_fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plan");
    let o = run_in(
        &plan_fixture,
        &["--plan", "aws/plan.json", "aws", "--format", "compact"],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(
        stdout(&o)
            .lines()
            .any(|l| l.starts_with("aws/main.tf:") && l.contains(": ERROR SOV001 ")),
        "{}",
        stdout(&o)
    );
    let o = run_in(&plan_fixture, &["--plan", "aws/plan.json", "aws", "google"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("--plan takes at most one PATH"),
        "{}",
        stderr(&o)
    );
    let o = run_in(&plan_fixture, &["--plan", "missing.json", "aws"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("missing.json"), "{}", stderr(&o));
}

/// A module called by several stacks is parsed once per run but evaluated, and checked, with each
/// stack's inputs; its input errors still reach the report.
#[test]
fn a_shared_module_is_checked_with_each_stacks_inputs() {
    let store = "variable \"region\" {}\nresource \"aws_s3_bucket\" \"b\" {\n  bucket = \"data\"\n  region = var.region\n  tags   = { data-classification = \"internal\" }\n}\n";
    let stack = |region: &str| {
        format!(
            "provider \"aws\" {{\n  region = \"eu-central-1\"\n}}\nmodule \"s\" {{\n  source = \"../../modules/store\"\n  region = \"{region}\"\n}}\nmodule \"k\" {{\n  source = \"../../modules/broken\"\n}}\n"
        )
    };
    let (a, b, c) = (stack("us-east-1"), stack("ap-south-1"), stack("eu-west-1"));
    let dir = config(&[
        ("modules/store/main.tf", store),
        (
            "modules/broken/main.tf",
            "resource \"aws_s3_bucket\" \"x\" {\n  bucket = \"oops\"\n",
        ),
        ("stacks/a/main.tf", &a),
        ("stacks/b/main.tf", &b),
        ("stacks/c/main.tf", &c),
    ]);
    let out = run_in(dir.path(), &["--format", "compact", "."]);
    let text = stdout(&out);
    assert_eq!(code(&out), 2, "{text}");
    let region_findings: Vec<&str> = text.lines().filter(|l| l.contains("SOV001")).collect();
    assert_eq!(region_findings.len(), 2, "{text}");
    for region in ["us-east-1", "ap-south-1"] {
        assert!(
            region_findings
                .iter()
                .any(|l| l.starts_with("modules/store/main.tf:4:12:") && l.contains(region)),
            "{region}: {text}"
        );
    }
    assert!(!text.contains("eu-west-1"), "{text}");
    assert!(
        text.contains("modules/broken/main.tf:1:30: ERROR input"),
        "{text}"
    );
}

/// `file()` reads the file (relative to the root module, `path.module` included) and
/// `templatefile()` renders it, so what they hold is checked; a file that cannot be read fails
/// closed, naming it.
#[test]
fn file_function_contents_are_checked() {
    let dir = config(&[
        (
            "stack/main.tf",
            "provider \"aws\" {\n  region = \"eu-central-1\"\n}\n\
             module \"svc\" {\n  source = \"./svc\"\n}\n",
        ),
        (
            "stack/svc/main.tf",
            "resource \"aws_ecs_task_definition\" \"t\" {\n  family = \"t\"\n  container_definitions = file(\"${path.module}/containers.json\")\n}\n\
             resource \"aws_ecs_task_definition\" \"m\" {\n  family = \"m\"\n  container_definitions = file(\"missing.json\")\n}\n\
             resource \"aws_ecs_task_definition\" \"tpl\" {\n  family = \"tpl\"\n  container_definitions = templatefile(\"${path.module}/tpl.json\", { registry = \"ghcr.io\", tag = 2 })\n}\n",
        ),
        (
            "stack/svc/tpl.json",
            r#"[{"name": "job", "image": "${registry}/acme/trainer:${tag}"}]"#,
        ),
        (
            "stack/svc/containers.json",
            r#"[{"name": "app", "image": "docker.io/library/nginx:latest"}]"#,
        ),
    ]);
    let o = run_in(dir.path(), &["--format", "compact", "stack"]);
    let out = stdout(&o);
    assert_eq!(code(&o), 1, "{out}{}", stderr(&o));
    assert!(
        out.contains("SOV009 container image \"docker.io/library/nginx:latest\""),
        "{out}"
    );
    assert!(
        out.contains("SOV010") && out.contains("file(\"missing.json\") cannot be read"),
        "{out}"
    );
    // templatefile() renders the file with its variables.
    assert!(
        out.contains("SOV009 container image \"ghcr.io/acme/trainer:2\""),
        "{out}"
    );
}

/// `module.store at stacks/prod/main.tf:5` from a JSON or SARIF module call (`file_key` names its file).
fn call_text(call: &serde_json::Value, file_key: &str) -> String {
    format!(
        "{} at {}:{}",
        call["address"].as_str().unwrap(),
        call[file_key].as_str().unwrap(),
        call["line"]
    )
}

/// Findings in a module that several roots call sit at the same module lines: every format carries
/// the call (address and `file:line`) so the two are told apart.
#[test]
fn findings_of_a_shared_module_name_their_module_call_in_every_format() {
    let dir = fixtures().join("shared_module");
    let calls = [
        "module.store at stacks/dev/main.tf:5",
        "module.store at stacks/prod/main.tf:5",
    ];
    let output = |format: &str| {
        let o = run_in(&dir, &[".", "--format", format]);
        assert_eq!(code(&o), 1, "{format}: {}", stderr(&o));
        stdout(&o)
    };
    // One-line formats: every finding's line is distinct and names its call.
    for format in ["compact", "github"] {
        let out = output(format);
        let lines: Vec<&str> = out.lines().filter(|l| l.contains("SOV003")).collect();
        assert_eq!(lines.len(), 2, "{format}: {out}");
        for (line, call) in lines.iter().zip(calls) {
            assert!(line.contains(&format!("(via {call})")), "{format}: {line}");
        }
    }
    let junit = output("junit");
    for call in calls {
        assert!(
            junit.contains(&format!(
                "<testcase name=\"module.store.aws_s3_bucket.data (modules/store/main.tf:5:1, via {call})\""
            )),
            "{junit}"
        );
    }
    let human = output("human");
    for call in [
        "in module call module.store (stacks/dev/main.tf:5)",
        "in module call module.store (stacks/prod/main.tf:5)",
    ] {
        assert!(human.contains(call), "{human}");
    }
    let json: serde_json::Value = serde_json::from_str(&output("json")).unwrap();
    let json_calls: Vec<String> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "SOV003")
        .map(|f| call_text(&f["module_calls"][0], "file"))
        .collect();
    assert_eq!(json_calls, calls);
    // Their fingerprints differ too: a baseline accepting one does not accept the other.
    let fingerprints: std::collections::BTreeSet<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["fingerprint"].as_str())
        .collect();
    assert_eq!(
        fingerprints.len(),
        json["findings"].as_array().unwrap().len()
    );
    let sarif: serde_json::Value = serde_json::from_str(&output("sarif")).unwrap();
    let sarif_calls: Vec<String> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ruleId"] == "SOV003")
        .map(|r| {
            assert!(
                r["message"]["text"]
                    .as_str()
                    .unwrap()
                    .contains("\nvia module.store at stacks/"),
                "{r}"
            );
            call_text(&r["properties"]["moduleCalls"][0], "uri")
        })
        .collect();
    assert_eq!(sarif_calls, calls);
}

/// Found on published modules with `tests/` roots (Young-ook/terraform-aws-sagemaker): test roots
/// calling the module without a provider of their own each find the implicit provider without a
/// region at the module's first resource. One place, one finding.
#[test]
fn roots_sharing_a_module_report_an_identical_finding_once() {
    let dir = config(&[
        (
            "main.tf",
            "resource \"aws_iam_role\" \"notebook\" {\n  name = \"notebook\"\n}\n",
        ),
        (
            "tests/defaults/main.tf",
            "module \"main\" {\n  source = \"../..\"\n}\n",
        ),
        (
            "tests/lifecycle/main.tf",
            "module \"main\" {\n  source = \"../..\"\n}\n",
        ),
    ]);
    let out = run_in(dir.path(), &["--format", "compact", "."]);
    let text = stdout(&out);
    let sov010: Vec<&str> = text.lines().filter(|l| l.contains("SOV010")).collect();
    assert_eq!(sov010.len(), 1, "{text}");
    assert!(sov010[0].starts_with("main.tf:1:1:"), "{text}");
    assert_eq!(code(&out), 1);
}
