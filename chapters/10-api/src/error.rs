//! Docker's error answers: a status code and `{"message": "…"}`, whatever went wrong, so
//! every client can print `Error response from daemon: <message>`. And the other half of
//! the contract: request bodies read the way dockerd reads them.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }
}

// ANCHOR: api_error_response
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(serde_json::json!({ "message": self.message }))).into_response()
    }
}
// ANCHOR_END: api_error_response

/// A JSON request body, decoded as dockerd decodes it: a `Content-Type` other than JSON is
/// refused with Docker's message, a body that is not the JSON the endpoint wants is a 400
/// with the decoder's reason (axum's own `Json` answers in plain text, and 415 without the
/// header, which Docker's clients do not expect). Bodies over the router's limit get 413.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let content_type = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|e| ApiError::new(e.status(), e.body_text()))?;
        if !content_type.is_empty() && !content_type.starts_with("application/json") && !bytes.is_empty() {
            return Err(ApiError::bad_request(format!(
                "unsupported Content-Type header ({content_type}): must be 'application/json'"
            )));
        }
        let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &bytes
        };
        serde_json::from_slice(text)
            .map(ApiJson)
            .map_err(|e| ApiError::bad_request(format!("invalid JSON in the request body: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn answer(response: Response) -> (StatusCode, String) {
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn an_error_is_a_status_and_a_message() {
        let (status, body) = answer(ApiError::not_found("No such container: x").into_response()).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body, r#"{"message":"No such container: x"}"#);
    }

    async fn decode(content_type: &str, body: &'static str) -> Result<serde_json::Value, ApiError> {
        use axum::extract::FromRequest;
        let request = axum::http::Request::builder()
            .header("content-type", content_type)
            .body(axum::body::Body::from(body))
            .unwrap();
        ApiJson::<serde_json::Value>::from_request(request, &())
            .await
            .map(|j| j.0)
    }

    #[tokio::test]
    async fn bodies_are_read_as_dockerd_reads_them() {
        assert_eq!(decode("application/json", r#"{"a":1}"#).await.unwrap()["a"], 1);
        // an empty body is an empty object
        assert_eq!(decode("", "  ").await.unwrap(), serde_json::json!({}));
        let wrong_type = decode("text/plain", "{}").await.unwrap_err();
        assert_eq!(wrong_type.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            wrong_type.message,
            "unsupported Content-Type header (text/plain): must be 'application/json'"
        );
        let malformed = decode("application/json", "{").await.unwrap_err();
        assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
        assert!(
            malformed
                .message
                .starts_with("invalid JSON in the request body: "),
            "{}",
            malformed.message
        );
    }
}
