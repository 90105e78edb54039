//! `plugin.GRPCController/Shutdown`: Terraform's request that the plugin exit (it kills the process
//! 2 s later otherwise).

use std::sync::Arc;

use tokio::sync::watch;

use super::proto::plugin::Empty;
use super::proto::plugin::grpc_controller_server::GrpcController;

/// A shutdown trigger shared by the controller service, signal handlers and the server loop.
#[derive(Clone)]
pub struct Shutdown {
    tx: Arc<watch::Sender<bool>>,
    honour_rpc: bool,
}

/// A trigger and the receiver the server watches. `honour_rpc` = false (debug mode) ignores the RPC.
pub fn shutdown_channel(honour_rpc: bool) -> (Shutdown, watch::Receiver<bool>) {
    let (tx, rx) = watch::channel(false);
    (
        Shutdown {
            tx: Arc::new(tx),
            honour_rpc,
        },
        rx,
    )
}

impl Shutdown {
    pub fn trigger(&self) {
        let _ = self.tx.send(true);
    }
    /// Resolves once triggered.
    pub async fn wait(&self) {
        let mut rx = self.tx.subscribe();
        while !*rx.borrow_and_update() {
            if rx.changed().await.is_err() {
                return;
            }
        }
    }
}

pub struct Controller {
    shutdown: Shutdown,
}

impl Controller {
    pub fn new(shutdown: Shutdown) -> Controller {
        Controller { shutdown }
    }
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(
        &self,
        _request: tonic::Request<Empty>,
    ) -> Result<tonic::Response<Empty>, tonic::Status> {
        if self.shutdown.honour_rpc {
            tracing::debug!("Terraform requested shutdown");
            let shutdown = self.shutdown.clone();
            // Answer first, then stop: the response must reach Terraform before the socket closes.
            tokio::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                shutdown.trigger();
            });
        } else {
            tracing::debug!("Shutdown ignored in debug mode");
        }
        Ok(tonic::Response::new(Empty {}))
    }
}
