//! Evidence bundles (issue 12, SPEC §3): `--attest` and `sovereign-lint verify` as users and
//! auditors run them, tampered bundles, the decoded Statement as a snapshot, and interoperability
//! with independent verifiers (Python securesystemslib + in-toto-attestation from the harness venv,
//! the Sigstore JavaScript verifier from npm).
use std::path::{Path, PathBuf};
use std::process::Command;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, Ed25519KeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;
use sovereign_lint::evidence::bundle::Bundle;
use sovereign_lint::evidence::keys::SigningKey;

const EXTENSION: &str = "https://sovereign-ml.github.io/sovereign/attestation/lint-result/v1";

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Copies a fixture directory into `to` (tests work on copies: evidence names paths as typed).
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the CLI in `dir` with a fixed date and no CI environment (the evidence would record it).
fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sovereign-lint"));
    cmd.args(args)
        .current_dir(dir)
        .env("SOVEREIGN_LINT_TODAY", "2026-12-01")
        .env("NO_COLOR", "1");
    for var in ["CI", "GITHUB_ACTIONS", "GITLAB_CI", "TF_VAR_region"] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = BASE64.encode(der);
    let lines: Vec<String> = body
        .as_bytes()
        .chunks(64)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// A fresh key pair written as `NAME.pem` (PKCS#8) and `NAME.pub.pem` (SubjectPublicKeyInfo).
fn write_key(dir: &Path, name: &str, ed25519: bool) -> SigningKey {
    let rng = SystemRandom::new();
    let pkcs8 = if ed25519 {
        Ed25519KeyPair::generate_pkcs8(&rng)
            .unwrap()
            .as_ref()
            .to_vec()
    } else {
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
            .unwrap()
            .as_ref()
            .to_vec()
    };
    let private = pem("PRIVATE KEY", &pkcs8);
    std::fs::write(dir.join(format!("{name}.pem")), &private).unwrap();
    let key = SigningKey::from_pem(private.as_bytes(), name).unwrap();
    std::fs::write(
        dir.join(format!("{name}.pub.pem")),
        pem("PUBLIC KEY", &key.public_key_der().unwrap()),
    )
    .unwrap();
    key
}

/// A work directory with the aws plan fixture under `infra/`, a tfplan stand-in and a key.
struct PlanCase {
    dir: tempfile::TempDir,
    key: SigningKey,
}

impl PlanCase {
    fn new() -> PlanCase {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&fixture("plan/aws"), &dir.path().join("infra"));
        std::fs::write(dir.path().join("infra/tfplan.bin"), b"binary plan stand-in").unwrap();
        let key = write_key(dir.path(), "cosign", false);
        PlanCase { dir, key }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `--plan infra/plan.json infra --format compact EXTRA…` with `env` set.
    fn lint(&self, extra: &[&str], env: &[(&str, &str)]) -> Run {
        let mut args = vec!["--plan", "infra/plan.json", "infra", "--format", "compact"];
        args.extend_from_slice(extra);
        run_in(self.path(), &args, env)
    }

    /// The plan signed into `evidence.json` with the binary plan, the JSON report in `report.json`.
    fn attest(&self, extra: &[&str]) -> Run {
        let mut args = vec![
            "--attest",
            "evidence.json",
            "--signing-key",
            "cosign.pem",
            "--tfplan",
            "infra/tfplan.bin",
            "--format",
            "json=report.json",
        ];
        args.extend_from_slice(extra);
        self.lint(&args, &[])
    }

    fn verify(&self, bundle: &str, extra: &[&str]) -> Run {
        let mut args = vec!["verify", bundle, "--key", "cosign.pub.pem"];
        args.extend_from_slice(extra);
        run_in(self.path(), &args, &[])
    }

    fn bundle(&self) -> Value {
        read_json(&self.path().join("evidence.json"))
    }

    fn write_bundle(&self, name: &str, bundle: &Value) {
        std::fs::write(self.path().join(name), bundle.to_string()).unwrap();
    }
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn statement_of(bundle: &Value) -> Value {
    let payload = BASE64
        .decode(bundle["dsseEnvelope"]["payload"].as_str().unwrap())
        .unwrap();
    serde_json::from_slice(&payload).unwrap()
}

fn with_payload(bundle: &Value, statement: &Value) -> Value {
    let mut bundle = bundle.clone();
    bundle["dsseEnvelope"]["payload"] = Value::from(BASE64.encode(statement.to_string()));
    bundle
}

fn sha256_hex(bytes: &[u8]) -> String {
    sovereign_lint::evidence::sha256_hex(bytes)
}

// ---------------------------------------------------------------------------------------- attest

#[test]
fn plan_evidence_is_a_signed_bundle_that_verify_accepts_as_failed() {
    let case = PlanCase::new();
    let run = case.attest(&[]);
    assert_eq!(run.code, 1, "the plan has findings; stderr: {}", run.stderr);
    assert!(
        run.stderr
            .contains("wrote signed evidence FAILED (Sigstore bundle v0.3) to evidence.json"),
        "{}",
        run.stderr
    );

    let bundle = case.bundle();
    assert_eq!(
        bundle["mediaType"],
        "application/vnd.dev.sigstore.bundle.v0.3+json"
    );
    let envelope = &bundle["dsseEnvelope"];
    assert_eq!(envelope["payloadType"], "application/vnd.in-toto+json");
    assert_eq!(envelope["signatures"].as_array().unwrap().len(), 1);
    assert_eq!(envelope["signatures"][0]["keyid"], "");
    assert_eq!(
        bundle["verificationMaterial"]["tlogEntries"],
        Value::Array(vec![])
    );
    // The hint is base64 of the SHA-256 of the public key's DER.
    let der = case.key.public_key_der().unwrap();
    let hint = BASE64.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &der).as_ref());
    assert_eq!(bundle["verificationMaterial"]["publicKey"]["hint"], hint);

    let statement = statement_of(&bundle);
    assert_eq!(statement["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(
        statement["predicateType"],
        "https://slsa.dev/verification_summary/v1"
    );
    let plan = std::fs::read(case.path().join("infra/plan.json")).unwrap();
    assert_eq!(
        statement["subject"],
        serde_json::json!([
            {"name": "infra/plan.json", "digest": {"sha256": sha256_hex(&plan)}},
            {"name": "infra/tfplan.bin", "digest": {"sha256": sha256_hex(b"binary plan stand-in")}},
        ])
    );
    let predicate = &statement["predicate"];
    assert_eq!(predicate["verificationResult"], "FAILED");
    assert_eq!(predicate["verifiedLevels"], serde_json::json!(["FAILED"]));
    let ext = &predicate[EXTENSION];
    assert_eq!(ext["mode"], "plan");
    assert_eq!(ext["exitCode"], 1);

    // The findings and summary are exactly those of --format json.
    let report = read_json(&case.path().join("report.json"));
    assert_eq!(ext["findings"], report["findings"]);
    assert_eq!(ext["summary"], report["summary"]);
    assert_eq!(report["findings"].as_array().unwrap().len(), 10);

    let run = case.verify(
        "evidence.json",
        &[
            "--plan",
            "infra/plan.json",
            "--tfplan",
            "infra/tfplan.bin",
            "--recheck",
        ],
    );
    assert_eq!(run.code, 1, "valid and FAILED; stderr: {}", run.stderr);
    assert!(
        run.stdout.starts_with("evidence.json: valid evidence\n"),
        "{}",
        run.stdout
    );
    for line in [
        "  ok  signature: DSSE signature valid",
        "  ok  subject: infra/plan.json is subject infra/plan.json",
        "  ok  subject: infra/tfplan.bin is subject infra/tfplan.bin",
        "  ok  recheck: linted again under the recorded policy and catalog: the same 10 finding(s), FAILED",
        "FAILED: plan run of infra, verified ",
    ] {
        assert!(
            run.stdout.contains(line),
            "missing {line:?} in:\n{}",
            run.stdout
        );
    }
}

#[test]
fn configuration_evidence_passes_with_the_jurisdiction_level() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture("cli/clean"), &dir.path().join("stack"));
    write_key(dir.path(), "ed", true);
    let run = run_in(
        dir.path(),
        &[
            "stack",
            "--attest",
            "evidence.json",
            "--signing-key",
            "ed.pem",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let statement = statement_of(&read_json(&dir.path().join("evidence.json")));
    let main_tf = std::fs::read(dir.path().join("stack/main.tf")).unwrap();
    // The root's digest: SHA-256 over its files' `DIGEST  NAME` lines, sorted by name.
    let listing = format!("{}  stack/main.tf\n", sha256_hex(&main_tf));
    assert_eq!(
        statement["subject"],
        serde_json::json!([{"name": "stack", "digest": {"sha256": sha256_hex(listing.as_bytes())}}])
    );
    assert_eq!(statement["predicate"]["verificationResult"], "PASSED");
    assert_eq!(
        statement["predicate"]["verifiedLevels"],
        serde_json::json!(["SOVEREIGN_JURISDICTION_EU"])
    );

    let run = run_in(
        dir.path(),
        &[
            "verify",
            "evidence.json",
            "--key",
            "ed.pub.pem",
            "--recheck",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert!(
        run.stdout.contains("  ok  key: ed.pub.pem (Ed25519)\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("PASSED (SOVEREIGN_JURISDICTION_EU): configuration run of stack, verified "),
        "{}",
        run.stdout
    );
}

#[test]
fn jurisdiction_levels_are_upper_case_with_underscores() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("stack")).unwrap();
    std::fs::write(
        dir.path().join("stack/main.tf"),
        "provider \"aws\" {\n  region = \"eusc-de-east-1\"\n}\n",
    )
    .unwrap();
    let run = run_in(
        dir.path(),
        &[
            "stack",
            "--jurisdiction",
            "eu-esc",
            "--attest",
            "statement.json",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let statement = read_json(&dir.path().join("statement.json"));
    assert_eq!(
        statement["predicate"]["verifiedLevels"],
        serde_json::json!(["SOVEREIGN_JURISDICTION_EU_ESC"])
    );
    assert_eq!(
        statement["predicate"][EXTENSION]["invocation"]["jurisdiction"],
        "eu-esc"
    );
}

#[test]
fn without_a_signing_key_the_unsigned_statement_is_written_and_verify_says_so() {
    let case = PlanCase::new();
    let run = case.lint(&["--attest", "statement.json"], &[]);
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    assert!(
        run.stderr.contains(
            "wrote the unsigned in-toto Statement FAILED (sign it with cosign attest-blob --statement) to statement.json"
        ),
        "{}",
        run.stderr
    );
    let statement = read_json(&case.path().join("statement.json"));
    assert_eq!(statement["_type"], "https://in-toto.io/Statement/v1");
    let run = case.verify("statement.json", &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(
            "evidence check `bundle` failed: this is an unsigned in-toto Statement (written by --attest without --signing-key), not a signed bundle"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn a_run_with_input_errors_writes_no_evidence_and_removes_a_stale_one() {
    let case = PlanCase::new();
    std::fs::write(case.path().join("evidence.json"), "stale").unwrap();
    let run = run_in(
        case.path(),
        &[
            "--plan",
            "missing.json",
            "--attest",
            "evidence.json",
            "--signing-key",
            "cosign.pem",
        ],
        &[],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(
            "note: no evidence written to evidence.json: the run had input errors, so it proves nothing"
        ),
        "{}",
        run.stderr
    );
    assert!(!case.path().join("evidence.json").exists());
}

#[test]
fn evidence_that_cannot_be_written_makes_the_run_exit_2() {
    let case = PlanCase::new();
    let run = case.lint(
        &[
            "--attest",
            "no-such-dir/evidence.json",
            "--signing-key",
            "cosign.pem",
        ],
        &[],
    );
    assert_eq!(run.code, 2, "stderr: {}", run.stderr);
    assert!(
        run.stderr
            .contains("error: cannot write the evidence to no-such-dir/evidence.json: "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("  help: check that the directory exists and is writable"),
        "{}",
        run.stderr
    );
    // The findings were still reported.
    assert!(run.stdout.contains("SOV001"), "{}", run.stdout);
}

#[test]
fn signing_keys_come_from_env_and_bad_keys_stop_before_the_run() {
    let case = PlanCase::new();
    let pem = std::fs::read_to_string(case.path().join("cosign.pem")).unwrap();
    let run = case.lint(
        &[
            "--attest",
            "evidence.json",
            "--signing-key",
            "env://EVIDENCE_KEY",
        ],
        &[("EVIDENCE_KEY", &pem)],
    );
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    assert_eq!(case.verify("evidence.json", &[]).code, 1);

    std::fs::write(
        case.path().join("rsa.pem"),
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
    )
    .unwrap();
    let run = case.lint(&["--attest", "e2.json", "--signing-key", "rsa.pem"], &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("error: signing key rsa.pem: no PEM private key in it"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("  help: --signing-key takes a PEM file"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.is_empty(),
        "no lint output before the key is good: {}",
        run.stdout
    );
    assert!(!case.path().join("e2.json").exists());
}

#[test]
fn suppressions_policies_and_inputs_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let stack = dir.path().join("stack");
    std::fs::create_dir_all(&stack).unwrap();
    std::fs::write(
        stack.join("main.tf"),
        "provider \"aws\" {\n  region = \"eu-central-1\"\n}\n\n\
         # sovereign:ignore SOV005 reason=\"egress via inspected proxy, SEC-42\" expires=2027-03-31\n\
         resource \"aws_internet_gateway\" \"gw\" {\n  vpc_id = \"vpc-1\"\n}\n",
    )
    .unwrap();
    std::fs::write(stack.join("sovereign.toml"), "jurisdiction = \"de\"\n").unwrap();
    let run = run_in(dir.path(), &["stack", "--attest", "statement.json"], &[]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let ext = &read_json(&dir.path().join("statement.json"))["predicate"][EXTENSION];
    assert_eq!(
        ext["suppressions"],
        serde_json::json!([{
            "rules": ["SOV005"],
            "file": "stack/main.tf",
            "line": 5,
            "reason": "egress via inspected proxy, SEC-42",
            "expires": "2027-03-31",
            "invalid": null,
            "suppressed": [{"rule": "SOV005", "address": "aws_internet_gateway.gw", "file": "stack/main.tf", "line": 6}],
        }])
    );
    assert_eq!(ext["policies"][0]["name"], "stack/sovereign.toml");
    assert_eq!(ext["policies"][0]["content"], "jurisdiction = \"de\"\n");
    assert_eq!(ext["policies"][0]["effective"]["jurisdiction"], "de");
    let names: Vec<&str> = ext["inputFiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["stack/main.tf", "stack/sovereign.toml"]);
    assert_eq!(ext["invocation"]["today"], "2026-12-01");
    assert_eq!(ext["summary"]["suppressed"], 1);
}

#[test]
fn recheck_lints_under_the_recorded_policy_not_todays_file() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture("cli/clean"), &dir.path().join("stack"));
    std::fs::write(
        dir.path().join("stack/sovereign.toml"),
        "jurisdiction = \"de\"\n",
    )
    .unwrap();
    write_key(dir.path(), "key", false);
    let attest = [
        "stack",
        "--attest",
        "evidence.json",
        "--signing-key",
        "key.pem",
    ];
    assert_eq!(run_in(dir.path(), &attest, &[]).code, 0);
    let verify = [
        "verify",
        "evidence.json",
        "--key",
        "key.pub.pem",
        "--recheck",
    ];

    // The policy file changed since: the recorded text is what is linted again.
    std::fs::write(
        dir.path().join("stack/sovereign.toml"),
        "jurisdiction = \"us-gov\"\n",
    )
    .unwrap();
    let run = run_in(dir.path(), &verify, &[]);
    assert_eq!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert!(
        run.stdout
            .contains("PASSED (SOVEREIGN_JURISDICTION_DE): configuration run of stack"),
        "{}",
        run.stdout
    );

    // The configuration changed since: the recheck says so, naming the root.
    std::fs::write(
        dir.path().join("stack/extra.tf"),
        "provider \"aws\" {\n  alias  = \"us\"\n  region = \"us-east-1\"\n}\n",
    )
    .unwrap();
    let run = run_in(dir.path(), &verify, &[]);
    assert_invalid(&run, "recheck");
    assert!(
        run.stderr
            .contains("the configuration differs from the one recorded (changed roots: stack)"),
        "{}",
        run.stderr
    );
}

// ---------------------------------------------------------------------------------------- tamper

/// `verify` on a changed bundle exits 2 and names the check that failed.
fn assert_invalid(run: &Run, check: &str) {
    assert_eq!(
        run.code, 2,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let expected = format!("evidence check `{check}` failed: ");
    assert!(
        run.stderr.contains(&expected),
        "expected {expected:?} in: {}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

#[test]
fn tampered_bundles_are_invalid_and_the_failed_check_is_named() {
    let case = PlanCase::new();
    assert_eq!(case.attest(&[]).code, 1);
    let bundle = case.bundle();

    // FAILED edited into PASSED (and the levels and exit code along with it).
    let mut statement = statement_of(&bundle);
    statement["predicate"]["verificationResult"] = "PASSED".into();
    statement["predicate"]["verifiedLevels"] = serde_json::json!(["SOVEREIGN_JURISDICTION_EU"]);
    statement["predicate"][EXTENSION]["exitCode"] = 0.into();
    case.write_bundle("passed.json", &with_payload(&bundle, &statement));
    let run = case.verify("passed.json", &[]);
    assert_invalid(&run, "signature");
    assert!(
        run.stderr
            .contains("the DSSE signature does not verify with cosign.pub.pem"),
        "{}",
        run.stderr
    );

    // The payload type changed.
    let mut changed = bundle.clone();
    changed["dsseEnvelope"]["payloadType"] = "application/json".into();
    case.write_bundle("type.json", &changed);
    let run = case.verify("type.json", &[]);
    assert_invalid(&run, "payload type");
    assert!(
        run.stderr
            .contains("payloadType is `application/json`, expected `application/vnd.in-toto+json`"),
        "{}",
        run.stderr
    );

    // One byte of the signature flipped.
    let mut sig = BASE64
        .decode(
            bundle["dsseEnvelope"]["signatures"][0]["sig"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    let last = sig.len() - 1;
    sig[last] ^= 0x01;
    let mut flipped = bundle.clone();
    flipped["dsseEnvelope"]["signatures"][0]["sig"] = BASE64.encode(&sig).into();
    case.write_bundle("flipped.json", &flipped);
    assert_invalid(&case.verify("flipped.json", &[]), "signature");

    // Another key: named by the hint; without a hint, by the signature.
    write_key(case.path(), "other", false);
    let run = run_in(
        case.path(),
        &["verify", "evidence.json", "--key", "other.pub.pem"],
        &[],
    );
    assert_invalid(&run, "key");
    assert!(
        run.stderr.contains("the bundle was signed by another key"),
        "{}",
        run.stderr
    );
    let mut no_hint = bundle.clone();
    no_hint["verificationMaterial"]["publicKey"]["hint"] = "".into();
    case.write_bundle("no-hint.json", &no_hint);
    // The hint is only a name: with the right key, a bundle whose hint differs still verifies.
    let mut other_hint = bundle.clone();
    other_hint["verificationMaterial"]["publicKey"]["hint"] = "c29tZSBvdGhlciBrZXk=".into();
    case.write_bundle("other-hint.json", &other_hint);
    assert_eq!(case.verify("other-hint.json", &[]).code, 1);
    let run = run_in(
        case.path(),
        &["verify", "no-hint.json", "--key", "other.pub.pem"],
        &[],
    );
    assert_invalid(&run, "signature");

    // Evidence of another plan.
    let mut other_plan = std::fs::read_to_string(case.path().join("infra/plan.json")).unwrap();
    other_plan.push('\n');
    std::fs::write(case.path().join("other-plan.json"), other_plan).unwrap();
    let run = case.verify("evidence.json", &["--plan", "other-plan.json"]);
    assert_invalid(&run, "subject");
    assert!(
        run.stderr.contains("other-plan.json (sha256:")
            && run.stderr.contains(
                "is not a subject of the evidence; its subjects are infra/plan.json (sha256:"
            ),
        "{}",
        run.stderr
    );
}

#[test]
fn recheck_catches_findings_that_do_not_match_even_when_re_signed() {
    let case = PlanCase::new();
    assert_eq!(case.attest(&[]).code, 1);
    let bundle = case.bundle();
    // An insider with the signing key drops a finding and signs again: the signature holds.
    let mut statement = statement_of(&bundle);
    let findings = statement["predicate"][EXTENSION]["findings"]
        .as_array_mut()
        .unwrap();
    let dropped = findings.remove(0);
    let payload = statement.to_string();
    let resigned = Bundle::sign(payload.as_bytes(), &case.key).unwrap();
    case.write_bundle("resigned.json", &serde_json::to_value(&resigned).unwrap());

    assert_eq!(
        case.verify("resigned.json", &[]).code,
        1,
        "the signature is valid"
    );
    let run = case.verify("resigned.json", &["--recheck"]);
    assert_invalid(&run, "recheck");
    let expected = format!(
        "the findings differ: 1 finding(s) not in the evidence (first: {} at {}:{}",
        dropped["rule"].as_str().unwrap(),
        dropped["file"].as_str().unwrap(),
        dropped["line"]
    );
    assert!(
        run.stderr.contains(&expected),
        "expected {expected:?} in: {}",
        run.stderr
    );

    // The plan changed since: recheck lints what is there now, and says so.
    let plan_path = case.path().join("infra/plan.json");
    let plan = std::fs::read_to_string(&plan_path).unwrap();
    std::fs::write(&plan_path, plan.replace("us-west-2", "eu-west-1")).unwrap();
    let run = case.verify("evidence.json", &["--recheck"]);
    assert_invalid(&run, "recheck");
    let run = case.verify("evidence.json", &["--plan", "infra/plan.json"]);
    assert_invalid(&run, "subject");
}

// -------------------------------------------------------------------------------------- snapshot

#[test]
fn decoded_statement_snapshot() {
    let case = PlanCase::new();
    assert_eq!(case.attest(&[]).code, 1);
    let mut statement = statement_of(&case.bundle());
    // Shown in full elsewhere (report snapshots); here the shape around them matters.
    let ext = &mut statement["predicate"][EXTENSION];
    let count = ext["findings"].as_array().map_or(0, Vec::len);
    ext["findings"] = format!("[{count} findings, as --format json writes them]").into();
    // Volatile: the time, and the digests of the binary and of the catalog (they change with
    // every build and every catalog update).
    ext["linter"]["digest"]["sha256"] = "[digest of the binary]".into();
    ext["catalog"]["digest"]["sha256"] = "[digest of the catalog]".into();
    statement["predicate"]["timeVerified"] = "[time]".into();
    insta::assert_snapshot!(serde_json::to_string_pretty(&statement).unwrap());
}

// ------------------------------------------------------------------------------ interoperability

/// Runs a project script; its output on failure.
fn script(name: &str) -> std::process::Output {
    let path = repo_root().join("scripts").join(name);
    Command::new(&path)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", path.display()))
}

/// Bundles the linter wrote, ECDSA P-256 and Ed25519, plus a tampered copy.
fn interop_bundles() -> (tempfile::TempDir, Vec<(&'static str, &'static str)>) {
    let case = PlanCase::new();
    assert_eq!(case.attest(&[]).code, 1);
    copy_dir(&fixture("cli/clean"), &case.path().join("stack"));
    write_key(case.path(), "ed", true);
    let run = run_in(
        case.path(),
        &[
            "stack",
            "--attest",
            "ed-evidence.json",
            "--signing-key",
            "ed.pem",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let bundle = case.bundle();
    let mut statement = statement_of(&bundle);
    statement["predicate"]["verificationResult"] = "PASSED".into();
    case.write_bundle("tampered.json", &with_payload(&bundle, &statement));
    let PlanCase { dir, .. } = case;
    (
        dir,
        vec![
            ("evidence.json", "cosign.pub.pem"),
            ("ed-evidence.json", "ed.pub.pem"),
        ],
    )
}

/// `PROGRAM ARGS… BUNDLE KEY` in `dir`: the exit code and everything it printed.
fn verifier<'a>(
    dir: &'a Path,
    program: &'a Path,
    args: &'a [&'a Path],
) -> impl Fn(&str, &str) -> (Option<i32>, String) + 'a {
    move |bundle, key| {
        let out = Command::new(program)
            .args(args)
            .arg(bundle)
            .arg(key)
            .current_dir(dir)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    }
}

#[test]
fn python_securesystemslib_and_in_toto_attestation_verify_the_bundles() {
    let setup = script("setup-harness");
    assert!(
        setup.status.success(),
        "scripts/setup-harness failed:\n{}{}",
        String::from_utf8_lossy(&setup.stdout),
        String::from_utf8_lossy(&setup.stderr)
    );
    let python = repo_root().join(".venv/bin/python");
    let script = repo_root().join("scripts/evidence/verify_dsse.py");
    let (dir, bundles) = interop_bundles();
    let args = [script.as_path()];
    let check = verifier(dir.path(), &python, &args);
    for (bundle, key) in &bundles {
        let (code, output) = check(bundle, key);
        assert_eq!(code, Some(0), "{bundle}: {output}");
        assert!(
            output.contains("securesystemslib: DSSE signature verified"),
            "{output}"
        );
        assert!(
            output.contains("in-toto-attestation: Statement v1 valid")
                && output.contains("predicateType https://slsa.dev/verification_summary/v1"),
            "{output}"
        );
    }
    let (code, output) = check("tampered.json", "cosign.pub.pem");
    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("DSSE signature NOT verified"), "{output}");
}

#[test]
fn sigstore_js_verifies_the_bundles_offline_with_the_key_found_by_its_hint() {
    let setup = script("setup-sigstore-js");
    if setup.status.code() == Some(3) {
        eprintln!(
            "SKIPPED: @sigstore/verify interoperability: {}",
            String::from_utf8_lossy(&setup.stderr).trim()
        );
        return;
    }
    assert!(
        setup.status.success(),
        "scripts/setup-sigstore-js failed:\n{}{}",
        String::from_utf8_lossy(&setup.stdout),
        String::from_utf8_lossy(&setup.stderr)
    );
    let modules = repo_root().join(".harness/sigstore-js/node_modules");
    let script = repo_root().join("scripts/evidence/verify-sigstore.js");
    let (dir, bundles) = interop_bundles();
    let args = [script.as_path(), modules.as_path()];
    let check = verifier(dir.path(), Path::new("node"), &args);
    for (bundle, key) in &bundles {
        let (code, output) = check(bundle, key);
        assert_eq!(code, Some(0), "{bundle}: {output}");
        assert!(
            output.starts_with("verified application/vnd.in-toto+json "),
            "{output}"
        );
    }
    let (code, output) = check("tampered.json", "cosign.pub.pem");
    assert_eq!(code, Some(1), "{output}");
    assert!(output.starts_with("not verified: "), "{output}");
    let (code, output) = check("evidence.json", "ed.pub.pem");
    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("no trusted key with hint"), "{output}");
}
