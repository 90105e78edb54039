//! The CI gate of docs/ci.md, run as written (issue 13): the GitHub Actions workflow and the GitLab CI pipeline are
//! read from docs/ci.md (parsed by PyYAML from the harness venv), and their commands — the `run:` steps and the
//! `script:` lines, in their working directories, with their environment and conditions — run with real Terraform
//! against moto on a checkout laid out as the jobs expect (`infra/prod` = examples/ml-stack-eu, its module in
//! `infra/modules`), with the provider installed by `terraform init` from a filesystem mirror (no dev_overrides).
//! Only what needs a hosted runner is not run: `uses:` actions (checkout, setup-terraform, uploads: the files they
//! upload must exist) and the install lines (the binaries built here are put on PATH).
//!
//! A compliant stack passes the gate, is applied (checked through the AWS API), and its signed evidence verifies; a
//! plan that breaks the policy fails the gate with the finding in SARIF / Code Quality, and nothing is applied.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;
use sovereign_e2e::network::{assert_no_network_left, custom_vpcs};
use sovereign_e2e::provider_fixtures::{assert_nothing_created, bucket_names, live_keys};
use sovereign_e2e::release::{mirror_cli_config, release};
use sovereign_e2e::{MotoLease, REGION, ensure_harness, moto, provider_binary, repo_root};

const MODULE: &str = "examples/modules/sovereign-ml-training";
/// An AMI moto knows in eu-central-1.
const AMI: &str = "ami-04681a1dbd79675a5";
/// The condition of the GitHub workflow's apply step; the test runs as a push to main, where it holds.
const ON_MAIN: &str = "github.event_name == 'push' && github.ref == 'refs/heads/main'";
/// The rule of the GitLab apply job; the test runs as a pipeline of the default branch, where it holds.
const ON_DEFAULT_BRANCH: &str = "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH";

// ------------------------------------------------------------------------------------------------ docs/ci.md

/// The first YAML document of the `## HEADING` section of docs/ci.md, as JSON.
fn documented_yaml(heading: &str) -> Value {
    ensure_harness();
    let doc = fs::read_to_string(repo_root().join("docs/ci.md")).unwrap();
    let section = doc
        .split(&format!("\n## {heading}\n"))
        .nth(1)
        .unwrap_or_else(|| panic!("docs/ci.md has no `## {heading}` section"));
    let section = section.split("\n## ").next().unwrap_or_default();
    let yaml = section
        .split("```yaml\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .unwrap_or_else(|| panic!("docs/ci.md `## {heading}` has no ```yaml block"));
    let mut python = Command::new(repo_root().join(".venv/bin/python"))
        .args([
            "-c",
            "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    python
        .stdin
        .take()
        .unwrap()
        .write_all(yaml.as_bytes())
        .unwrap();
    let out = python.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "docs/ci.md `## {heading}`: not valid YAML:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

// ------------------------------------------------------------------------------------------------ the checkout

/// A repository checkout as the jobs expect it, the tools on PATH, and the runner's environment.
struct Checkout {
    dir: tempfile::TempDir,
    env: BTreeMap<String, String>,
}

impl Checkout {
    /// `infra/prod` = examples/ml-stack-eu (with `policy` as its sovereign.toml when given), the module in
    /// `infra/modules/sovereign-ml-training`; Terraform installs the provider from a filesystem mirror of the
    /// release artifacts; the stack's provider points at moto.
    fn new(moto: &MotoLease, policy: Option<&str>) -> Checkout {
        let dir = tempfile::tempdir().unwrap();
        let checkout = Checkout {
            env: BTreeMap::new(),
            dir,
        };
        let repo = checkout.repo();
        copy_files(
            &repo_root().join("examples/ml-stack-eu"),
            &repo.join("infra/prod"),
        );
        copy_files(
            &repo_root().join(MODULE),
            &repo.join("infra/modules/sovereign-ml-training"),
        );
        if let Some(policy) = policy {
            fs::write(repo.join("infra/prod/sovereign.toml"), policy).unwrap();
        }

        // The runner's tools: Terraform 1.15.5 (the harness's) and the sovereign-lint built with the provider.
        let bin = checkout.dir.path().join("bin");
        fs::create_dir_all(&bin).unwrap();
        let terraform = bin.join("terraform");
        fs::write(
            &terraform,
            format!(
                "#!/bin/sh\nexec {} \"$@\"\n",
                repo_root().join("scripts/terraform").display()
            ),
        )
        .unwrap();
        make_executable(&terraform);
        let lint = provider_binary().with_file_name("sovereign-lint");
        assert!(lint.is_file(), "no sovereign-lint at {}", lint.display());
        std::os::unix::fs::symlink(&lint, bin.join("sovereign-lint")).unwrap();

        // The provider as a registry would serve it: the release's filesystem mirror.
        let release = release(provider_binary(), &checkout.dir.path().join("release"));
        let cli_config = checkout.dir.path().join("terraformrc");
        fs::write(&cli_config, mirror_cli_config(&release.mirror)).unwrap();

        // The signing key, as the CI secret holds it.
        let key = checkout.dir.path().join("evidence.key");
        openssl(
            &[
                "ecparam",
                "-name",
                "prime256v1",
                "-genkey",
                "-noout",
                "-out",
            ],
            &key,
        );
        let key_pem = fs::read_to_string(&key).unwrap();
        openssl(
            &["pkey", "-pubout", "-in", &key.to_string_lossy(), "-out"],
            &checkout.dir.path().join("evidence.pub"),
        );

        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut checkout = checkout;
        for (key, value) in [
            ("PATH", path.as_str()),
            ("TF_CLI_CONFIG_FILE", &cli_config.to_string_lossy()),
            ("CHECKPOINT_DISABLE", "1"),
            ("NO_COLOR", "1"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_CONFIG_FILE", "/dev/null"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
            ("SOVEREIGN_AWS_MAX_ATTEMPTS", "1"),
            ("TF_VAR_endpoint", &moto.endpoint()),
            ("TF_VAR_allowed_endpoint_hosts", "[\"127.0.0.1\"]"),
            ("TF_VAR_node_count", "1"),
            ("TF_VAR_ami_id", AMI),
            ("SECRET_SOVEREIGN_EVIDENCE_KEY", &key_pem),
        ] {
            checkout.env.insert(key.to_string(), value.to_string());
        }
        checkout
    }

    fn repo(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    fn secret(&self, name: &str) -> String {
        self.env
            .get(&format!("SECRET_{name}"))
            .unwrap_or_else(|| panic!("the test has no secret {name}"))
            .clone()
    }

    /// Runs `script` with bash in `cwd` (relative to the checkout) → (exit code, stdout + stderr).
    fn sh(&self, cwd: &str, script: &str, env: &BTreeMap<String, String>) -> (i32, String) {
        let out = Command::new("bash")
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
            .current_dir(self.repo().join(cwd))
            .env_clear()
            .envs(self.env.iter().filter(|(k, _)| !k.starts_with("SECRET_")))
            .envs(env)
            .env("HOME", self.dir.path())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        (out.status.code().unwrap_or(-1), text)
    }

    /// `sovereign-lint verify` of the evidence the gate wrote → (exit code, output).
    fn verify_evidence(&self) -> (i32, String) {
        let public = self.dir.path().join("evidence.pub");
        self.sh(
            ".",
            &format!(
                "sovereign-lint verify evidence.sigstore.json --key {} --plan infra/prod/plan.json --tfplan infra/prod/tfplan",
                public.display()
            ),
            &BTreeMap::new(),
        )
    }

    fn destroy(&self) {
        let (code, out) = self.sh(
            "infra/prod",
            "terraform destroy -auto-approve -input=false",
            &BTreeMap::new(),
        );
        assert_eq!(code, 0, "terraform destroy:\n{out}");
    }
}

fn copy_files(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
        }
    }
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

fn openssl(args: &[&str], out: &Path) {
    let status = Command::new("openssl")
        .args(args)
        .arg(out)
        .stdin(Stdio::null())
        .status()
        .expect("openssl (Debian package openssl) is needed to make the test's signing key");
    assert!(status.success(), "openssl {args:?} failed");
}

/// A string map of a YAML mapping (`env:`, `variables:`), `None` → empty.
fn string_map(value: &Value) -> BTreeMap<String, String> {
    value
        .as_object()
        .map(|map| {
            map.iter()
                .map(|(k, v)| {
                    let v = v
                        .as_str()
                        .unwrap_or_else(|| panic!("{k}: not a string: {v}"));
                    (k.clone(), v.to_string())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// What happened to one step or job.
#[derive(Debug)]
struct Ran {
    name: String,
    /// `None`: not run (its condition was false, or an earlier step failed); `Some(code)` otherwise.
    code: Option<i32>,
    output: String,
}

fn find<'a>(log: &'a [Ran], name: &str) -> &'a Ran {
    log.iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no step or job {name:?}: {log:#?}"))
}

// ------------------------------------------------------------------------------------------------ GitHub Actions

/// Runs the workflow's only job, step by step, as a push to main.
fn run_github_workflow(checkout: &Checkout) -> Vec<Ran> {
    let workflow = documented_yaml("GitHub Actions");
    let jobs = workflow["jobs"].as_object().expect("jobs");
    assert_eq!(jobs.len(), 1, "one job: plan, gate, apply");
    let job = jobs.values().next().unwrap();
    let mut job_env = string_map(&workflow["env"]);
    job_env.extend(string_map(&job["env"]));
    let default_dir = job["defaults"]["run"]["working-directory"]
        .as_str()
        .unwrap_or(".");

    let mut log = Vec::new();
    let mut failed = false;
    for step in job["steps"].as_array().expect("steps") {
        let name = step["name"]
            .as_str()
            .or(step["uses"].as_str())
            .expect("a step has a name or uses an action")
            .to_string();
        let runs = match step["if"].as_str() {
            None => !failed,
            Some(c) if c.starts_with("always()") => true,
            Some(ON_MAIN) => !failed,
            Some(other) => panic!("docs/ci.md: a step condition this test does not know: {other}"),
        };
        if !runs {
            log.push(Ran {
                name,
                code: None,
                output: String::new(),
            });
            continue;
        }
        if let Some(action) = step["uses"].as_str() {
            // Hosted actions: the checkout and Terraform are the test's; an upload needs its files.
            let uploads = match action {
                "actions/checkout@v4" | "hashicorp/setup-terraform@v3" => vec![],
                "github/codeql-action/upload-sarif@v3" => {
                    vec![step["with"]["sarif_file"].as_str().expect("sarif_file")]
                }
                "actions/upload-artifact@v4" => step["with"]["path"]
                    .as_str()
                    .expect("path")
                    .lines()
                    .collect(),
                other => panic!("docs/ci.md: an action this test does not know: {other}"),
            };
            for file in uploads {
                assert!(
                    checkout.repo().join(file.trim()).is_file(),
                    "step {name:?} uploads {file}, which the steps before did not write"
                );
            }
            log.push(Ran {
                name,
                code: Some(0),
                output: String::new(),
            });
            continue;
        }
        let script = step["run"].as_str().expect("a step runs a script");
        if name == "Install sovereign-lint" {
            assert!(script.contains("install"), "{script}");
            continue;
        }
        let mut env = job_env.clone();
        for (key, value) in string_map(&step["env"]) {
            let value = match value
                .strip_prefix("${{ secrets.")
                .and_then(|v| v.strip_suffix(" }}"))
            {
                Some(secret) => checkout.secret(secret),
                None => value,
            };
            env.insert(key, value);
        }
        let cwd = step["working-directory"].as_str().unwrap_or(default_dir);
        let (code, output) = checkout.sh(cwd, script, &env);
        failed |= code != 0;
        log.push(Ran {
            name,
            code: Some(code),
            output,
        });
    }
    log
}

fn sarif_rule_ids(checkout: &Checkout) -> Vec<String> {
    let sarif: Value =
        serde_json::from_str(&fs::read_to_string(checkout.repo().join("sovereign.sarif")).unwrap())
            .unwrap();
    sarif["runs"][0]["results"]
        .as_array()
        .expect("SARIF results")
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn github_workflow_plans_gates_signs_and_applies_the_eu_stack() {
    let moto = moto();
    let checkout = Checkout::new(&moto, None);
    let log = run_github_workflow(&checkout);

    let plan = find(&log, "Plan");
    assert_eq!(plan.code, Some(0), "{}", plan.output);
    assert!(
        plan.output.contains("Installed sovereign-ml/sovereign v"),
        "terraform init installed the provider from the mirror:\n{}",
        plan.output
    );
    let gate = find(&log, "Gate");
    assert_eq!(gate.code, Some(0), "the gate passes:\n{}", gate.output);
    assert!(
        gate.output.contains("wrote signed evidence PASSED"),
        "{}",
        gate.output
    );
    assert!(sarif_rule_ids(&checkout).is_empty(), "no finding in SARIF");
    let apply = find(&log, "Apply");
    assert_eq!(apply.code, Some(0), "the apply ran:\n{}", apply.output);
    assert!(
        apply
            .output
            .contains("Apply complete! Resources: 6 added, 0 changed, 0 destroyed."),
        "{}",
        apply.output
    );

    // What the apply made, through the AWS API.
    assert_eq!(custom_vpcs(&moto, REGION).len(), 1, "the network");
    let mut buckets = bucket_names(&moto);
    buckets.sort();
    assert_eq!(
        buckets,
        [
            "sovereign-ml-eu-central-1-audit",
            "sovereign-ml-eu-central-1-checkpoints",
            "sovereign-ml-eu-central-1-datasets"
        ]
    );
    assert_eq!(live_keys(&moto, REGION).len(), 1, "the key");

    // The evidence the gate signed names both plan files and verifies with the public key.
    let (code, out) = checkout.verify_evidence();
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("valid evidence") && out.contains("PASSED"),
        "{out}"
    );

    checkout.destroy();
    assert_no_network_left(&moto, REGION, "destroyed");
    assert!(bucket_names(&moto).is_empty());
}

/// The organisation's policy for this stack is France only (`fr`): the provider (jurisdiction `eu`) accepts the
/// plan in eu-central-1, the gate does not.
const FRANCE_ONLY: &str = "jurisdiction = \"fr\"\n\n[tags]\nrequired = [\"data-classification\"]\n";

#[test]
fn github_workflow_stops_at_the_gate_and_applies_nothing() {
    let moto = moto();
    let checkout = Checkout::new(&moto, Some(FRANCE_ONLY));
    let log = run_github_workflow(&checkout);

    assert_eq!(find(&log, "Plan").code, Some(0));
    let gate = find(&log, "Gate");
    assert_eq!(
        gate.code,
        Some(1),
        "findings fail the gate:\n{}",
        gate.output
    );
    // `--format github`: an annotation on the provider's region line of the stack.
    assert!(
        gate.output
            .lines()
            .any(|l| l.starts_with("::error file=infra/prod/main.tf,line=") && l.contains("SOV001")),
        "{}",
        gate.output
    );
    assert!(
        gate.output.contains("wrote signed evidence FAILED"),
        "{}",
        gate.output
    );
    assert!(
        sarif_rule_ids(&checkout).iter().any(|r| r == "SOV001"),
        "SOV001 in SARIF"
    );
    // The uploads ran anyway (their files exist: checked by the runner); the apply did not.
    assert_eq!(find(&log, "Upload SARIF").code, Some(0));
    assert_eq!(find(&log, "Keep the evidence").code, Some(0));
    assert_eq!(find(&log, "Apply").code, None, "{log:#?}");
    assert_nothing_created(&moto, &[REGION], "gate failed");
    assert!(custom_vpcs(&moto, REGION).is_empty());

    let (code, out) = checkout.verify_evidence();
    // Exit 1: valid evidence of a FAILED gate (docs/usage.md).
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("valid evidence") && out.contains("predicate: FAILED"),
        "{out}"
    );
}

// ------------------------------------------------------------------------------------------------ GitLab CI

/// Runs the pipeline's jobs stage by stage, as a pipeline of the default branch.
fn run_gitlab_pipeline(checkout: &Checkout) -> Vec<Ran> {
    let pipeline = documented_yaml("GitLab CI");
    let stages: Vec<&str> = pipeline["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let globals = string_map(&pipeline["variables"]);
    let mut jobs: Vec<(&String, &Value)> = pipeline
        .as_object()
        .unwrap()
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "stages" | "variables" | "default"))
        .collect();
    jobs.sort_by_key(|(_, job)| {
        let stage = job["stage"].as_str().expect("every job names its stage");
        stages
            .iter()
            .position(|s| *s == stage)
            .expect("a known stage")
    });

    let mut log: Vec<Ran> = Vec::new();
    for (name, job) in jobs {
        let needs_passed = job["needs"]
            .as_array()
            .map(|needs| {
                needs.iter().all(|n| {
                    let need = n.as_str().expect("needs: job names");
                    find(&log, need).code == Some(0)
                })
            })
            .unwrap_or(true);
        let rule_holds = match &job["rules"] {
            Value::Null => true,
            Value::Array(rules) => rules.iter().all(|rule| match rule["if"].as_str() {
                Some(ON_DEFAULT_BRANCH) => true,
                other => panic!("docs/ci.md: a rule this test does not know: {other:?}"),
            }),
            other => panic!("rules: {other}"),
        };
        if !needs_passed || !rule_holds {
            log.push(Ran {
                name: name.clone(),
                code: None,
                output: String::new(),
            });
            continue;
        }
        if let Some(before) = job["before_script"].as_array() {
            // Installs sovereign-lint on GitLab's runner; here it is on PATH already.
            let text = format!("{before:?}");
            assert!(text.contains("install"), "{text}");
        }
        // Variables as GitLab expands them (a later one may use an earlier one or CI_PROJECT_DIR).
        let mut script = format!("export CI_PROJECT_DIR={}\n", checkout.repo().display());
        let mut variables = globals.clone();
        variables.extend(string_map(&job["variables"]));
        for (key, value) in &variables {
            script.push_str(&format!("export {key}=\"{value}\"\n"));
        }
        for line in job["script"].as_array().expect("script lines") {
            script.push_str(line.as_str().expect("a script line is a string"));
            script.push('\n');
        }
        let mut env = BTreeMap::new();
        env.insert(
            "SOVEREIGN_EVIDENCE_KEY".to_string(),
            checkout.secret("SOVEREIGN_EVIDENCE_KEY"),
        );
        let (code, output) = checkout.sh(".", &script, &env);
        log.push(Ran {
            name: name.clone(),
            code: Some(code),
            output,
        });
    }
    log
}

fn code_quality(checkout: &Checkout) -> Vec<Value> {
    let report = checkout.repo().join("gl-code-quality-report.json");
    serde_json::from_str::<Value>(&fs::read_to_string(&report).unwrap())
        .unwrap()
        .as_array()
        .expect("a Code Quality report is an array")
        .clone()
}

#[test]
fn gitlab_pipeline_plans_gates_signs_and_applies_the_eu_stack() {
    let moto = moto();
    let checkout = Checkout::new(&moto, None);
    let log = run_gitlab_pipeline(&checkout);

    let names: Vec<&str> = log.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["plan", "sovereignty", "apply"]);
    for ran in &log {
        assert_eq!(ran.code, Some(0), "job {}:\n{}", ran.name, ran.output);
    }
    assert!(code_quality(&checkout).is_empty(), "no finding");
    assert!(checkout.repo().join("sovereign-junit.xml").is_file());
    assert!(
        find(&log, "apply")
            .output
            .contains("Apply complete! Resources: 6 added"),
        "{log:#?}"
    );
    assert_eq!(custom_vpcs(&moto, REGION).len(), 1);
    assert_eq!(bucket_names(&moto).len(), 3);
    let (code, out) = checkout.verify_evidence();
    assert_eq!(code, 0, "{out}");

    checkout.destroy();
    assert_no_network_left(&moto, REGION, "destroyed");
}

#[test]
fn gitlab_pipeline_stops_at_the_gate_and_applies_nothing() {
    let moto = moto();
    let checkout = Checkout::new(&moto, Some(FRANCE_ONLY));
    let log = run_gitlab_pipeline(&checkout);

    assert_eq!(find(&log, "plan").code, Some(0));
    let gate = find(&log, "sovereignty");
    assert_eq!(gate.code, Some(1), "{}", gate.output);
    assert!(gate.output.contains("SOV001"), "{}", gate.output);
    assert_eq!(find(&log, "apply").code, None, "{log:#?}");
    let report = code_quality(&checkout);
    assert!(
        report.iter().any(|f| f["check_name"] == "SOV001"
            && f["location"]["path"] == "infra/prod/main.tf"
            && f["severity"] == "major"),
        "{report:#?}"
    );
    assert_nothing_created(&moto, &[REGION], "gate failed");
}
