//! `scripts/demo provider` (issue 13's first-run demo) run headless, as a newcomer runs it, so it cannot rot: it
//! must go through every step (non-compliant stack refused by the linter and by the provider with nothing created,
//! EU stack planned, gated with signed evidence, applied, shown, re-planned empty, destroyed with nothing left),
//! print its timings, and leave no server and no working directory behind — also when interrupted with Ctrl-C in
//! the middle of the apply. Bounded: a demo that hangs is killed and the test fails.

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sovereign_e2e::{ensure_harness, provider_binary, repo_root};

/// Two demos at once would only compete for the two cores: one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The whole demo takes ~10 s on a warm machine (the binaries are given, not built).
const WHOLE_RUN: Duration = Duration::from_secs(300);

/// A running `scripts/demo provider` in its own process group (so Ctrl-C can be sent to all of it, as a terminal
/// does), its output going to a file the test reads while it runs.
struct Demo {
    child: Child,
    output: PathBuf,
    _dir: tempfile::TempDir,
}

impl Demo {
    fn start() -> Demo {
        ensure_harness();
        let provider = provider_binary();
        let lint = provider.with_file_name("sovereign-lint");
        assert!(lint.is_file(), "no sovereign-lint at {}", lint.display());
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("demo.out");
        let out = fs::File::create(&output).unwrap();
        let child = Command::new(repo_root().join("scripts/demo"))
            .arg("provider")
            .env("SOVEREIGN_PROVIDER_BIN", provider)
            .env("SOVEREIGN_LINT_BIN", &lint)
            .env("TMPDIR", dir.path())
            .env("NO_COLOR", "1")
            .env("COLUMNS", "120")
            .env_remove("SOVEREIGN_DEMO_VERBOSE")
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .process_group(0)
            .spawn()
            .expect("run scripts/demo provider");
        Demo {
            child,
            output,
            _dir: dir,
        }
    }

    fn output(&self) -> String {
        fs::read_to_string(&self.output).unwrap_or_default()
    }

    /// Waits until the output contains `text`; panics (after killing the demo) past the deadline.
    fn wait_for(&mut self, text: &str, deadline: Instant) {
        while !self.output().contains(text) {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "the demo ended ({status}) before printing {text:?}:\n{}",
                    self.output()
                );
            }
            if Instant::now() > deadline {
                self.kill();
                panic!("no {text:?} in time:\n{}", self.output());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for the demo to end; kills it and panics past the deadline.
    fn wait(&mut self, deadline: Instant) -> ExitStatus {
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                self.kill();
                panic!("the demo did not end in time:\n{}", self.output());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Sends `signal` to the demo's whole process group, as a terminal does on Ctrl-C.
    fn signal_group(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, "--", &format!("-{}", self.child.id())])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill {signal} failed");
    }

    fn kill(&mut self) {
        self.signal_group("-KILL");
        let _ = self.child.wait();
    }

    /// The working directory and the moto server's pid the demo announced.
    fn announced(&self) -> (PathBuf, u32) {
        let output = self.output();
        let dir = output
            .lines()
            .find_map(|l| l.strip_prefix("demo: working directory "))
            .unwrap_or_else(|| panic!("no working directory announced:\n{output}"));
        let pid = output
            .split("(pid ")
            .nth(1)
            .and_then(|rest| rest.split(')').next())
            .and_then(|pid| pid.parse().ok())
            .unwrap_or_else(|| panic!("no server pid announced:\n{output}"));
        (PathBuf::from(dir), pid)
    }

    /// Nothing of the run is left: the working directory is gone and the server process has exited.
    fn assert_nothing_left(&self) {
        let (dir, pid) = self.announced();
        assert!(
            !dir.exists(),
            "working directory {} left behind",
            dir.display()
        );
        let proc = Path::new("/proc").join(pid.to_string());
        let deadline = Instant::now() + Duration::from_secs(10);
        while proc.exists() && !is_zombie(&proc) {
            assert!(
                Instant::now() < deadline,
                "the moto server (pid {pid}) is still running after the demo ended"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill();
        }
    }
}

fn is_zombie(proc: &Path) -> bool {
    fs::read_to_string(proc.join("stat"))
        .map(|stat| {
            stat.rsplit(')')
                .next()
                .is_some_and(|rest| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(true)
}

#[test]
fn demo_provider_runs_every_step_and_leaves_nothing() {
    let _one = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut demo = Demo::start();
    let status = demo.wait(Instant::now() + WHOLE_RUN);
    let output = demo.output();
    assert!(
        status.success(),
        "scripts/demo provider: {status}\n{output}"
    );

    // Every step, in order, each with its time.
    let mut from = 0;
    for expected in [
        "== [1] set up",
        "== [2] start the local AWS-compatible server",
        "== [3] examples/ml-stack-noncompliant",
        // The linter's finding on the zone, shown in full.
        "SOV001 region-outside-jurisdiction",
        "zone `us-east-1a` is in",
        "✔ sovereign-lint: SOV001, exit 1",
        "== [4] examples/ml-stack-noncompliant: the provider refuses its plan",
        // The provider's refusal, with Terraform's detail.
        "Error: Availability Zone outside the provider's region",
        "\"us-east-1a\" is not an Availability Zone of eu-central-1",
        // ... and nothing exists afterwards, as the AWS API says.
        "us-east-1: 0 VPCs, 0 subnets",
        "S3 buckets: 0",
        "== [5] examples/ml-stack-eu: plan",
        "Plan: 6 to add, 0 to change, 0 to destroy.",
        "== [6] examples/ml-stack-eu: sovereign-lint --plan",
        "--attest evidence.sigstore.json",
        "✔ no findings",
        "evidence.sigstore.json: valid evidence",
        "== [7] examples/ml-stack-eu: apply exactly the plan that was linted",
        "Apply complete! Resources: 6 added, 0 changed, 0 destroyed.",
        "== [8] what exists now, through the AWS API",
        "eu-central-1: 1 VPCs, 3 subnets, 2 security groups, 6 VPC endpoints, 1 instances",
        "S3 buckets: 3 (sovereign-ml-eu-central-1-audit, sovereign-ml-eu-central-1-checkpoints, sovereign-ml-eu-central-1-datasets)",
        "cluster_instance_ids = [\"i-",
        "== [9] a second plan is empty",
        "No changes.",
        "== [10] destroy",
        "Destroy complete! Resources: 6 destroyed.",
        "eu-central-1: 0 VPCs, 0 subnets, 0 security groups, 0 VPC endpoints, 0 instances, 0 launch templates, 0 placement groups, 0 KMS keys",
        "✔ nothing left",
        "== timings",
        " s  total",
    ] {
        let at = output[from..]
            .find(expected)
            .unwrap_or_else(|| panic!("missing (in order) {expected:?}:\n{output}"));
        from += at + expected.len();
    }
    // A time for each of the 10 steps.
    let timed = output
        .split("== timings")
        .nth(1)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.trim_start().split(" s  ").count() == 2)
        .count();
    assert_eq!(timed, 11, "10 steps and the total:\n{output}");
    demo.assert_nothing_left();
}

#[test]
fn demo_provider_cleans_up_on_ctrl_c_during_the_apply() {
    let _one = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut demo = Demo::start();
    demo.wait_for(
        "$ terraform apply -input=false -no-color tfplan",
        Instant::now() + WHOLE_RUN,
    );
    demo.signal_group("-INT");
    let status = demo.wait(Instant::now() + Duration::from_secs(60));
    let output = demo.output();
    assert_eq!(status.code(), Some(130), "exit 130 on Ctrl-C:\n{output}");
    assert!(
        output.contains("demo: interrupted during \"examples/ml-stack-eu: apply exactly the plan that was linted\""),
        "{output}"
    );
    assert!(
        output.contains("demo: local AWS server stopped"),
        "{output}"
    );
    assert!(!output.contains("== timings"), "it stopped: {output}");
    demo.assert_nothing_left();
}
