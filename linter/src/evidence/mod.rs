//! Evidence bundles for auditors (SPEC §3 "Evidence bundles", docs/evidence.md).
//!
//! `--attest` turns a finished run ([`crate::report::Report`]) into an in-toto Statement v1 whose
//! predicate is a SLSA verification summary with the lint result, signs it into a DSSE envelope
//! inside a Sigstore bundle v0.3, and writes it; `verify` checks such a bundle offline.
//! - [`statement`]: the Statement, predicate and extension types (written and read);
//! - [`attest`]: gathers subjects, policies, inputs and suppressions from a run;
//! - [`bundle`]: DSSE pre-authentication encoding and the bundle;
//! - [`keys`]: KEYREF and public keys (ECDSA P-256, Ed25519; aws-lc-rs);
//! - [`verify`]: the checks of `sovereign-lint verify`.
pub mod attest;
pub mod bundle;
pub mod keys;
pub mod statement;
pub mod verify;

use std::io::Read;
use std::path::Path;

pub use attest::{AttestOptions, write_evidence};
pub use verify::{Check, Verified, VerifyError, VerifyOptions, verify};

/// The DSSE payload type of an in-toto Statement.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// Why evidence could not be written, or a key not loaded.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error("signing key {origin}: {message}")]
    Key { origin: String, message: String },
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write the evidence to {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot sign the evidence: {0}")]
    Sign(String),
}

impl miette::Diagnostic for EvidenceError {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new("sovereign-lint::evidence"))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        let help = match self {
            EvidenceError::Key { .. } => {
                "--signing-key takes a PEM file (PKCS#8 `PRIVATE KEY` or SEC1 `EC PRIVATE KEY`, \
                 ECDSA P-256 or Ed25519) or env://VAR naming a variable that holds the PEM; \
                 make one with `openssl ecparam -name prime256v1 -genkey -noout -out key.pem`"
            }
            EvidenceError::Read { .. } => {
                "the file was linted but cannot be read again to digest it"
            }
            EvidenceError::Write { .. } => "check that the directory exists and is writable",
            EvidenceError::Sign(_) => "check the signing key",
        };
        Some(Box::new(help))
    }
}

/// Lower-case hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes).as_ref())
}

/// Lower-case hex SHA-256 of a file, read in chunks (a plan may be hundreds of megabytes).
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut context = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        context.update(&buffer[..n]);
    }
    Ok(hex(context.finish().as_ref()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_lower_case_hex_sha256() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("x");
        std::fs::write(&file, b"abc").unwrap();
        assert_eq!(sha256_file(&file).unwrap(), sha256_hex(b"abc"));
    }
}
