//! ex4: choosing this machine's image from a manifest list, the way `docker pull` does.

use lab05_images::manifest::OCI_MANIFEST;
use lab05_images::{Descriptor, Digest, ImageIndex, Platform, select_platform};

/// An entry of a manifest list; its digest is sha256 of `n`, to tell the entries apart.
fn entry(os: &str, architecture: &str, variant: Option<&str>, n: u8) -> Descriptor {
    let mut d = Descriptor::new(OCI_MANIFEST, Digest::of(&[n]), 1000 + u64::from(n));
    d.platform = Some(Platform {
        os: os.into(),
        architecture: architecture.into(),
        variant: variant.map(Into::into),
        ..Platform::default()
    });
    d
}

/// Which entry (`n`) was selected.
fn pick(index: &ImageIndex, os: &str, architecture: &str) -> u8 {
    let chosen =
        select_platform(index, os, architecture).unwrap_or_else(|e| panic!("{os}/{architecture}: {e}"));
    (0..=255u8)
        .find(|n| chosen.digest == Digest::of(&[*n]))
        .expect("one of the entries")
}

/// Roughly what Docker Hub serves for busybox: several arms, amd64, and attestations.
fn busybox() -> ImageIndex {
    let mut no_platform = Descriptor::new(OCI_MANIFEST, Digest::of(&[99]), 1);
    no_platform.platform = None;
    ImageIndex::oci(vec![
        no_platform,
        entry("linux", "arm", Some("v5"), 1),
        entry("linux", "arm", Some("v6"), 2),
        entry("linux", "arm", Some("v7"), 3),
        entry("linux", "arm64", Some("v8"), 4),
        entry("linux", "386", None, 5),
        entry("linux", "amd64", None, 6),
        entry("unknown", "unknown", None, 7),
    ])
}

#[test]
fn ex4_linux_amd64_is_found_among_the_others() {
    assert_eq!(pick(&busybox(), "linux", "amd64"), 6);
    assert_eq!(pick(&busybox(), "linux", "386"), 5);
}

#[test]
fn ex4_on_amd64_the_variant_does_not_matter_and_the_first_match_wins() {
    let index = ImageIndex::oci(vec![
        entry("windows", "amd64", None, 1),
        entry("linux", "amd64", Some("v3"), 2),
        entry("linux", "amd64", Some("v2"), 3),
    ]);
    assert_eq!(pick(&index, "linux", "amd64"), 2);
    assert_eq!(pick(&index, "windows", "amd64"), 1);
}

#[test]
fn ex4_arm_prefers_v7_and_arm64_prefers_v8_or_no_variant() {
    assert_eq!(pick(&busybox(), "linux", "arm"), 3, "v7, not the first arm (v5)");
    assert_eq!(pick(&busybox(), "linux", "arm64"), 4);
    let arm64 = ImageIndex::oci(vec![
        entry("linux", "arm64", Some("v9"), 1),
        entry("linux", "arm64", None, 2),
        entry("linux", "arm64", Some("v8"), 3),
    ]);
    assert_eq!(pick(&arm64, "linux", "arm64"), 2, "no variant counts as v8");
    let only_v6 = ImageIndex::oci(vec![entry("linux", "arm", Some("v6"), 1)]);
    assert_eq!(pick(&only_v6, "linux", "arm"), 1, "no v7: the first arm there is");
}

#[test]
fn ex4_no_match_is_dockers_error() {
    let err = select_platform(&busybox(), "linux", "s390x").expect_err("no s390x entry");
    assert_eq!(
        err.to_string(),
        "no matching manifest for linux/s390x in the manifest list entries"
    );
    let err = select_platform(&busybox(), "windows", "amd64").expect_err("no windows entry");
    assert_eq!(
        err.to_string(),
        "no matching manifest for windows/amd64 in the manifest list entries"
    );
}
