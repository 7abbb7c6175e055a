//! Docker's error answers: a status code and `{"message": "…"}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::container::ContainerError;
use crate::engine::EngineError;
use crate::engine::network::NetworkError;

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

/// Docker's status for a network error.
fn network_status(e: &NetworkError) -> StatusCode {
    match e {
        NetworkError::NotFound(_) => StatusCode::NOT_FOUND,
        NetworkError::Ambiguous(_) | NetworkError::Invalid(_) => StatusCode::BAD_REQUEST,
        NetworkError::NameInUse(_) | NetworkError::Conflict(_) => StatusCode::CONFLICT,
        NetworkError::Predefined(_) | NetworkError::ActiveEndpoints { .. } => StatusCode::FORBIDDEN,
        NetworkError::Chapter7(
            ch07_network::NetworkError::Ipam { .. }
            | ch07_network::NetworkError::AddressInUse { .. }
            | ch07_network::NetworkError::PortSpec { .. },
        ) => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<NetworkError> for ApiError {
    fn from(e: NetworkError) -> ApiError {
        ApiError::new(network_status(&e), e.to_string())
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> ApiError {
        let status = match &e {
            EngineError::NotFound(_) | EngineError::Store(ch05_images::StoreError::NoSuchImage(_)) => {
                StatusCode::NOT_FOUND
            }
            EngineError::Store(ch05_images::StoreError::Reference(_)) | EngineError::Reference(_) => {
                StatusCode::BAD_REQUEST
            }
            EngineError::Conflict(_) => StatusCode::CONFLICT,
            EngineError::Invalid(_) => StatusCode::BAD_REQUEST,
            EngineError::Network(n) => network_status(n),
            EngineError::Container(ContainerError::NotFound(_)) => StatusCode::NOT_FOUND,
            EngineError::Container(ContainerError::NameInUse { .. }) => StatusCode::CONFLICT,
            EngineError::Container(ContainerError::InvalidName(_)) => StatusCode::BAD_REQUEST,
            EngineError::Container(
                ContainerError::RemoveRunning(_)
                | ContainerError::RemovePaused(_)
                | ContainerError::NotRunning(_)
                | ContainerError::AlreadyPaused(_)
                | ContainerError::NotPaused(_),
            ) => StatusCode::CONFLICT,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, e.to_string())
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
