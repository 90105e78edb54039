//! terraform-provider-sovereign: started by Terraform (go-plugin handshake) or with `--debug`.
//! `--version` prints `terraform-provider-sovereign v<version>` (the workspace version, the one `scripts/release`
//! puts in the file names) and exits.

use std::process::ExitCode;

fn main() -> ExitCode {
    if std::env::args()
        .skip(1)
        .any(|a| a == "--version" || a == "-version")
    {
        println!(
            "terraform-provider-sovereign v{}",
            env!("CARGO_PKG_VERSION")
        );
        return ExitCode::SUCCESS;
    }
    sovereign_provider::framework::serve(sovereign_provider::sovereign::SovereignProvider)
}
