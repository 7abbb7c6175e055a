//! Docker's error answers: a status code and `{"message": "…"}`.

use axum::http::StatusCode;
use ch05_images::RegistryError;

use crate::container::ContainerError;
use crate::engine::network::NetworkError;
use crate::engine::{DistributionError, EngineError};

pub use ch10_api::error::{ApiError, ApiJson};

/// Docker's status for a network error.
fn network_status(e: &NetworkError) -> StatusCode {
    match e {
        NetworkError::NotFound(_) | NetworkError::NoSuchContainer(_) => StatusCode::NOT_FOUND,
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
                | ContainerError::NotPaused(_)
                | ContainerError::RemovalInProgress(_),
            ) => StatusCode::CONFLICT,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, e.to_string())
    }
}

/// Docker's status for a failed pull or push (`errdefs` in moby's `distribution/errors.go`):
/// what the registry does not have is a 404, a malformed name a 400, the rest a 500.
impl From<DistributionError> for ApiError {
    fn from(e: DistributionError) -> ApiError {
        let status = match e {
            DistributionError::Engine(engine) => return engine.into(),
            DistributionError::Registry(
                RegistryError::ManifestUnknown { .. }
                | RegistryError::NameUnknown { .. }
                | RegistryError::PullAccessDenied { .. },
            ) => StatusCode::NOT_FOUND,
            DistributionError::TagWithAllTags => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, e.to_string())
    }
}
