//! Listening (unix socket, TCP fallback) and turning accepted sockets into (TLS) connections
//! tonic can serve.

use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::mpsc;
use tonic::transport::server::Connected;

/// The socket Terraform connects to.
pub enum Listener {
    Unix {
        listener: UnixListener,
        path: PathBuf,
    },
    Tcp {
        listener: TcpListener,
        address: String,
    },
}

impl Listener {
    /// A unix socket in `PLUGIN_UNIX_SOCKET_DIR` (or the temp dir); TCP on 127.0.0.1 within
    /// `PLUGIN_MIN_PORT..=PLUGIN_MAX_PORT` when a unix socket cannot be created.
    pub fn bind_from_env() -> io::Result<Listener> {
        let dir = std::env::var_os("PLUGIN_UNIX_SOCKET_DIR")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        match bind_unix(&dir) {
            Ok(l) => Ok(l),
            Err(e) => {
                tracing::warn!(error = %e, "unix socket unavailable, falling back to TCP");
                bind_tcp()
            }
        }
    }

    pub fn network(&self) -> &'static str {
        match self {
            Listener::Unix { .. } => "unix",
            Listener::Tcp { .. } => "tcp",
        }
    }

    pub fn address(&self) -> String {
        match self {
            Listener::Unix { path, .. } => path.display().to_string(),
            Listener::Tcp { address, .. } => address.clone(),
        }
    }

    pub fn socket_path(&self) -> Option<PathBuf> {
        match self {
            Listener::Unix { path, .. } => Some(path.clone()),
            Listener::Tcp { .. } => None,
        }
    }

    async fn accept(&self) -> io::Result<Box<dyn Io>> {
        match self {
            Listener::Unix { listener, .. } => Ok(Box::new(listener.accept().await?.0)),
            Listener::Tcp { listener, .. } => {
                let (stream, _) = listener.accept().await?;
                let _ = stream.set_nodelay(true);
                Ok(Box::new(stream))
            }
        }
    }
}

fn bind_unix(dir: &std::path::Path) -> io::Result<Listener> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let path = dir.join(format!(
        "plugin-sovereign-{}-{nanos:09}",
        std::process::id()
    ));
    let listener = UnixListener::bind(&path)?;
    Ok(Listener::Unix { listener, path })
}

fn bind_tcp() -> io::Result<Listener> {
    let port_env = |name: &str, default: u16| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.trim().parse::<u16>().ok())
            .unwrap_or(default)
    };
    let (min, max) = (
        port_env("PLUGIN_MIN_PORT", 0),
        port_env("PLUGIN_MAX_PORT", 0),
    );
    let mut last_error = io::Error::new(io::ErrorKind::AddrNotAvailable, "no port in range");
    let ports: Vec<u16> = if min == 0 || max < min {
        vec![0]
    } else {
        (min..=max).collect()
    };
    for port in ports {
        match std::net::TcpListener::bind(("127.0.0.1", port)) {
            Ok(std_listener) => {
                std_listener.set_nonblocking(true)?;
                let address = std_listener.local_addr()?.to_string();
                let listener = TcpListener::from_std(std_listener)?;
                return Ok(Listener::Tcp { listener, address });
            }
            Err(e) => last_error = e,
        }
    }
    Err(last_error)
}

/// Any byte stream we can serve gRPC over.
pub trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

/// An accepted connection (plain or TLS), in the form tonic's `serve_with_incoming` wants.
pub struct Conn(Box<dyn Io>);

impl Connected for Conn {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }
}

/// Accepts connections forever, completing TLS handshakes off the accept path; failed handshakes
/// (a client without the pinned certificate) are logged and dropped.
pub async fn accept_loop(
    listener: Listener,
    tls: Option<Arc<rustls::ServerConfig>>,
    tx: mpsc::Sender<io::Result<Conn>>,
) {
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    loop {
        let stream = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let tx = tx.clone();
        match &acceptor {
            None => {
                if tx.send(Ok(Conn(stream))).await.is_err() {
                    return;
                }
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    match acceptor.accept(stream).await {
                        Ok(tls_stream) => {
                            let _ = tx.send(Ok(Conn(Box::new(tls_stream)))).await;
                        }
                        Err(e) => tracing::warn!(error = %e, "refused a TLS connection"),
                    }
                });
            }
        }
    }
}
