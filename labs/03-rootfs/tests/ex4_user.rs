//! ex4: `resolve_user`, looking `-u user[:group]` up in the image's passwd and group files.

use std::path::Path;

use lab03_rootfs::{ResolvedUser, RootfsError, UserSpec, resolve_user};

const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
alice:x:1000:1000::/home/alice:/bin/sh
";
const GROUP: &str = "root:x:0:
alice:x:1000:
wheel:x:10:alice,bob
audio:x:29:bob,alice
nogroup:x:65534:
";

/// An image rootfs with an /etc/passwd and /etc/group.
fn image() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("etc")).expect("mkdir etc");
    std::fs::write(dir.path().join("etc/passwd"), PASSWD).expect("write passwd");
    std::fs::write(dir.path().join("etc/group"), GROUP).expect("write group");
    dir
}

fn resolve_in(rootfs: &Path, spec: &str) -> Result<ResolvedUser, RootfsError> {
    resolve_user(rootfs, &UserSpec::parse(spec).expect("a well-formed -u"))
}

fn resolve(spec: &str) -> ResolvedUser {
    let image = image();
    match resolve_in(image.path(), spec) {
        Ok(user) => user,
        Err(err) => panic!("-u {spec} must resolve: {err}"),
    }
}

fn ids(user: &ResolvedUser) -> (u32, u32, &str) {
    (user.uid, user.gid, user.home.as_str())
}

#[test]
fn ex4_a_name_is_looked_up_in_the_images_passwd() {
    assert_eq!(ids(&resolve("alice")), (1000, 1000, "/home/alice"));
    assert_eq!(ids(&resolve("root")), (0, 0, "/root"));
    assert_eq!(ids(&resolve("nobody")), (65534, 65534, "/nonexistent"));
}

#[test]
fn ex4_a_number_is_looked_up_too_and_used_as_it_is_when_unknown() {
    assert_eq!(resolve("1000"), resolve("alice"), "uid 1000 is alice");
    assert_eq!(
        ids(&resolve("4242")),
        (4242, 0, "/"),
        "not in passwd: gid 0, home /"
    );
    assert_eq!(ids(&resolve("4242:77")), (4242, 77, "/"));
}

#[test]
fn ex4_the_group_can_be_named_or_numbered() {
    assert_eq!(ids(&resolve("nobody:nogroup")), (65534, 65534, "/nonexistent"));
    assert_eq!(ids(&resolve("alice:10")), (1000, 10, "/home/alice"));
    assert_eq!(ids(&resolve("alice:wheel")), (1000, 10, "/home/alice"));
}

#[test]
fn ex4_supplementary_groups_are_the_gid_then_the_groups_listing_the_user() {
    assert_eq!(resolve("alice").additional_gids, vec![1000, 10, 29]);
    assert_eq!(
        resolve("alice:wheel").additional_gids,
        vec![10, 29],
        "the gid only once"
    );
    assert_eq!(resolve("root").additional_gids, vec![0]);
    assert_eq!(
        resolve("4242").additional_gids,
        vec![0],
        "no name, no groups to look up"
    );
}

#[test]
fn ex4_unknown_names_are_errors_naming_them() {
    let image = image();
    for (spec, name) in [("bob", "bob"), ("alice:staff", "staff")] {
        match resolve_in(image.path(), spec) {
            Err(err @ RootfsError::User(_)) => {
                let msg = err.to_string();
                assert!(msg.contains(name), "the message names {name}: {msg}");
            }
            other => panic!("-u {spec} must fail with RootfsError::User, got {other:?}"),
        }
    }
}

#[test]
fn ex4_an_image_without_passwd_still_runs_numeric_users() {
    let empty = tempfile::tempdir().expect("tempdir");
    let user = resolve_in(empty.path(), "0").expect("uid 0 needs no passwd");
    assert_eq!(
        (user.uid, user.gid, user.additional_gids.as_slice()),
        (0, 0, &[0][..])
    );
    assert!(
        resolve_in(empty.path(), "root").is_err(),
        "a name needs a passwd file"
    );
}
