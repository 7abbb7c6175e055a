//! Images in and out of the daemon: `pull` and `push` with a registry, `save` and `load` as
//! tar archives. The engine does the work (`engine/pull.rs`, `push.rs`, `archive.rs`) and
//! reports progress as [`JsonMessage`]s; these handlers send them as dockerd does (see
//! `blocking_io.rs` for when an error is a status and when it is the stream's last word).
//!
//! | route | what | errors |
//! |---|---|---|
//! | `POST /images/create?fromImage=&tag=` | pull: a JSON progress stream | 400 bad name, 404 not in the registry, 500 unreachable; then in the stream |
//! | `POST /images/{name}/push?tag=` | push: a JSON progress stream, `aux` with the digest | 500 bad name; then in the stream |
//! | `GET /images/{name}/get`, `GET /images/get?names=` | save: `application/x-tar` | 404 before any byte |
//! | `POST /images/load?quiet=` | load: `{"stream":"Loaded image: …\n"}` | always in the stream |
//!
//! `POST /images/create` without `fromImage` is an import (`image_import.rs`).

use std::io::{BufWriter, Write};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use ch05_images::{Digest, Reference};

use super::blocking_io::{BodyReader, first_word_decides, json_progress};
use super::params::{Form, bool_value};
use super::{ApiError, AppState, image_import};
use crate::engine::{EngineError, parse_daemon_reference};
use crate::progress::JsonMessage;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/images/create", post(create))
        .route("/images/get", get(save_named))
        .route("/images/load", post(load))
}

/// `POST /images/create`: a pull with `fromImage`, an import otherwise (as dockerd decides).
async fn create(State(state): State<AppState>, Query(form): Query<Form>, body: Body) -> Response {
    if form.get("fromImage").is_empty() {
        return image_import::import(state, form, body).await;
    }
    pull(state, form).await
}

// ANCHOR: pull
/// The pull: `fromImage` (a trailing `:` dropped, as `pull -a` may send it) with `tag`, which
/// may be a digest; without either every tag of the repository is pulled. `X-Registry-Auth`
/// is not needed by the registries minidocker talks to.
async fn pull(state: AppState, form: Form) -> Response {
    let image = form.get("fromImage");
    let reference = match pull_reference(image.strip_suffix(':').unwrap_or(image), form.get("tag")) {
        Ok(reference) => reference,
        Err(e) => return e.into_response(),
    };
    let all_tags = reference.tag.is_none() && reference.digest.is_none();
    json_progress(&state, move |engine, out| {
        engine.pull(&reference, all_tags, out).map_err(ApiError::from)
    })
    .await
}
// ANCHOR_END: pull

/// `fromImage` and `tag` as one reference; a malformed one is a 400.
fn pull_reference(image: &str, tag: &str) -> Result<Reference, ApiError> {
    let reference = parse_daemon_reference(image).map_err(|e| ApiError::bad_request(e.to_string()))?;
    if tag.is_empty() {
        return Ok(reference);
    }
    match tag.parse::<Digest>() {
        Ok(digest) => Ok(reference.with_digest(&digest)),
        Err(_) => reference
            .with_tag(tag)
            .map_err(|_| ApiError::bad_request("invalid tag format")),
    }
}

// ANCHOR: push
/// `POST /images/{name}/push?tag=`: `name` with `tag`, or every tag of its repository. As
/// dockerd, the credentials must come in `X-Registry-Auth` or, the old way, as the body; they
/// are not needed by the registries minidocker talks to.
pub(super) async fn push(
    state: AppState,
    name: String,
    tag: String,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !headers.contains_key("X-Registry-Auth") {
        if let Err(reason) = auth_in_body(&body) {
            return ApiError::bad_request(format!("Bad parameters and missing X-Registry-Auth: {reason}"))
                .into_response();
        }
    }
    let reference = match push_reference(&name, &tag) {
        Ok(reference) => reference,
        Err(e) => return e.into_response(),
    };
    json_progress(&state, move |engine, out| {
        engine.push(&reference, out).map_err(ApiError::from)
    })
    .await
}
// ANCHOR_END: push

/// The old way to send credentials: a JSON object as the body (Go's `EOF` for none).
fn auth_in_body(body: &[u8]) -> Result<(), String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("EOF".to_owned());
    }
    serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(body)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// `name` with `tag`; dockerd answers a malformed one with a 500.
fn push_reference(name: &str, tag: &str) -> Result<Reference, ApiError> {
    let reference = parse_daemon_reference(name).map_err(|e| ApiError::internal(e.to_string()))?;
    match tag {
        "" => Ok(reference),
        tag => reference
            .with_tag(tag)
            .map_err(|_| ApiError::internal("invalid tag format")),
    }
}

/// `GET /images/get?names=a&names=b`.
async fn save_named(State(state): State<AppState>, Query(form): Query<Form>) -> Response {
    save(state, form.all("names")).await
}

// ANCHOR: save
/// `GET /images/{name}/get` and `GET /images/get`: the images as one tar. Every name is found
/// before a byte is written, so an unknown one is an ordinary 404.
pub(super) async fn save(state: AppState, names: Vec<String>) -> Response {
    first_word_decides(&state, "application/x-tar", move |engine, body| {
        let mut out = BufWriter::with_capacity(64 * 1024, body);
        engine.save_images(&names, &mut out).map_err(save_error)?;
        out.flush().map_err(|e| ApiError::internal(e.to_string()))
    })
    .await
}
// ANCHOR_END: save

/// dockerd's `save` answers a malformed name with a 500 (the rest as everywhere).
fn save_error(e: EngineError) -> ApiError {
    match e {
        EngineError::Invalid(message) => ApiError::internal(message),
        other => other.into(),
    }
}

// ANCHOR: load
/// `POST /images/load?quiet=`: the body is the archive. Whatever happens is told in the stream
/// (dockerd's answer is always 200): `Loading layer` progress unless `quiet` (the default),
/// then a `Loaded image: …` line per name, or the error.
async fn load(State(state): State<AppState>, Query(form): Query<Form>, body: Body) -> Response {
    let quiet = match form.get("quiet") {
        "" => true,
        value => bool_value(Some(value)),
    };
    let archive = BodyReader::new(body);
    json_progress(&state, move |engine, out| {
        let loaded = engine.load_images(archive, &mut |message| {
            if !quiet {
                out(message);
            }
        });
        match loaded {
            Ok(lines) => lines
                .into_iter()
                .for_each(|line| out(JsonMessage::stream(format!("{line}\n")))),
            Err(e) => out(JsonMessage::error(e.to_string())),
        }
        Ok(())
    })
    .await
}
// ANCHOR_END: load

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pull_reference_is_the_image_with_its_tag_or_digest() {
        let digest = format!("sha256:{}", "ab".repeat(32));
        let by_tag = pull_reference("127.0.0.1:5000/busybox", "1.36").unwrap();
        assert_eq!(by_tag.familiar_string(), "127.0.0.1:5000/busybox:1.36");
        let by_digest = pull_reference("busybox", &digest).unwrap();
        assert_eq!(by_digest.familiar_string(), format!("busybox@{digest}"));
        let every_tag = pull_reference("busybox", "").unwrap();
        assert_eq!((every_tag.tag, every_tag.digest), (None, None));
        // dockerd 20.10's words and statuses
        let bad = pull_reference("BAD", "latest").unwrap_err();
        assert_eq!(
            (bad.status.as_u16(), bad.message.as_str()),
            (400, "invalid reference format: repository name must be lowercase")
        );
        let bad_tag = pull_reference("busybox", "a:b").unwrap_err();
        assert_eq!(
            (bad_tag.status.as_u16(), bad_tag.message.as_str()),
            (400, "invalid tag format")
        );
    }

    #[test]
    fn push_names_and_credentials_like_dockerd() {
        assert_eq!(
            push_reference("127.0.0.1:5000/busybox", "v1")
                .unwrap()
                .familiar_string(),
            "127.0.0.1:5000/busybox:v1"
        );
        let bad = push_reference("BAD", "x").unwrap_err();
        assert_eq!(bad.status.as_u16(), 500);
        assert_eq!(auth_in_body(b"").unwrap_err(), "EOF");
        assert_eq!(auth_in_body(b" \n").unwrap_err(), "EOF");
        assert!(auth_in_body(b"{}").is_ok());
        assert!(auth_in_body(br#"{"username":"u"}"#).is_ok());
        assert!(auth_in_body(b"[]").is_err());
    }
}
