//! dockerd writes every JSON answer with Go's `json.Encoder` (`httputils.WriteJSON`), which
//! ends it with a newline: `{"message":"page not found"}\n`. Clients that compare bodies, or
//! print them as `curl` does, see the difference; so every whole JSON answer here ends with
//! one too. Streams (events, stats, progress, wait) are already a JSON value a line.

use axum::body::HttpBody as _;
use axum::extract::Request;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

// ANCHOR: end_json_with_newline
/// Middleware: a JSON answer of known length (not a stream) gets its final newline.
pub async fn end_json_with_newline(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !is_json || response.body().size_hint().exact().is_none() {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return parts.status.into_response();
    };
    let mut bytes = bytes.to_vec();
    if bytes.last().is_some_and(|last| *last != b'\n') {
        bytes.push(b'\n');
    }
    parts.headers.remove(CONTENT_LENGTH); // (set again for the new length)
    Response::from_parts(parts, axum::body::Body::from(bytes))
}
// ANCHOR_END: end_json_with_newline

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::routing::get;
    use tower::ServiceExt;

    async fn body_of(app: Router, path: &str) -> Vec<u8> {
        let request = Request::builder()
            .uri(path)
            .body(axum::body::Body::empty())
            .unwrap();
        let response = app.oneshot(request).await.unwrap();
        axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec()
    }

    #[tokio::test]
    async fn json_answers_end_with_a_newline_and_others_are_left_alone() {
        let app = Router::new()
            .route("/json", get(|| async { axum::Json(serde_json::json!({"a": 1})) }))
            .route("/text", get(|| async { "OK" }))
            .route(
                "/line",
                get(|| async { ([(CONTENT_TYPE, "application/json")], "{}\n") }),
            )
            .layer(axum::middleware::from_fn(end_json_with_newline));
        assert_eq!(body_of(app.clone(), "/json").await, b"{\"a\":1}\n");
        assert_eq!(body_of(app.clone(), "/text").await, b"OK");
        assert_eq!(body_of(app, "/line").await, b"{}\n");
    }
}
