//! `/networks`: list, inspect, create, remove, prune, connect, disconnect.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use serde::Deserialize;

use super::error::ApiJson;
use super::{ApiError, AppState};
use crate::api_types::{
    NetworkConnectBody, NetworkCreateBody, NetworkCreateResponse, NetworkDisconnectBody, NetworkPruneReport,
};
use crate::engine::filters::Filters;
use crate::engine::network::networks::{network_matches, validate_network_filters};
use crate::engine::network::{CreateNetworkOptions, NetworkRecord};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/networks", get(list))
        .route("/networks/create", post(create))
        .route("/networks/prune", post(prune))
        .route("/networks/{id}", get(inspect).delete(remove))
        .route("/networks/{id}/connect", post(connect))
        .route("/networks/{id}/disconnect", post(disconnect))
        .route("/networks/{id}/", delete(remove))
}

#[derive(Debug, Default, Deserialize)]
pub struct FilterQuery {
    #[serde(default)]
    filters: String,
}

/// `GET /networks`: the records (their `Containers` left empty, as Docker's list leaves them).
async fn list(
    State(state): State<AppState>,
    Query(q): Query<FilterQuery>,
) -> Result<Json<Vec<NetworkRecord>>, ApiError> {
    state
        .blocking(move |engine| {
            let filters = Filters::from_json(&q.filters)?;
            validate_network_filters(&filters)?;
            let records = engine.networks.list()?;
            Ok(Json(
                records
                    .into_iter()
                    .filter(|r| network_matches(&filters, r))
                    .map(|r| NetworkRecord {
                        containers: Some(BTreeMap::new()),
                        ..r
                    })
                    .collect(),
            ))
        })
        .await
}

/// `GET /networks/{id}`.
async fn inspect(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<NetworkRecord>, ApiError> {
    state
        .blocking(move |engine| {
            let record = engine.networks.find(&id)?;
            Ok(Json(engine.inspect_network(&record)))
        })
        .await
}

/// `POST /networks/create`: 201 `{"Id": …, "Warning": ""}`.
async fn create(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NetworkCreateBody>,
) -> Result<(StatusCode, Json<NetworkCreateResponse>), ApiError> {
    if body.name.is_empty() {
        return Err(ApiError::bad_request("network name must be specified"));
    }
    let config = body.ipam.and_then(|i| i.config).unwrap_or_default();
    if config.len() > 1 {
        return Err(ApiError::bad_request(
            "minidocker networks have one IPv4 subnet (several IPAM configs given)",
        ));
    }
    let first = config.into_iter().next().unwrap_or_default();
    let non_empty = |s: String| (!s.is_empty()).then_some(s);
    let opts = CreateNetworkOptions {
        name: body.name,
        driver: body.driver,
        subnet: non_empty(first.subnet),
        gateway: non_empty(first.gateway),
        ip_range: non_empty(first.ip_range),
        internal: body.internal,
        labels: body.labels.unwrap_or_default(),
        options: body.options.unwrap_or_default(),
    };
    state
        .blocking(move |engine| {
            let record = engine.create_network(&opts)?;
            Ok((
                StatusCode::CREATED,
                Json(NetworkCreateResponse {
                    id: record.id,
                    warning: String::new(),
                }),
            ))
        })
        .await
}

/// `DELETE /networks/{id}`: 204.
async fn remove(State(state): State<AppState>, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    state
        .blocking(move |engine| {
            engine.remove_network(&id)?;
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}

/// `POST /networks/prune`: `{"NetworksDeleted": [names]}`, `null` when none went (dockerd's
/// nil slice).
async fn prune(
    State(state): State<AppState>,
    Query(q): Query<FilterQuery>,
) -> Result<Json<NetworkPruneReport>, ApiError> {
    state
        .blocking(move |engine| {
            let filters = Filters::from_json(&q.filters)?;
            let removed = engine.prune_networks(&filters)?;
            Ok(Json(NetworkPruneReport {
                networks_deleted: (!removed.is_empty()).then_some(removed),
            }))
        })
        .await
}

/// `POST /networks/{id}/connect`.
async fn connect(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NetworkConnectBody>,
) -> Result<StatusCode, ApiError> {
    let endpoint = body.endpoint_config.unwrap_or_default();
    let ip = match endpoint
        .ipam_config
        .map(|c| c.ipv4_address)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(raw) => Some(
            raw.parse::<Ipv4Addr>()
                .map_err(|_| ApiError::bad_request(format!("invalid IPv4 address: {raw}")))?,
        ),
    };
    let aliases = endpoint.aliases.unwrap_or_default();
    state
        .blocking(move |engine| {
            engine.connect_container(&id, &body.container, ip, &aliases)?;
            Ok(StatusCode::OK)
        })
        .await
}

/// `POST /networks/{id}/disconnect`; `Force` changes nothing (a stopped container's
/// endpoint goes as a running one's).
async fn disconnect(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NetworkDisconnectBody>,
) -> Result<StatusCode, ApiError> {
    state
        .blocking(move |engine| {
            engine.disconnect_container(&id, &body.container)?;
            Ok(StatusCode::OK)
        })
        .await
}
