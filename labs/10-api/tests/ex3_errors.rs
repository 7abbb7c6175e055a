//! ex3: errors as Docker answers them, and request bodies read as dockerd reads them.

use axum::extract::FromRequest;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use http_body_util::BodyExt;
use lab10_api::{ApiError, ApiJson};

async fn body_text(response: axum::response::Response) -> String {
    let bytes = response.into_body().collect().await.expect("a body").to_bytes();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[tokio::test]
async fn ex3_an_error_is_its_status_and_a_message() {
    let response = ApiError::not_found("No such container: web").into_response();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(
        body_text(response).await,
        r#"{"message":"No such container: web"}"#
    );
    let conflict = ApiError::new(
        StatusCode::CONFLICT,
        "Conflict. The container name \"/web\" is already in use",
    )
    .into_response();
    assert_eq!(conflict.status(), StatusCode::CONFLICT);
    let text = body_text(conflict).await;
    let parsed: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(
        parsed["message"],
        "Conflict. The container name \"/web\" is already in use"
    );
}

async fn decode(content_type: Option<&str>, body: &'static str) -> Result<serde_json::Value, ApiError> {
    let mut request = axum::http::Request::builder();
    if let Some(t) = content_type {
        request = request.header("content-type", t);
    }
    let request = request.body(axum::body::Body::from(body)).expect("a request");
    ApiJson::<serde_json::Value>::from_request(request, &())
        .await
        .map(|j| j.0)
}

#[tokio::test]
async fn ex3_json_bodies_are_decoded() {
    let body = decode(Some("application/json"), r#"{"Image":"busybox","Cmd":["true"]}"#)
        .await
        .unwrap();
    assert_eq!(body["Image"], "busybox");
    // old clients send no content type at all
    assert_eq!(decode(None, r#"{"a":1}"#).await.unwrap()["a"], 1);
    assert_eq!(
        decode(Some("application/json; charset=utf-8"), "{}")
            .await
            .unwrap(),
        serde_json::json!({})
    );
}

#[tokio::test]
async fn ex3_an_empty_body_is_an_empty_object() {
    assert_eq!(
        decode(Some("application/json"), "").await.unwrap(),
        serde_json::json!({})
    );
    assert_eq!(decode(None, " \n").await.unwrap(), serde_json::json!({}));
}

#[tokio::test]
async fn ex3_other_content_types_and_bad_json_are_400s_with_dockerds_words() {
    let wrong = decode(Some("text/plain"), "{}").await.unwrap_err();
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        wrong.message,
        "unsupported Content-Type header (text/plain): must be 'application/json'"
    );
    let bad = decode(Some("application/json"), r#"{"Image": "#)
        .await
        .unwrap_err();
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.message.starts_with("invalid JSON in the request body: "),
        "{}",
        bad.message
    );
}
