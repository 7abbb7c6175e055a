//! `/networks`: list, inspect, create, remove, prune, connect, disconnect.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::ApiJson;
use super::{ApiError, AppState};
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

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct IpamConfigBody {
    subnet: String,
    #[serde(rename = "IPRange")]
    ip_range: String,
    gateway: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct IpamBody {
    config: Option<Vec<IpamConfigBody>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct CreateBody {
    name: String,
    driver: String,
    internal: bool,
    #[serde(rename = "IPAM")]
    ipam: Option<IpamBody>,
    options: Option<BTreeMap<String, String>>,
    labels: Option<BTreeMap<String, String>>,
}

/// `POST /networks/create`: 201 `{"Id": …, "Warning": ""}`.
async fn create(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
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
            Ok((StatusCode::CREATED, Json(json!({"Id": record.id, "Warning": ""}))))
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

/// `POST /networks/prune`: `{"NetworksDeleted": [names]}`.
async fn prune(State(state): State<AppState>, Query(q): Query<FilterQuery>) -> Result<Json<Value>, ApiError> {
    state
        .blocking(move |engine| {
            let filters = Filters::from_json(&q.filters)?;
            filters.validate(&["label", "label!", "until"])?;
            if !filters.is_empty() {
                return Err(ApiError::bad_request(
                    "network prune filters are not supported yet",
                ));
            }
            let removed = engine.prune_networks()?;
            Ok(Json(json!({ "NetworksDeleted": removed })))
        })
        .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct EndpointIpamBody {
    #[serde(rename = "IPv4Address")]
    ipv4_address: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct EndpointConfigBody {
    #[serde(rename = "IPAMConfig")]
    ipam_config: Option<EndpointIpamBody>,
    aliases: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct ConnectBody {
    container: String,
    endpoint_config: Option<EndpointConfigBody>,
}

/// `POST /networks/{id}/connect`.
async fn connect(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ConnectBody>,
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

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct DisconnectBody {
    container: String,
}

/// `POST /networks/{id}/disconnect`.
async fn disconnect(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DisconnectBody>,
) -> Result<StatusCode, ApiError> {
    state
        .blocking(move |engine| {
            engine.disconnect_container(&id, &body.container)?;
            Ok(StatusCode::OK)
        })
        .await
}
