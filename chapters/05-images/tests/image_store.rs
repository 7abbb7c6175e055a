//! The image store round trip: layers, images, names, and Docker's files on disk.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns: a failure is a test failure

mod common;

use ch05_images::{Digest, ImageStore, MountMeta, Reference, StoreError};
use common::{image_of, layer_tar};

fn r(s: &str) -> Reference {
    Reference::parse_normalized(s).unwrap()
}

/// Register `image`'s layers (cache ids `cache-0`, …) and store it.
fn put(store: &ImageStore, image: &ch05_images::Image) -> Digest {
    let mut parent: Option<Digest> = None;
    for (i, diff_id) in image.diff_ids().iter().enumerate() {
        let chain = store
            .register_layer(
                parent.as_ref(),
                diff_id,
                &format!("cache-{}-{i}", diff_id.short()),
                1000 + i as u64,
            )
            .unwrap();
        parent = Some(chain);
    }
    store.put_image(&image.raw).unwrap()
}

#[test]
fn images_layers_and_tags_round_trip() {
    let root = tempfile::tempdir().unwrap();
    let store = ImageStore::open(root.path()).unwrap();
    let base = layer_tar(&[("bin/sh", b"#!shell")]);
    let top = layer_tar(&[("etc/motd", b"hello")]);
    let image = image_of(&[base.clone(), top.clone()], "sh");

    // An image whose layers are unknown is refused.
    let err = store.put_image(&image.raw).unwrap_err();
    assert!(matches!(err, StoreError::MissingLayer { .. }), "{err}");

    let id = put(&store, &image);
    assert_eq!(id, image.id);
    assert_eq!(store.get(&id).unwrap(), image);
    let content = root
        .path()
        .join("image/overlay2/imagedb/content/sha256")
        .join(id.hex());
    assert_eq!(std::fs::read(content).unwrap(), image.raw);

    // layerdb: Docker's files, chain ids as directory names.
    let layers = store.layers_of(&image).unwrap();
    let chains = image.chain_ids();
    assert_eq!(
        layers.iter().map(|l| l.chain_id.clone()).collect::<Vec<_>>(),
        chains
    );
    assert_eq!(layers[0].parent, None);
    assert_eq!(layers[1].parent.as_ref(), Some(&chains[0]));
    assert_eq!(layers[1].diff_id, Digest::of(&top));
    let dir = root
        .path()
        .join("image/overlay2/layerdb/sha256")
        .join(chains[1].hex());
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    assert_eq!(read("diff"), Digest::of(&top).to_string());
    assert_eq!(read("parent"), chains[0].to_string());
    assert_eq!(read("size"), "1001");
    assert_eq!(read("cache-id"), layers[1].cache_id);

    // Names.
    assert_eq!(store.tag(&id, &r("busybox")).unwrap(), None);
    store.tag(&id, &r("localhost:5000/team/app:v1")).unwrap();
    let manifest = Digest::of(b"a manifest");
    store
        .add_digest_reference(&id, &r("busybox").with_digest(&manifest))
        .unwrap();
    let err = store.tag(&id, &r("busybox").with_digest(&manifest)).unwrap_err();
    assert!(matches!(err, StoreError::NotATag(_)), "{err}");

    let json = std::fs::read_to_string(root.path().join("image/overlay2/repositories.json")).unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    insta::assert_json_snapshot!("repositories_json", value);

    // resolve: tag, bare name, full id (both spellings), short ids, name@digest.
    let short = &id.hex()[..5];
    for name in [
        "busybox",
        "busybox:latest",
        "docker.io/library/busybox:latest",
        "localhost:5000/team/app:v1",
        id.hex(),
        &id.to_string(),
        id.short(),
        short,
        &format!("sha256:{short}"),
        &format!("busybox@{manifest}"),
    ] {
        assert_eq!(store.resolve(name).unwrap(), id, "{name}");
    }
    assert_eq!(
        store.resolve("nope").unwrap_err().to_string(),
        "No such image: nope:latest"
    );
    let missing = Digest::of(b"missing");
    assert_eq!(
        store.resolve(missing.hex()).unwrap_err().to_string(),
        format!("No such image: {missing}")
    );
    assert_eq!(
        store.resolve("BusyBox").unwrap_err().to_string(),
        "invalid reference format: repository name (library/BusyBox) must be lowercase"
    );

    let refs: Vec<String> = store
        .references_to(&id)
        .unwrap()
        .iter()
        .map(|r| r.familiar_string())
        .collect();
    assert_eq!(
        refs,
        vec![
            "busybox:latest".to_owned(),
            format!("busybox@{manifest}"),
            "localhost:5000/team/app:v1".to_owned()
        ]
    );

    // untag
    assert!(store.untag(&r("localhost:5000/team/app:v1")).unwrap());
    assert!(!store.untag(&r("localhost:5000/team/app:v1")).unwrap());
    assert!(store.resolve("localhost:5000/team/app:v1").is_err());
    let json = std::fs::read_to_string(root.path().join("image/overlay2/repositories.json")).unwrap();
    assert!(
        !json.contains("localhost:5000"),
        "an empty repository is dropped: {json}"
    );
}

#[test]
fn tags_move_and_shared_layers_survive_removal() {
    let root = tempfile::tempdir().unwrap();
    let store = ImageStore::open(root.path()).unwrap();
    let base = layer_tar(&[("bin/sh", b"#!shell")]);
    let one = image_of(&[base.clone(), layer_tar(&[("one", b"1")])], "one");
    let two = image_of(&[base.clone(), layer_tar(&[("two", b"2")])], "two");
    let (id1, id2) = (put(&store, &one), put(&store, &two));
    assert_eq!(one.chain_ids()[0], two.chain_ids()[0], "the base layer is shared");

    store.tag(&id1, &r("app")).unwrap();
    assert_eq!(
        store.tag(&id2, &r("app")).unwrap(),
        Some(id1.clone()),
        "the tag moved"
    );
    assert!(
        store.references_to(&id1).unwrap().is_empty(),
        "image one is dangling"
    );
    store.set_parent(&id2, &id1).unwrap();
    assert_eq!(store.get_parent(&id2).unwrap(), Some(id1.clone()));
    assert_eq!(store.children(&id1).unwrap(), vec![id2.clone()]);

    // The base layer is in use by both images, so neither the image nor the layer may go.
    assert!(store.layer_in_use(&one.chain_ids()[0]).unwrap());
    let err = store.remove_layer(&one.chain_ids()[0]).unwrap_err();
    assert!(matches!(err, StoreError::LayerInUse { .. }), "{err}");

    let released = store.remove(&id1).unwrap();
    assert_eq!(
        released.iter().map(|l| l.chain_id.clone()).collect::<Vec<_>>(),
        vec![one.chain_ids()[1].clone()],
        "only the layer nobody else uses is released"
    );
    assert!(store.has_layer(&one.chain_ids()[0]));
    assert!(matches!(store.get(&id1), Err(StoreError::NoSuchImage(_))));

    let released = store.remove(&id2).unwrap();
    assert_eq!(released.len(), 2, "top layer first, then the base");
    assert_eq!(released[1].chain_id, two.chain_ids()[0]);
    assert!(store.layer_ids().unwrap().is_empty());
    assert!(store.list().unwrap().is_empty());
    assert!(store.references().unwrap().is_empty());
}

#[test]
fn a_container_layer_keeps_its_image_layers_after_the_image_is_removed() {
    let root = tempfile::tempdir().unwrap();
    let store = ImageStore::open(root.path()).unwrap();
    let image = image_of(
        &[layer_tar(&[("bin/sh", b"#!shell")]), layer_tar(&[("app", b"1")])],
        "app",
    );
    let id = put(&store, &image);
    let chain = image.chain_ids();
    let mount = MountMeta {
        mount_id: "c0ffee".into(),
        init_id: "c0ffee-init".into(),
        parent: Some(chain[1].clone()),
    };
    store.create_mount("abc123", &mount).unwrap();
    assert_eq!(store.mount("abc123").unwrap(), Some(mount.clone()));
    assert_eq!(
        store.mounts().unwrap(),
        vec![("abc123".to_owned(), mount.clone())]
    );

    // `docker rmi -f` of an image a stopped container runs on: the image goes, its layers stay.
    let released = store.remove(&id).unwrap();
    assert!(released.is_empty(), "no layer released: {released:?}");
    assert!(store.has_layer(&chain[0]) && store.has_layer(&chain[1]));
    let err = store.remove_layer(&chain[1]).unwrap_err();
    assert!(
        matches!(&err, StoreError::LayerInUse { user, .. } if user == "container abc123"),
        "{err}"
    );

    // Once the container's record is gone, the layers are free, top first.
    store.remove_mount("abc123").unwrap();
    assert_eq!(store.mount("abc123").unwrap(), None);
    store.remove_layer(&chain[1]).unwrap();
    store.remove_layer(&chain[0]).unwrap();
    assert!(store.layer_ids().unwrap().is_empty());
}

#[test]
fn a_mount_record_goes_the_way_its_caller_chooses() {
    let root = tempfile::tempdir().unwrap();
    let store = ImageStore::open(root.path()).unwrap();
    let mount = MountMeta {
        mount_id: "m1".into(),
        init_id: "m1-init".into(),
        parent: None,
    };
    store.create_mount("abc", &mount).unwrap();
    // renamed away (as the engine's trash does): gone for the store at once
    let kept = root.path().join("kept");
    store
        .remove_mount_with("abc", &|dir| std::fs::rename(dir, &kept))
        .unwrap();
    assert_eq!(store.mount("abc").unwrap(), None);
    assert_eq!(std::fs::read_to_string(kept.join("mount-id")).unwrap(), "m1");
    // a record that is not there (removed already) is no error; a refusal is, naming it
    store
        .remove_mount_with("abc", &|dir| std::fs::remove_dir_all(dir))
        .unwrap();
    store.create_mount("abc", &mount).unwrap();
    let err = store
        .remove_mount_with("abc", &|_| {
            Err(std::io::Error::from(std::io::ErrorKind::PermissionDenied))
        })
        .unwrap_err()
        .to_string();
    assert!(err.contains("layerdb/mounts/abc"), "{err}");
    assert_eq!(store.mount("abc").unwrap(), Some(mount));
    // and the store's own way deletes it
    store.remove_mount("abc").unwrap();
    assert_eq!(store.mount("abc").unwrap(), None);
}

#[test]
fn a_mount_record_needs_a_known_parent_and_plain_ids() {
    let root = tempfile::tempdir().unwrap();
    let store = ImageStore::open(root.path()).unwrap();
    let mount = |parent: Option<Digest>, mount_id: &str| MountMeta {
        mount_id: mount_id.into(),
        init_id: format!("{mount_id}-init"),
        parent,
    };
    let unknown = Digest::of(b"no such layer");
    let err = store
        .create_mount("abc", &mount(Some(unknown), "m1"))
        .unwrap_err();
    assert!(matches!(err, StoreError::NoSuchLayer(_)), "{err}");
    let err = store.create_mount("abc", &mount(None, "../escape")).unwrap_err();
    assert!(matches!(err, StoreError::InvalidCacheId(_)), "{err}");
    let err = store.create_mount("../abc", &mount(None, "m1")).unwrap_err();
    assert!(matches!(err, StoreError::InvalidCacheId(_)), "{err}");
    assert!(store.mounts().unwrap().is_empty(), "nothing left behind");
    // an image without layers: a mount with no parent
    store.create_mount("abc", &mount(None, "m1")).unwrap();
    assert_eq!(store.mount("abc").unwrap().unwrap().parent, None);
}

#[test]
fn an_ambiguous_short_id_is_no_such_image() {
    let root = tempfile::tempdir().unwrap();
    let store = ImageStore::open(root.path()).unwrap();
    // Find two images whose ids share a first hex digit.
    let mut by_first: std::collections::BTreeMap<char, Vec<Digest>> = Default::default();
    for n in 0..40 {
        let image = image_of(&[layer_tar(&[("f", format!("{n}").as_bytes())])], "sh");
        let id = put(&store, &image);
        by_first
            .entry(id.hex().chars().next().unwrap())
            .or_default()
            .push(id);
    }
    let (first, ids) = by_first.iter().find(|(_, ids)| ids.len() > 1).unwrap();
    let err = store.resolve(&first.to_string()).unwrap_err();
    assert_eq!(err.to_string(), format!("No such image: {first}:latest"));
    assert_eq!(store.resolve(&ids[0].hex()[..20]).unwrap(), ids[0]);
    assert_eq!(store.list().unwrap().len(), 40);
}

#[test]
fn distribution_metadata_maps_blobs_to_layers() {
    let root = tempfile::tempdir().unwrap();
    let store = ImageStore::open(root.path()).unwrap();
    let (blob, diff) = (Digest::of(b"gz"), Digest::of(b"tar"));
    assert_eq!(store.diff_id_for_blob(&blob).unwrap(), None);
    store
        .record_blob(&blob, &diff, "docker.io/library/busybox")
        .unwrap();
    store
        .record_blob(&blob, &diff, "docker.io/library/busybox")
        .unwrap();
    assert_eq!(store.diff_id_for_blob(&blob).unwrap(), Some(diff.clone()));
    let known = store.blobs_for_diff_id(&diff).unwrap();
    assert_eq!(known.len(), 1);
    assert_eq!(known[0].source_repository, "docker.io/library/busybox");
}
