//! mount(8)-style option strings (`ro,noexec,size=64m`) split into mount(2)'s flags and its
//! filesystem data, as moby's `mount.parseOptions` does: the names it knows become flags
//! (`ro` sets `MS_RDONLY`, `rw` clears it), everything else is passed to the filesystem.

use nix::mount::MsFlags;

/// Option names that are flags: (name, clear instead of set, flag).
const FLAG_OPTIONS: [(&str, bool, MsFlags); 24] = [
    ("defaults", false, MsFlags::empty()),
    ("ro", false, MsFlags::MS_RDONLY),
    ("rw", true, MsFlags::MS_RDONLY),
    ("suid", true, MsFlags::MS_NOSUID),
    ("nosuid", false, MsFlags::MS_NOSUID),
    ("dev", true, MsFlags::MS_NODEV),
    ("nodev", false, MsFlags::MS_NODEV),
    ("exec", true, MsFlags::MS_NOEXEC),
    ("noexec", false, MsFlags::MS_NOEXEC),
    ("sync", false, MsFlags::MS_SYNCHRONOUS),
    ("async", true, MsFlags::MS_SYNCHRONOUS),
    ("dirsync", false, MsFlags::MS_DIRSYNC),
    ("remount", false, MsFlags::MS_REMOUNT),
    ("mand", false, MsFlags::MS_MANDLOCK),
    ("nomand", true, MsFlags::MS_MANDLOCK),
    ("atime", true, MsFlags::MS_NOATIME),
    ("noatime", false, MsFlags::MS_NOATIME),
    ("diratime", true, MsFlags::MS_NODIRATIME),
    ("nodiratime", false, MsFlags::MS_NODIRATIME),
    ("bind", false, MsFlags::MS_BIND),
    ("rbind", false, MsFlags::MS_BIND.union(MsFlags::MS_REC)),
    ("relatime", false, MsFlags::MS_RELATIME),
    ("norelatime", true, MsFlags::MS_RELATIME),
    ("strictatime", false, MsFlags::MS_STRICTATIME),
];

// ANCHOR: mount_options
/// `options` (comma-separated) applied over `flags`; returns the flags and the data left for
/// the filesystem (empty: none). Later options win (`noexec,exec` is exec).
pub fn flags_and_data(flags: MsFlags, options: &str) -> (MsFlags, String) {
    let mut flags = flags;
    let mut data = Vec::new();
    for option in options.split(',').filter(|o| !o.is_empty()) {
        match FLAG_OPTIONS.iter().find(|(name, _, _)| *name == option) {
            Some((_, true, flag)) => flags.remove(*flag),
            Some((_, false, flag)) => flags.insert(*flag),
            None => data.push(option),
        }
    }
    (flags, data.join(","))
}
// ANCHOR_END: mount_options

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_taken_out_and_the_rest_is_data() {
        let base = MsFlags::MS_NOEXEC | MsFlags::MS_NOSUID | MsFlags::MS_NODEV;
        let (flags, data) = flags_and_data(base, "size=64m,exec,ro,mode=1777");
        assert_eq!(flags, MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_RDONLY);
        assert_eq!(data, "size=64m,mode=1777");
        assert_eq!(
            flags_and_data(MsFlags::empty(), ""),
            (MsFlags::empty(), String::new())
        );
        assert_eq!(
            flags_and_data(MsFlags::empty(), "bind,ro").0,
            MsFlags::MS_BIND | MsFlags::MS_RDONLY
        );
    }
}
