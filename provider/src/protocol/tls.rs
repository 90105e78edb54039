//! Auto-mTLS as go-plugin does it: the plugin makes a throw-away self-signed server certificate
//! (sent to Terraform in the handshake line) and accepts exactly one client: the certificate
//! Terraform put in `PLUGIN_CLIENT_CERT`.
//!
//! Terraform's client certificate is a self-signed ECDSA P-521 CA certificate. Stock webpki path
//! validation refuses a CA certificate as an end entity (and *ring* cannot verify P-521), so the
//! verifier below pins the exact DER bytes and verifies the handshake signature against that
//! certificate's key with aws-lc-rs.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("could not generate the server certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    #[error("PLUGIN_CLIENT_CERT does not hold a PEM certificate")]
    NoClientCertificate,
    #[error("PLUGIN_CLIENT_CERT is not valid PEM: {0}")]
    ClientCertificatePem(std::io::Error),
    #[error("TLS configuration failed: {0}")]
    Rustls(#[from] rustls::Error),
}

/// The plugin's server certificate and key.
pub struct ServerIdentity {
    pub cert_der: CertificateDer<'static>,
    key_der: PrivatePkcs8KeyDer<'static>,
}

impl ServerIdentity {
    /// A fresh self-signed ECDSA P-256 certificate for `localhost`, usable for serverAuth.
    pub fn generate() -> Result<ServerIdentity, TlsError> {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
            KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
        };
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::new(vec!["localhost".to_string()])?;
        params
            .distinguished_name
            .push(DnType::OrganizationName, "terraform-provider-sovereign");
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        // go-plugin's client puts this certificate in its root pool, so it acts as its own CA.
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
            KeyUsagePurpose::KeyCertSign,
        ];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let cert = params.self_signed(&key)?;
        Ok(ServerIdentity {
            cert_der: cert.der().clone(),
            key_der: PrivatePkcs8KeyDer::from(key.serialize_der()),
        })
    }
}

/// Parses the first certificate of a PEM document (the `PLUGIN_CLIENT_CERT` value).
pub fn parse_client_cert_pem(pem: &str) -> Result<CertificateDer<'static>, TlsError> {
    let mut reader = std::io::BufReader::new(pem.as_bytes());
    match rustls_pemfile::certs(&mut reader).next() {
        Some(Ok(cert)) => Ok(cert),
        Some(Err(e)) => Err(TlsError::ClientCertificatePem(e)),
        None => Err(TlsError::NoClientCertificate),
    }
}

/// Accepts only the pinned client certificate; verifies handshake signatures with aws-lc-rs.
#[derive(Debug)]
pub struct PinnedClientCertVerifier {
    pinned: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedClientCertVerifier {
    pub fn new(pinned: CertificateDer<'static>) -> PinnedClientCertVerifier {
        PinnedClientCertVerifier {
            pinned,
            algorithms: rustls::crypto::aws_lc_rs::default_provider()
                .signature_verification_algorithms,
        }
    }

    fn check_pinned(&self, cert: &CertificateDer<'_>) -> Result<(), rustls::Error> {
        if cert.as_ref() == self.pinned.as_ref() {
            Ok(())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }
}

impl ClientCertVerifier for PinnedClientCertVerifier {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.check_pinned(end_entity)?;
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.check_pinned(cert)?;
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.check_pinned(cert)?;
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }
}

/// The rustls server configuration: our certificate, the pinned client, ALPN `h2`.
pub fn server_config(
    identity: &ServerIdentity,
    client_cert: CertificateDer<'static>,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let provider = Arc::new(aws_lc_rs_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(Arc::new(PinnedClientCertVerifier::new(client_cert)))
        .with_single_cert(
            vec![identity.cert_der.clone()],
            PrivateKeyDer::Pkcs8(identity.key_der.clone_key()),
        )?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

fn aws_lc_rs_provider() -> CryptoProvider {
    rustls::crypto::aws_lc_rs::default_provider()
}
