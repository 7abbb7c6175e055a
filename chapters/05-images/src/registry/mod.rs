//! A client for one registry host, speaking the OCI distribution API over HTTP:
//!
//! ```text
//! GET  /v2/                                  ping; a 401 here says how to authenticate
//! GET  /v2/<name>/manifests/<tag|digest>     Accept: the four manifest media types
//! GET  /v2/<name>/blobs/<digest>             streamed into the blob store and verified
//! HEAD /v2/<name>/blobs/<digest>             does the registry have it? (push skips it)
//! POST /v2/<name>/blobs/uploads/             start an upload → 202 Location: <upload url>
//! PUT  <upload url>?digest=<digest>          the whole blob in one request (monolithic)
//! PUT  /v2/<name>/manifests/<tag>            the manifest, last, once its blobs are there
//! ```
//!
//! Like Docker, plain http is used for `localhost` and `127.0.0.0/8` (Docker's default insecure
//! registries) or when told `insecure`; https otherwise. This build has no TLS, so https hosts
//! fail with a clear error.

mod auth;
mod error;
mod pull;
mod push;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

pub use auth::{Challenge, parse_challenge};
pub use error::{ApiError, RegistryError};
pub use pull::{FetchedManifest, MAX_MANIFEST_SIZE, ResolvedImage};

use crate::reference::{DEFAULT_DOMAIN, Reference};
use auth::{CachedToken, TokenResponse, basic_authorization};
use error::{dial, first_api_error, transport_error};

type HttpResponse = ureq::http::Response<ureq::Body>;

const MAX_ERROR_BODY: u64 = 1 << 20;

#[derive(Debug, Default)]
struct AuthState {
    pinged: bool,
    challenge: Option<Challenge>,
    tokens: HashMap<String, CachedToken>,
}

/// A client for one registry (`localhost:5000`, `docker.io`, …).
#[derive(Debug)]
pub struct RegistryClient {
    domain: String,
    base: String,
    agent: ureq::Agent,
    connect_timeout: Duration,
    credentials: Option<(String, String)>,
    state: Mutex<AuthState>,
}

/// Whether Docker would talk plain http to `host` without being told: loopback only.
pub fn is_default_insecure(host: &str) -> bool {
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !name.ends_with(':') => name,
        _ => host,
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    name == "localhost" || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl RegistryClient {
    /// A client for `host` as it appears in references (`docker.io` means Docker Hub's API
    /// endpoint `registry-1.docker.io`).
    pub fn new(host: &str, insecure: bool) -> RegistryClient {
        let api_host = if host == DEFAULT_DOMAIN {
            "registry-1.docker.io"
        } else {
            host
        };
        let scheme = if insecure || is_default_insecure(host) {
            "http"
        } else {
            "https"
        };
        let connect_timeout = Duration::from_secs(30);
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None) // proxies are the engine's decision (DAEMON-05), not the environment's
            .timeout_connect(Some(connect_timeout))
            .timeout_recv_response(Some(Duration::from_secs(120)))
            .user_agent(concat!("minidocker/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        RegistryClient {
            domain: host.to_owned(),
            base: format!("{scheme}://{api_host}"),
            agent,
            connect_timeout,
            credentials: None,
            state: Mutex::new(AuthState::default()),
        }
    }

    /// Use these credentials (`docker login`) for Basic challenges and token requests.
    pub fn with_credentials(mut self, user: &str, password: &str) -> RegistryClient {
        self.credentials = Some((user.to_owned(), password.to_owned()));
        self
    }

    /// `http://127.0.0.1:5000`
    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn state(&self) -> MutexGuard<'_, AuthState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `localhost:5000/app:v1`, `busybox:latest`: how Docker names `repo` in messages.
    fn familiar(&self, repo: &str, reference: Option<&str>) -> String {
        let r = Reference {
            domain: self.domain.clone(),
            path: repo.to_owned(),
            tag: None,
            digest: None,
        };
        match reference {
            Some(d) if d.contains(':') => format!("{}@{d}", r.familiar_name()),
            Some(tag) => format!("{}:{tag}", r.familiar_name()),
            None => r.familiar_name(),
        }
    }

    // ANCHOR: send
    /// Send a request made by `make(authorization)`, authenticating as the registry asks: the
    /// first call pings `/v2/` to learn the challenge; a `401` later (a new scope, an expired
    /// token) refreshes the token and, if `retryable`, sends once more.
    fn send(
        &self,
        method: &str,
        url: &str,
        scope: &str,
        retryable: bool,
        mut make: impl FnMut(Option<&str>) -> Result<HttpResponse, ureq::Error>,
    ) -> Result<HttpResponse, RegistryError> {
        self.ping()?;
        let authorization = self.authorization(scope, false)?;
        let response = make(authorization.as_deref()).map_err(|e| transport_error(method, url, e))?;
        if response.status().as_u16() != 401 || !retryable {
            return Ok(response);
        }
        if let Some(challenge) = challenge_of(&response) {
            self.state().challenge = Some(challenge);
        }
        match self.authorization(scope, true)? {
            Some(fresh) => make(Some(&fresh)).map_err(|e| transport_error(method, url, e)),
            None => Ok(response),
        }
    }
    // ANCHOR_END: send

    /// `GET /v2/`: is the registry there, and how does it want to be authenticated? Every
    /// request does this first (once); `docker push` does it before touching any layer.
    pub fn ping(&self) -> Result<(), RegistryError> {
        if self.state().pinged {
            return Ok(());
        }
        let url = format!("{}/v2/", self.base);
        if url.starts_with("https://") {
            // Fail as Docker would when the host is unreachable; only a reachable https
            // registry gets the "no TLS" error.
            dial(&url, self.connect_timeout)?;
            return Err(RegistryError::TlsUnsupported { url });
        }
        let response = self
            .agent
            .get(&url)
            .call()
            .map_err(|e| transport_error("GET", &url, e))?;
        let mut state = self.state();
        state.challenge = match response.status().as_u16() {
            200..=299 => None,
            401 => challenge_of(&response),
            _ => return Err(unexpected(response, "GET", &url)),
        };
        state.pinged = true;
        Ok(())
    }

    /// The `Authorization` header for `scope`, fetching a token if the challenge is Bearer.
    fn authorization(&self, scope: &str, refresh: bool) -> Result<Option<String>, RegistryError> {
        let challenge = self.state().challenge.clone();
        let Some(challenge) = challenge else {
            return Ok(None);
        };
        if challenge.scheme == "basic" {
            return Ok(self.credentials.as_ref().map(|(u, p)| basic_authorization(u, p)));
        }
        if challenge.scheme != "bearer" {
            return Ok(None);
        }
        if !refresh {
            if let Some(t) = self.state().tokens.get(scope).filter(|t| t.is_fresh()) {
                return Ok(Some(format!("Bearer {}", t.token)));
            }
        }
        let token = self.fetch_token(&challenge, scope)?;
        let header = format!("Bearer {}", token.token);
        self.state().tokens.insert(scope.to_owned(), token);
        Ok(Some(header))
    }

    // ANCHOR: fetch_token
    fn fetch_token(&self, challenge: &Challenge, scope: &str) -> Result<CachedToken, RegistryError> {
        let realm = challenge.params.get("realm").cloned().unwrap_or_default();
        let token_error = |message: String| RegistryError::Token {
            realm: realm.clone(),
            message,
        };
        if !realm.starts_with("http://") && !realm.starts_with("https://") {
            return Err(token_error("the challenge names no http(s) realm".into()));
        }
        // Several scopes (a cross-repository mount needs two) go as several `scope` parameters.
        let mut request = self.agent.get(&realm);
        for one in scope.split_whitespace() {
            request = request.query("scope", one);
        }
        if let Some(service) = challenge.params.get("service") {
            request = request.query("service", service);
        }
        if let Some((user, password)) = &self.credentials {
            request = request.header("Authorization", basic_authorization(user, password));
        }
        let response = request.call().map_err(|e| transport_error("GET", &realm, e))?;
        let status = response.status().as_u16();
        let body = read_limited(response, MAX_ERROR_BODY).map_err(|e| token_error(e.to_string()))?;
        if status != 200 {
            return Err(match first_api_error(&body) {
                Some(api) => RegistryError::Api(api),
                None => token_error(format!("HTTP status {status}")),
            });
        }
        let parsed: TokenResponse = serde_json::from_slice(&body).map_err(|e| token_error(e.to_string()))?;
        parsed
            .into_token()
            .ok_or_else(|| token_error("the response holds no token".into()))
    }
    // ANCHOR_END: fetch_token
}

/// The registry's own explanation if it gave one, else the bare status.
fn unexpected(response: HttpResponse, method: &str, url: &str) -> RegistryError {
    let status = response.status().as_u16();
    match read_limited(response, MAX_ERROR_BODY)
        .ok()
        .and_then(|b| first_api_error(&b))
    {
        Some(cause) => RegistryError::Api(cause),
        None => RegistryError::UnexpectedStatus {
            status: status_text(status),
            method: method.to_owned(),
            url: url.to_owned(),
        },
    }
}

/// `404 Not Found`, as Go prints a response status.
fn status_text(status: u16) -> String {
    let reason = ureq::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or_default();
    format!("{status} {reason}").trim_end().to_owned()
}

fn with_auth<B>(request: ureq::RequestBuilder<B>, authorization: Option<&str>) -> ureq::RequestBuilder<B> {
    match authorization {
        Some(value) => request.header("Authorization", value),
        None => request,
    }
}

fn header(response: &HttpResponse, name: &str) -> Option<String> {
    let value = response.headers().get(name)?.to_str().ok()?;
    Some(value.split(';').next().unwrap_or_default().trim().to_owned())
}

fn challenge_of(response: &HttpResponse) -> Option<Challenge> {
    let mut challenges: Vec<Challenge> = response
        .headers()
        .get_all("www-authenticate")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(parse_challenge)
        .collect();
    challenges.sort_by_key(|c| c.scheme != "bearer"); // prefer Bearer over Basic
    challenges.into_iter().next()
}

fn read_limited(response: HttpResponse, limit: u64) -> Result<Vec<u8>, ureq::Error> {
    response.into_body().into_with_config().limit(limit).read_to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_insecure_by_default() {
        for host in [
            "localhost:5000",
            "127.0.0.1:5000",
            "127.1.2.3",
            "[::1]:5000",
            "localhost",
        ] {
            assert!(is_default_insecure(host), "{host}");
            assert!(RegistryClient::new(host, false).base_url().starts_with("http://"));
        }
        for host in ["docker.io", "registry.example.com:5000", "10.0.0.1:5000"] {
            assert!(!is_default_insecure(host), "{host}");
        }
        assert_eq!(
            RegistryClient::new("docker.io", false).base_url(),
            "https://registry-1.docker.io"
        );
        assert_eq!(
            RegistryClient::new("10.0.0.1:5000", true).base_url(),
            "http://10.0.0.1:5000"
        );
        assert_eq!(status_text(404), "404 Not Found");
    }
}
