//! Bodies that do not end when the handler returns: chunked streams (events, stats, pull
//! progress, logs) and hijacked connections (`attach`, `exec start`), where the daemon
//! answers `101 UPGRADED` and the socket then carries the container's streams both ways,
//! outside HTTP:
//!
//! ```text
//! client                                   daemon
//!   POST /containers/x/attach?stream=1 ─▶
//!   Connection: Upgrade, Upgrade: tcp
//!                                      ◀─  HTTP/1.1 101 UPGRADED
//!                                          Content-Type: application/vnd.docker.raw-stream
//!   stdin bytes  ───────────────────────▶
//!                                      ◀─  stdout/stderr (frames, or raw with a TTY)
//! ```

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;

/// A request's way to take over its connection (`Connection: Upgrade`), for `attach` and
/// `exec start`; `None` when the client did not ask (or the connection cannot be upgraded).
#[derive(Debug)]
pub struct Upgrade(pub Option<hyper::upgrade::OnUpgrade>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Upgrade {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Upgrade(parts.extensions.remove::<hyper::upgrade::OnUpgrade>()))
    }
}

// ANCHOR: streamed
/// A response body fed by a blocking producer through a channel.
pub fn streamed(
    producer: impl FnOnce(tokio::sync::mpsc::Sender<Vec<u8>>) + Send + 'static,
) -> axum::body::Body {
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(64);
    tokio::task::spawn_blocking(move || producer(tx));
    body_of(rx)
}
// ANCHOR_END: streamed

/// A response body of what `rx` brings, until it ends.
pub fn body_of(rx: tokio::sync::mpsc::Receiver<Vec<u8>>) -> axum::body::Body {
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|bytes| (Ok::<_, std::io::Error>(bytes), rx))
    });
    axum::body::Body::from_stream(stream)
}

// ANCHOR: upgraded_response
/// The answer that hands the connection over: `101`, and the headers dockerd sends.
pub fn upgraded_response() -> axum::response::Response {
    let mut response = StatusCode::SWITCHING_PROTOCOLS.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.docker.raw-stream"),
    );
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("tcp"));
    response
}
// ANCHOR_END: upgraded_response

/// The answer of `attach` and `exec start` that only sends: the connection is taken over
/// and carries what `rx` brings until it ends; a client that does not ask to upgrade gets
/// it as the body.
pub fn raw_stream(
    Upgrade(on_upgrade): Upgrade,
    mut rx: tokio::sync::mpsc::Receiver<Vec<u8>>,
) -> axum::response::Response {
    use tokio::io::AsyncWriteExt;
    let Some(on_upgrade) = on_upgrade else {
        return axum::response::Response::new(body_of(rx));
    };
    tokio::spawn(async move {
        let Ok(upgraded) = on_upgrade.await else { return };
        let mut io = hyper_util::rt::TokioIo::new(upgraded);
        while let Some(bytes) = rx.recv().await {
            if io.write_all(&bytes).await.is_err() {
                return;
            }
        }
        let _ = io.shutdown().await;
    });
    upgraded_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_upgrade_answer_is_dockerds() {
        let response = upgraded_response();
        assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
        assert_eq!(
            response.headers()["content-type"],
            "application/vnd.docker.raw-stream"
        );
        assert_eq!(response.headers()["upgrade"], "tcp");
        assert_eq!(response.headers()["connection"], "Upgrade");
    }

    #[tokio::test]
    async fn without_an_upgrade_the_stream_is_the_body() {
        use http_body_util::BodyExt;
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        tx.send(b"one ".to_vec()).await.unwrap();
        tx.send(b"two".to_vec()).await.unwrap();
        drop(tx);
        let response = raw_stream(Upgrade(None), rx);
        assert_eq!(response.status(), StatusCode::OK);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"one two");
    }
}
