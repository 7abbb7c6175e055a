//! Tar entry names are attacker-controlled: check them before anything touches the disk.
//!
//! **Lab 04 skeleton.** Exercise `ex4`, part 1: write `parse_entry_name` (the `todo!()`;
//! part 2 is in `apply.rs`). `labs/check 04` tells you how far you are.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

/// A checked entry name: relative, `./`-less, no `..`, no NUL. Empty means the layer root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EntryName {
    parts: Vec<OsString>,
}

/// Split a raw tar name into its components, refusing what could point outside the layer.
///
/// Docker cleans a name and refuses it only when it *ends up* outside (`invalid path`); we
/// refuse every `..` outright: no honest layer needs one, and there is nothing to reason about.
pub(crate) fn parse_entry_name(raw: &[u8]) -> Result<EntryName, &'static str> {
    // ex4: refuse, with a short reason (`&'static str`), an empty name, a NUL byte and a
    // leading `/`. Then split on `/` (`raw.split(|b| *b == b'/')`): empty and `.` parts
    // are dropped, a `..` part is refused, any other part is kept
    // (`OsString::from_vec(part.to_vec())`).
    todo!(
        "ex4: refuse empty, NUL and absolute names; split on b'/', skip \"\" and \".\", refuse \"..\", keep the rest"
    )
}

impl EntryName {
    /// The last component; `None` for the layer root (`./`).
    pub(crate) fn base(&self) -> Option<&OsStr> {
        self.parts.last().map(OsString::as_os_str)
    }

    /// Everything but the last component, as a relative path (empty for top-level names).
    pub(crate) fn parent(&self) -> PathBuf {
        let n = self.parts.len().saturating_sub(1);
        self.parts[..n].iter().collect()
    }
}
