//! Registry errors, worded the way `docker pull` / `docker push` word them.
//!
//! A registry explains a failure with a JSON body `{"errors":[{"code":"MANIFEST_UNKNOWN",
//! "message":"manifest unknown"}]}`. Docker prints such an error as `<code in words>: <message>`
//! (`manifest unknown: manifest unknown`) and, for the three "not there" codes, says what was
//! not found in front of it.

use std::fmt;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::time::Duration;

use serde::Deserialize;

use crate::blobs::BlobError;
use crate::digest::DigestMismatch;
use crate::manifest::ManifestError;

/// One entry of a registry's `errors` array.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApiError {
    pub code: String,
    #[serde(default)]
    pub message: String,
}

impl fmt::Display for ApiError {
    /// `MANIFEST_UNKNOWN` + `manifest unknown` → `manifest unknown: manifest unknown`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}",
            self.code.to_lowercase().replace('_', " "),
            self.message
        )
    }
}

#[derive(Debug, Deserialize)]
struct ErrorsBody {
    #[serde(default)]
    errors: Vec<ApiError>,
}

/// The first error of a registry error body (Docker ignores the rest).
pub(crate) fn first_api_error(body: &[u8]) -> Option<ApiError> {
    serde_json::from_slice::<ErrorsBody>(body)
        .ok()?
        .errors
        .into_iter()
        .next()
}

// ANCHOR: registry_error
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// Go's wording, which Docker passes through.
    #[error("{method} \"{url}\": dial tcp {addr}: connect: connection refused")]
    ConnectionRefused {
        method: String,
        url: String,
        addr: String,
    },
    #[error("{method} \"{url}\": {message}")]
    Transport {
        method: String,
        url: String,
        message: String,
    },
    #[error("manifest for {reference} not found: {cause}")]
    ManifestUnknown { reference: String, cause: ApiError },
    #[error("repository {name} not found: {cause}")]
    NameUnknown { name: String, cause: ApiError },
    #[error(
        "pull access denied for {name}, repository does not exist or may require 'docker login': {cause}"
    )]
    PullAccessDenied { name: String, cause: ApiError },
    /// Any other error the registry explained (`unauthorized: authentication required`,
    /// `blob unknown: blob unknown to registry`, …).
    #[error("{0}")]
    Api(ApiError),
    #[error("received unexpected HTTP status: {status} ({method} {url})")]
    UnexpectedStatus {
        status: String,
        method: String,
        url: String,
    },
    #[error("getting a token from {realm}: {message}")]
    Token { realm: String, message: String },
    #[error(
        "{url} speaks https, which this build of minidocker does not support (no TLS); use a plain http registry"
    )]
    TlsUnsupported { url: String },
    #[error("the registry's response to {url} lacks a Location header")]
    NoLocation { url: String },
    #[error("manifest {reference} is larger than the {limit} bytes allowed")]
    ManifestTooBig { reference: String, limit: u64 },
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Mismatch(#[from] DigestMismatch),
    #[error(transparent)]
    Blob(#[from] BlobError),
}
// ANCHOR_END: registry_error

impl RegistryError {
    /// A digest mismatch, wherever it was detected (`fetch_blob` reports it through the store).
    pub fn is_digest_mismatch(&self) -> bool {
        matches!(
            self,
            RegistryError::Mismatch(_) | RegistryError::Blob(BlobError::Mismatch(_))
        )
    }
}

/// Go's `url.Error` spelling of a method: `Get`, `Head`, `Put`, `Post`.
pub(crate) fn go_method(method: &str) -> String {
    let lower = method.to_ascii_lowercase();
    let mut chars = lower.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// `host:port` of a URL, with the scheme's default port filled in (Go prints the address dialed).
pub(crate) fn dial_address(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let has_port = match authority.rfind(']') {
        Some(close) => authority[close..].contains(':'),
        None => authority.contains(':'),
    };
    match (has_port, scheme) {
        (true, _) => authority.to_owned(),
        (false, "https") => format!("{authority}:443"),
        (false, _) => format!("{authority}:80"),
    }
}

// ANCHOR: dial
/// Resolve and connect to `url`'s host as Go's `net.Dial` does before a request, and word a
/// failure as Go does: `dial tcp: lookup <host> on <nameserver>:53: no such host`,
/// `dial tcp <ip>:443: connect: connection refused`, `… i/o timeout`. Gives up after `timeout`
/// (the lookup runs in a thread of its own: the C resolver cannot be interrupted).
pub(crate) fn dial(url: &str, timeout: Duration) -> Result<(), RegistryError> {
    let method = go_method("GET");
    let transport = |message: String| RegistryError::Transport {
        method: method.clone(),
        url: url.to_owned(),
        message,
    };
    let target = dial_address(url);
    let host = match target.rsplit_once(':') {
        Some((host, _)) => host.trim_start_matches('[').trim_end_matches(']').to_owned(),
        None => target.clone(),
    };
    let on = first_nameserver()
        .map(|ns| format!(" on {ns}"))
        .unwrap_or_default();
    let (tx, rx) = mpsc::channel();
    let lookup = target.clone();
    std::thread::spawn(move || {
        let _ = tx.send(lookup.to_socket_addrs().map(Iterator::collect::<Vec<SocketAddr>>));
    });
    let addresses = match rx.recv_timeout(timeout) {
        Ok(Ok(addresses)) if !addresses.is_empty() => addresses,
        Ok(Ok(_)) => return Err(transport(format!("dial tcp: lookup {host}{on}: no such host"))),
        Ok(Err(e)) => {
            let text = e.to_string();
            let reason = if text.contains("not known") || text.contains("No address") {
                "no such host".to_owned()
            } else {
                text
            };
            return Err(transport(format!("dial tcp: lookup {host}{on}: {reason}")));
        }
        Err(_) => return Err(transport(format!("dial tcp: lookup {host}{on}: i/o timeout"))),
    };
    let mut last = None;
    for address in addresses {
        match TcpStream::connect_timeout(&address, timeout) {
            Ok(_) => return Ok(()),
            Err(e) => last = Some((address, e)),
        }
    }
    Err(match last {
        Some((address, e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            RegistryError::ConnectionRefused {
                method,
                url: url.to_owned(),
                addr: address.to_string(),
            }
        }
        Some((address, e)) if e.kind() == std::io::ErrorKind::TimedOut => {
            transport(format!("dial tcp {address}: i/o timeout"))
        }
        Some((address, e)) => transport(format!("dial tcp {address}: connect: {e}")),
        None => transport(format!("dial tcp: lookup {host}{on}: no such host")),
    })
}

/// `10.0.0.53:53`: the first `nameserver` of `/etc/resolv.conf`, which Go names in lookup errors.
fn first_nameserver() -> Option<String> {
    let conf = std::fs::read_to_string("/etc/resolv.conf").ok()?;
    let ip: std::net::IpAddr = conf
        .lines()
        .filter_map(|l| l.trim().strip_prefix("nameserver"))
        .find_map(|rest| rest.trim().parse().ok())?;
    Some(SocketAddr::new(ip, 53).to_string())
}
// ANCHOR_END: dial

pub(crate) fn transport_error(method: &str, url: &str, error: ureq::Error) -> RegistryError {
    let method = go_method(method);
    match error {
        ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            RegistryError::ConnectionRefused {
                method,
                addr: dial_address(url),
                url: url.to_owned(),
            }
        }
        ureq::Error::Io(e) => RegistryError::Transport {
            method,
            url: url.to_owned(),
            message: e.to_string(),
        },
        other => RegistryError::Transport {
            method,
            url: url.to_owned(),
            message: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_wording() {
        let cause = first_api_error(
            br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}}]}"#,
        )
        .unwrap();
        let e = RegistryError::ManifestUnknown {
            reference: "localhost:5000/app:v9".into(),
            cause,
        };
        assert_eq!(
            e.to_string(),
            "manifest for localhost:5000/app:v9 not found: manifest unknown: manifest unknown"
        );
        let e = RegistryError::ConnectionRefused {
            method: go_method("GET"),
            url: "http://127.0.0.1:5000/v2/".into(),
            addr: dial_address("http://127.0.0.1:5000/v2/"),
        };
        assert_eq!(
            e.to_string(),
            "Get \"http://127.0.0.1:5000/v2/\": dial tcp 127.0.0.1:5000: connect: connection refused"
        );
        assert_eq!(
            dial_address("https://registry-1.docker.io/v2/"),
            "registry-1.docker.io:443"
        );
        assert_eq!(dial_address("http://[::1]/v2/"), "[::1]:80");
        assert_eq!(first_api_error(b"not json"), None);
    }
}
