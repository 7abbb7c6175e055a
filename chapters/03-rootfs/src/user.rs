//! `-u user[:group]`: finding the uid, gid and groups in the *image's* passwd and group files.
//!
//! Names mean nothing to the kernel; the image's `/etc/passwd` decides what `nobody` is, not
//! the host's. A number that is not in the file is used as it is (with gid 0), as runc does.

use std::collections::HashMap;
use std::path::Path;

use crate::RootfsError;

/// What `-u` asked for, before looking anything up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSpec {
    pub user: String,
    pub group: Option<String>,
}

impl UserSpec {
    /// Parse `user`, `uid`, `user:group` or `uid:gid`. Numbers must be in `0..=2147483647`
    /// (what runc accepts).
    pub fn parse(spec: &str) -> Result<UserSpec, RootfsError> {
        let out_of_range = |s: &str| {
            s.parse::<i64>()
                .is_ok_and(|n| !(0..=i64::from(i32::MAX)).contains(&n))
        };
        if spec.split(':').any(out_of_range) {
            return Err(RootfsError::User(
                "uids and gids must be in range 0-2147483647".into(),
            ));
        }
        let (user, group) = match spec.split_once(':') {
            Some((u, g)) => (u, Some(g)),
            None => (spec, None),
        };
        if user.is_empty() || group.is_some_and(str::is_empty) || group.is_some_and(|g| g.contains(':')) {
            return Err(RootfsError::User(format!(
                "invalid user spec {spec:?}: expected user[:group]"
            )));
        }
        Ok(UserSpec {
            user: user.to_owned(),
            group: group.map(str::to_owned),
        })
    }
}

/// The identity the container's process runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedUser {
    pub uid: u32,
    pub gid: u32,
    /// Supplementary groups: the primary gid, then every other group in the image's
    /// `/etc/group` that lists the user (what runc sets, so `id` shows `groups=`).
    pub additional_gids: Vec<u32>,
    pub home: String,
}

struct PasswdEntry<'a> {
    name: &'a str,
    uid: u32,
    gid: u32,
    home: &'a str,
}

fn passwd_entries(text: &str) -> impl Iterator<Item = PasswdEntry<'_>> {
    text.lines().filter_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        (f.len() >= 6).then_some(())?;
        Some(PasswdEntry {
            name: f[0],
            uid: f[2].parse().ok()?,
            gid: f[3].parse().ok()?,
            home: f[5],
        })
    })
}

/// `(name, gid, members)` of each line of a group file.
fn group_entries(text: &str) -> impl Iterator<Item = (&str, u32, Vec<&str>)> {
    text.lines().filter_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        (f.len() >= 4).then_some(())?;
        let members = f[3].split(',').filter(|m| !m.is_empty()).collect();
        Some((f[0], f[2].parse().ok()?, members))
    })
}

/// The names of the ids in passwd and group files' text: uid → user name, gid → group name
/// (an id's first line wins, as a lookup by id finds it). `docker cp` names a file's owner so.
pub fn names_by_id(passwd: &str, group: &str) -> (HashMap<u32, String>, HashMap<u32, String>) {
    let mut users = HashMap::new();
    for e in passwd_entries(passwd) {
        users.entry(e.uid).or_insert_with(|| e.name.to_owned());
    }
    let mut groups = HashMap::new();
    for (name, gid, _) in group_entries(group) {
        groups.entry(gid).or_insert_with(|| name.to_owned());
    }
    (users, groups)
}

fn read_optional(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

// ANCHOR: resolve_user
/// Look `spec` up in `rootfs`'s `/etc/passwd` and `/etc/group`.
pub fn resolve_user(rootfs: &Path, spec: &UserSpec) -> Result<ResolvedUser, RootfsError> {
    let passwd = read_optional(&rootfs.join("etc/passwd"));
    let group = read_optional(&rootfs.join("etc/group"));

    let by_number = spec.user.parse::<u32>().ok();
    let entry = passwd_entries(&passwd).find(|e| by_number.map_or(e.name == spec.user, |uid| e.uid == uid));
    let (uid, mut gid, name, home) = match (entry, by_number) {
        (Some(e), _) => (e.uid, e.gid, Some(e.name.to_owned()), e.home.to_owned()),
        (None, Some(uid)) => (uid, 0, None, "/".to_owned()),
        (None, None) => {
            return Err(RootfsError::User(format!(
                "unable to find user {}: no matching entries in passwd file",
                spec.user
            )));
        }
    };
    if let Some(g) = &spec.group {
        gid = match g.parse::<u32>() {
            Ok(n) => n,
            Err(_) => group_entries(&group)
                .find(|(n, _, _)| n == g)
                .map(|(_, id, _)| id)
                .ok_or_else(|| {
                    RootfsError::User(format!(
                        "unable to find group {g}: no matching entries in group file"
                    ))
                })?,
        };
    }
    let mut additional_gids = vec![gid];
    if let Some(name) = &name {
        additional_gids.extend(
            group_entries(&group)
                .filter(|(_, id, members)| *id != gid && members.contains(&name.as_str()))
                .map(|(_, id, _)| id),
        );
    }
    Ok(ResolvedUser {
        uid,
        gid,
        additional_gids,
        home,
    })
}
// ANCHOR_END: resolve_user

// ANCHOR: switch_user
/// Become `user`: supplementary groups, then gid, then uid (after setuid(2) we could no longer
/// change the groups). Switching to a non-zero uid also empties the effective and permitted
/// capability sets, which is why it comes after the bounding set is trimmed.
pub fn switch_user(user: &ResolvedUser) -> Result<(), RootfsError> {
    use nix::unistd::{Gid, Uid, setgid, setgroups, setuid};
    let groups: Vec<Gid> = user.additional_gids.iter().map(|g| Gid::from_raw(*g)).collect();
    setgroups(&groups).map_err(|errno| RootfsError::Credentials {
        op: "setgroups(2)",
        errno,
    })?;
    setgid(Gid::from_raw(user.gid)).map_err(|errno| RootfsError::Credentials {
        op: "setgid(2)",
        errno,
    })?;
    setuid(Uid::from_raw(user.uid)).map_err(|errno| RootfsError::Credentials {
        op: "setuid(2)",
        errno,
    })
}
// ANCHOR_END: switch_user

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rootfs() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("etc")).unwrap();
        std::fs::write(
            dir.path().join("etc/passwd"),
            "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\nalice:x:1000:1000::/home/alice:/bin/sh\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("etc/group"),
            "root:x:0:\nalice:x:1000:\nwheel:x:10:alice,bob\nnogroup:x:65534:\n",
        )
        .unwrap();
        dir
    }

    fn resolve(spec: &str) -> Result<ResolvedUser, RootfsError> {
        resolve_user(rootfs().path(), &UserSpec::parse(spec)?)
    }

    #[test]
    fn names_and_numbers() {
        let alice = resolve("alice").unwrap();
        assert_eq!(
            (
                alice.uid,
                alice.gid,
                alice.additional_gids.clone(),
                alice.home.as_str()
            ),
            (1000, 1000, vec![1000, 10], "/home/alice")
        );
        assert_eq!(resolve("1000").unwrap(), alice);
        let nobody = resolve("nobody:nogroup").unwrap();
        assert_eq!((nobody.uid, nobody.gid), (65534, 65534));
        let unknown_number = resolve("4242:77").unwrap();
        assert_eq!(
            (
                unknown_number.uid,
                unknown_number.gid,
                unknown_number.home.as_str()
            ),
            (4242, 77, "/")
        );
        assert_eq!(resolve("4242").unwrap().gid, 0);
    }

    #[test]
    fn unknown_names_are_errors_naming_them() {
        assert_eq!(
            resolve("bob").unwrap_err().to_string(),
            "unable to find user bob: no matching entries in passwd file"
        );
        assert_eq!(
            resolve("alice:staff").unwrap_err().to_string(),
            "unable to find group staff: no matching entries in group file"
        );
    }

    #[test]
    fn malformed_specs() {
        for bad in ["", ":", "a:", ":b", "a:b:c"] {
            assert!(UserSpec::parse(bad).is_err(), "{bad:?} should be refused");
        }
        for bad in ["-5", "0:-1", "2147483648"] {
            assert_eq!(
                UserSpec::parse(bad).unwrap_err().to_string(),
                "uids and gids must be in range 0-2147483647"
            );
        }
    }

    proptest! {
        #[test]
        fn any_uid_gid_pair_parses_back(uid in 0..=i32::MAX as u32, gid in 0..=i32::MAX as u32) {
            let spec = UserSpec::parse(&format!("{uid}:{gid}")).unwrap();
            let r = resolve_user(Path::new("/nonexistent"), &spec).unwrap();
            prop_assert_eq!((r.uid, r.gid), (uid, gid));
        }
    }
}
