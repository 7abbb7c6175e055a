//! The hostname: the one thing a UTS namespace holds (with the rarely used NIS domain name).
//!
//! **Lab 02 skeleton.** Exercise `ex4`: write [`validate_hostname`] (the `todo!()`).
//! `labs/check 02` tells you how far you are.
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
    // ex4: the rules of the doc comment above. `name.split('.')` gives the labels;
    // return `Err(NamespaceError::InvalidHostname { name: name.to_string(), reason })` for
    // the first rule broken, `reason` a short `&'static str` saying which.
    todo!(
        "ex4: check the length, then each label: not empty, at most MAX_LABEL_LEN, only ASCII letters, digits and '-', no '-' at either end"
    )
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
