//! ex1: the version prefix every path may carry, and the range a daemon answers.

use lab10_api::version::{VersionError, check_version, split_version_prefix};
use lab10_api::{API_VERSION, MIN_API_VERSION};
use proptest::prelude::*;

#[test]
fn ex1_splits_the_version_off_the_path() {
    assert_eq!(
        split_version_prefix("/v1.41/containers/json"),
        Some(("1.41", "/containers/json"))
    );
    assert_eq!(split_version_prefix("/v1.24/_ping"), Some(("1.24", "/_ping")));
    assert_eq!(split_version_prefix("/v1.41/"), Some(("1.41", "/")));
}

#[test]
fn ex1_a_path_without_a_version_has_none() {
    // `/volumes/x` starts with `/v` too: a version is digits and dots
    for path in [
        "/containers/json",
        "/volumes/x",
        "/v/x",
        "/v1.41",
        "/vx.y/_ping",
        "/",
        "",
    ] {
        assert_eq!(split_version_prefix(path), None, "{path:?}");
    }
}

#[test]
fn ex1_versions_out_of_range_get_dockerds_words() {
    assert_eq!(check_version("1.41", MIN_API_VERSION, API_VERSION), Ok(()));
    assert_eq!(check_version("1.12", MIN_API_VERSION, API_VERSION), Ok(()));
    // 1.9 is older than 1.10: the parts are numbers, not text
    assert_eq!(check_version("1.9", "1.9", "1.10"), Ok(()));
    let too_new = check_version("1.50", MIN_API_VERSION, API_VERSION).unwrap_err();
    assert!(matches!(too_new, VersionError::TooNew { .. }));
    assert_eq!(
        too_new.to_string(),
        "client version 1.50 is too new. Maximum supported API version is 1.41"
    );
    let too_old = check_version("1.11", MIN_API_VERSION, API_VERSION).unwrap_err();
    assert_eq!(
        too_old.to_string(),
        "client version 1.11 is too old. Minimum supported API version is 1.12, please upgrade your client to a newer version"
    );
}

proptest! {
    #[test]
    fn ex1_any_versioned_path_splits_into_the_bare_one(v in "[0-9]{1,2}\\.[0-9]{1,2}", tail in "(/[a-z_]{1,10}){1,4}") {
        let path = format!("/v{v}{tail}");
        prop_assert_eq!(split_version_prefix(&path), Some((v.as_str(), tail.as_str())));
        prop_assert_eq!(split_version_prefix(&tail), None::<(&str, &str)>);
    }
}
