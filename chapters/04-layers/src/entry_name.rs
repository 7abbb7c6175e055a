//! Tar entry names are attacker-controlled: check them before anything touches the disk.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

// ANCHOR: entry_name
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
    if raw.is_empty() {
        return Err("empty name");
    }
    if raw.contains(&0) {
        return Err("NUL byte in the name");
    }
    if raw.starts_with(b"/") {
        return Err("absolute path");
    }
    let mut parts = Vec::new();
    for part in raw.split(|b| *b == b'/') {
        match part {
            b"" | b"." => {} // `./etc//passwd` is `etc/passwd`
            b".." => return Err("`..` component"),
            part => parts.push(OsString::from_vec(part.to_vec())),
        }
    }
    Ok(EntryName { parts })
}
// ANCHOR_END: entry_name

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

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(raw: &str) -> Result<Vec<String>, &'static str> {
        parse_entry_name(raw.as_bytes())
            .map(|n| n.parts.iter().map(|p| p.to_string_lossy().into_owned()).collect())
    }

    #[test]
    fn dot_slash_and_empty_components_are_dropped() {
        assert_eq!(parts("./etc//passwd").unwrap(), ["etc", "passwd"]);
        assert_eq!(parts("etc/").unwrap(), ["etc"]);
        assert_eq!(parts("./").unwrap(), Vec::<String>::new());
        assert_eq!(parts(".wh..wh..opq").unwrap(), [".wh..wh..opq"]);
    }

    #[test]
    fn escapes_are_refused() {
        assert_eq!(parts("/etc/passwd"), Err("absolute path"));
        assert_eq!(parts("../x"), Err("`..` component"));
        assert_eq!(parts("a/../../x"), Err("`..` component"));
        assert_eq!(parts("a/.."), Err("`..` component"));
        assert_eq!(parts(""), Err("empty name"));
        assert_eq!(parse_entry_name(b"a\0b"), Err("NUL byte in the name"));
    }

    #[test]
    fn parent_and_base() {
        let name = parse_entry_name(b"usr/local/bin/tool").unwrap();
        assert_eq!(name.parent(), PathBuf::from("usr/local/bin"));
        assert_eq!(name.base(), Some(OsStr::new("tool")));
        assert_eq!(parse_entry_name(b"top").unwrap().parent(), PathBuf::new());
        assert_eq!(parse_entry_name(b".").unwrap().base(), None);
    }
}
