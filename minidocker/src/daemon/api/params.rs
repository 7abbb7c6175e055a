//! Query parameters read as dockerd reads them (`api/server/httputils`).

use super::ApiError;

/// Docker's `BoolValue`: absent, empty, `0`, `no`, `false` and `none` (any case) are false;
/// anything else is true (`all=1`, `all=True`, `force=yes`).
pub fn bool_value(value: Option<&str>) -> bool {
    let v = value.unwrap_or("").trim().to_lowercase();
    !matches!(v.as_str(), "" | "0" | "no" | "false" | "none")
}

/// An integer parameter as Docker's `strconv.Atoi` reads it; absent or empty is 0. Docker
/// answers 500 with Go's message for one that is not a number.
pub fn int_value(value: Option<&str>) -> Result<i64, ApiError> {
    match value.unwrap_or("") {
        "" => Ok(0),
        v => v
            .parse()
            .map_err(|_| ApiError::internal(format!("strconv.Atoi: parsing {v:?}: invalid syntax"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_like_dockers() {
        for falsy in [
            None,
            Some(""),
            Some("0"),
            Some("no"),
            Some("False"),
            Some(" none "),
        ] {
            assert!(!bool_value(falsy), "{falsy:?}");
        }
        for truthy in ["1", "true", "True", "yes", "maybe"] {
            assert!(bool_value(Some(truthy)), "{truthy}");
        }
    }

    #[test]
    fn integers_like_strconv_atoi() {
        assert_eq!(int_value(None), Ok(0));
        assert_eq!(int_value(Some("-1")), Ok(-1));
        assert_eq!(int_value(Some("3")), Ok(3));
        let err = int_value(Some("x")).unwrap_err();
        assert_eq!(err.status, axum::http::StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(err.message, r#"strconv.Atoi: parsing "x": invalid syntax"#);
    }
}
