//! `GET /_ping`: the first thing every client asks. The body is just `OK`; what matters is
//! the headers: `Api-Version` (added to every answer by
//! [`crate::version::versions_and_headers`]) is how the Docker CLI learns which version to
//! speak.
//!
//! **Lab 10 skeleton.** Exercise `ex4`: write the endpoint [`ping`] (the `todo!()`).
//! `labs/check 10` tells you how far you are.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// `GET|HEAD /_ping`: `OK`, never cached.
pub async fn ping() -> Response {
    // ex4: the body `OK`, and three headers: `Cache-Control: no-cache, no-store,
    // must-revalidate`, `Pragma: no-cache`, `Content-Type: text/plain; charset=utf-8`.
    todo!(
        "ex4: let mut response = \"OK\".into_response(); insert the three headers with HeaderValue::from_static; response"
    )
}
