//! ex5: names for images in Docker's `repositories.json`, where tags move and digests do not.

use std::path::PathBuf;

use lab05_images::{Digest, Image, ImageConfig, ImageStore, Reference, StoreError};

/// A store with two images (no layers), `a` and `b`.
struct Scene {
    tmp: tempfile::TempDir,
    store: ImageStore,
    a: Digest,
    b: Digest,
}

fn scene() -> Scene {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = ImageStore::open(tmp.path()).expect("open the image store");
    let image = |comment: &str| {
        let config = ImageConfig {
            architecture: "amd64".into(),
            os: "linux".into(),
            comment: Some(comment.into()),
            ..ImageConfig::default()
        };
        store
            .put_image(&Image::from_config(config).raw)
            .expect("store an image")
    };
    let (a, b) = (image("a"), image("b"));
    Scene { tmp, store, a, b }
}

impl Scene {
    fn repositories_json(&self) -> PathBuf {
        self.tmp.path().join("image/overlay2/repositories.json")
    }

    fn file(&self) -> String {
        std::fs::read_to_string(self.repositories_json()).expect("read repositories.json")
    }
}

fn r(s: &str) -> Reference {
    Reference::parse_normalized(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

#[test]
fn ex5_names_are_kept_in_their_familiar_form_grouped_by_repository() {
    let s = scene();
    assert_eq!(s.store.tag(&s.a, &r("busybox")).expect("tag"), None);
    assert_eq!(
        s.file(),
        format!(
            r#"{{"Repositories":{{"busybox":{{"busybox:latest":"{}"}}}}}}"#,
            s.a
        )
    );
    s.store
        .tag(&s.a, &r("docker.io/library/busybox:1.36"))
        .expect("tag");
    s.store.tag(&s.b, &r("localhost:5000/team/app:v1")).expect("tag");
    assert_eq!(
        s.file(),
        format!(
            r#"{{"Repositories":{{"busybox":{{"busybox:1.36":"{a}","busybox:latest":"{a}"}},"localhost:5000/team/app":{{"localhost:5000/team/app:v1":"{b}"}}}}}}"#,
            a = s.a,
            b = s.b
        )
    );
}

#[test]
fn ex5_any_spelling_of_a_name_finds_the_image() {
    let s = scene();
    s.store.tag(&s.a, &r("busybox")).expect("tag");
    for spelling in ["busybox", "busybox:latest", "docker.io/library/busybox:latest"] {
        assert_eq!(
            s.store.lookup_reference(&r(spelling)).expect("lookup"),
            Some(s.a.clone()),
            "{spelling}"
        );
        assert_eq!(s.store.resolve(spelling).expect("resolve"), s.a, "{spelling}");
    }
    assert_eq!(
        s.store.lookup_reference(&r("busybox:1.36")).expect("lookup"),
        None
    );
}

#[test]
fn ex5_a_tag_moves_and_says_which_image_lost_it() {
    let s = scene();
    assert_eq!(s.store.tag(&s.a, &r("app:v1")).expect("tag"), None);
    assert_eq!(
        s.store.tag(&s.b, &r("app:v1")).expect("tag"),
        Some(s.a.clone()),
        "a is dangling now"
    );
    assert_eq!(
        s.store.lookup_reference(&r("app:v1")).expect("lookup"),
        Some(s.b.clone())
    );
    assert_eq!(
        s.store.tag(&s.b, &r("app:v1")).expect("tag"),
        None,
        "b had it already"
    );
    assert_eq!(
        s.store.references_to(&s.a).expect("references"),
        Vec::<Reference>::new()
    );
}

#[test]
fn ex5_a_digest_reference_never_moves() {
    let s = scene();
    let manifest = Digest::of(b"a manifest");
    let pinned = r(&format!("busybox:1.36@{manifest}"));
    s.store
        .add_digest_reference(&s.a, &pinned)
        .expect("record the digest");
    s.store
        .add_digest_reference(&s.a, &pinned)
        .expect("the same image again is fine");
    let key = format!("busybox@{manifest}");
    assert_eq!(
        s.file(),
        format!(r#"{{"Repositories":{{"busybox":{{"{key}":"{}"}}}}}}"#, s.a),
        "stored without the tag"
    );
    let before = s.file();
    match s.store.add_digest_reference(&s.b, &pinned) {
        Err(err @ StoreError::DigestConflict(_)) => {
            assert_eq!(err.to_string(), format!("Cannot overwrite digest {key}"));
        }
        other => panic!("expected DigestConflict, got {other:?}"),
    }
    assert_eq!(s.file(), before, "nothing written");
    assert_eq!(
        s.store.lookup_reference(&pinned).expect("lookup"),
        Some(s.a.clone())
    );
}

#[test]
fn ex5_an_unknown_image_cannot_be_named() {
    let s = scene();
    let nothing = Digest::of(b"no such image");
    match s.store.tag(&nothing, &r("busybox")) {
        Err(err @ StoreError::NoSuchImage(_)) => {
            assert_eq!(err.to_string(), format!("No such image: {nothing}"));
        }
        other => panic!("expected NoSuchImage, got {other:?}"),
    }
    assert!(!s.repositories_json().exists(), "nothing written");
}
