//! Signing and verification keys: KEYREF (a PEM file or `env://VAR`) for signing, a PEM
//! SubjectPublicKeyInfo for verification. ECDSA P-256 with SHA-256 (the default, what cosign
//! verifies) and Ed25519, both through aws-lc-rs.
use std::path::Path;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING, ED25519, EcdsaKeyPair, Ed25519KeyPair,
    KeyPair, UnparsedPublicKey,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{PrivateKeyDer, SubjectPublicKeyInfoDer};

use super::EvidenceError;

/// The signature algorithms a key may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// ECDSA over P-256 with SHA-256, ASN.1 DER signatures.
    EcdsaP256Sha256,
    Ed25519,
}

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::EcdsaP256Sha256 => "ECDSA P-256 SHA-256",
            Algorithm::Ed25519 => "Ed25519",
        }
    }
}

/// A private key that signs evidence.
pub enum SigningKey {
    EcdsaP256(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({})", self.algorithm().name())
    }
}

impl SigningKey {
    /// Loads KEYREF: `env://VAR` (the variable holds the PEM) or a PEM file path.
    pub fn load(keyref: &str) -> Result<SigningKey, EvidenceError> {
        let (pem, origin) = match keyref.strip_prefix("env://") {
            Some(var) => {
                let value = std::env::var(var).map_err(|e| EvidenceError::Key {
                    origin: keyref.to_string(),
                    message: match e {
                        std::env::VarError::NotPresent => {
                            format!("the environment variable {var} is not set")
                        }
                        std::env::VarError::NotUnicode(_) => {
                            format!("the environment variable {var} is not valid UTF-8")
                        }
                    },
                })?;
                (value.into_bytes(), keyref.to_string())
            }
            None => {
                let path = Path::new(keyref);
                let bytes = std::fs::read(path).map_err(|e| EvidenceError::Key {
                    origin: keyref.to_string(),
                    message: format!("cannot read it: {e}"),
                })?;
                (bytes, keyref.to_string())
            }
        };
        SigningKey::from_pem(&pem, &origin)
    }

    /// Parses a PEM private key: PKCS#8 (`PRIVATE KEY`, ECDSA P-256 or Ed25519) or SEC1
    /// (`EC PRIVATE KEY`, P-256).
    pub fn from_pem(pem: &[u8], origin: &str) -> Result<SigningKey, EvidenceError> {
        let error = |message: String| EvidenceError::Key {
            origin: origin.to_string(),
            message,
        };
        let der = PrivateKeyDer::from_pem_slice(pem).map_err(|e| {
            error(format!(
                "no PEM private key in it ({e}); expected `-----BEGIN PRIVATE KEY-----` (PKCS#8) or \
                 `-----BEGIN EC PRIVATE KEY-----` (SEC1)"
            ))
        })?;
        match der {
            PrivateKeyDer::Pkcs8(pkcs8) => {
                let bytes = pkcs8.secret_pkcs8_der();
                if let Ok(key) = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, bytes) {
                    return Ok(SigningKey::EcdsaP256(key));
                }
                Ed25519KeyPair::from_pkcs8_maybe_unchecked(bytes)
                    .map(SigningKey::Ed25519)
                    .map_err(|_| {
                        error(
                            "the PKCS#8 key is neither ECDSA P-256 nor Ed25519 (the accepted key types)"
                                .to_string(),
                        )
                    })
            }
            PrivateKeyDer::Sec1(sec1) => EcdsaKeyPair::from_private_key_der(
                &ECDSA_P256_SHA256_ASN1_SIGNING,
                sec1.secret_sec1_der(),
            )
            .map(SigningKey::EcdsaP256)
            .map_err(|e| error(format!("the EC private key is not a P-256 key ({e})"))),
            _ => Err(error(
                "an RSA key; use an ECDSA P-256 (recommended) or Ed25519 key".to_string(),
            )),
        }
    }

    pub fn algorithm(&self) -> Algorithm {
        match self {
            SigningKey::EcdsaP256(_) => Algorithm::EcdsaP256Sha256,
            SigningKey::Ed25519(_) => Algorithm::Ed25519,
        }
    }

    /// The public key as DER SubjectPublicKeyInfo.
    pub fn public_key_der(&self) -> Result<Vec<u8>, EvidenceError> {
        let der = match self {
            SigningKey::EcdsaP256(key) => key.public_key().as_der().map(|d| d.as_ref().to_vec()),
            SigningKey::Ed25519(key) => key.public_key().as_der().map(|d| d.as_ref().to_vec()),
        };
        der.map_err(|_| EvidenceError::Sign("cannot encode the public key".to_string()))
    }

    /// Signs `message` (ECDSA: ASN.1 DER signature over SHA-256 of the message).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, EvidenceError> {
        match self {
            SigningKey::EcdsaP256(key) => key
                .sign(&SystemRandom::new(), message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| EvidenceError::Sign("ECDSA signing failed".to_string())),
            SigningKey::Ed25519(key) => Ok(key.sign(message).as_ref().to_vec()),
        }
    }
}

/// A public key that verifies evidence.
#[derive(Debug, Clone)]
pub struct VerifyingKey {
    pub algorithm: Algorithm,
    /// DER SubjectPublicKeyInfo.
    pub der: Vec<u8>,
}

impl VerifyingKey {
    /// Reads a PEM `PUBLIC KEY` (SubjectPublicKeyInfo) file.
    pub fn read(path: &Path) -> Result<VerifyingKey, EvidenceError> {
        let origin = path.display().to_string();
        let pem = std::fs::read(path).map_err(|e| EvidenceError::Key {
            origin: origin.clone(),
            message: format!("cannot read it: {e}"),
        })?;
        VerifyingKey::from_pem(&pem, &origin)
    }

    pub fn from_pem(pem: &[u8], origin: &str) -> Result<VerifyingKey, EvidenceError> {
        let error = |message: String| EvidenceError::Key {
            origin: origin.to_string(),
            message,
        };
        let spki = SubjectPublicKeyInfoDer::from_pem_slice(pem).map_err(|e| {
            error(format!(
                "no PEM public key in it ({e}); expected `-----BEGIN PUBLIC KEY-----` \
                 (e.g. from `openssl pkey -pubout`)"
            ))
        })?;
        VerifyingKey::from_der(spki.as_ref())
            .ok_or_else(|| error("the public key is neither ECDSA P-256 nor Ed25519".to_string()))
    }

    /// A DER SubjectPublicKeyInfo of a P-256 or Ed25519 key.
    pub fn from_der(der: &[u8]) -> Option<VerifyingKey> {
        use aws_lc_rs::signature::ParsedPublicKey;
        let algorithm = if ParsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, der).is_ok() {
            Algorithm::EcdsaP256Sha256
        } else if der.len() > 32 && ParsedPublicKey::new(&ED25519, der).is_ok() {
            Algorithm::Ed25519
        } else {
            return None;
        };
        Some(VerifyingKey {
            algorithm,
            der: der.to_vec(),
        })
    }

    /// Whether `signature` is this key's signature over `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self.algorithm {
            Algorithm::EcdsaP256Sha256 => {
                UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &self.der)
                    .verify(message, signature)
                    .is_ok()
            }
            Algorithm::Ed25519 => UnparsedPublicKey::new(&ED25519, &self.der)
                .verify(message, signature)
                .is_ok(),
        }
    }

    /// `verificationMaterial.publicKey.hint`: base64 of the SHA-256 of the DER public key.
    pub fn hint(&self) -> String {
        public_key_hint(&self.der)
    }
}

/// Base64 of the SHA-256 of a DER SubjectPublicKeyInfo (Sigstore's public key hint).
pub fn public_key_hint(der: &[u8]) -> String {
    BASE64.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A throwaway P-256 test key in SEC1 (`openssl ecparam -name prime256v1 -genkey -noout`).
    const P256_SEC1: &str = "-----BEGIN EC PRIVATE KEY-----
MHcCAQEEILjXBR9GM8jAxvLIqoFDLSYdNfU95gTMglHGR97E7RSxoAoGCCqGSM49
AwEHoUQDQgAELiLNHfJgcDUcLL78fc6pSmRmACmia4m95/m9d1vJJKyNge3CETz/
qjcz2zalldMQPwidTwo6UzeLYNhp2GO7PA==
-----END EC PRIVATE KEY-----
";

    #[test]
    fn keys_sign_and_verify_in_both_algorithms() {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let pem = pem_of("PRIVATE KEY", pkcs8.as_ref());
        let key = SigningKey::from_pem(pem.as_bytes(), "test").unwrap();
        assert_eq!(key.algorithm(), Algorithm::EcdsaP256Sha256);
        let public = VerifyingKey::from_der(&key.public_key_der().unwrap()).unwrap();
        let sig = key.sign(b"statement").unwrap();
        assert!(public.verify(b"statement", &sig));
        assert!(!public.verify(b"statemenT", &sig));

        let ed = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let pem = pem_of("PRIVATE KEY", ed.as_ref());
        let key = SigningKey::from_pem(pem.as_bytes(), "test").unwrap();
        assert_eq!(key.algorithm(), Algorithm::Ed25519);
        let public = VerifyingKey::from_der(&key.public_key_der().unwrap()).unwrap();
        assert_eq!(public.algorithm, Algorithm::Ed25519);
        let sig = key.sign(b"statement").unwrap();
        assert!(public.verify(b"statement", &sig));
        assert!(!public.verify(b"other", &sig));
    }

    #[test]
    fn sec1_keys_load_and_bad_keys_say_why() {
        let key = SigningKey::from_pem(P256_SEC1.as_bytes(), "k.pem").unwrap();
        assert_eq!(key.algorithm(), Algorithm::EcdsaP256Sha256);
        let err = SigningKey::from_pem(b"not a key", "k.pem").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("signing key k.pem: no PEM private key in it"),
            "{err}"
        );
        let err = SigningKey::load("env://SOVEREIGN_LINT_TEST_NO_SUCH_VAR").unwrap_err();
        assert_eq!(
            err.to_string(),
            "signing key env://SOVEREIGN_LINT_TEST_NO_SUCH_VAR: the environment variable \
             SOVEREIGN_LINT_TEST_NO_SUCH_VAR is not set"
        );
    }

    fn pem_of(label: &str, der: &[u8]) -> String {
        let body = BASE64.encode(der);
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
            lines.join("\n")
        )
    }
}
