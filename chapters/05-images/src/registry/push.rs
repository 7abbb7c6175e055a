//! Pushing: blobs by monolithic upload, then the manifest that names them.

use std::io::Read;

use super::auth::repository_scope;
use super::{HttpResponse, RegistryClient, RegistryError, header, unexpected, with_auth};
use crate::digest::Digest;

impl RegistryClient {
    /// Whether `repo` already has blob `digest` (`HEAD`).
    pub fn blob_exists(&self, repo: &str, digest: &Digest) -> Result<bool, RegistryError> {
        Ok(self.stat_blob(repo, digest)?.is_some())
    }

    /// The size of blob `digest` in `repo`, if the registry has it there (`HEAD`). A push
    /// skips such a blob but still needs its size for the manifest.
    pub fn stat_blob(&self, repo: &str, digest: &Digest) -> Result<Option<u64>, RegistryError> {
        let url = format!("{}/v2/{repo}/blobs/{digest}", self.base);
        let response = self.send("HEAD", &url, &repository_scope(repo, true), true, |auth| {
            with_auth(self.agent.head(&url), auth).call()
        })?;
        match response.status().as_u16() {
            200 => Ok(Some(
                header(&response, "content-length")
                    .and_then(|l| l.parse().ok())
                    .unwrap_or(0),
            )),
            404 => Ok(None),
            _ => Err(self.push_error(response, "HEAD", &url)),
        }
    }

    // ANCHOR: mount_blob
    /// Ask the registry to link blob `digest` of its repository `from` into `repo` without
    /// sending it again (a cross-repository mount, Docker's `Mounted from <from>`). `false`
    /// when the registry declined; it then opened an upload, which is cancelled.
    pub fn mount_blob(&self, repo: &str, digest: &Digest, from: &str) -> Result<bool, RegistryError> {
        let scope = format!(
            "{} {}",
            repository_scope(repo, true),
            repository_scope(from, false)
        );
        let url = format!(
            "{}/v2/{repo}/blobs/uploads/?mount={digest}&from={from}",
            self.base
        );
        let response = self.send("POST", &url, &scope, true, |auth| {
            with_auth(self.agent.post(&url).header("Content-Length", "0"), auth).send_empty()
        })?;
        match response.status().as_u16() {
            201 => Ok(true),
            202 => {
                if let Some(location) = header(&response, "location") {
                    let upload = self.absolute(location);
                    let _ = self.send("DELETE", &upload, &scope, false, |auth| {
                        with_auth(self.agent.delete(&upload), auth).call()
                    });
                }
                Ok(false)
            }
            _ => Err(self.push_error(response, "POST", &url)),
        }
    }
    // ANCHOR_END: mount_blob

    /// A `Location` the registry returned, made absolute.
    fn absolute(&self, location: String) -> String {
        if location.starts_with("http://") || location.starts_with("https://") {
            location
        } else {
            format!("{}{location}", self.base)
        }
    }

    // ANCHOR: push_blob
    /// Upload `size` bytes of `content` as blob `digest`: `POST` an upload, then `PUT` the
    /// whole blob to the returned location with `?digest=` (a monolithic upload).
    pub fn push_blob(
        &self,
        repo: &str,
        digest: &Digest,
        size: u64,
        mut content: impl Read,
    ) -> Result<(), RegistryError> {
        let scope = repository_scope(repo, true);
        let url = format!("{}/v2/{repo}/blobs/uploads/", self.base);
        let response = self.send("POST", &url, &scope, true, |auth| {
            with_auth(self.agent.post(&url).header("Content-Length", "0"), auth).send_empty()
        })?;
        if response.status().as_u16() != 202 {
            return Err(self.push_error(response, "POST", &url));
        }
        let location =
            header(&response, "location").ok_or_else(|| RegistryError::NoLocation { url: url.clone() })?;
        let upload = self.absolute(location);
        let separator = if upload.contains('?') { '&' } else { '?' };
        let put_url = format!("{upload}{separator}digest={digest}");
        let response = self.send("PUT", &put_url, &scope, false, |auth| {
            let request = self
                .agent
                .put(&put_url)
                .header("Content-Type", "application/octet-stream")
                .header("Content-Length", size.to_string());
            with_auth(request, auth).send(ureq::SendBody::from_reader(&mut content))
        })?;
        match response.status().as_u16() {
            201 => Ok(()),
            _ => Err(self.push_error(response, "PUT", &put_url)),
        }
    }
    // ANCHOR_END: push_blob

    /// Upload a manifest under `tag` (or a digest); returns its digest.
    pub fn put_manifest(
        &self,
        repo: &str,
        tag: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<Digest, RegistryError> {
        let url = format!("{}/v2/{repo}/manifests/{tag}", self.base);
        let response = self.send("PUT", &url, &repository_scope(repo, true), true, |auth| {
            with_auth(self.agent.put(&url).header("Content-Type", media_type), auth).send(bytes)
        })?;
        if response.status().as_u16() != 201 {
            return Err(self.push_error(response, "PUT", &url));
        }
        let digest = Digest::of(bytes);
        if let Some(served) =
            header(&response, "docker-content-digest").and_then(|d| d.parse::<Digest>().ok())
        {
            if served != digest {
                return Err(crate::digest::DigestMismatch {
                    expected: digest,
                    actual: served,
                }
                .into());
            }
        }
        Ok(digest)
    }

    fn push_error(&self, response: HttpResponse, method: &str, url: &str) -> RegistryError {
        unexpected(response, method, url)
    }
}
