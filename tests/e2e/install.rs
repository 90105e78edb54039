//! The provider installed the way users install it, not through `dev_overrides`: `scripts/release --mirror` packs
//! the binary the harness builds into registry-named artifacts and a packed filesystem mirror; real Terraform with
//! a `provider_installation { filesystem_mirror … direct { exclude … } }` CLI config (docs/install.md) runs
//! `terraform init` against a dependency lock file pinned to the zip's SHA256SUMS entry, then plans, applies and
//! destroys a key and a bucket against moto. A zip that is not the released one makes `terraform init` fail; with a
//! GPG key the SHA256SUMS get a signature gpg verifies.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sovereign_e2e::provider_fixtures::{bucket_names, live_keys, planned_changes};
use sovereign_e2e::release::{NAME, PACKED, mirror_cli_config, platform, release};
use sovereign_e2e::{
    REGION, Terraform, block_on, bundled_terraform, kms_client, moto, provider_binary,
    provider_config, repo_root, s3_client, workspace_version,
};

/// A dependency lock file as a team commits it: the version and the zip's hash from SHA256SUMS.
fn pinned_lock_file(version: &str, zip_sha256: &str) -> String {
    format!(
        r#"provider "registry.terraform.io/sovereign-ml/sovereign" {{
  version = "{version}"
  hashes = [
    "zh:{zip_sha256}",
  ]
}}
"#
    )
}

/// Terraform wraps diagnostic text at 80 columns: compare with whitespace collapsed.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

const STACK: &str = r#"
resource "sovereign_key" "data" {
  description = "ML data key"
  alias       = "alias/ml-data"
  tags        = { "data-classification" = "restricted" }
}

resource "sovereign_bucket" "datasets" {
  name        = "ml-datasets"
  kms_key_arn = sovereign_key.data.arn
  tags        = { "data-classification" = "restricted" }
}
"#;

#[test]
fn released_provider_installs_from_a_filesystem_mirror_and_applies() {
    let version = workspace_version();
    let platform = platform();
    let work = tempfile::tempdir().unwrap();
    let release = release(provider_binary(), work.path());

    // The artifacts, named as the registry expects.
    let mut files: Vec<String> = fs::read_dir(&release.out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let zip = release.zip_name();
    assert_eq!(
        files,
        [
            format!("{NAME}_{version}_SHA256SUMS"),
            format!("{NAME}_{version}_{platform}.zip"),
            format!("{NAME}_{version}_manifest.json"),
        ],
        "no .sig without a GPG key"
    );
    assert!(
        release.stderr.contains("NOT signed"),
        "says that nothing was signed:\n{}",
        release.stderr
    );
    let manifest: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(release.out.join(format!("{NAME}_{version}_manifest.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(
        manifest,
        serde_json::json!({"version": 1, "metadata": {"protocol_versions": ["6.0"]}})
    );
    let summed: Vec<String> = release.sums().into_iter().map(|(_, f)| f).collect();
    assert_eq!(
        summed,
        [zip.clone(), format!("{NAME}_{version}_manifest.json")]
    );
    let zip_sha256 = release.zip_sha256();
    assert_eq!(
        fs::read(release.mirrored_zip()).unwrap(),
        fs::read(release.out.join(&zip)).unwrap(),
        "the mirror holds the released zip"
    );

    // Real Terraform, the mirror CLI config (no dev_overrides), and the team's lock file pinned to SHA256SUMS.
    let moto = moto();
    let mut tf =
        Terraform::with_cli_config(&bundled_terraform(), &mirror_cli_config(&release.mirror));
    tf.env("SOVEREIGN_AWS_MAX_ATTEMPTS", "1");
    tf.write("main.tf", &format!("{}{STACK}", provider_config(&moto)));
    tf.write(
        ".terraform.lock.hcl",
        &pinned_lock_file(&version, &zip_sha256),
    );

    let init = tf.init();
    assert!(
        init.stdout
            .contains(&format!("Installed sovereign-ml/sovereign v{version}")),
        "{init}"
    );
    let lock = fs::read_to_string(tf.dir().join(".terraform.lock.hcl")).unwrap();
    assert!(lock.contains(&format!("version = \"{version}\"")), "{lock}");
    assert!(
        lock.contains(&format!("\"zh:{zip_sha256}\"")),
        "the SHA256SUMS hash stays in the lock file:\n{lock}"
    );
    assert!(
        lock.contains("\"h1:"),
        "init adds the package hash:\n{lock}"
    );
    // The executable Terraform unpacked from the zip is the release's, and reports the workspace version.
    let installed = tf.dir().join(format!(
        ".terraform/providers/{PACKED}/{version}/{platform}/{NAME}_v{version}"
    ));
    assert!(
        installed.metadata().unwrap().permissions().mode() & 0o111 != 0,
        "{} is executable",
        installed.display()
    );
    let reported = Command::new(&installed).arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&reported.stdout).trim(),
        format!("{NAME} v{version}")
    );

    let changes = planned_changes(&tf);
    let addresses: Vec<&str> = changes.keys().map(String::as_str).collect();
    assert_eq!(
        addresses,
        ["sovereign_bucket.datasets", "sovereign_key.data"]
    );
    assert!(changes.values().all(|c| c.is_create()), "{changes:?}");

    let apply = tf.apply();
    assert!(
        !flat(&apply.combined()).contains("development overrides"),
        "no dev_overrides in effect:\n{apply}"
    );
    assert!(
        apply
            .stdout
            .contains("Apply complete! Resources: 2 added, 0 changed, 0 destroyed."),
        "{apply}"
    );

    let key_arn = tf.resource_values("sovereign_key.data")["arn"]
        .as_str()
        .unwrap()
        .to_string();
    let kms = kms_client(&moto.endpoint());
    let key = block_on(kms.describe_key().key_id(&key_arn).send())
        .unwrap()
        .key_metadata
        .unwrap();
    assert!(key.enabled(), "the key is enabled");
    assert_eq!(live_keys(&moto, REGION).len(), 1);
    assert_eq!(bucket_names(&moto), ["ml-datasets"]);
    let s3 = s3_client(&moto.endpoint());
    let location = block_on(s3.get_bucket_location().bucket("ml-datasets").send()).unwrap();
    assert_eq!(
        location.location_constraint().map(|l| l.as_str()),
        Some(REGION)
    );
    let encryption = block_on(s3.get_bucket_encryption().bucket("ml-datasets").send()).unwrap();
    let rule = &encryption
        .server_side_encryption_configuration()
        .expect("encryption configuration")
        .rules()[0];
    let configured = rule
        .apply_server_side_encryption_by_default()
        .unwrap()
        .kms_master_key_id()
        .unwrap_or_default()
        .to_string();
    assert!(
        configured == key_arn || key_arn.ends_with(&configured),
        "the bucket is encrypted with the key, got {configured:?}"
    );

    let destroy = tf.destroy();
    assert!(
        destroy
            .stdout
            .contains("Destroy complete! Resources: 2 destroyed."),
        "{destroy}"
    );
    assert!(bucket_names(&moto).is_empty(), "no bucket left");
    assert!(
        live_keys(&moto, REGION).is_empty(),
        "the key is pending deletion"
    );
}

/// A stand-in provider executable: `terraform init` installs a provider without running it, and
/// `scripts/release` only asks it for `--version`.
fn fake_provider(dir: &Path, marker: &str) -> PathBuf {
    fs::create_dir_all(dir).unwrap();
    let path = dir.join(NAME);
    fs::write(
        &path,
        format!(
            "#!/bin/sh\n# {marker}\necho '{NAME} v{}'\n",
            workspace_version()
        ),
    )
    .unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn provider_block() -> String {
    "terraform {\n  required_providers {\n    sovereign = { source = \"registry.terraform.io/sovereign-ml/sovereign\" }\n  }\n}\n".to_string()
}

#[test]
fn a_zip_that_is_not_the_released_one_fails_terraform_init() {
    let version = workspace_version();
    let work = tempfile::tempdir().unwrap();
    let released = release(
        &fake_provider(&work.path().join("released"), "released"),
        &work.path().join("released"),
    );
    let pinned = pinned_lock_file(&version, &released.zip_sha256());
    let terraform = |mirror: &Path| {
        let tf = Terraform::with_cli_config(&bundled_terraform(), &mirror_cli_config(mirror));
        tf.write("main.tf", &provider_block());
        tf
    };

    // The released zip installs against the pinned lock file.
    let tf = terraform(&released.mirror);
    tf.write(".terraform.lock.hcl", &pinned);
    tf.init();

    // Someone replaced the zip in the mirror by another valid one (same name, different executable).
    let other = release(
        &fake_provider(&work.path().join("other"), "tampered"),
        &work.path().join("other"),
    );
    assert_ne!(other.zip_sha256(), released.zip_sha256());
    fs::copy(other.mirrored_zip(), released.mirrored_zip()).unwrap();
    let tf = terraform(&released.mirror);
    tf.write(".terraform.lock.hcl", &pinned);
    let out = tf.run_err(&["init", "-input=false", "-no-color"]);
    assert!(
        flat(&out.stderr).contains(
            "doesn't match any of the checksums previously recorded in the dependency lock file"
        ),
        "{out}"
    );
    assert!(
        !tf.dir().join(".terraform/providers").join(PACKED).exists(),
        "nothing installed"
    );

    // A byte changed in the released zip: fails even without a lock file (the zip's own checksum).
    let fresh = release(
        &fake_provider(&work.path().join("fresh"), "released"),
        &work.path().join("fresh"),
    );
    let mut bytes = fs::read(fresh.mirrored_zip()).unwrap();
    // The zip's one entry: a 30-byte local header, the file name, then the deflated executable.
    let data = 30 + format!("{NAME}_v{version}").len();
    bytes[data + 2] ^= 0xff;
    fs::write(fresh.mirrored_zip(), &bytes).unwrap();
    let tf = terraform(&fresh.mirror);
    let out = tf.run_err(&["init", "-input=false", "-no-color"]);
    // Depending on the byte, inflating fails or the entry's CRC-32 does not match.
    let stderr = flat(&out.stderr);
    assert!(
        stderr.contains("Failed to install provider")
            && (stderr.contains("zip: checksum error") || stderr.contains("flate: corrupt input")),
        "{out}"
    );
    assert!(
        !tf.dir().join(".terraform.lock.hcl").exists(),
        "no lock file written for a broken package"
    );
}

/// With a key (`GPG_KEY_ID`), the sums get a detached signature that `gpg --verify` accepts; it covers the zip.
#[test]
fn with_a_gpg_key_the_sums_are_signed() {
    let work = tempfile::tempdir().unwrap();
    let gnupg = work.path().join("gnupg");
    fs::create_dir_all(&gnupg).unwrap();
    fs::set_permissions(&gnupg, fs::Permissions::from_mode(0o700)).unwrap();
    let gpg = |args: &[&str]| {
        let out = Command::new("gpg")
            .args(["--batch", "--pinentry-mode", "loopback", "--passphrase", ""])
            .args(args)
            .env("GNUPGHOME", &gnupg)
            .stdin(Stdio::null())
            .output()
            .expect("gpg is installed (Debian: gnupg)");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let key = "release@sovereign.invalid";
    let (made, stderr) = gpg(&[
        "--quick-gen-key",
        &format!("Sovereign release <{key}>"),
        "ed25519",
        "sign",
        "never",
    ]);
    assert!(made, "{stderr}");

    let binary = fake_provider(&work.path().join("bin"), "signed");
    let out_dir = work.path().join("out");
    let result = Command::new(repo_root().join("scripts/release"))
        .arg("--out")
        .arg(&out_dir)
        .env("SOVEREIGN_PROVIDER_BIN", &binary)
        .env("GPG_KEY_ID", key)
        .env("GNUPGHOME", &gnupg)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(result.status.success(), "{stderr}");
    let sums = out_dir.join(format!("{NAME}_{}_SHA256SUMS", workspace_version()));
    let signature = sums.with_file_name(format!("{NAME}_{}_SHA256SUMS.sig", workspace_version()));
    assert!(signature.is_file(), "{stderr}");
    let (verified, report) = gpg(&[
        "--verify",
        &signature.to_string_lossy(),
        &sums.to_string_lossy(),
    ]);
    assert!(verified && report.contains("Good signature"), "{report}");

    // The signature no longer verifies once the sums are edited.
    let mut text = fs::read_to_string(&sums).unwrap();
    text = text.replacen(&text[..1], if &text[..1] == "0" { "1" } else { "0" }, 1);
    fs::write(&sums, text).unwrap();
    let (verified, report) = gpg(&[
        "--verify",
        &signature.to_string_lossy(),
        &sums.to_string_lossy(),
    ]);
    assert!(!verified && report.contains("BAD signature"), "{report}");
}
