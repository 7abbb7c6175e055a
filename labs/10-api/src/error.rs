//! Docker's error answers: a status code and `{"message": "…"}`, whatever went wrong, so
//! every client can print `Error response from daemon: <message>`. And the other half of
//! the contract: request bodies read the way dockerd reads them.
//!
//! **Lab 10 skeleton.** Exercise `ex3`: write `ApiError::into_response` and
//! `ApiJson::from_request` (the two `todo!()`s). `labs/check 10` tells you how far you are.

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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // ex3: the status, and a JSON body with one key, `message`.
        todo!("ex3: (self.status, Json(serde_json::json!({{ \"message\": self.message }}))).into_response()")
    }
}

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
        // ex3: read the `Content-Type` header, then the body as bytes (`Bytes::from_request`; its
        // rejection becomes an ApiError with its status and text). A content type that is set and
        // not `application/json…` with a body that is not empty is a 400:
        // `unsupported Content-Type header ({content_type}): must be 'application/json'`. A body
        // of only whitespace reads as `{}`. Bad JSON is a 400:
        // `invalid JSON in the request body: {serde error}`.
        todo!(
            "ex3: content type check (400), empty body => b\"{{}}\", serde_json::from_slice => ApiJson, its error => 400 \"invalid JSON in the request body: ...\""
        )
    }
}
