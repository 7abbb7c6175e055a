//! `docker save` / `docker load` archives: round trips, other layouts, hostile input.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns: a failure is a test failure

mod common;

use std::collections::HashMap;
use std::io::Read;

use ch05_images::archive::{ArchiveError, open_layer_tar};
use ch05_images::manifest::{
    ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME, Descriptor, ImageIndex, ImageManifest, OCI_CONFIG,
    OCI_LAYER_GZIP, OCI_MANIFEST,
};
use ch05_images::{Digest, Image, Reference, read_archive, write_docker_archive};
use common::{gzip, image_of, layer_tar};

fn r(s: &str) -> Reference {
    Reference::parse_normalized(s).unwrap()
}

fn two_layer_image() -> (Image, HashMap<Digest, Vec<u8>>) {
    let layers = vec![
        layer_tar(&[("bin/sh", b"#!shell"), ("etc/os-release", b"ID=tiny")]),
        layer_tar(&[("app/run", b"echo hi")]),
    ];
    let image = image_of(&layers, "/app/run");
    let by_diff = layers.into_iter().map(|l| (Digest::of(&l), l)).collect();
    (image, by_diff)
}

fn save(images: &[(Image, Vec<Reference>)], layers: &HashMap<Digest, Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    write_docker_archive(&mut out, images, &mut |diff_id, sink| {
        let bytes = &layers[diff_id];
        sink.write_all(bytes)?;
        Ok(bytes.len() as u64)
    })
    .unwrap();
    out
}

fn entry_names(archive: &[u8]) -> Vec<String> {
    let mut tar = tar::Archive::new(archive);
    let mut names: Vec<String> = tar
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().display().to_string())
        .collect();
    names.sort();
    names
}

/// A tar with one entry whose name is written raw (the tar crate refuses to write `..`).
fn tar_with_raw_name(name: &str, content: &[u8]) -> Vec<u8> {
    let mut header = tar::Header::new_old();
    header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    header.set_size(content.len() as u64);
    header.set_mode(0o644);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_cksum();
    let mut builder = tar::Builder::new(Vec::new());
    builder.append(&header, content).unwrap();
    builder.into_inner().unwrap()
}

fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        builder.append_data(&mut header, name, *content).unwrap();
    }
    builder.into_inner().unwrap()
}

#[test]
fn save_then_load_round_trips_plain_and_gzipped() {
    let (image, layers) = two_layer_image();
    let tags = vec![
        r("tiny:1.0"),
        r("localhost:5000/tiny:latest"),
        r("tiny").with_digest(&Digest::of(b"m")),
    ];
    let archive = save(&[(image.clone(), tags)], &layers);

    let manifest_digest = {
        let layer_descs = image
            .diff_ids()
            .iter()
            .map(|d| {
                Descriptor::new(
                    ch05_images::manifest::OCI_LAYER,
                    d.clone(),
                    layers[d].len() as u64,
                )
            })
            .collect();
        Digest::of(&ImageManifest::oci(Descriptor::of(OCI_CONFIG, &image.raw), layer_descs).to_bytes())
    };
    let mut expected = vec![
        "blobs/".to_owned(),
        "blobs/sha256/".to_owned(),
        format!("blobs/sha256/{}", image.id.hex()),
        format!("blobs/sha256/{}", manifest_digest.hex()),
        "index.json".to_owned(),
        "manifest.json".to_owned(),
        "oci-layout".to_owned(),
        "repositories".to_owned(),
    ];
    expected.extend(
        image
            .diff_ids()
            .iter()
            .map(|d| format!("blobs/sha256/{}", d.hex())),
    );
    expected.sort();
    assert_eq!(entry_names(&archive), expected);

    for (label, bytes) in [("plain", archive.clone()), ("gzip", gzip(&archive))] {
        let staging = tempfile::tempdir().unwrap();
        let loaded = read_archive(&bytes[..], staging.path()).unwrap();
        assert_eq!(loaded.images.len(), 1, "{label}");
        let got = &loaded.images[0];
        assert_eq!(got.id, image.id);
        assert_eq!(got.config, image.raw);
        assert_eq!(
            got.repo_tags,
            vec![r("tiny:1.0"), r("localhost:5000/tiny:latest")],
            "{label}"
        );
        assert_eq!(got.layers.len(), 2);
        for layer in &got.layers {
            let mut content = Vec::new();
            open_layer_tar(&layer.path)
                .unwrap()
                .read_to_end(&mut content)
                .unwrap();
            assert_eq!(content, layers[&layer.diff_id], "{label}");
        }
    }

    // The same archive is an OCI layout: drop manifest.json and it still loads, names intact.
    let staging = tempfile::tempdir().unwrap();
    let mut rebuilt = tar::Builder::new(Vec::new());
    let mut original = tar::Archive::new(&archive[..]);
    for entry in original.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.path().unwrap().to_str() != Some("manifest.json") {
            let header = entry.header().clone();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            rebuilt.append(&header, &data[..]).unwrap();
        }
    }
    let loaded = read_archive(&rebuilt.into_inner().unwrap()[..], staging.path()).unwrap();
    assert_eq!(loaded.images[0].id, image.id);
    assert_eq!(
        loaded.images[0].repo_tags,
        vec![r("tiny:1.0"), r("localhost:5000/tiny:latest")]
    );
}

#[test]
fn manifest_json_has_dockers_shape_and_shared_layers_are_written_once() {
    let (image, mut layers) = two_layer_image();
    let extra = layer_tar(&[("other", b"x")]);
    let sibling = image_of(&[layers[&image.diff_ids()[0]].clone(), extra.clone()], "other");
    layers.insert(Digest::of(&extra), extra);
    let archive = save(
        &[(image.clone(), vec![r("tiny")]), (sibling.clone(), vec![])],
        &layers,
    );

    let names = entry_names(&archive);
    let base = format!("blobs/sha256/{}", image.diff_ids()[0].hex());
    assert_eq!(names.iter().filter(|n| **n == base).count(), 1);

    let mut tar = tar::Archive::new(&archive[..]);
    let mut manifest = String::new();
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.path().unwrap().to_str() == Some("manifest.json") {
            entry.read_to_string(&mut manifest).unwrap();
        }
    }
    let layer_paths = |i: &Image| -> Vec<String> {
        i.diff_ids()
            .iter()
            .map(|d| format!("blobs/sha256/{}", d.hex()))
            .collect()
    };
    let expected = serde_json::json!([
        {"Config": format!("blobs/sha256/{}", image.id.hex()), "RepoTags": ["tiny:latest"], "Layers": layer_paths(&image)},
        {"Config": format!("blobs/sha256/{}", sibling.id.hex()), "RepoTags": null, "Layers": layer_paths(&sibling)},
    ]);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&manifest).unwrap(),
        expected
    );
}

#[test]
fn a_layer_tar_that_is_not_the_diff_id_is_refused_on_save() {
    let (image, _) = two_layer_image();
    let err = write_docker_archive(Vec::new(), &[(image, vec![])], &mut |_, sink| {
        sink.write_all(b"regenerated, not the original bytes")?;
        Ok(35)
    })
    .unwrap_err();
    assert!(matches!(err, ArchiveError::LayerMismatch { .. }), "{err}");
}

#[test]
fn hostile_names_are_refused() {
    let parent = tempfile::tempdir().unwrap();
    let staging = parent.path().join("staging");
    std::fs::create_dir(&staging).unwrap();

    let err = read_archive(&tar_with_raw_name("../evil", b"boom")[..], &staging).unwrap_err();
    assert!(
        matches!(err, ArchiveError::UnsafeName(ref n) if n == "../evil"),
        "{err}"
    );
    let err = read_archive(&tar_with_raw_name("/tmp/evil", b"boom")[..], &staging).unwrap_err();
    assert!(matches!(err, ArchiveError::UnsafeName(_)), "{err}");
    assert!(!parent.path().join("evil").exists());

    // A manifest that points outside the archive.
    let manifest = br#"[{"Config":"../../etc/passwd","RepoTags":null,"Layers":[]}]"#;
    let err = read_archive(&tar_of(&[("manifest.json", manifest)])[..], &staging).unwrap_err();
    assert!(matches!(err, ArchiveError::UnsafeName(_)), "{err}");

    // A symlink out of the archive.
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Symlink);
    header.set_size(0);
    builder
        .append_link(&mut header, "layer.tar", "../../../etc/passwd")
        .unwrap();
    let err = read_archive(&builder.into_inner().unwrap()[..], &staging).unwrap_err();
    assert!(matches!(err, ArchiveError::UnsafeLink(_)), "{err}");
}

#[test]
fn classic_layout_with_symlinked_layers_loads() {
    let shared = layer_tar(&[("bin/sh", b"#!shell")]);
    let image = image_of(&[shared.clone(), shared.clone()], "sh"); // the same layer twice
    let manifest = serde_json::json!([{
        "Config": format!("{}.json", image.id.hex()),
        "RepoTags": ["classic:old"],
        "Layers": ["aaa/layer.tar", "bbb/layer.tar"],
    }]);
    let manifest = serde_json::to_vec(&manifest).unwrap();
    let config_name = format!("{}.json", image.id.hex());
    let mut builder = tar::Builder::new(Vec::new());
    for (name, content) in [
        ("manifest.json", &manifest[..]),
        (config_name.as_str(), &image.raw[..]),
        ("aaa/VERSION", b"1.0"),
        ("aaa/layer.tar", &shared[..]),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        builder.append_data(&mut header, name, content).unwrap();
    }
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Symlink);
    header.set_size(0);
    builder
        .append_link(&mut header, "bbb/layer.tar", "../aaa/layer.tar")
        .unwrap();

    let staging = tempfile::tempdir().unwrap();
    let loaded = read_archive(&builder.into_inner().unwrap()[..], staging.path()).unwrap();
    let got = &loaded.images[0];
    assert_eq!(
        (got.id.clone(), got.repo_tags.clone()),
        (image.id.clone(), vec![r("classic:old")])
    );
    assert_eq!(got.layers[0].path, got.layers[1].path);
}

#[test]
fn a_pure_oci_layout_with_gzipped_layers_loads_and_is_verified() {
    let layer = layer_tar(&[("hello", b"world")]);
    let image = image_of(std::slice::from_ref(&layer), "sh");
    let gz = gzip(&layer);
    let manifest = ImageManifest::oci(
        Descriptor::of(OCI_CONFIG, &image.raw),
        vec![Descriptor::of(OCI_LAYER_GZIP, &gz)],
    )
    .to_bytes();
    let mut entry = Descriptor::of(OCI_MANIFEST, &manifest);
    entry
        .annotations
        .insert(ANNOTATION_REF_NAME.into(), "latest".into());
    let untagged = entry.clone();
    entry
        .annotations
        .insert(ANNOTATION_IMAGE_NAME.into(), "example.com/team/oci:2".into());
    let index = ImageIndex::oci(vec![entry]).to_bytes();
    let blob = |bytes: &[u8]| format!("blobs/sha256/{}", Digest::of(bytes).hex());
    let (config_name, layer_name, manifest_name) = (blob(&image.raw), blob(&gz), blob(&manifest));
    let files = |index: &[u8], layer_bytes: &[u8]| {
        tar_of(&[
            ("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#),
            ("index.json", index),
            (&config_name, &image.raw),
            (&layer_name, layer_bytes),
            (&manifest_name, &manifest),
        ])
    };

    let staging = tempfile::tempdir().unwrap();
    let loaded = read_archive(&files(&index, &gz)[..], staging.path()).unwrap();
    assert_eq!(loaded.images[0].id, image.id);
    assert_eq!(loaded.images[0].repo_tags, vec![r("example.com/team/oci:2")]);
    assert_eq!(loaded.images[0].layers[0].diff_id, Digest::of(&layer));

    // A bare `latest` names no repository: the image loads untagged.
    let index = ImageIndex::oci(vec![untagged]).to_bytes();
    let staging = tempfile::tempdir().unwrap();
    let loaded = read_archive(&files(&index, &gz)[..], staging.path()).unwrap();
    assert!(loaded.images[0].repo_tags.is_empty());

    // A layer blob that is not what the manifest says is refused.
    let staging = tempfile::tempdir().unwrap();
    let err = read_archive(&files(&index, &gzip(b"other"))[..], staging.path()).unwrap_err();
    assert!(err.to_string().starts_with("digest mismatch for"), "{err}");
}

#[test]
fn a_layer_that_does_not_match_its_diff_id_is_refused_on_load() {
    let (image, layers) = two_layer_image();
    let mut swapped = layers.clone();
    let first = image.diff_ids()[0].clone();
    swapped.insert(first.clone(), layer_tar(&[("bin/sh", b"tampered")]));
    // Write the archive by hand in the classic layout, so the blob name is not checked first.
    let manifest = serde_json::to_vec(&serde_json::json!([{
        "Config": "config.json", "RepoTags": null, "Layers": ["l0/layer.tar", "l1/layer.tar"],
    }]))
    .unwrap();
    let archive = tar_of(&[
        ("manifest.json", &manifest),
        ("config.json", &image.raw),
        ("l0/layer.tar", &swapped[&first]),
        ("l1/layer.tar", &layers[&image.diff_ids()[1]]),
    ]);
    let staging = tempfile::tempdir().unwrap();
    let err = read_archive(&archive[..], staging.path()).unwrap_err();
    let expected = format!(
        "invalid diffID for layer 0: expected {first}, got {}",
        Digest::of(&swapped[&first])
    );
    assert_eq!(err.to_string(), expected);
}
