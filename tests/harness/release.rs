//! The provider's release artifacts as users install them: `scripts/release --out DIR --mirror DIR` run on the
//! binary the harness built, the names it gives, and the filesystem-mirror CLI configuration docs/install.md shows.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{hcl_string, repo_root, workspace_version};

pub const NAME: &str = "terraform-provider-sovereign";
/// The packed filesystem-mirror directory of the provider, relative to the mirror root.
pub const PACKED: &str = "registry.terraform.io/sovereign-ml/sovereign";

/// This machine's Terraform platform, e.g. `linux_amd64`.
pub fn platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("{}_{arch}", std::env::consts::OS)
}

/// The output of one `scripts/release` run.
pub struct Release {
    pub out: PathBuf,
    pub mirror: PathBuf,
    pub stderr: String,
}

impl Release {
    pub fn zip_name(&self) -> String {
        format!("{NAME}_{}_{}.zip", workspace_version(), platform())
    }

    pub fn mirrored_zip(&self) -> PathBuf {
        self.mirror.join(PACKED).join(self.zip_name())
    }

    /// The `SHA256SUMS` lines as (hash, file name).
    pub fn sums(&self) -> Vec<(String, String)> {
        let path = self
            .out
            .join(format!("{NAME}_{}_SHA256SUMS", workspace_version()));
        fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
            .lines()
            .map(|line| {
                let (hash, file) = line.split_once("  ").expect("`<sha256>  <file>` lines");
                (hash.to_string(), file.to_string())
            })
            .collect()
    }

    /// The SHA256SUMS entry of this platform's zip.
    pub fn zip_sha256(&self) -> String {
        let zip = self.zip_name();
        self.sums()
            .into_iter()
            .find(|(_, file)| *file == zip)
            .unwrap_or_else(|| panic!("{zip} not in SHA256SUMS: {:?}", self.sums()))
            .0
    }
}

/// Runs `scripts/release --out DIR/out --mirror DIR/mirror` on `binary` (via SOVEREIGN_PROVIDER_BIN), no GPG key.
pub fn release(binary: &Path, dir: &Path) -> Release {
    let out = dir.join("out");
    let mirror = dir.join("mirror");
    let result = Command::new(repo_root().join("scripts/release"))
        .arg("--out")
        .arg(&out)
        .arg("--mirror")
        .arg(&mirror)
        .env("SOVEREIGN_PROVIDER_BIN", binary)
        .env_remove("GPG_KEY_ID")
        .stdin(Stdio::null())
        .output()
        .expect("run scripts/release");
    let stderr = String::from_utf8_lossy(&result.stderr).into_owned();
    assert!(
        result.status.success(),
        "scripts/release failed ({}):\n{stderr}",
        result.status
    );
    Release {
        out,
        mirror,
        stderr,
    }
}

/// The CLI configuration docs/install.md tells air-gapped users to write.
pub fn mirror_cli_config(mirror: &Path) -> String {
    format!(
        r#"provider_installation {{
  filesystem_mirror {{
    path    = {}
    include = ["registry.terraform.io/sovereign-ml/*"]
  }}
  direct {{
    exclude = ["registry.terraform.io/sovereign-ml/*"]
  }}
}}
"#,
        hcl_string(&mirror.to_string_lossy())
    )
}
