//! The go-plugin handshake and auto-mTLS, exercised against the real binary the way Terraform
//! starts it: magic cookie, a self-signed P-521 CA client certificate, a unix socket, TLS with
//! ALPN h2, gRPC health, and Shutdown.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sovereign_provider::protocol::proto::plugin::Empty;
use sovereign_provider::protocol::proto::plugin::grpc_controller_client::GrpcControllerClient;
use sovereign_provider::protocol::proto::tfplugin6::get_provider_schema;
use sovereign_provider::protocol::proto::tfplugin6::provider_client::ProviderClient;
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus};

const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// A client certificate like Terraform's: self-signed ECDSA P-521, IsCA, CN/SAN localhost.
struct ClientIdentity {
    pem: String,
    der: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
}

fn terraform_like_client_cert() -> ClientIdentity {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, PKCS_ECDSA_P521_SHA512,
    };
    let key = KeyPair::generate_for(&PKCS_ECDSA_P521_SHA512).unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params
        .distinguished_name
        .push(DnType::OrganizationName, "HashiCorp");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).unwrap();
    ClientIdentity {
        pem: cert.pem(),
        der: cert.der().clone(),
        key: PrivatePkcs8KeyDer::from(key.serialize_der()),
    }
}

struct Plugin {
    child: Child,
    network: String,
    address: String,
    server_cert: Vec<u8>,
}

impl Drop for Plugin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_plugin(client_cert_pem: Option<&str>, socket_dir: &std::path::Path) -> Plugin {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_terraform-provider-sovereign"));
    cmd.env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .env("PLUGIN_UNIX_SOCKET_DIR", socket_dir)
        .env_remove("PLUGIN_CLIENT_CERT")
        .env_remove("TF_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(pem) = client_cert_pem {
        cmd.env("PLUGIN_CLIENT_CERT", pem);
    }
    let mut child = cmd.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let fields: Vec<&str> = line.trim_end_matches('\n').split('|').collect();
    assert_eq!(fields.len(), 6, "handshake line: {line:?}");
    assert_eq!(fields[0], "1", "core protocol version");
    assert_eq!(fields[1], "6", "plugin protocol version");
    assert_eq!(fields[4], "grpc");
    let server_cert = if fields[5].is_empty() {
        Vec::new()
    } else {
        assert!(
            !fields[5].contains('='),
            "certificate must be unpadded base64"
        );
        base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(fields[5])
            .unwrap()
    };
    Plugin {
        child,
        network: fields[2].to_string(),
        address: fields[3].to_string(),
        server_cert,
    }
}

/// Verifies the server by the certificate from the handshake line, like go-plugin does.
#[derive(Debug)]
struct PinnedServer(Vec<u8>);

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.0.as_slice() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "server certificate differs from handshake".into(),
            ))
        }
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algs = rustls::crypto::aws_lc_rs::default_provider().signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(m, c, d, &algs)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algs = rustls::crypto::aws_lc_rs::default_provider().signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(m, c, d, &algs)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        rustls::crypto::aws_lc_rs::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

fn client_config(
    server_cert: &[u8],
    identity: Option<&ClientIdentity>,
) -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedServer(server_cert.to_vec())));
    let mut config = match identity {
        Some(id) => builder
            .with_client_auth_cert(
                vec![id.der.clone()],
                PrivateKeyDer::Pkcs8(id.key.clone_key()),
            )
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    Arc::new(config)
}

/// Connects over TLS to the plugin's socket and returns a gRPC channel plus the negotiated ALPN.
async fn connect_tls(
    plugin: &Plugin,
    identity: Option<&ClientIdentity>,
) -> Result<(Channel, Option<Vec<u8>>), String> {
    assert_eq!(plugin.network, "unix");
    let path = PathBuf::from(&plugin.address);
    let config = client_config(&plugin.server_cert, identity);
    let alpn = Arc::new(std::sync::Mutex::new(None));
    let alpn_out = Arc::clone(&alpn);
    let channel = Endpoint::try_from("http://localhost")
        .unwrap()
        .connect_with_connector(tower::service_fn(move |_| {
            let (path, config, alpn) = (path.clone(), Arc::clone(&config), Arc::clone(&alpn_out));
            async move {
                let socket = tokio::net::UnixStream::connect(path).await?;
                let connector = tokio_rustls::TlsConnector::from(config);
                let name = ServerName::try_from("localhost").unwrap();
                let tls = connector.connect(name, socket).await?;
                *alpn.lock().unwrap() = tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
                Ok::<_, std::io::Error>(TokioIo::new(tls))
            }
        }))
        .await
        .map_err(|e| format!("connect: {e:?}"))?;
    let negotiated = alpn.lock().unwrap().clone();
    Ok((channel, negotiated))
}

async fn health(channel: Channel) -> Result<i32, String> {
    let response = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: "plugin".into(),
        })
        .await
        .map_err(|e| format!("health: {e}"))?;
    Ok(response.into_inner().status)
}

#[tokio::test]
async fn terraform_client_certificate_is_accepted_with_alpn_h2() {
    let dir = tempfile::tempdir().unwrap();
    let client = terraform_like_client_cert();
    let plugin = start_plugin(Some(&client.pem), dir.path());
    assert!(
        !plugin.server_cert.is_empty(),
        "handshake carries the server certificate"
    );
    assert!(plugin.address.starts_with(dir.path().to_str().unwrap()));

    let (channel, alpn) = connect_tls(&plugin, Some(&client)).await.unwrap();
    assert_eq!(alpn.as_deref(), Some(&b"h2"[..]));
    assert_eq!(
        health(channel.clone()).await.unwrap(),
        ServingStatus::Serving as i32
    );

    // An RPC this provider does not serve (provider functions) answers UNIMPLEMENTED.
    let mut raw = tonic::client::Grpc::new(channel.clone());
    raw.ready().await.unwrap();
    let status = raw
        .unary::<Empty, Empty, _>(
            tonic::Request::new(Empty {}),
            tonic::codegen::http::uri::PathAndQuery::from_static(
                "/tfplugin6.Provider/GetFunctions",
            ),
            tonic_prost::ProstCodec::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unimplemented);

    let schema = ProviderClient::new(channel)
        .get_provider_schema(get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    assert!(schema.provider.is_some(), "provider schema present");
    let caps = schema.server_capabilities.unwrap();
    assert!(!caps.plan_destroy);
}

#[tokio::test]
async fn client_without_certificate_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let client = terraform_like_client_cert();
    let plugin = start_plugin(Some(&client.pem), dir.path());
    let outcome = match connect_tls(&plugin, None).await {
        Ok((channel, _)) => health(channel).await,
        Err(e) => Err(e),
    };
    assert!(
        outcome.is_err(),
        "a client without a certificate got an answer: {outcome:?}"
    );
}

#[tokio::test]
async fn client_with_another_p521_certificate_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let terraform = terraform_like_client_cert();
    let intruder = terraform_like_client_cert();
    let plugin = start_plugin(Some(&terraform.pem), dir.path());
    let outcome = match connect_tls(&plugin, Some(&intruder)).await {
        Ok((channel, _)) => health(channel).await,
        Err(e) => Err(e),
    };
    assert!(
        outcome.is_err(),
        "an unknown client certificate got an answer: {outcome:?}"
    );
}

#[tokio::test]
async fn shutdown_rpc_makes_the_process_exit() {
    let dir = tempfile::tempdir().unwrap();
    let client = terraform_like_client_cert();
    let mut plugin = start_plugin(Some(&client.pem), dir.path());
    let (channel, _) = connect_tls(&plugin, Some(&client)).await.unwrap();
    GrpcControllerClient::new(channel)
        .shutdown(Empty {})
        .await
        .unwrap();

    // Generous bound (Terraform's own is 2 s); the assertion is that it exits at all.
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = plugin.child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let status = status.expect("the plugin did not exit after Shutdown");
    assert!(status.success(), "exit status {status:?}");
    assert!(
        !PathBuf::from(&plugin.address).exists(),
        "socket file removed"
    );
}

#[tokio::test]
async fn without_client_certificate_env_it_serves_plaintext() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = start_plugin(None, dir.path());
    assert!(
        plugin.server_cert.is_empty(),
        "no certificate field without PLUGIN_CLIENT_CERT"
    );
    let path = PathBuf::from(&plugin.address);
    let channel = Endpoint::try_from("http://localhost")
        .unwrap()
        .connect_with_connector(tower::service_fn(move |_| {
            let path = path.clone();
            async move {
                let socket = tokio::net::UnixStream::connect(path).await?;
                Ok::<_, std::io::Error>(TokioIo::new(socket))
            }
        }))
        .await
        .unwrap();
    assert_eq!(
        health(channel).await.unwrap(),
        ServingStatus::Serving as i32
    );
}

#[test]
fn without_magic_cookie_it_explains_and_exits_1() {
    let output = Command::new(env!("CARGO_BIN_EXE_terraform-provider-sovereign"))
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "nothing on stdout");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("This binary is a plugin"),
        "stderr: {stderr}"
    );
    assert!(stderr.contains("Terraform"), "stderr: {stderr}");
}

#[test]
fn protocol_5_only_is_refused() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_terraform-provider-sovereign"))
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    assert!(stderr.contains("protocol 6"), "stderr: {stderr}");
}
