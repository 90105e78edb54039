//! The linter installed like every other tool (docs/install.md "The linter", docs/pre-commit.md):
//!
//! - `maturin build --sdist` makes the source distribution and builds the Python wheel from it (so the sdist is
//!   complete); the wheel is named for this version and platform and carries only the `sovereign-lint` script;
//!   `pip install --no-index` of it into a fresh venv puts a working `sovereign-lint` on the venv's PATH.
//! - The `language: python` hook installs itself: real pre-commit on a scratch git repository whose
//!   `.pre-commit-config.yaml` names a snapshot of this working tree (committed and tagged in a temporary
//!   repository, so the code under test is what gets installed) runs `pip install .` on it, which builds the
//!   wheel through maturin's PEP 517 backend. A commit of a non-compliant `.tf` fails with the finding; the
//!   fixed one commits. No `sovereign-lint` is on PATH meanwhile.
//! - The `language: system` hook runs the `sovereign-lint` the wheel installed, and reports a missing one.
//! - `cargo install --locked --path linter` installs the same linter.
//!
//! The commands are the documented ones with one difference: builds use the test executable's own target directory
//! and profile (`CARGO_TARGET_DIR`; `MATURIN_PEP517_ARGS` for the build pip runs), so only the linter's crates are
//! compiled again on each run — `dev` under `cargo test` (a release build of the linter crate alone takes over a
//! minute on 2 cores), the documented `--release` under `cargo test --release`. pip fetches maturin from PyPI (or
//! the index pip is configured with) for the hook's build, as it does for users.

use std::env;
use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::io::{Read, Seek};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sovereign_e2e::{
    BuildTarget, build_target, ensure_harness, repo_root, venv_bin, workspace_version,
};

/// Time limits. A build may compile the linter's dependencies from nothing (a few minutes on 2 cores) and waits
/// for Cargo's lock on the shared target directory; everything else takes seconds.
const BUILD_LIMIT: Duration = Duration::from_secs(25 * 60);
const STEP_LIMIT: Duration = Duration::from_secs(3 * 60);

const NON_COMPLIANT: &str = r#"provider "aws" {
  region = "us-east-1"
}
"#;

const COMPLIANT: &str = r#"provider "aws" {
  region = "eu-central-1"
}
"#;

// ------------------------------------------------------------------------------------------------ running commands

/// The outcome of one command: exit code (`None` when killed by a signal), output and how long it took.
struct Run {
    command: String,
    code: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

impl Run {
    fn success(&self) -> bool {
        self.code == Some(0)
    }

    fn combined(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "$ {}\nexit code {:?} after {:.1?}\n--- stdout\n{}\n--- stderr\n{}",
            self.command, self.code, self.elapsed, self.stdout, self.stderr
        )
    }
}

/// Runs `command` to completion within `limit`; past it, kills the command's whole process group (pip, maturin,
/// cargo and rustc below it) and panics. Output goes to anonymous files, so a chatty build cannot block on a pipe.
fn run(command: &mut Command, limit: Duration) -> Run {
    let text = format!(
        "{} {}",
        command.get_program().to_string_lossy(),
        command
            .get_args()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let mut stdout = tempfile::tempfile().expect("a temporary file for stdout");
    let mut stderr = tempfile::tempfile().expect("a temporary file for stderr");
    let start = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(stdout.try_clone().unwrap())
        .stderr(stderr.try_clone().unwrap())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run `{text}`: {e}"));
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for a child process") {
            break status;
        }
        if start.elapsed() > limit {
            // The child leads its own process group (`process_group(0)`): end all of it.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
            panic!("`{text}` took longer than {limit:?} and was killed");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    Run {
        command: text,
        code: status.code(),
        stdout: read_back(&mut stdout),
        stderr: read_back(&mut stderr),
        elapsed: start.elapsed(),
    }
}

/// Everything written to `file` so far.
fn read_back(file: &mut fs::File) -> String {
    let mut bytes = Vec::new();
    file.rewind().unwrap();
    file.read_to_end(&mut bytes).unwrap();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn run_ok(command: &mut Command, limit: Duration) -> Run {
    let run = run(command, limit);
    assert!(run.success(), "expected success:\n{run}");
    run
}

/// `git` isolated from the machine's and the user's configuration (no global hooks path, signing or templates),
/// with a fixed identity, and outside any repository the tests themselves run in.
fn git(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command.current_dir(dir);
    isolate_git(&mut command);
    command
}

fn isolate_git(command: &mut Command) {
    command
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Sovereign Test")
        .env("GIT_AUTHOR_EMAIL", "test@sovereign.invalid")
        .env("GIT_COMMITTER_NAME", "Sovereign Test")
        .env("GIT_COMMITTER_EMAIL", "test@sovereign.invalid");
    for variable in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
    ] {
        command.env_remove(variable);
    }
}

/// Fails with the setup command when a tool the test needs is missing.
fn require_tools() {
    ensure_harness();
    let git = Command::new("git").arg("--version").output();
    assert!(
        git.is_ok_and(|o| o.status.success()),
        "git is not installed: install it (Debian/Ubuntu: `apt-get install git`)"
    );
    for tool in ["maturin", "pre-commit"] {
        assert!(
            venv_bin(tool).is_file(),
            "{} is missing: run scripts/setup-harness",
            venv_bin(tool).display()
        );
    }
}

// ------------------------------------------------------------------------------------------------ building

/// The profile flag for maturin: the test executable's own profile, whose dependencies are mostly compiled already.
fn profile_args(target: &BuildTarget) -> Vec<&'static str> {
    if target.release {
        vec!["--release"]
    } else {
        vec!["--profile", "dev"]
    }
}

/// The machine as a wheel's platform tag ends, e.g. `x86_64`.
fn wheel_arch() -> &'static str {
    std::env::consts::ARCH
}

/// Runs `maturin build --sdist --out <out>` in the repository and returns the wheel and the sdist.
fn build_wheel(target: &BuildTarget, out: &Path) -> (PathBuf, PathBuf) {
    let build = run_ok(
        Command::new(venv_bin("maturin"))
            .current_dir(repo_root())
            .args(["build", "--sdist", "--out"])
            .arg(out)
            .args(profile_args(target))
            .env("CARGO_TARGET_DIR", &target.dir)
            .env("CARGO_TERM_COLOR", "never"),
        BUILD_LIMIT,
    );
    eprintln!("maturin build --sdist: {:.1?}", build.elapsed);
    let mut files: Vec<PathBuf> = fs::read_dir(out)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    let wheel = files
        .iter()
        .find(|f| f.extension().is_some_and(|e| e == "whl"))
        .unwrap_or_else(|| panic!("no wheel in {files:?}:\n{build}"))
        .clone();
    let sdist = files
        .iter()
        .find(|f| f.to_string_lossy().ends_with(".tar.gz"))
        .unwrap_or_else(|| panic!("no sdist in {files:?}:\n{build}"))
        .clone();
    (wheel, sdist)
}

/// The names of the members of a wheel (zip) or sdist (tar.gz), listed by Python's standard library.
fn archive_members(archive: &Path) -> Vec<String> {
    let script = "import sys, tarfile, zipfile\n\
                  p = sys.argv[1]\n\
                  names = zipfile.ZipFile(p).namelist() if p.endswith('.whl') else tarfile.open(p).getnames()\n\
                  print('\\n'.join(sorted(names)))";
    let listed = run_ok(
        Command::new(venv_bin("python"))
            .args(["-c", script])
            .arg(archive),
        STEP_LIMIT,
    );
    listed.stdout.lines().map(str::to_string).collect()
}

/// A fresh venv at `dir` (from the harness's Python), returning its `bin` directory.
fn fresh_venv(dir: &Path) -> PathBuf {
    let made = run(
        Command::new(venv_bin("python"))
            .args(["-m", "venv"])
            .arg(dir),
        STEP_LIMIT,
    );
    assert!(
        made.success(),
        "cannot create a venv: install Python's venv module (Debian/Ubuntu: `apt-get install python3-venv`) \
         and rerun scripts/setup-harness\n{made}"
    );
    dir.join("bin")
}

/// PATH without any directory that holds a `sovereign-lint`: the python hook must bring its own.
fn path_without_sovereign_lint() -> OsString {
    let path = env::var_os("PATH").unwrap_or_default();
    env::join_paths(env::split_paths(&path).filter(|dir| !dir.join("sovereign-lint").exists()))
        .expect("PATH entries stay joinable")
}

fn path_with(first: &Path) -> OsString {
    let rest = path_without_sovereign_lint();
    env::join_paths(std::iter::once(first.to_path_buf()).chain(env::split_paths(&rest)))
        .expect("PATH entries stay joinable")
}

// ------------------------------------------------------------------------------------------------ repositories

/// The working tree as it is now — tracked files and new ones git does not ignore — committed into a fresh
/// repository at `dest` and tagged `v<version>`. pre-commit installs hooks from a git revision; a snapshot makes it
/// install the code under test rather than the last commit, and leaves this repository untouched.
fn snapshot_working_tree(dest: &Path, version: &str) {
    let listed = run_ok(
        git(&repo_root()).args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ]),
        STEP_LIMIT,
    );
    let root = repo_root();
    for name in listed.stdout.split('\0').filter(|n| !n.is_empty()) {
        let from = root.join(name);
        let Ok(meta) = fs::symlink_metadata(&from) else {
            continue; // deleted in the working tree, not yet in the index
        };
        let to = dest.join(name);
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        if meta.file_type().is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&from).unwrap(), &to).unwrap();
        } else if meta.is_file() {
            fs::copy(&from, &to).unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
        }
    }
    run_ok(git(dest).args(["init", "-q", "-b", "main"]), STEP_LIMIT);
    run_ok(git(dest).args(["add", "-A"]), STEP_LIMIT);
    run_ok(
        git(dest).args([
            "commit",
            "-q",
            "-m",
            "snapshot of the working tree under test",
        ]),
        STEP_LIMIT,
    );
    run_ok(git(dest).args(["tag", &format!("v{version}")]), STEP_LIMIT);
}

/// A scratch infrastructure repository, as a user's, whose `.pre-commit-config.yaml` uses `hook` from `hooks_repo`.
struct Infra {
    dir: PathBuf,
    /// pre-commit's cache (`PRE_COMMIT_HOME`): hook repositories and their environments.
    pre_commit_home: PathBuf,
    target: BuildTarget,
}

impl Infra {
    fn new(dir: PathBuf, pre_commit_home: PathBuf, target: BuildTarget) -> Infra {
        fs::create_dir_all(&dir).unwrap();
        run_ok(git(&dir).args(["init", "-q", "-b", "main"]), STEP_LIMIT);
        Infra {
            dir,
            pre_commit_home,
            target,
        }
    }

    /// The configuration docs/pre-commit.md shows, pointing at the snapshot instead of the public URL.
    fn use_hook(&self, hooks_repo: &Path, version: &str, hook: &str) {
        let config = format!(
            "repos:\n  - repo: {}\n    rev: v{version}\n    hooks:\n      - id: {hook}\n",
            hooks_repo.display()
        );
        fs::write(self.dir.join(".pre-commit-config.yaml"), config).unwrap();
    }

    fn write(&self, name: &str, text: &str) {
        fs::write(self.dir.join(name), text).unwrap();
    }

    /// A command in the repository with pre-commit's cache, git isolation, the test's target directory and
    /// profile for the hook's build, and `path` as PATH.
    fn command(&self, program: &Path, path: &OsString) -> Command {
        let mut command = Command::new(program);
        command.current_dir(&self.dir);
        isolate_git(&mut command);
        command
            .env("PATH", path)
            .env("PRE_COMMIT_HOME", &self.pre_commit_home)
            .env("PRE_COMMIT_COLOR", "never")
            .env("NO_COLOR", "1")
            .env("CARGO_TARGET_DIR", &self.target.dir)
            .env("CARGO_TERM_COLOR", "never")
            .env("MATURIN_PEP517_ARGS", profile_args(&self.target).join(" "));
        command
    }

    fn pre_commit(&self, args: &[&str], path: &OsString, limit: Duration) -> Run {
        run(
            self.command(&venv_bin("pre-commit"), path).args(args),
            limit,
        )
    }

    /// `git add -A` and `git commit`, which runs the installed pre-commit hook.
    fn commit(&self, message: &str, path: &OsString, limit: Duration) -> Run {
        run_ok(
            self.command(Path::new("git"), path).args(["add", "-A"]),
            STEP_LIMIT,
        );
        run(
            self.command(Path::new("git"), path)
                .args(["commit", "-m", message]),
            limit,
        )
    }

    fn commits(&self) -> Vec<String> {
        let log = run(git(&self.dir).args(["log", "--format=%s"]), STEP_LIMIT);
        log.stdout.lines().map(str::to_string).collect()
    }
}

// ------------------------------------------------------------------------------------------------ tests

#[test]
fn the_wheel_installs_sovereign_lint_and_the_python_hook_installs_itself() {
    require_tools();
    let started = Instant::now();
    let version = workspace_version();
    let target = build_target().unwrap_or_else(|e| panic!("{e}"));
    let work = tempfile::tempdir().unwrap();

    // The wheel, built from the source distribution.
    let dist = work.path().join("dist");
    let (wheel, sdist) = build_wheel(&target, &dist);
    let wheel_name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    let prefix = format!("sovereign_lint-{version}-py3-none-");
    let platform = wheel_name
        .strip_prefix(&prefix)
        .and_then(|rest| rest.strip_suffix(".whl"))
        .unwrap_or_else(|| panic!("{wheel_name} is not named {prefix}<platform>.whl"));
    // maturin tags the lowest manylinux the binary's glibc symbols allow: installable on that glibc and newer.
    assert!(
        platform.starts_with("manylinux_") && platform.ends_with(wheel_arch()),
        "{wheel_name}: a manylinux wheel for {}",
        wheel_arch()
    );
    let members = archive_members(&wheel);
    let data = format!("sovereign_lint-{version}.data/");
    assert!(
        members.contains(&format!("{data}scripts/sovereign-lint")),
        "the wheel carries the executable as a script: {members:#?}"
    );
    let unexpected: Vec<&String> = members
        .iter()
        .filter(|m| {
            !m.starts_with(&format!("sovereign_lint-{version}.dist-info/"))
                && **m != format!("{data}scripts/sovereign-lint")
        })
        .collect();
    assert!(
        unexpected.is_empty(),
        "only the executable and metadata: {unexpected:#?}"
    );
    // The sdist (the wheel above was built from it) holds the linter's crates and the catalog, not the others.
    let sdist_members = archive_members(&sdist);
    let root = format!("sovereign_lint-{version}/");
    for needed in [
        "pyproject.toml",
        "Cargo.toml",
        "Cargo.lock",
        ".cargo/config.toml",
        "linter/Cargo.toml",
        "schemas/data/catalog.toml",
    ] {
        assert!(
            sdist_members.contains(&format!("{root}{needed}")),
            "sdist has {needed}: {sdist_members:#?}"
        );
    }
    assert!(
        !sdist_members
            .iter()
            .any(|m| m.starts_with(&format!("{root}provider/"))
                || m.starts_with(&format!("{root}tests/"))),
        "sdist holds only the linter's crates"
    );

    // pip install into a fresh venv, offline: the executable lands on the venv's PATH.
    let venv_bin_dir = fresh_venv(&work.path().join("venv"));
    run_ok(
        Command::new(venv_bin_dir.join("pip"))
            .args([
                "install",
                "--no-index",
                "--disable-pip-version-check",
                "--quiet",
            ])
            .arg(&wheel),
        STEP_LIMIT,
    );
    let installed = venv_bin_dir.join("sovereign-lint");
    assert!(installed.is_file(), "pip put {}", installed.display());
    let reported = run_ok(
        Command::new("sovereign-lint")
            .arg("--version")
            .env("PATH", path_with(&venv_bin_dir)),
        STEP_LIMIT,
    );
    assert_eq!(reported.stdout.trim(), format!("sovereign-lint {version}"));

    // The python hook, from a snapshot of this working tree, in a user's repository.
    let hooks_repo = work.path().join("sovereign");
    snapshot_working_tree(&hooks_repo, &version);
    let infra = Infra::new(
        work.path().join("infra"),
        work.path().join("pre-commit-home"),
        target.clone(),
    );
    let bare_path = path_without_sovereign_lint();
    infra.use_hook(&hooks_repo, &version, "sovereign-lint-python");
    let install = infra.pre_commit(&["install"], &bare_path, STEP_LIMIT);
    assert!(
        install.success()
            && install
                .stdout
                .contains("pre-commit installed at .git/hooks/pre-commit"),
        "{install}"
    );

    infra.write("main.tf", NON_COMPLIANT);
    let refused = infra.commit("us-east-1 provider", &bare_path, BUILD_LIMIT);
    eprintln!(
        "first commit (installs the hook: pip install . → maturin → cargo): {:.1?}",
        refused.elapsed
    );
    let output = refused.combined();
    assert!(!refused.success(), "the commit is refused:\n{refused}");
    assert!(
        output.contains("[INFO] Installing environment for"),
        "pre-commit installed the hook's environment:\n{refused}"
    );
    assert!(
        output.contains("- hook id: sovereign-lint-python") && output.contains("- exit code: 1"),
        "the python hook failed with findings:\n{refused}"
    );
    assert!(
        output.contains("SOV001") && output.contains("us-east-1"),
        "the finding is shown:\n{refused}"
    );
    assert!(infra.commits().is_empty(), "nothing was committed");
    let hook_envs: Vec<PathBuf> = fs::read_dir(&infra.pre_commit_home)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .flat_map(|repo| fs::read_dir(repo).into_iter().flatten())
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("bin/sovereign-lint").is_file())
        .collect();
    assert_eq!(
        hook_envs.len(),
        1,
        "one hook environment with sovereign-lint in pre-commit's cache"
    );

    // By hand, as docs/pre-commit.md shows: the environment is reused, nothing is built.
    let by_hand = infra.pre_commit(
        &["run", "sovereign-lint-python", "--all-files"],
        &bare_path,
        STEP_LIMIT,
    );
    assert!(
        !by_hand.success() && by_hand.stdout.contains("SOV001"),
        "{by_hand}"
    );
    assert!(
        !by_hand.combined().contains("Installing environment"),
        "{by_hand}"
    );

    infra.write("main.tf", COMPLIANT);
    let accepted = infra.commit("eu-central-1 provider", &bare_path, STEP_LIMIT);
    assert!(
        accepted.success(),
        "the compliant commit passes:\n{accepted}"
    );
    assert!(
        accepted
            .combined()
            .lines()
            .any(|l| l.starts_with("sovereign-lint") && l.ends_with("Passed")),
        "{accepted}"
    );
    assert_eq!(infra.commits(), ["eu-central-1 provider"]);

    // The system hook runs the sovereign-lint on PATH: the one the wheel installed.
    infra.use_hook(&hooks_repo, &version, "sovereign-lint");
    infra.write("main.tf", NON_COMPLIANT);
    let with_wheel = path_with(&venv_bin_dir);
    let refused = infra.commit("us-east-1 again", &with_wheel, STEP_LIMIT);
    // git runs hooks with their output on its stderr.
    let output = refused.combined();
    assert!(
        !refused.success()
            && output.contains("- hook id: sovereign-lint\n")
            && output.contains("SOV001"),
        "the system hook fails the commit with the wheel's binary:\n{refused}"
    );
    let missing = infra.pre_commit(
        &["run", "sovereign-lint", "--all-files"],
        &bare_path,
        STEP_LIMIT,
    );
    assert!(
        !missing.success()
            && missing
                .stdout
                .contains("Executable `sovereign-lint` not found"),
        "without one on PATH, the system hook says what is missing:\n{missing}"
    );
    infra.write("main.tf", COMPLIANT);
    let accepted = infra.commit("eu-central-1 again", &with_wheel, STEP_LIMIT);
    assert!(accepted.success(), "{accepted}");
    assert_eq!(
        infra.commits(),
        ["eu-central-1 again", "eu-central-1 provider"]
    );
    eprintln!("wheel and pre-commit test: {:.1?}", started.elapsed());
}

/// `cargo install --locked --path linter`, the other documented way, into a temporary root.
#[test]
fn cargo_install_puts_sovereign_lint_into_its_root() {
    require_tools();
    let version = workspace_version();
    let target = build_target().unwrap_or_else(|e| panic!("{e}"));
    let root = tempfile::tempdir().unwrap();
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut install = Command::new(cargo);
    install
        .current_dir(repo_root())
        .args(["install", "--locked", "--path", "linter", "--root"])
        .arg(root.path())
        .env("CARGO_TARGET_DIR", &target.dir)
        .env("CARGO_TERM_COLOR", "never");
    if !target.release {
        install.arg("--debug");
    }
    let installed = run_ok(&mut install, BUILD_LIMIT);
    eprintln!("cargo install: {:.1?}", installed.elapsed);
    let bin = root.path().join("bin");
    let reported = run_ok(
        Command::new("sovereign-lint")
            .arg("--version")
            .env("PATH", path_with(&bin)),
        STEP_LIMIT,
    );
    assert_eq!(reported.stdout.trim(), format!("sovereign-lint {version}"));
}
