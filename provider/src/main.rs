//! terraform-provider-sovereign: started by Terraform (go-plugin handshake) or with `--debug`.

use std::process::ExitCode;

fn main() -> ExitCode {
    sovereign_provider::framework::serve(sovereign_provider::sovereign::SovereignProvider)
}
