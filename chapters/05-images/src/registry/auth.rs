//! Registry authentication: the `WWW-Authenticate` challenge and the bearer-token dance.
//!
//! A registry that wants credentials answers `401` with, for example,
//!
//! ```text
//! WWW-Authenticate: Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"
//! ```
//!
//! The client then asks the *realm* for a token for that service and scope (anonymously, or
//! with Basic credentials after `docker login`) and repeats the request with
//! `Authorization: Bearer <token>`. A registry may instead ask for `Basic` directly.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde::Deserialize;

/// A parsed `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// `bearer` or `basic`, lowercased.
    pub scheme: String,
    /// `realm`, `service`, `scope`, … (names lowercased).
    pub params: BTreeMap<String, String>,
}

// ANCHOR: parse_challenge
/// Parse `Scheme key="value",key2=value2`; quoted values may contain `,` and `\"`.
pub fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    if scheme.is_empty() {
        return None;
    }
    let mut params = BTreeMap::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.trim().is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            value = chars.by_ref().take_while(|c| *c != ',').collect();
        }
        params.insert(key.trim().to_ascii_lowercase(), value.trim().to_owned());
    }
    Some(Challenge {
        scheme: scheme.to_ascii_lowercase(),
        params,
    })
}
// ANCHOR_END: parse_challenge

/// `Authorization: Basic base64(user:password)`.
pub fn basic_authorization(user: &str, password: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {encoded}")
}

/// The scope a request needs: `repository:library/busybox:pull` (or `:pull,push`).
pub fn repository_scope(repo: &str, push: bool) -> String {
    let actions = if push { "pull,push" } else { "pull" };
    format!("repository:{repo}:{actions}")
}

/// What a token endpoint answers (Docker Hub sends both names).
#[derive(Debug, Deserialize)]
pub struct TokenResponse {
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub access_token: Option<String>,
    /// Seconds; the distribution spec says to assume 60 when absent.
    #[serde(default)]
    pub expires_in: Option<u64>,
}

impl TokenResponse {
    pub fn into_token(self) -> Option<CachedToken> {
        let token = self.token.or(self.access_token).filter(|t| !t.is_empty())?;
        let lifetime = Duration::from_secs(self.expires_in.unwrap_or(60).max(60));
        Some(CachedToken {
            token,
            // Renew a little early so a token does not expire in the middle of a request.
            expires: Instant::now() + lifetime.saturating_sub(Duration::from_secs(10)),
        })
    }
}

#[derive(Debug, Clone)]
pub struct CachedToken {
    pub token: String,
    pub expires: Instant,
}

impl CachedToken {
    pub fn is_fresh(&self) -> bool {
        Instant::now() < self.expires
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bearer_and_basic_challenges() {
        let c = parse_challenge(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull,push""#,
        )
        .unwrap();
        assert_eq!(c.scheme, "bearer");
        assert_eq!(c.params["realm"], "https://auth.docker.io/token");
        assert_eq!(c.params["service"], "registry.docker.io");
        assert_eq!(c.params["scope"], "repository:library/busybox:pull,push");

        let c = parse_challenge(r#"Basic realm="Registry Realm", charset=UTF-8"#).unwrap();
        assert_eq!(c.scheme, "basic");
        assert_eq!(c.params["realm"], "Registry Realm");
        assert_eq!(c.params["charset"], "UTF-8");

        let c = parse_challenge(r#"Bearer realm="a\"b""#).unwrap();
        assert_eq!(c.params["realm"], "a\"b");
        assert_eq!(parse_challenge(""), None);
    }

    #[test]
    fn basic_header_and_scope() {
        assert_eq!(basic_authorization("user", "pass"), "Basic dXNlcjpwYXNz");
        assert_eq!(
            repository_scope("library/busybox", false),
            "repository:library/busybox:pull"
        );
        assert_eq!(
            repository_scope("team/app", true),
            "repository:team/app:pull,push"
        );
    }

    #[test]
    fn token_or_access_token() {
        let t: TokenResponse = serde_json::from_str(r#"{"access_token":"abc","expires_in":300}"#).unwrap();
        assert_eq!(t.into_token().unwrap().token, "abc");
        let t: TokenResponse = serde_json::from_str(r#"{"token":""}"#).unwrap();
        assert!(t.into_token().is_none());
    }
}
