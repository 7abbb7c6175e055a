//! `-u user[:group]`: finding the uid, gid and groups in the *image's* passwd and group files.
//!
//! **Lab 03 skeleton.** Exercise `ex4`: write [`resolve_user`] (the `todo!()`; the parsers
//! `passwd_entries` and `group_entries` are done). `labs/check 03` tells you how far you
//! are.
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

/// Look `spec` up in `rootfs`'s `/etc/passwd` and `/etc/group`.
pub fn resolve_user(rootfs: &Path, spec: &UserSpec) -> Result<ResolvedUser, RootfsError> {
    // ex4: read `etc/passwd` and `etc/group` under `rootfs` (`read_optional`: a missing
    // file reads as empty), then:
    //   1. find the passwd entry: by uid when `spec.user` is a number, by name otherwise;
    //      a number with no entry is used as it is, with gid 0 and home `/`; a name with
    //      no entry is `RootfsError::User("unable to find user NAME: no matching entries
    //      in passwd file")`;
    //   2. `spec.group`, if any, replaces the gid: a number as it is, a name looked up in
    //      the group file (`unable to find group NAME: no matching entries in group file`);
    //   3. additional_gids: the gid first, then every other group that lists the user by
    //      name among its members.
    todo!(
        "ex4: look the user up in passwd (by uid or by name), then the group, then the groups listing the user"
    )
}

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
