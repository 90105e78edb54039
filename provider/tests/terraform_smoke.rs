//! Terraform itself loads the built provider through `dev_overrides` (mTLS handshake, schema,
//! shutdown). Runs when a `terraform` binary is on PATH (or `TERRAFORM` names one); the end-to-end
//! suite in `tests/` covers the pinned Terraform 1.15.5.

use std::path::{Path, PathBuf};
use std::process::Command;

fn terraform() -> Option<PathBuf> {
    if let Some(explicit) = std::env::var_os("TERRAFORM") {
        return Some(PathBuf::from(explicit));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("terraform"))
        .find(|candidate| candidate.is_file())
}

#[test]
fn terraform_reads_the_provider_schema_through_dev_overrides() {
    let Some(terraform) = terraform() else {
        eprintln!("terraform not found on PATH: nothing to check here");
        return;
    };
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-sovereign"));
    let binary_dir = binary.parent().unwrap();
    let work = tempfile::tempdir().unwrap();
    let cli_config = work.path().join("cli.tfrc");
    std::fs::write(
        &cli_config,
        format!(
            "provider_installation {{\n  dev_overrides {{\n    \"registry.terraform.io/sovereign-ml/sovereign\" = {:?}\n  }}\n  direct {{}}\n}}\n",
            binary_dir.display().to_string()
        ),
    )
    .unwrap();
    std::fs::write(
        work.path().join("main.tf"),
        "terraform {\n  required_providers {\n    sovereign = { source = \"registry.terraform.io/sovereign-ml/sovereign\" }\n  }\n}\n",
    )
    .unwrap();
    let output = run(
        &terraform,
        work.path(),
        &cli_config,
        &["providers", "schema", "-json"],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "terraform failed:\n{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let schema = &json["provider_schemas"]["registry.terraform.io/sovereign-ml/sovereign"];
    assert!(
        schema["provider"].is_object(),
        "provider schema missing: {stdout}"
    );
}

fn run(terraform: &Path, dir: &Path, cli_config: &Path, args: &[&str]) -> std::process::Output {
    Command::new(terraform)
        .args(args)
        .current_dir(dir)
        .env("TF_CLI_CONFIG_FILE", cli_config)
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1")
        .env_remove("TF_LOG")
        .output()
        .unwrap()
}
