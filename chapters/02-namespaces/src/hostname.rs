//! The hostname: the one thing a UTS namespace holds (with the rarely used NIS domain name).
//!
//! `docker run --hostname web1` gives the container a UTS namespace of its own and calls
//! `sethostname(2)` in it; `hostname` on the host is unchanged. Without a new UTS namespace
//! the same call would rename the host, which is why [`set_hostname`] must only ever run in
//! a process that has unshared `Namespace::Uts`.

use nix::unistd::sethostname;

use crate::error::NamespaceError;

/// The longest hostname the kernel stores: `HOST_NAME_MAX` (64 bytes, without the NUL).
pub const HOST_NAME_MAX: usize = 64;

/// The longest label (the part between dots), from RFC 1123.
pub const MAX_LABEL_LEN: usize = 63;

/// Checks that `name` is a hostname other machines can resolve: 1 to [`HOST_NAME_MAX`]
/// bytes, dot-separated labels of 1 to [`MAX_LABEL_LEN`] ASCII letters, digits and hyphens,
/// no label starting or ending with a hyphen (RFC 1123).
///
/// The kernel itself takes any bytes up to 64; the stricter check catches names that would
/// break DNS, `/etc/hosts` or a shell prompt. (Docker applied the same label rules, with a
/// 63-byte limit, and this error's message is Docker's.)
pub fn validate_hostname(name: &str) -> Result<(), NamespaceError> {
    let bad = |reason| {
        Err(NamespaceError::InvalidHostname {
            name: name.to_string(),
            reason,
        })
    };
    if name.is_empty() {
        return bad("empty");
    }
    if name.len() > HOST_NAME_MAX {
        return bad("longer than 64 bytes (HOST_NAME_MAX)");
    }
    for label in name.split('.') {
        if label.is_empty() {
            return bad("empty label: leading, trailing or double dot");
        }
        if label.len() > MAX_LABEL_LEN {
            return bad("label longer than 63 bytes");
        }
        if !label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return bad("only ASCII letters, digits, '-' and '.' are allowed");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return bad("a label starts or ends with '-'");
        }
    }
    Ok(())
}

/// Sets the hostname of the caller's UTS namespace: sethostname(2).
///
/// Like Docker (and runc), this applies only the kernel's rule, at most [`HOST_NAME_MAX`]
/// bytes: `docker run -h 'bad host!'` works. Call [`validate_hostname`] first where a name must
/// also be resolvable.
///
/// Needs `CAP_SYS_ADMIN` in the user namespace that owns the UTS namespace. Call it only
/// after unsharing `Namespace::Uts`, or it renames the host.
pub fn set_hostname(name: &str) -> Result<(), NamespaceError> {
    tracing::debug!(hostname = name, "sethostname");
    sethostname(name).map_err(|source| NamespaceError::SetHostname {
        name: name.to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The same rules said another way: by looking at neighbouring characters.
    fn acceptable(name: &str) -> bool {
        let b = name.as_bytes();
        let longest_label = name.split('.').map(str::len).max().unwrap_or(0);
        (1..=64).contains(&b.len())
            && longest_label <= 63
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'.')
            && b.first().is_some_and(u8::is_ascii_alphanumeric)
            && b.last().is_some_and(u8::is_ascii_alphanumeric)
            && !name.contains("..")
            && !name.contains(".-")
            && !name.contains("-.")
    }

    #[test]
    fn examples_from_docker_run() {
        for ok in [
            "web1",
            "a",
            "my-host.example.com",
            "0",
            "A-1.b-2",
            &"x".repeat(63),
        ] {
            assert!(validate_hostname(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-web",
            "web-",
            "a..b",
            ".a",
            "a.",
            "under_score",
            "sp ace",
            "héte",
        ] {
            assert!(validate_hostname(bad).is_err(), "{bad:?}");
        }
        assert!(validate_hostname(&"x".repeat(64)).is_err(), "label of 64");
        assert!(validate_hostname(&format!("{}.{}", "x".repeat(32), "y".repeat(31))).is_ok());
        assert!(validate_hostname(&format!("{}.{}", "x".repeat(32), "y".repeat(32))).is_err());
    }

    #[test]
    fn the_message_is_dockers() {
        let err = validate_hostname("bad_name").expect_err("underscore");
        assert_eq!(err.to_string(), "invalid hostname format: bad_name");
    }

    proptest! {
        #[test]
        fn agrees_with_the_character_rules(name in "[a-z0-9.-]{0,70}") {
            prop_assert_eq!(validate_hostname(&name).is_ok(), acceptable(&name));
        }

        #[test]
        fn agrees_on_any_characters(name in "[a-zA-Z0-9.\\-_ é]{0,70}") {
            prop_assert_eq!(validate_hostname(&name).is_ok(), acceptable(&name));
        }

        #[test]
        fn well_formed_names_are_accepted(
            name in "[a-z0-9]([a-z0-9-]{0,12}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,12}[a-z0-9])?){0,3}"
        ) {
            prop_assert!(validate_hostname(&name).is_ok(), "{}", name);
        }

        #[test]
        fn long_labels_are_rejected(len in 64usize..200) {
            prop_assert!(validate_hostname(&"a".repeat(len)).is_err());
        }
    }
}
