//! ex2: references, from what people type (`busybox`) to what the engine stores and asks a
//! registry for (`docker.io/library/busybox:latest`), and back.

use lab05_images::{Digest, Reference};

fn normalized(s: &str) -> Reference {
    Reference::parse_normalized(s).unwrap_or_else(|e| panic!("{s:?} is a valid reference: {e}"))
}

fn full(s: &str) -> String {
    normalized(s).to_string()
}

#[test]
fn ex2_a_short_name_is_an_official_image_on_docker_hub() {
    assert_eq!(full("busybox"), "docker.io/library/busybox:latest");
    assert_eq!(full("busybox:1.36"), "docker.io/library/busybox:1.36");
    assert_eq!(full("docker.io/busybox"), "docker.io/library/busybox:latest");
    assert_eq!(
        full("index.docker.io/library/busybox"),
        "docker.io/library/busybox:latest"
    );
    let d = Digest::of(b"a manifest");
    assert_eq!(
        full(&format!("ubuntu@{d}")),
        format!("docker.io/library/ubuntu@{d}")
    );
    let r = normalized("alpine:3.19");
    assert_eq!(
        (r.domain.as_str(), r.path.as_str()),
        ("docker.io", "library/alpine")
    );
}

#[test]
fn ex2_a_first_component_with_a_dot_a_colon_or_localhost_is_a_registry() {
    assert_eq!(full("team/app"), "docker.io/team/app:latest");
    assert_eq!(full("localhost:5000/app:v1"), "localhost:5000/app:v1");
    assert_eq!(full("localhost:5000/app"), "localhost:5000/app:latest"); // a port, not a tag
    assert_eq!(full("localhost/app"), "localhost/app:latest");
    assert_eq!(
        full("registry.example.com/a/b/c"),
        "registry.example.com/a/b/c:latest"
    );
    assert_eq!(full("quay.io/busybox"), "quay.io/busybox:latest"); // library/ is Docker Hub's only
    let r = normalized("ghcr.io/owner/tool:2");
    assert_eq!((r.domain.as_str(), r.path.as_str()), ("ghcr.io", "owner/tool"));
    assert_eq!(r.tag.as_deref(), Some("2"));
}

#[test]
fn ex2_familiar_names_are_what_docker_prints() {
    assert_eq!(
        normalized("docker.io/library/busybox").familiar_string(),
        "busybox:latest"
    );
    assert_eq!(normalized("busybox").familiar_name(), "busybox");
    assert_eq!(
        normalized("docker.io/team/app:v2").familiar_string(),
        "team/app:v2"
    );
    assert_eq!(
        normalized("localhost:5000/app").familiar_string(),
        "localhost:5000/app:latest"
    );
    assert_eq!(normalized("quay.io/busybox").familiar_name(), "quay.io/busybox");
    let d = Digest::of(b"a manifest");
    assert_eq!(
        normalized(&format!("busybox@{d}")).familiar_string(),
        format!("busybox@{d}")
    );
    // and what Docker prints parses back to the same reference
    for s in [
        "busybox",
        "team/app:v2",
        "localhost:5000/a/b:c",
        "registry.example.com/x",
    ] {
        let r = normalized(s);
        assert_eq!(normalized(&r.familiar_string()), r, "{s}");
        assert_eq!(normalized(&r.to_string()), r, "{s}");
    }
}

#[test]
fn ex2_keys_for_repositories_json_and_for_the_registry() {
    let r = normalized("busybox:1.36");
    assert_eq!(r.repository_key(), "busybox");
    assert_eq!(r.registry_path(), "library/busybox");
    let r = normalized("localhost:5000/team/app:v1");
    assert_eq!(r.repository_key(), "localhost:5000/team/app");
    assert_eq!(r.registry_path(), "team/app");
}

#[test]
fn ex2_uppercase_in_the_repository_is_refused() {
    let err = Reference::parse_normalized("BusyBox").expect_err("uppercase is refused");
    assert_eq!(
        err.to_string(),
        "invalid reference format: repository name (library/BusyBox) must be lowercase"
    );
    let err = Reference::parse_normalized("team/App").expect_err("uppercase is refused");
    assert_eq!(
        err.to_string(),
        "invalid reference format: repository name (team/App) must be lowercase"
    );
}
