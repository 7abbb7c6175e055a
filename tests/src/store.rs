//! What a data root's image store holds, to check that a failed pull, load or import left it
//! as it was.

use crate::test_env::TestEnv;

/// Every path under the data root's `image/` and `overlay2/` (directories end in `/`; links are
/// not followed), plus the content of `repositories.json`: what a failed pull must not change.
pub fn store_listing(env: &TestEnv) -> Vec<String> {
    let mut out = Vec::new();
    let root = env.data_root();
    let mut stack = vec![root.join("image"), root.join("overlay2")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let relative = path.strip_prefix(root).unwrap_or(&path).display().to_string();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                out.push(format!("{relative}/"));
                stack.push(path);
            } else {
                out.push(relative);
            }
        }
    }
    out.sort();
    out.push(std::fs::read_to_string(root.join("image/overlay2/repositories.json")).unwrap_or_default());
    out
}

/// Nothing is left in `<data-root>/tmp`, where downloads are staged.
#[track_caller]
pub fn assert_no_staging_left(env: &TestEnv) {
    let tmp = env.data_root().join("tmp");
    let left: Vec<_> = std::fs::read_dir(&tmp)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "staged files left behind: {left:?}");
}
