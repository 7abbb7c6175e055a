//! Image references: `busybox`, `busybox:1.36`, `localhost:5000/team/app:v1`, `name@sha256:…`.
//!
//! Parsed and normalised the way Docker's `distribution/reference` does it: a name without a
//! registry host belongs to `docker.io`, and a one-component name there to `library/`.
//! The engine looks images up only by the normalised form; Docker's `repositories.json` and the
//! registry API each want a different spelling of it ([`Reference::repository_key`],
//! [`Reference::registry_path`]).

use std::fmt;

use crate::digest::Digest;

pub const DEFAULT_DOMAIN: &str = "docker.io";
pub const DEFAULT_TAG: &str = "latest";
const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";
const OFFICIAL_REPO_PREFIX: &str = "library/";
const NAME_TOTAL_LENGTH_MAX: usize = 255;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("invalid reference format")]
    Invalid,
    #[error("invalid reference format: repository name ({0}) must be lowercase")]
    Uppercase(String),
    #[error("repository name must not be more than 255 characters")]
    NameTooLong,
}

/// A fully normalised reference: `domain/path` plus a tag and/or a digest.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reference {
    pub domain: String,
    pub path: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl Reference {
    /// Parse and normalise, adding `:latest` when neither tag nor digest is given.
    pub fn parse_normalized(s: &str) -> Result<Reference, ReferenceError> {
        let mut r = parse(s)?;
        if r.tag.is_none() && r.digest.is_none() {
            r.tag = Some(DEFAULT_TAG.to_owned());
        }
        Ok(r)
    }

    /// Parse and normalise without adding a default tag (`docker images busybox` filters on the
    /// repository alone).
    pub fn parse_name(s: &str) -> Result<Reference, ReferenceError> {
        parse(s)
    }

    /// The same repository with `tag` and no digest: `docker tag`, or `:latest` for a pull.
    pub fn with_tag(&self, tag: &str) -> Result<Reference, ReferenceError> {
        if !is_tag(tag) {
            return Err(ReferenceError::Invalid);
        }
        Ok(Reference {
            domain: self.domain.clone(),
            path: self.path.clone(),
            tag: Some(tag.to_owned()),
            digest: None,
        })
    }

    /// The same repository pinned to `digest` (no tag): `busybox@sha256:…`.
    pub fn with_digest(&self, digest: &Digest) -> Reference {
        Reference {
            domain: self.domain.clone(),
            path: self.path.clone(),
            tag: None,
            digest: Some(digest.to_string()),
        }
    }

    /// The repository alone, without tag or digest.
    pub fn repository(&self) -> Reference {
        Reference {
            domain: self.domain.clone(),
            path: self.path.clone(),
            tag: None,
            digest: None,
        }
    }

    /// The digest this reference is pinned to, if any (parsing already checked its form).
    pub fn digest(&self) -> Option<Digest> {
        self.digest.as_deref().and_then(|d| d.parse().ok())
    }

    // ANCHOR: reference_keys
    /// The key of this repository in Docker's `repositories.json`: the familiar name
    /// (`docker.io/library/busybox` → `busybox`, `localhost:5000/app` → `localhost:5000/app`).
    pub fn repository_key(&self) -> String {
        self.familiar_name()
    }

    /// The repository's name in the registry API, `/v2/<registry_path>/manifests/…`
    /// (`docker.io/library/busybox` → `library/busybox`).
    pub fn registry_path(&self) -> &str {
        &self.path
    }
    // ANCHOR_END: reference_keys

    /// `docker.io/library/busybox`
    pub fn name(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    // ANCHOR: familiar
    /// The short form people type and Docker prints: `busybox`, `localhost:5000/app`.
    pub fn familiar_name(&self) -> String {
        if self.domain == DEFAULT_DOMAIN {
            self.path
                .strip_prefix(OFFICIAL_REPO_PREFIX)
                .unwrap_or(&self.path)
                .to_owned()
        } else {
            self.name()
        }
    }

    /// `busybox:latest`, as in `Unable to find image 'busybox:latest' locally`.
    pub fn familiar_string(&self) -> String {
        let mut s = self.familiar_name();
        if let Some(t) = &self.tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(d);
        }
        s
    }
}
// ANCHOR_END: familiar

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name())?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

// ANCHOR: parse_reference
fn parse(s: &str) -> Result<Reference, ReferenceError> {
    let (rest, digest) = match s.split_once('@') {
        Some((r, d)) => {
            if !is_digest(d) {
                return Err(ReferenceError::Invalid);
            }
            (r, Some(d.to_owned()))
        }
        None => (s, None),
    };
    // A tag is what follows the last ':' when no '/' comes after it (a ':' before a '/' is a port).
    let (name, tag) = match rest.rfind(':') {
        Some(i) if !rest[i..].contains('/') => (&rest[..i], Some(&rest[i + 1..])),
        _ => (rest, None),
    };
    if let Some(t) = tag {
        if !is_tag(t) {
            return Err(ReferenceError::Invalid);
        }
    }
    if name.is_empty() {
        return Err(ReferenceError::Invalid);
    }
    let (domain, path) = split_domain(name);
    if path.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(ReferenceError::Uppercase(path));
    }
    if !is_domain(&domain) || !path.split('/').all(is_path_component) {
        return Err(ReferenceError::Invalid);
    }
    if domain.len() + 1 + path.len() > NAME_TOTAL_LENGTH_MAX {
        return Err(ReferenceError::NameTooLong);
    }
    Ok(Reference {
        domain,
        path,
        tag: tag.map(str::to_owned),
        digest,
    })
}
// ANCHOR_END: parse_reference

// ANCHOR: split_domain
/// `busybox` → (`docker.io`, `library/busybox`); `localhost:5000/app` → (`localhost:5000`, `app`).
fn split_domain(name: &str) -> (String, String) {
    let (domain, path) = match name.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.chars().any(|c| c.is_ascii_uppercase()) =>
        {
            (first.to_owned(), rest.to_owned())
        }
        _ => (DEFAULT_DOMAIN.to_owned(), name.to_owned()),
    };
    let domain = if domain == LEGACY_DEFAULT_DOMAIN {
        DEFAULT_DOMAIN.to_owned()
    } else {
        domain
    };
    if domain == DEFAULT_DOMAIN && !path.contains('/') {
        return (domain, format!("{OFFICIAL_REPO_PREFIX}{path}"));
    }
    (domain, path)
}
// ANCHOR_END: split_domain

fn is_alnum_lower(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*`
fn is_path_component(c: &str) -> bool {
    let bytes: Vec<char> = c.chars().collect();
    if bytes.is_empty() || !is_alnum_lower(bytes[0]) || !is_alnum_lower(bytes[bytes.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if is_alnum_lower(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !is_alnum_lower(bytes[i]) {
            i += 1;
        }
        let sep: String = bytes[start..i].iter().collect();
        let ok = sep == "." || sep == "_" || sep == "__" || sep.chars().all(|c| c == '-');
        if !ok {
            return false;
        }
    }
    true
}

fn is_domain(d: &str) -> bool {
    let (host, port) = match d.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (d, None),
    };
    if port.is_some_and(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_digit())) {
        return false;
    }
    !host.is_empty()
        && host.split('.').all(|part| {
            !part.is_empty()
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !part.starts_with('-')
                && !part.ends_with('-')
        })
}

/// `[\w][\w.-]{0,127}`
fn is_tag(t: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut chars = t.chars();
    t.len() <= 128 && chars.next().is_some_and(word) && chars.all(|c| word(c) || c == '.' || c == '-')
}

fn is_digest(d: &str) -> bool {
    match d.split_once(':') {
        Some(("sha256", hex)) => {
            hex.len() == 64
                && hex
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn norm(s: &str) -> String {
        Reference::parse_normalized(s).unwrap().to_string()
    }

    #[test]
    fn normalises_like_docker() {
        assert_eq!(norm("busybox"), "docker.io/library/busybox:latest");
        assert_eq!(norm("busybox:1.36"), "docker.io/library/busybox:1.36");
        assert_eq!(norm("team/app"), "docker.io/team/app:latest");
        assert_eq!(
            norm("index.docker.io/library/busybox"),
            "docker.io/library/busybox:latest"
        );
        assert_eq!(norm("localhost:5000/app:v1"), "localhost:5000/app:v1");
        assert_eq!(norm("localhost/app"), "localhost/app:latest");
        assert_eq!(
            norm("registry.example.com/a/b/c"),
            "registry.example.com/a/b/c:latest"
        );
        let d = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            norm(&format!("busybox@{d}")),
            format!("docker.io/library/busybox@{d}")
        );
    }

    #[test]
    fn familiar_forms() {
        let r = Reference::parse_normalized("docker.io/library/busybox").unwrap();
        assert_eq!(r.familiar_string(), "busybox:latest");
        let r = Reference::parse_normalized("localhost:5000/app").unwrap();
        assert_eq!(r.familiar_string(), "localhost:5000/app:latest");
    }

    #[test]
    fn keys_for_the_store_and_the_registry() {
        let r = Reference::parse_normalized("busybox").unwrap();
        assert_eq!(r.repository_key(), "busybox");
        assert_eq!(r.registry_path(), "library/busybox");
        let r = Reference::parse_normalized("localhost:5000/team/app:v1").unwrap();
        assert_eq!(r.repository_key(), "localhost:5000/team/app");
        assert_eq!(r.registry_path(), "team/app");
        assert_eq!(
            r.with_tag("v2").unwrap().familiar_string(),
            "localhost:5000/team/app:v2"
        );
        assert!(r.with_tag("-bad").is_err());
        let d = Digest::of(b"x");
        let pinned = r.with_digest(&d);
        assert_eq!(pinned.familiar_string(), format!("localhost:5000/team/app@{d}"));
        assert_eq!(pinned.digest(), Some(d));
        assert_eq!(Reference::parse_name("busybox").unwrap().tag, None);
    }

    #[test]
    fn rejects_what_docker_rejects() {
        assert_eq!(
            Reference::parse_normalized("BusyBox").unwrap_err().to_string(),
            "invalid reference format: repository name (library/BusyBox) must be lowercase"
        );
        for bad in [
            "",
            ":latest",
            "busybox:",
            "a//b",
            "-a",
            "a-",
            "a@sha256:xyz",
            "busy box",
            "a:b:c",
            "a/b:",
            "a..b",
            "a:-tag",
        ] {
            assert!(
                Reference::parse_normalized(bad).is_err(),
                "{bad:?} should be invalid"
            );
        }
    }

    proptest! {
        #[test]
        fn valid_names_round_trip(path in "[a-z0-9]{1,8}(/[a-z0-9]{1,8}){0,2}", tag in "[a-z0-9_][a-z0-9_.-]{0,10}") {
            let r = Reference::parse_normalized(&format!("{path}:{tag}")).unwrap();
            prop_assert_eq!(Reference::parse_normalized(&r.to_string()).unwrap(), r.clone());
            prop_assert_eq!(Reference::parse_normalized(&r.familiar_string()).unwrap(), r);
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = Reference::parse_normalized(&s);
        }
    }
}
