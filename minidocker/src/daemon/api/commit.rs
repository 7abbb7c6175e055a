//! `POST /commit?container=&repo=&tag=&comment=&author=&pause=&changes=` (`docker commit`):
//! a new image of the container's changes (`Engine::commit_container_with`). The body, which
//! may be empty, is a container config the changes apply to. 201 `{"Id":"sha256:…"}`.

use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::post;
use ch05_images::{ContainerConfig, Reference};
use serde::Serialize;

use super::error::ApiJson;
use super::params::{Form, bool_value};
use super::{ApiError, AppState};
use crate::engine::{CommitOptions, parse_daemon_reference};

pub fn routes() -> Router<AppState> {
    Router::new().route("/commit", post(commit))
}

/// Docker's `IDResponse`.
#[derive(Debug, Serialize)]
struct IdResponse {
    #[serde(rename = "Id")]
    id: String,
}

// ANCHOR: commit
async fn commit(
    State(state): State<AppState>,
    Query(form): Query<Form>,
    ApiJson(overlay): ApiJson<Option<ContainerConfig>>,
) -> Result<(StatusCode, Json<IdResponse>), ApiError> {
    let container = form.get("container").to_owned();
    if container.is_empty() {
        return Err(ApiError::bad_request(r#"invalid name or ID supplied: """#));
    }
    let options = CommitOptions {
        author: form.get("author").to_owned(),
        comment: form.get("comment").to_owned(),
        changes: form.all("changes"),
        reference: commit_reference(form.get("repo"), form.get("tag"))?,
        // API 1.13 on: pausing is the default
        pause: match form.get("pause") {
            "" => true,
            value => bool_value(Some(value)),
        },
    };
    // An empty object is no config (Go leaves the embedded *Config nil for `{}`).
    let overlay = overlay.filter(|c| *c != ContainerConfig::default());
    state
        .blocking(move |engine| {
            let image = engine.commit_container_with(&container, &options, overlay.as_ref())?;
            let id = image.id.to_string();
            Ok((StatusCode::CREATED, Json(IdResponse { id })))
        })
        .await
}
// ANCHOR_END: commit

/// `repo` with `tag` over it, checked before anything is made (dockerd makes the image first
/// and then fails to name it; its statuses are kept: 500, and 400 for a digest).
fn commit_reference(repo: &str, tag: &str) -> Result<Option<Reference>, ApiError> {
    if repo.is_empty() {
        return Ok(None);
    }
    let reference = parse_daemon_reference(repo).map_err(|e| ApiError::internal(e.to_string()))?;
    let reference = match tag {
        "" => reference,
        tag => reference
            .with_tag(tag)
            .map_err(|_| ApiError::internal("invalid tag format"))?,
    };
    if reference.digest.is_some() {
        return Err(ApiError::bad_request(
            "refusing to create a tag with a digest reference",
        ));
    }
    Ok(Some(reference))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_with_dockerds_words_and_statuses() {
        assert_eq!(commit_reference("", "v1").unwrap(), None);
        assert_eq!(
            commit_reference("web", "").unwrap().unwrap().familiar_string(),
            "web"
        );
        assert_eq!(
            commit_reference("web:1", "2").unwrap().unwrap().familiar_string(),
            "web:2"
        );
        let refused = |repo: &str, tag: &str| {
            let e = commit_reference(repo, tag).unwrap_err();
            (e.status.as_u16(), e.message)
        };
        assert_eq!(
            refused("BAD", ""),
            (
                500,
                "invalid reference format: repository name must be lowercase".into()
            )
        );
        assert_eq!(refused("web", "a:b"), (500, "invalid tag format".into()));
        let digest = format!("x@sha256:{}", "0".repeat(64));
        assert_eq!(
            refused(&digest, ""),
            (400, "refusing to create a tag with a digest reference".into())
        );
    }
}
