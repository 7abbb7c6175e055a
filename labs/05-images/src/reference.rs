//! Image references: `busybox`, `busybox:1.36`, `localhost:5000/team/app:v1`, `name@sha256:…`.
//!
//! **Lab 05 skeleton.** Exercise `ex2`: write `split_domain` and
//! [`Reference::familiar_name`] (the two `todo!()`s; the grammar checks are done).
//! `labs/check 05` tells you how far you are.
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

    /// `docker.io/library/busybox`
    pub fn name(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    /// The short form people type and Docker prints: `busybox`, `localhost:5000/app`.
    pub fn familiar_name(&self) -> String {
        // ex2: the way back: on DEFAULT_DOMAIN, the path without OFFICIAL_REPO_PREFIX;
        // anywhere else, the whole `self.name()`.
        todo!("ex2: on docker.io the path without library/, elsewhere domain/path")
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

/// `busybox` → (`docker.io`, `library/busybox`); `localhost:5000/app` → (`localhost:5000`, `app`).
fn split_domain(name: &str) -> (String, String) {
    // ex2: the first component of `name` is a registry host when a `/` follows it and it
    // contains `.` or `:`, is `localhost`, or has an uppercase letter. Otherwise the
    // domain is DEFAULT_DOMAIN and the path is the whole name. LEGACY_DEFAULT_DOMAIN
    // (`index.docker.io`) is spelled DEFAULT_DOMAIN too, and a path of one component on
    // DEFAULT_DOMAIN gets OFFICIAL_REPO_PREFIX (`library/`) in front.
    todo!(
        "ex2: (domain, path): the first component if it looks like a host (., :, localhost, uppercase), else docker.io; index.docker.io is docker.io; a one-component docker.io path gets library/"
    )
}

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
