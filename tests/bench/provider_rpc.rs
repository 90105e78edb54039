//! Times the provider's `GetProviderSchema` RPC for `scripts/bench-provider`.
//!
//! `cargo run -p sovereign-e2e --example provider_rpc -- PROVIDER_BINARY [CALLS]` starts the provider the way
//! go-plugin does but without `PLUGIN_CLIENT_CERT` (plaintext gRPC over its unix socket: TLS costs are per
//! connection, not per call, and the handshake is timed separately), calls GetProviderSchema once (cold: the
//! first call builds and encodes every schema) and then CALLS more times (warm), asks the provider to shut down,
//! and prints one JSON object with the figures in milliseconds and the provider's peak RSS (`VmHWM`) read from
//! /proc just before shutdown.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hyper_util::rt::TokioIo;
use prost::Message as _;
use sovereign_provider::protocol::proto::plugin::Empty;
use sovereign_provider::protocol::proto::plugin::grpc_controller_client::GrpcControllerClient;
use sovereign_provider::protocol::proto::tfplugin6::get_provider_schema;
use sovereign_provider::protocol::proto::tfplugin6::provider_client::ProviderClient;
use tonic::transport::{Channel, Endpoint};

const MAGIC_COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), BoxError> {
    let mut args = std::env::args().skip(1);
    let binary = PathBuf::from(
        args.next()
            .ok_or("usage: provider_rpc PROVIDER_BINARY [CALLS]")?,
    );
    let calls: usize = match args.next() {
        Some(n) => n.parse()?,
        None => 200,
    };
    let socket_dir = tempfile::tempdir()?;
    let mut child = Command::new(&binary)
        .env("TF_PLUGIN_MAGIC_COOKIE", MAGIC_COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .env("PLUGIN_UNIX_SOCKET_DIR", socket_dir.path())
        .env_remove("PLUGIN_CLIENT_CERT")
        .env_remove("TF_LOG")
        .env_remove("TF_LOG_PROVIDER")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let pid = child.id();
    let stdout = child.stdout.take().ok_or("no stdout pipe")?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let fields: Vec<String> = line.trim_end().split('|').map(str::to_string).collect();
    if fields.len() != 6 {
        let _ = child.kill();
        let _ = child.wait();
        return Err(format!("unexpected handshake line {line:?}").into());
    }
    let (network, address) = (fields[2].clone(), fields[3].clone());

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(async move {
        let channel = connect(&network, &address).await?;
        let mut provider = ProviderClient::new(channel.clone())
            .max_decoding_message_size(256 << 20)
            .max_encoding_message_size(256 << 20);

        let started = Instant::now();
        let first = provider
            .get_provider_schema(get_provider_schema::Request {})
            .await?
            .into_inner();
        let cold = started.elapsed();
        let mut warm = Vec::with_capacity(calls);
        for _ in 0..calls {
            let started = Instant::now();
            provider
                .get_provider_schema(get_provider_schema::Request {})
                .await?;
            warm.push(started.elapsed());
        }
        let peak_rss_kib = peak_rss_kib(pid);
        let _ = GrpcControllerClient::new(channel).shutdown(Empty {}).await;
        Ok::<_, BoxError>((first, cold, warm, peak_rss_kib))
    });
    let (first, cold, mut warm, peak_rss_kib) = match result {
        Ok(figures) => figures,
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(e);
        }
    };
    // The provider exits by itself after Shutdown; do not leave it behind if it does not.
    let deadline = Instant::now() + Duration::from_secs(5);
    while child.try_wait()?.is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }

    warm.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let percentile = |p: f64| {
        warm.get(((warm.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .map(ms)
    };
    let report = serde_json::json!({
        "cold_ms": ms(cold),
        "warm_calls": warm.len(),
        "warm_median_ms": percentile(0.5),
        "warm_p90_ms": percentile(0.9),
        "warm_min_ms": warm.first().copied().map(ms),
        "response_bytes": first.encoded_len(),
        "resource_types": first.resource_schemas.len(),
        "data_source_types": first.data_source_schemas.len(),
        "peak_rss_kib": peak_rss_kib,
    });
    println!("{report}");
    Ok(())
}

async fn connect(network: &str, address: &str) -> Result<Channel, BoxError> {
    match network {
        "unix" => {
            let path = PathBuf::from(address);
            Ok(Endpoint::try_from("http://localhost")?
                .connect_with_connector(tower::service_fn(move |_| {
                    let path = path.clone();
                    async move {
                        let socket = tokio::net::UnixStream::connect(path).await?;
                        Ok::<_, std::io::Error>(TokioIo::new(socket))
                    }
                }))
                .await?)
        }
        "tcp" => Ok(Endpoint::try_from(format!("http://{address}"))?
            .connect()
            .await?),
        other => Err(format!("unknown network {other:?}").into()),
    }
}

/// `VmHWM` (peak resident set) of a process, from /proc (Linux only).
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
