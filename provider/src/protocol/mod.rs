//! The plugin-protocol layer: go-plugin handshake, auto-mTLS and the gRPC server. It knows nothing of
//! AWS or of resources: it serves any `tfplugin6.Provider` implementation (the framework's service).
//!
//! Startup, as Terraform (go-plugin 1.7) expects it:
//! 1. `TF_PLUGIN_MAGIC_COOKIE` must be set (else a human message on stderr and exit 1);
//! 2. `PLUGIN_PROTOCOL_VERSIONS` must offer 6;
//! 3. listen on a unix socket (in `PLUGIN_UNIX_SOCKET_DIR` or the temp dir; TCP on 127.0.0.1 within
//!    `PLUGIN_MIN_PORT..=PLUGIN_MAX_PORT` if that fails);
//! 4. with `PLUGIN_CLIENT_CERT`: TLS with a fresh server certificate, ALPN h2, and only that client;
//! 5. print `1|6|NETWORK|ADDR|grpc|CERT` as the first stdout line;
//! 6. serve `tfplugin6.Provider`, `plugin.GRPCController` (Shutdown exits the process) and health.

pub mod connection;
pub mod controller;
pub mod logging;
pub mod proto;
pub mod tls;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use base64::Engine as _;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::server::NamedService;

use self::connection::{Conn, Listener};
use self::proto::tfplugin6::provider_server::{Provider as GrpcProvider, ProviderServer};

/// The go-plugin magic cookie Terraform sets for its provider plugins.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// go-plugin's core protocol version (first handshake field).
pub const CORE_PROTOCOL_VERSION: u32 = 1;
/// The Terraform plugin protocol this provider speaks.
pub const PLUGIN_PROTOCOL_VERSION: u32 = 6;
/// Upstream providers accept and send messages up to 256 MiB (tonic defaults to 4 MiB).
pub const MAX_MESSAGE_SIZE: usize = 256 * 1024 * 1024;

/// How the provider identifies itself (debug mode prints this address).
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// e.g. `registry.terraform.io/sovereign-ml/sovereign`.
    pub provider_address: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "This binary is a plugin. These are not meant to be executed directly.\n\
         Please execute the program that consumes these plugins, which will\n\
         load any plugins automatically.\n\n\
         terraform-provider-sovereign is a Terraform provider: run it through Terraform\n\
         (`terraform init`, `terraform plan`), or start it with --debug to attach Terraform\n\
         with TF_REATTACH_PROVIDERS."
    )]
    NotLaunchedByTerraform,
    #[error(
        "Terraform offered plugin protocol versions {offered:?}, but this provider speaks only \
         protocol 6: use Terraform 1.0 or later (or OpenTofu)."
    )]
    IncompatibleProtocol { offered: String },
    #[error("could not listen for Terraform: {0}")]
    Listen(std::io::Error),
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("could not start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("gRPC server failed: {0}")]
    Server(#[from] tonic::transport::Error),
    #[error("could not write the handshake to stdout: {0}")]
    Stdout(std::io::Error),
}

/// Runs the plugin until Terraform shuts it down; returns the process exit code.
/// `--debug` in the arguments starts debug mode (plaintext, prints `TF_REATTACH_PROVIDERS`).
pub fn serve<S>(service: S, options: ServeOptions) -> ExitCode
where
    S: GrpcProvider,
{
    logging::init();
    let debug = std::env::args()
        .skip(1)
        .any(|a| a == "--debug" || a == "-debug");
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{}", ServeError::Runtime(e));
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        if debug {
            serve_debug(service, &options).await
        } else {
            serve_plugin(service).await
        }
    });
    // Do not wait for lingering connections or blocking tasks: Terraform kills us after 2 s.
    runtime.shutdown_timeout(Duration::from_millis(100));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// Checks the magic cookie and the offered protocol versions.
pub fn check_environment() -> Result<(), ServeError> {
    if std::env::var(MAGIC_COOKIE_KEY).as_deref() != Ok(MAGIC_COOKIE_VALUE) {
        return Err(ServeError::NotLaunchedByTerraform);
    }
    if let Ok(offered) = std::env::var("PLUGIN_PROTOCOL_VERSIONS") {
        let speaks_6 = offered
            .split(',')
            .any(|v| v.trim().parse::<u32>() == Ok(PLUGIN_PROTOCOL_VERSION));
        if !speaks_6 && !offered.trim().is_empty() {
            return Err(ServeError::IncompatibleProtocol { offered });
        }
    }
    Ok(())
}

async fn serve_plugin<S: GrpcProvider>(service: S) -> Result<(), ServeError> {
    check_environment()?;
    let listener = Listener::bind_from_env().map_err(ServeError::Listen)?;
    let client_cert = match std::env::var("PLUGIN_CLIENT_CERT") {
        Ok(pem) if !pem.trim().is_empty() => Some(tls::parse_client_cert_pem(&pem)?),
        _ => None,
    };
    let (tls_config, cert_field) = match client_cert {
        Some(client_cert) => {
            let identity = tls::ServerIdentity::generate()?;
            let encoded =
                base64::engine::general_purpose::STANDARD_NO_PAD.encode(identity.cert_der.as_ref());
            (Some(tls::server_config(&identity, client_cert)?), encoded)
        }
        None => {
            tracing::warn!("PLUGIN_CLIENT_CERT is not set: serving without TLS");
            (None, String::new())
        }
    };
    let line = format!(
        "{CORE_PROTOCOL_VERSION}|{PLUGIN_PROTOCOL_VERSION}|{}|{}|grpc|{cert_field}\n",
        listener.network(),
        listener.address()
    );
    write_stdout(&line).map_err(ServeError::Stdout)?;
    let (shutdown, stopped) = controller::shutdown_channel(true);
    run_server(service, listener, tls_config, shutdown, stopped).await
}

async fn serve_debug<S: GrpcProvider>(
    service: S,
    options: &ServeOptions,
) -> Result<(), ServeError> {
    let listener = Listener::bind_from_env().map_err(ServeError::Listen)?;
    let reattach = serde_json::json!({
        options.provider_address.clone(): {
            "Protocol": "grpc",
            "ProtocolVersion": PLUGIN_PROTOCOL_VERSION,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": { "Network": listener.network(), "String": listener.address() }
        }
    });
    let text = format!(
        "Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable with the following:\n\n\tTF_REATTACH_PROVIDERS='{reattach}'\n\nStop the provider with Ctrl-C.\n"
    );
    write_stdout(&text).map_err(ServeError::Stdout)?;
    // In debug mode the provider outlives each Terraform run: Shutdown is ignored, Ctrl-C stops it.
    let (shutdown, stopped) = controller::shutdown_channel(false);
    let ctrl_c = shutdown.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            ctrl_c.trigger();
        }
    });
    run_server(service, listener, None, shutdown, stopped).await
}

fn write_stdout(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

async fn run_server<S: GrpcProvider>(
    service: S,
    listener: Listener,
    tls_config: Option<std::sync::Arc<rustls::ServerConfig>>,
    shutdown: controller::Shutdown,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) -> Result<(), ServeError> {
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;

    let provider = ProviderServer::new(service)
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE);
    let controller = proto::plugin::grpc_controller_server::GrpcControllerServer::new(
        controller::Controller::new(shutdown.clone()),
    );
    tracing::info!(
        service = <ProviderServer<S> as NamedService>::NAME,
        address = %listener.address(),
        "serving Terraform plugin protocol 6"
    );

    let (tx, rx) = mpsc::channel::<std::io::Result<Conn>>(16);
    let socket_path = listener.socket_path();
    tokio::spawn(connection::accept_loop(listener, tls_config, tx));

    let signal = async move {
        while !*stopped.borrow() {
            if stopped.changed().await.is_err() {
                break;
            }
        }
    };
    let server = tonic::transport::Server::builder()
        .add_service(health_service)
        .add_service(controller)
        .add_service(provider)
        .serve_with_incoming_shutdown(ReceiverStream::new(rx), signal);
    // Graceful shutdown waits for open connections, which Terraform keeps until we exit: bound it.
    let result = tokio::select! {
        r = server => r.map_err(ServeError::from),
        () = async {
            shutdown.wait().await;
            tokio::time::sleep(Duration::from_millis(300)).await;
        } => Ok(()),
    };
    if let Some(path) = socket_path {
        remove_socket(&path);
    }
    tracing::debug!("plugin server stopped");
    result
}

fn remove_socket(path: &PathBuf) {
    let _ = std::fs::remove_file(path);
}
