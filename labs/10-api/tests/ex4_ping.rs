//! ex4: an endpoint: `GET /_ping`, the first request of every Docker client.

use axum::routing::get;
use http_body_util::BodyExt;
use lab10_api::ping::ping;
use tower::ServiceExt;

fn router() -> axum::Router {
    axum::Router::new().route("/_ping", get(ping).head(ping))
}

fn request(method: &str, path: &str) -> axum::http::Request<axum::body::Body> {
    axum::http::Request::builder()
        .method(method)
        .uri(path)
        .body(axum::body::Body::empty())
        .expect("a request")
}

#[tokio::test]
async fn ex4_ping_answers_ok() {
    let response = router()
        .oneshot(request("GET", "/_ping"))
        .await
        .expect("an answer");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/plain; charset=utf-8");
    let body = response.into_body().collect().await.expect("a body").to_bytes();
    assert_eq!(&body[..], b"OK");
}

#[tokio::test]
async fn ex4_ping_is_never_cached() {
    for method in ["GET", "HEAD"] {
        let response = router()
            .oneshot(request(method, "/_ping"))
            .await
            .expect("an answer");
        assert_eq!(response.status(), 200, "{method}");
        assert_eq!(
            response.headers()["cache-control"],
            "no-cache, no-store, must-revalidate"
        );
        assert_eq!(response.headers()["pragma"], "no-cache");
    }
}
