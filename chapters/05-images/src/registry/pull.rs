//! Pulling: manifests (through an index to one platform) and blobs into the blob store.

use std::io::Read;

use super::auth::repository_scope;
use super::error::{first_api_error, transport_error};
use super::{
    HttpResponse, MAX_ERROR_BODY, RegistryClient, RegistryError, header, read_limited, status_text, with_auth,
};
use crate::blobs::BlobStore;
use crate::digest::Digest;
use crate::manifest::{ACCEPT_MANIFESTS, ImageManifest, Manifest, parse_manifest, select_platform};

/// Docker refuses manifests larger than this.
pub const MAX_MANIFEST_SIZE: u64 = 4 << 20;

/// A manifest as the registry served it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedManifest {
    pub media_type: String,
    pub bytes: Vec<u8>,
    /// The sha256 of `bytes`: what `name@digest` pins.
    pub digest: Digest,
}

impl FetchedManifest {
    pub fn parse(&self) -> Result<Manifest, RegistryError> {
        Ok(parse_manifest(Some(&self.media_type), &self.bytes)?)
    }
}

/// The image manifest for one platform, reached through an index if the tag names one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedImage {
    /// The digest of what the tag points at (an index for multi-platform images): Docker prints
    /// it as `Digest: sha256:…` and records `name@<digest>` in `repositories.json`.
    pub digest: Digest,
    pub manifest_digest: Digest,
    pub manifest: ImageManifest,
}

impl RegistryClient {
    // ANCHOR: get_manifest
    /// Fetch the manifest `reference` (a tag or a digest) of repository `repo`
    /// (`library/busybox`). A manifest fetched by digest must hash to it.
    pub fn get_manifest(&self, repo: &str, reference: &str) -> Result<FetchedManifest, RegistryError> {
        let url = format!("{}/v2/{repo}/manifests/{reference}", self.base);
        let accept = ACCEPT_MANIFESTS.join(", ");
        let response = self.send("GET", &url, &repository_scope(repo, false), true, |auth| {
            with_auth(self.agent.get(&url).header("Accept", &accept), auth).call()
        })?;
        if response.status().as_u16() != 200 {
            return Err(self.pull_error(response, "GET", &url, repo, Some(reference)));
        }
        let content_type = header(&response, "content-type");
        let bytes =
            read_limited(response, MAX_MANIFEST_SIZE + 1).map_err(|e| transport_error("GET", &url, e))?;
        if bytes.len() as u64 > MAX_MANIFEST_SIZE {
            return Err(RegistryError::ManifestTooBig {
                reference: self.familiar(repo, Some(reference)),
                limit: MAX_MANIFEST_SIZE,
            });
        }
        let digest = Digest::of(&bytes);
        if let Ok(expected) = reference.parse::<Digest>() {
            if expected != digest {
                return Err(crate::digest::DigestMismatch {
                    expected,
                    actual: digest,
                }
                .into());
            }
        }
        let media_type = match content_type.filter(|t| ACCEPT_MANIFESTS.contains(&t.as_str())) {
            Some(t) => t,
            None => match parse_manifest(None, &bytes)? {
                Manifest::Image(m) => m
                    .media_type
                    .unwrap_or_else(|| crate::manifest::OCI_MANIFEST.into()),
                Manifest::Index(i) => i.media_type.unwrap_or_else(|| crate::manifest::OCI_INDEX.into()),
            },
        };
        Ok(FetchedManifest {
            media_type,
            bytes,
            digest,
        })
    }
    // ANCHOR_END: get_manifest

    // ANCHOR: resolve_image
    /// Resolve `reference` to the image manifest for `os`/`architecture`, going through the
    /// index if the tag names a multi-platform image.
    pub fn resolve_image(
        &self,
        repo: &str,
        reference: &str,
        os: &str,
        architecture: &str,
    ) -> Result<ResolvedImage, RegistryError> {
        let top = self.get_manifest(repo, reference)?;
        let (manifest_digest, manifest) = match top.parse()? {
            Manifest::Image(m) => (top.digest.clone(), m),
            Manifest::Index(index) => {
                let chosen = select_platform(&index, os, architecture)?;
                let fetched = self.get_manifest(repo, &chosen.digest.to_string())?;
                match fetched.parse()? {
                    Manifest::Image(m) => (fetched.digest, m),
                    Manifest::Index(_) => {
                        return Err(
                            crate::manifest::ManifestError::UnsupportedMediaType(fetched.media_type).into(),
                        );
                    }
                }
            }
        };
        Ok(ResolvedImage {
            digest: top.digest,
            manifest_digest,
            manifest,
        })
    }
    // ANCHOR_END: resolve_image

    // ANCHOR: fetch_blob
    /// Download blob `digest` of `repo` into `store`, calling `progress(done, total)` as bytes
    /// arrive (`total` is 0 when the registry does not say). The blob is staged and verified
    /// by the store: a wrong or truncated download leaves nothing. Returns the blob's size.
    pub fn fetch_blob(
        &self,
        repo: &str,
        digest: &Digest,
        store: &BlobStore,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<u64, RegistryError> {
        if store.exists(digest) {
            let size = store.size(digest)?;
            progress(size, size);
            return Ok(size);
        }
        let url = format!("{}/v2/{repo}/blobs/{digest}", self.base);
        let response = self.send("GET", &url, &repository_scope(repo, false), true, |auth| {
            with_auth(self.agent.get(&url), auth).call()
        })?;
        if response.status().as_u16() != 200 {
            return Err(self.pull_error(response, "GET", &url, repo, None));
        }
        let total = header(&response, "content-length")
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        let mut reader = ProgressReader {
            inner: response.into_body().into_reader(),
            done: 0,
            total,
            progress,
        };
        let (_, size) = store.put_stream(&mut reader, Some(digest))?;
        Ok(size)
    }
    // ANCHOR_END: fetch_blob

    // ANCHOR: list_tags
    /// The tags of `repo` (`docker pull --all-tags`), following the registry's `Link` header
    /// when it pages the list.
    pub fn list_tags(&self, repo: &str) -> Result<Vec<String>, RegistryError> {
        #[derive(serde::Deserialize)]
        struct TagList {
            #[serde(default)]
            tags: Option<Vec<String>>,
        }
        let mut tags = Vec::new();
        let mut url = format!("{}/v2/{repo}/tags/list", self.base);
        loop {
            let response = self.send("GET", &url, &repository_scope(repo, false), true, |auth| {
                with_auth(self.agent.get(&url), auth).call()
            })?;
            if response.status().as_u16() != 200 {
                return Err(self.pull_error(response, "GET", &url, repo, None));
            }
            let next = header(&response, "link")
                .and_then(|l| Some(l.trim().strip_prefix('<')?.strip_suffix('>')?.to_owned()));
            let body =
                read_limited(response, MAX_MANIFEST_SIZE).map_err(|e| transport_error("GET", &url, e))?;
            let page: TagList = serde_json::from_slice(&body).map_err(|e| RegistryError::Transport {
                method: "Get".into(),
                url: url.clone(),
                message: format!("invalid tag list: {e}"),
            })?;
            tags.extend(page.tags.unwrap_or_default());
            match next {
                Some(next) if next.starts_with('/') && format!("{}{next}", self.base) != url => {
                    url = format!("{}{next}", self.base);
                }
                Some(next) if next.starts_with(&self.base) && next != url => url = next,
                _ => return Ok(tags),
            }
        }
    }
    // ANCHOR_END: list_tags

    /// Docker's translation of a failed pull request.
    fn pull_error(
        &self,
        response: HttpResponse,
        method: &str,
        url: &str,
        repo: &str,
        reference: Option<&str>,
    ) -> RegistryError {
        let status = response.status().as_u16();
        let Some(cause) = read_limited(response, MAX_ERROR_BODY)
            .ok()
            .and_then(|b| first_api_error(&b))
        else {
            return RegistryError::UnexpectedStatus {
                status: status_text(status),
                method: method.to_owned(),
                url: url.to_owned(),
            };
        };
        let name = self.familiar(repo, None);
        match (cause.code.as_str(), reference) {
            ("MANIFEST_UNKNOWN", Some(r)) => RegistryError::ManifestUnknown {
                reference: self.familiar(repo, Some(r)),
                cause,
            },
            ("NAME_UNKNOWN", _) => RegistryError::NameUnknown { name, cause },
            ("DENIED", _) | ("UNAUTHORIZED", _) => RegistryError::PullAccessDenied { name, cause },
            _ => RegistryError::Api(cause),
        }
    }
}

/// Reports `(done, total)` after every read.
struct ProgressReader<'a, R> {
    inner: R,
    done: u64,
    total: u64,
    progress: &'a mut dyn FnMut(u64, u64),
}

impl<R: Read> Read for ProgressReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.done += n as u64;
            (self.progress)(self.done, self.total);
        }
        Ok(n)
    }
}
