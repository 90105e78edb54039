//! The Sigstore bundle v0.3 (protobuf-specs JSON form) around a DSSE envelope, and DSSE's
//! pre-authentication encoding (PAE), which is what is signed.
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use super::keys::{SigningKey, public_key_hint};
use super::{EvidenceError, IN_TOTO_PAYLOAD_TYPE};

/// `mediaType` of a Sigstore bundle v0.3.
pub const BUNDLE_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

/// DSSE v1 pre-authentication encoding:
/// `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths in ASCII decimal.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + payload_type.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

/// A Sigstore bundle, as much of it as evidence uses (other fields are ignored when read).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    pub media_type: String,
    pub verification_material: VerificationMaterial,
    pub dsse_envelope: Envelope,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationMaterial {
    pub public_key: PublicKeyIdentifier,
    /// Always empty: evidence is verified offline with the key, without a transparency log.
    #[serde(default)]
    pub tlog_entries: Vec<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublicKeyIdentifier {
    pub hint: String,
}

/// A DSSE envelope (payload and signatures base64, standard alphabet with padding).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    pub payload: String,
    pub payload_type: String,
    pub signatures: Vec<EnvelopeSignature>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnvelopeSignature {
    pub sig: String,
    #[serde(default)]
    pub keyid: String,
}

impl Bundle {
    /// Signs `statement` (the in-toto Statement's JSON bytes) into a bundle.
    pub fn sign(statement: &[u8], key: &SigningKey) -> Result<Bundle, EvidenceError> {
        let signature = key.sign(&pae(IN_TOTO_PAYLOAD_TYPE, statement))?;
        Ok(Bundle {
            media_type: BUNDLE_MEDIA_TYPE.to_string(),
            verification_material: VerificationMaterial {
                public_key: PublicKeyIdentifier {
                    hint: public_key_hint(&key.public_key_der()?),
                },
                tlog_entries: Vec::new(),
            },
            dsse_envelope: Envelope {
                payload: BASE64.encode(statement),
                payload_type: IN_TOTO_PAYLOAD_TYPE.to_string(),
                signatures: vec![EnvelopeSignature {
                    sig: BASE64.encode(signature),
                    keyid: String::new(),
                }],
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_dsse_specification_example() {
        // The DSSE protocol document's example: type `http://example.com/HelloWorld`, body `hello world`.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ");
    }
}
