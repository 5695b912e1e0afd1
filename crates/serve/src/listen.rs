//! The HTTP listener: accepts connections under a cap and serves each with hyper's
//! HTTP/1 server, so a slow or hostile client cannot hold the server. A client that
//! has not sent its request headers within `serve.header_read_timeout_secs` is
//! dropped; a request not answered within `serve.request_timeout_secs` (its body
//! trickling in included) gets 408; bodies over `serve.max_body_bytes` get 413;
//! past `serve.max_connections` open connections new ones are closed at once, and past
//! `serve.max_concurrent_requests` requests wait their turn. Shutdown stops accepting
//! and lets open connections finish their request.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use config::serve::ServeConfig;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

/// How long shutdown waits for open connections.
const DRAIN: Duration = Duration::from_secs(10);

/// `app` with the request limits of `cfg` around it.
pub fn limited(app: Router, cfg: &ServeConfig) -> Router {
    let timeout = Duration::from_secs(cfg.request_timeout_secs.max(1));
    app.layer(tower_http::limit::RequestBodyLimitLayer::new(
        cfg.max_body_bytes,
    ))
    .layer(tower_http::timeout::TimeoutLayer::with_status_code(
        http::StatusCode::REQUEST_TIMEOUT,
        timeout,
    ))
    .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
        cfg.max_concurrent_requests.max(1),
    ))
}

/// Serves `app` on `listener` until `shutdown` is cancelled.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    cfg: &ServeConfig,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let connections = Arc::new(Semaphore::new(cfg.max_connections.max(1)));
    let header_timeout = Duration::from_secs(cfg.header_read_timeout_secs.max(1));
    let graceful = GracefulShutdown::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = shutdown.cancelled() => break,
        };
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            tracing::warn!(%peer, max = cfg.max_connections, "connection refused: serve.max_connections open");
            drop(stream);
            continue;
        };
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            .keep_alive(true);
        let conn =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "connection ended");
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after {DRAIN:?}; closing them");
    }
    Ok(())
}
