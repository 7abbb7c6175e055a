//! `GET /_ping`: the first thing every client asks. The body is just `OK`; what matters is
//! the headers: `Api-Version` (added to every answer by
//! [`crate::version::versions_and_headers`]) is how the Docker CLI learns which version to
//! speak.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

// ANCHOR: ping
/// `GET|HEAD /_ping`: `OK`, never cached.
pub async fn ping() -> Response {
    let mut response = "OK".into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, no-store, must-revalidate"),
    );
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
// ANCHOR_END: ping

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    #[tokio::test]
    async fn ping_answers_ok_with_the_version_behind_any_prefix() {
        let router = axum::Router::new()
            .route("/_ping", axum::routing::get(ping).head(ping))
            .layer(axum::middleware::from_fn(crate::version::versions_and_headers));
        for path in ["/_ping", "/v1.41/_ping", "/v1.24/_ping"] {
            let request = axum::http::Request::builder()
                .uri(path)
                .body(axum::body::Body::empty())
                .unwrap();
            let response = router
                .clone()
                .oneshot(crate::version::strip_version(request))
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{path}");
            assert_eq!(response.headers()["api-version"], crate::API_VERSION);
            assert_eq!(
                response.headers()["cache-control"],
                "no-cache, no-store, must-revalidate"
            );
            let body = response.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(&body[..], b"OK");
        }
        let too_new = axum::http::Request::builder()
            .uri("/v1.99/_ping")
            .body(axum::body::Body::empty())
            .unwrap();
        let response = router
            .oneshot(crate::version::strip_version(too_new))
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
    }
}
