//! `POST /images/create?fromSrc=-&repo=&tag=&message=&changes=` (`docker import`): the body,
//! a rootfs tar (gzipped or not), becomes a one-layer image (`Engine::import_image`). The
//! answer is dockerd's one-message stream, `{"status":"sha256:…"}`; every error comes before
//! it, so it is an ordinary answer.

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use ch05_images::{ContainerConfig, Reference};

use super::blocking_io::{BodyReader, json_progress};
use super::params::Form;
use super::{ApiError, AppState};
use crate::engine::{ImportOptions, parse_daemon_reference};
use crate::instructions::apply_changes;
use crate::progress::JsonMessage;

// ANCHOR: import
/// How much of a refused import's body is read before the answer.
const REFUSED_BODY_DRAIN: usize = 256 << 20;

/// The import `POST /images/create` does without `fromImage`. The name and the changes are
/// checked before the body is read, as dockerd checks them.
pub(super) async fn import(state: AppState, form: Form, body: Body) -> Response {
    let options = match import_options(&form) {
        Ok(options) => options,
        Err(e) => {
            // The client is still sending the tar: read it (up to a bound) before answering,
            // so it gets the answer rather than a connection closed under its upload.
            let _ = axum::body::to_bytes(body, REFUSED_BODY_DRAIN).await;
            return e.into_response();
        }
    };
    let tar = BodyReader::new(body);
    json_progress(&state, move |engine, out| {
        let image = engine.import_image(tar, &options)?;
        out(JsonMessage::line(image.id.to_string()));
        Ok(())
    })
    .await
}
// ANCHOR_END: import

/// What the query asks for, in dockerd's order of checks (`ImageService.ImportImage`).
fn import_options(form: &Form) -> Result<ImportOptions, ApiError> {
    let reference = import_reference(form.get("repo"), form.get("tag"))?;
    let config = apply_changes(&ContainerConfig::default(), &form.all("changes"))
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let source = form.get("fromSrc");
    if source != "-" {
        // dockerd would download it; minidocker's registry client speaks only to registries
        return Err(ApiError::internal(format!(
            "importing from a URL is not supported: {source:?}; send the tar as the body with fromSrc=-"
        )));
    }
    Ok(ImportOptions {
        message: Some(form.get("message").to_owned()).filter(|m| !m.is_empty()),
        source: source.to_owned(),
        config,
        reference,
    })
}

/// `repo` (which may carry a tag) with `tag` over it; none without `repo`. The image is then
/// named `:latest` if neither gives a tag.
fn import_reference(repo: &str, tag: &str) -> Result<Option<Reference>, ApiError> {
    if repo.is_empty() {
        return Ok(None);
    }
    let reference = parse_daemon_reference(repo).map_err(|e| ApiError::bad_request(e.to_string()))?;
    if reference.digest.is_some() {
        return Err(ApiError::bad_request("cannot import digest reference"));
    }
    match tag {
        "" => Ok(Some(reference)),
        tag => reference
            .with_tag(tag)
            .map(Some)
            .map_err(|_| ApiError::bad_request("invalid tag format")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(query: &str) -> Form {
        let uri: axum::http::Uri = format!("/images/create?{query}").parse().unwrap();
        axum::extract::Query::<Form>::try_from_uri(&uri).unwrap().0
    }

    #[test]
    fn the_query_gives_the_name_the_config_and_the_message() {
        let options = import_options(&form(
            "fromSrc=-&repo=flat&tag=v1&message=hi&changes=CMD%20%5B%22sh%22%5D&changes=ENV%20A%3D1",
        ))
        .unwrap();
        assert_eq!(options.reference.unwrap().familiar_string(), "flat:v1");
        assert_eq!(options.config.cmd, Some(vec!["sh".to_owned()]));
        assert_eq!(options.config.env, Some(vec!["A=1".to_owned()]));
        assert_eq!(
            (options.message.as_deref(), options.source.as_str()),
            (Some("hi"), "-")
        );
        let bare = import_options(&form("fromSrc=-")).unwrap();
        assert_eq!((bare.reference, bare.message), (None, None));
        // the tag in repo stays when tag is empty; the name as given (no :latest yet)
        let in_repo = import_options(&form("fromSrc=-&repo=flat:t1")).unwrap();
        assert_eq!(in_repo.reference.unwrap().familiar_string(), "flat:t1");
        let untagged = import_options(&form("fromSrc=-&repo=flat")).unwrap();
        assert_eq!(untagged.reference.unwrap().familiar_string(), "flat");
    }

    #[test]
    fn refusals_are_dockerds() {
        let refused = |query: &str| {
            let e = import_options(&form(query)).unwrap_err();
            (e.status.as_u16(), e.message)
        };
        assert_eq!(
            refused("fromSrc=-&repo=BAD"),
            (
                400,
                "invalid reference format: repository name must be lowercase".into()
            )
        );
        assert_eq!(
            refused("fromSrc=-&repo=i8imp&changes=BOGUS%20x"),
            (400, "bogus is not a valid change command".into())
        );
        let digest = format!("x@sha256:{}", "0".repeat(64));
        assert_eq!(
            refused(&format!("fromSrc=-&repo={digest}")),
            (400, "cannot import digest reference".into())
        );
        assert_eq!(refused("fromSrc=http://example.test/x.tar").0, 500);
    }
}
