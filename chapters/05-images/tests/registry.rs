//! The registry client against a real registry (Debian's `docker-registry`) and against a tiny
//! scripted server for what a well-behaved registry never does.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns: a failure is a test failure

mod common;

use std::net::TcpListener;

use ch05_images::manifest::{DOCKER_CONFIG, DOCKER_LAYER_GZIP, DOCKER_MANIFEST, Manifest};
use ch05_images::registry::RegistryError;
use ch05_images::{BlobStore, Descriptor, Digest, ImageManifest, RegistryClient};
use common::{Registry, Reply, TinyServer, files_under, gzip, image_of, layer_tar};

/// A small image ready to push: (config, compressed layers, manifest).
fn small_image() -> (Vec<u8>, Vec<Vec<u8>>, ImageManifest) {
    let layers = vec![
        layer_tar(&[("bin/sh", b"#!shell")]),
        layer_tar(&[("etc/motd", b"hi")]),
    ];
    let image = image_of(&layers, "sh");
    let compressed: Vec<Vec<u8>> = layers.iter().map(|l| gzip(l)).collect();
    let manifest = ImageManifest::docker_v2(
        Descriptor::of(DOCKER_CONFIG, &image.raw),
        compressed
            .iter()
            .map(|c| Descriptor::of(DOCKER_LAYER_GZIP, c))
            .collect(),
    );
    (image.raw, compressed, manifest)
}

#[test]
fn push_then_pull_by_tag_and_by_digest() {
    let registry = Registry::start();
    let client = RegistryClient::new(&registry.host, false);
    let repo = "team/tiny";
    let (config, layers, manifest) = small_image();

    for blob in layers.iter().chain([&config]) {
        let digest = Digest::of(blob);
        assert!(!client.blob_exists(repo, &digest).unwrap());
        client
            .push_blob(repo, &digest, blob.len() as u64, &blob[..])
            .unwrap();
        assert!(client.blob_exists(repo, &digest).unwrap());
    }
    let bytes = manifest.to_bytes();
    let pushed = client.put_manifest(repo, "v1", DOCKER_MANIFEST, &bytes).unwrap();
    assert_eq!(pushed, Digest::of(&bytes));

    let by_tag = client.get_manifest(repo, "v1").unwrap();
    assert_eq!(
        (by_tag.media_type.as_str(), &by_tag.bytes, &by_tag.digest),
        (DOCKER_MANIFEST, &bytes, &pushed)
    );
    let by_digest = client.get_manifest(repo, &pushed.to_string()).unwrap();
    assert_eq!(by_digest, by_tag);
    let Manifest::Image(parsed) = by_tag.parse().unwrap() else {
        panic!("an image manifest was pushed")
    };
    assert_eq!(parsed, manifest);
    let resolved = client.resolve_image(repo, "v1", "linux", "amd64").unwrap();
    assert_eq!(
        (resolved.digest, resolved.manifest_digest),
        (pushed.clone(), pushed)
    );

    // Pull every blob into a fresh store, with progress.
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::open(dir.path()).unwrap();
    for desc in parsed.layers.iter().chain([&parsed.config]) {
        let mut last = (0, 0);
        let size = client
            .fetch_blob(repo, &desc.digest, &store, &mut |done, total| {
                last = (done, total)
            })
            .unwrap();
        assert_eq!((size, last), (desc.size, (desc.size, desc.size)));
    }
    assert_eq!(store.read(&parsed.config.digest).unwrap(), config);
    assert_eq!(store.read(&parsed.layers[1].digest).unwrap(), layers[1]);
}

#[test]
fn missing_repositories_and_tags_are_worded_like_docker() {
    let registry = Registry::start();
    let client = RegistryClient::new(&registry.host, false);
    // distribution 2.8 answers MANIFEST_UNKNOWN for a repository it never saw, as for a tag.
    let err = client.get_manifest("nope", "latest").unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "manifest for {}/nope:latest not found: manifest unknown: manifest unknown",
            registry.host
        )
    );

    let (config, _, _) = small_image();
    let digest = Digest::of(&config);
    client
        .push_blob("app", &digest, config.len() as u64, &config[..])
        .unwrap();
    let manifest = ImageManifest::docker_v2(Descriptor::of(DOCKER_CONFIG, &config), vec![]).to_bytes();
    client
        .put_manifest("app", "v1", DOCKER_MANIFEST, &manifest)
        .unwrap();
    let err = client.get_manifest("app", "v2").unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "manifest for {}/app:v2 not found: manifest unknown: manifest unknown",
            registry.host
        )
    );
    let err = client
        .fetch_blob(
            "app",
            &Digest::of(b"absent"),
            &BlobStore::open(tempfile::tempdir().unwrap().path()).unwrap(),
            &mut |_, _| {},
        )
        .unwrap_err();
    assert!(err.to_string().starts_with("blob unknown: "), "{err}");
}

#[test]
fn connection_refused_is_worded_like_go() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = RegistryClient::new(&format!("127.0.0.1:{port}"), false);
    let err = client.get_manifest("library/busybox", "latest").unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "Get \"http://127.0.0.1:{port}/v2/\": dial tcp 127.0.0.1:{port}: connect: connection refused"
        )
    );
}

#[test]
fn a_wrong_or_truncated_blob_leaves_nothing_in_the_store() {
    let good = b"the blob the manifest promises".to_vec();
    let digest = Digest::of(&good);
    let wrong_path = format!("/v2/evil/blobs/{digest}");
    let short_path = format!("/v2/short/blobs/{digest}");
    let server = TinyServer::start(move |req, _| match req.target.as_str() {
        "/v2/" => Reply::new(200, "{}"),
        p if p == wrong_path => Reply::new(200, "not the promised bytes"),
        p if p == short_path => Reply {
            declared_length: Some(good.len()),
            ..Reply::new(200, &good[..10])
        },
        _ => Reply::new(
            404,
            r#"{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}"#,
        ),
    });
    let client = RegistryClient::new(&server.host(), false);
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::open(dir.path()).unwrap();

    let err = client
        .fetch_blob("evil", &digest, &store, &mut |_, _| {})
        .unwrap_err();
    assert!(err.is_digest_mismatch(), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "digest mismatch for {digest}: got {}",
            Digest::of(b"not the promised bytes")
        )
    );
    let err = client
        .fetch_blob("short", &digest, &store, &mut |_, _| {})
        .unwrap_err();
    assert!(matches!(err, RegistryError::Blob(_)), "{err}");
    assert!(
        files_under(dir.path()).is_empty(),
        "{:?}",
        files_under(dir.path())
    );
    assert!(!store.exists(&digest));
}

#[test]
fn a_manifest_that_does_not_match_the_requested_digest_is_refused() {
    let served =
        br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;
    let server = TinyServer::start(move |req, _| match req.target.as_str() {
        "/v2/" => Reply::new(200, "{}"),
        _ => Reply::new(200, &served[..]).header("Content-Type", "application/vnd.oci.image.index.v1+json"),
    });
    let client = RegistryClient::new(&server.host(), false);
    let asked = Digest::of(b"something else");
    let err = client.get_manifest("app", &asked.to_string()).unwrap_err();
    assert!(err.is_digest_mismatch(), "{err}");
    let by_tag = client.get_manifest("app", "latest").unwrap();
    assert_eq!(by_tag.media_type, "application/vnd.oci.image.index.v1+json");
}

#[test]
fn bearer_token_flow() {
    let manifest = ImageManifest::docker_v2(Descriptor::of(DOCKER_CONFIG, b"{}"), vec![]).to_bytes();
    let body = manifest.clone();
    let server = TinyServer::start(move |req, base| {
        let challenge = format!(
            r#"Bearer realm="{base}/token",service="tiny-registry",scope="repository:team/app:pull""#
        );
        let authorized = req.header("authorization") == Some("Bearer s3cr3t");
        match req.target.as_str() {
            t if t.starts_with("/token?") => Reply::new(200, r#"{"token":"s3cr3t","expires_in":300}"#),
            _ if !authorized => Reply::new(
                401,
                r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
            )
            .header("WWW-Authenticate", &challenge),
            "/v2/" => Reply::new(200, "{}"),
            "/v2/team/app/manifests/latest" => {
                Reply::new(200, body.clone()).header("Content-Type", DOCKER_MANIFEST)
            }
            _ => Reply::new(404, ""),
        }
    });
    let client = RegistryClient::new(&server.host(), false);
    let fetched = client.get_manifest("team/app", "latest").unwrap();
    assert_eq!(fetched.bytes, manifest);
    // Reused for the next request of the same scope: no second token request.
    client.get_manifest("team/app", "latest").unwrap();

    let requests = server.requests();
    let tokens: Vec<_> = requests
        .iter()
        .filter(|r| r.target.starts_with("/token"))
        .collect();
    assert_eq!(tokens.len(), 1, "{requests:#?}");
    assert!(
        tokens[0].target.contains("scope=repository%3Ateam%2Fapp%3Apull"),
        "{}",
        tokens[0].target
    );
    assert!(
        tokens[0].target.contains("service=tiny-registry"),
        "{}",
        tokens[0].target
    );
    let manifests: Vec<_> = requests
        .iter()
        .filter(|r| r.target.contains("/manifests/"))
        .collect();
    assert!(
        manifests
            .iter()
            .all(|r| r.header("authorization") == Some("Bearer s3cr3t"))
    );
}

#[test]
fn basic_auth_and_denied_pulls() {
    let server = TinyServer::start(|req, _| {
        let ok = req.header("authorization") == Some("Basic dXNlcjpwYXNz"); // user:pass
        match (req.target.as_str(), ok) {
            (_, false) => Reply::new(
                401,
                r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
            )
            .header("WWW-Authenticate", r#"Basic realm="tiny""#),
            ("/v2/", true) => Reply::new(200, "{}"),
            ("/v2/team/gone/manifests/latest", true) => Reply::new(
                404,
                r#"{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}"#,
            ),
            (_, true) => Reply::new(
                404,
                r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#,
            ),
        }
    });
    let anonymous = RegistryClient::new(&server.host(), false);
    let err = anonymous.get_manifest("team/private", "latest").unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "pull access denied for {}/team/private, repository does not exist or may require 'docker login': \
             unauthorized: authentication required",
            server.host()
        )
    );
    let client = RegistryClient::new(&server.host(), false).with_credentials("user", "pass");
    let err = client.get_manifest("team/private", "v1").unwrap_err();
    assert!(matches!(err, RegistryError::ManifestUnknown { .. }), "{err}");
    let err = client.get_manifest("team/gone", "latest").unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "repository {}/team/gone not found: name unknown: repository name not known to registry",
            server.host()
        )
    );
}

#[test]
fn a_challenge_on_a_later_request_is_answered_and_retried() {
    // The ping is open; only the repository asks for a token (some registries do this).
    let server = TinyServer::start(|req, base| {
        let authorized = req.header("authorization") == Some("Bearer late");
        match req.target.as_str() {
            "/v2/" => Reply::new(200, "{}"),
            t if t.starts_with("/token?") => Reply::new(200, r#"{"access_token":"late"}"#),
            _ if !authorized => Reply::new(
                401,
                r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
            )
            .header(
                "WWW-Authenticate",
                &format!(r#"Bearer realm="{base}/token",service="late""#),
            ),
            _ => Reply::new(200, r#"{"schemaVersion":2,"manifests":[]}"#),
        }
    });
    let client = RegistryClient::new(&server.host(), false);
    let fetched = client.get_manifest("team/app", "latest").unwrap();
    assert_eq!(fetched.media_type, ch05_images::manifest::OCI_INDEX);
    let targets: Vec<String> = server.requests().iter().map(|r| r.target.clone()).collect();
    assert_eq!(targets.len(), 4, "{targets:?}"); // ping, 401, token, retry
    assert!(targets[2].starts_with("/token?"), "{targets:?}");
}

#[test]
fn stat_mount_and_list_tags() {
    let registry = Registry::start();
    let client = RegistryClient::new(&registry.host, false);
    let (config, layers, manifest) = small_image();
    for blob in layers.iter().chain([&config]) {
        client
            .push_blob("team/a", &Digest::of(blob), blob.len() as u64, &blob[..])
            .unwrap();
    }
    for tag in ["v2", "v1"] {
        client
            .put_manifest("team/a", tag, DOCKER_MANIFEST, &manifest.to_bytes())
            .unwrap();
    }
    let layer = Digest::of(&layers[0]);
    let size = Some(layers[0].len() as u64);
    assert_eq!(client.stat_blob("team/a", &layer).unwrap(), size);
    assert_eq!(client.stat_blob("team/b", &layer).unwrap(), None);
    // Mounted from team/a without sending the bytes again; a blob team/a lacks is declined.
    assert!(client.mount_blob("team/b", &layer, "team/a").unwrap());
    assert_eq!(client.stat_blob("team/b", &layer).unwrap(), size);
    assert!(
        !client
            .mount_blob("team/b", &Digest::of(b"absent"), "team/a")
            .unwrap()
    );

    let mut tags = client.list_tags("team/a").unwrap();
    tags.sort();
    assert_eq!(tags, ["v1", "v2"]);
    let err = client.list_tags("team/none").unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "repository {}/team/none not found: name unknown: repository name not known to registry",
            registry.host
        )
    );
}

#[test]
fn an_unresolvable_https_registry_fails_like_go() {
    // `.invalid` never resolves (RFC 2606); the error comes from the lookup, not from TLS.
    let client = RegistryClient::new("registry.invalid", false);
    let err = client.get_manifest("library/busybox", "latest").unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("Get \"https://registry.invalid/v2/\": dial tcp: lookup registry.invalid"),
        "{text}"
    );
    assert!(
        text.ends_with(": no such host") || text.ends_with(": i/o timeout"),
        "{text}"
    );
}
