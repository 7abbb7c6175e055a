//! ex3: chain ids, the name of a layer together with everything below it.

use lab05_images::chain::child_chain_id;
use lab05_images::{Digest, ImageConfig, ImageStore, chain_ids};

// sha256("a"), sha256("b"), sha256("c")
fn abc() -> [Digest; 3] {
    [Digest::of(b"a"), Digest::of(b"b"), Digest::of(b"c")]
}

fn hexes(ids: &[Digest]) -> Vec<&str> {
    ids.iter().map(Digest::hex).collect()
}

#[test]
fn ex3_the_bottom_layer_is_named_by_its_diff_id() {
    let [a, ..] = abc();
    assert!(chain_ids(&[]).is_empty());
    assert_eq!(chain_ids(std::slice::from_ref(&a)), [a]);
}

#[test]
fn ex3_each_next_is_the_sha256_of_parent_space_diff_id() {
    let [a, b, c] = abc();
    // computed with: printf 'sha256:<a> sha256:<b>' | sha256sum
    let ab = "51c0c8ace48498d6f5fee6b0592cc06f2da0f3cbe09c5a34a97dce85c3889676";
    let abc = "2fce7f8ce91bcf0a1428b36e1024639fdbd9469eea762dba98aa749631885106";
    assert_eq!(child_chain_id(&a, &b).hex(), ab);
    assert_eq!(
        hexes(&chain_ids(&[a.clone(), b.clone(), c.clone()])),
        [a.hex(), ab, abc]
    );
}

#[test]
fn ex3_a_shared_base_gives_shared_chain_ids_and_order_matters() {
    let [a, b, c] = abc();
    let one = chain_ids(&[a.clone(), b.clone()]);
    let two = chain_ids(&[a.clone(), c.clone()]);
    assert_eq!(one[0], two[0], "the same base layer is stored once");
    assert_ne!(one[1], two[1]);
    let reversed = chain_ids(&[b.clone(), a.clone()]);
    assert_eq!(
        reversed[1].hex(),
        "67912b19465da2dd61635ba35b1f2a3eaf11d709b99b6789cffcc1de4616a4e3"
    );
    assert_ne!(one[1], reversed[1], "the same tars stacked the other way round");
    // the same tar on another base is another layer
    let on_c = chain_ids(&[c, b]);
    assert_ne!(on_c[1], one[1]);
}

#[test]
fn ex3_the_layer_store_is_keyed_by_chain_id() {
    let [a, b, _] = abc();
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = ImageStore::open(tmp.path()).expect("open the image store");
    let bottom = store
        .register_layer(None, &a, "cache-a", 1)
        .expect("register the bottom layer");
    let top = store
        .register_layer(Some(&bottom), &b, "cache-b", 2)
        .expect("register a layer on it");
    let mut config = ImageConfig::default();
    config.rootfs.diff_ids = vec![a.clone(), b.clone()];
    let image = lab05_images::Image::from_config(config);
    assert_eq!(image.chain_ids(), [bottom.clone(), top.clone()]);
    assert_eq!(bottom, a);
    assert!(store.has_layer(&top));
    let dir = tmp.path().join("image/overlay2/layerdb/sha256").join(top.hex());
    let read = |file: &str| std::fs::read_to_string(dir.join(file)).expect("a layerdb file");
    assert_eq!(read("diff"), b.to_string());
    assert_eq!(read("parent"), a.to_string());
    assert_eq!(read("cache-id"), "cache-b");
}
