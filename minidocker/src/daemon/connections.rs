//! Serving the connections of one listener: HTTP/1.1 (what Docker's clients speak, upgrades
//! for `attach` and `exec` included), with a deadline for each request's headers.
//!
//! ```text
//!  accept ─▶ task per connection ─▶ hyper: read headers ─▶ router ─▶ response (may stream)
//!                                   └─ none within the idle timeout (a client that connects
//!                                      and says nothing, sends half a request, or keeps an
//!                                      idle keep-alive): the connection is closed
//! ```
//!
//! The deadline is hyper's `header_read_timeout`: it runs only while hyper waits for a
//! request's headers, so a response that streams for hours (`events`, `logs -f`, a
//! hijacked `attach`) is never cut by it. Without it, every silent client would hold a task
//! and a descriptor forever.
//!
//! On shutdown no connection is accepted any more, each one finishes the request in flight
//! (hyper's graceful shutdown), and `serve` returns once all are closed.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use axum::serve::Listener;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tower::{Service, ServiceExt};

// ANCHOR: serve_connections
/// Accepts connections on `listener` and serves the service `make_app` makes (the router
/// behind its version prefix rewrite) on each until `stop` turns true; then waits for the
/// connections still open to finish their requests.
pub async fn serve<L, M, S>(
    mut listener: L,
    make_app: M,
    idle_timeout: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) where
    L: Listener,
    M: Service<(), Response = S, Error = Infallible>,
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let app = match make_app.oneshot(()).await {
        Ok(app) => app,
        Err(never) => match never {},
    };
    // Every connection task holds a receiver: `closed()` says when the last one is gone.
    let (open_tx, _) = tokio::sync::watch::channel(());
    loop {
        let io = tokio::select! {
            (io, _) = listener.accept() => io,
            () = stopped(&mut stop) => break,
        };
        let service =
            TowerToHyperService::new(app.clone().map_request(|r: Request<Incoming>| r.map(Body::new)));
        let mut conn_stop = stop.clone();
        let open = open_tx.subscribe();
        tokio::spawn(async move {
            // HTTP/1 only (hyper-util's auto builder would first wait, without a deadline, for
            // the bytes that tell HTTP/2 from HTTP/1)
            let conn = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(idle_timeout)
                .serve_connection(TokioIo::new(io), service)
                .with_upgrades();
            tokio::pin!(conn);
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "connection ended");
                    }
                }
                () = stopped(&mut conn_stop) => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
            drop(open);
        });
    }
    drop(listener);
    open_tx.closed().await;
}
// ANCHOR_END: serve_connections

/// Returns once `stop` is true (or its sender is gone).
async fn stopped(stop: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}
