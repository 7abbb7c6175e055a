//! Query parameters read as dockerd reads them (`api/server/httputils`).

use serde::Deserialize;

use super::ApiError;

/// A request's query as dockerd's `r.Form` sees it, repeated keys and all (`changes=…&changes=…`,
/// `names=a&names=b`), for `Query<Form>`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct Form(Vec<(String, String)>);

impl Form {
    /// The first value of `key`; empty when it is absent (Go's `Form.Get`).
    pub fn get(&self, key: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of `key`, in order (`r.Form[key]`).
    pub fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

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

/// An integer parameter Docker reads with `strconv.Atoi` and nothing else: absent or empty
/// fails too (`resize`'s `h` and `w`), and dockerd answers 400.
pub fn required_int(value: Option<&str>) -> Result<i64, ApiError> {
    let v = value.unwrap_or("");
    v.parse()
        .map_err(|_| ApiError::bad_request(format!("strconv.Atoi: parsing {v:?}: invalid syntax")))
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
    fn a_form_keeps_every_value_of_a_repeated_key() {
        let form: Form =
            serde_urlencoded_like("names=busybox&changes=CMD%20%5B%22sh%22%5D&names=a%2Fb%3A1&x=");
        assert_eq!(form.all("names"), ["busybox", "a/b:1"]);
        assert_eq!(form.get("names"), "busybox");
        assert_eq!(form.get("changes"), r#"CMD ["sh"]"#);
        assert_eq!(form.get("x"), "");
        assert_eq!(form.get("absent"), "");
        assert!(form.all("absent").is_empty());
    }

    /// What axum's `Query` does with a query string.
    fn serde_urlencoded_like(query: &str) -> Form {
        let uri: axum::http::Uri = format!("/x?{query}").parse().unwrap();
        axum::extract::Query::<Form>::try_from_uri(&uri).unwrap().0
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

    #[test]
    fn required_integers_refuse_what_is_missing_with_400() {
        assert_eq!(required_int(Some("24")), Ok(24));
        for (raw, shown) in [(None, "\"\""), (Some(""), "\"\""), (Some("a"), "\"a\"")] {
            let err = required_int(raw).unwrap_err();
            assert_eq!(err.status, axum::http::StatusCode::BAD_REQUEST);
            assert_eq!(
                err.message,
                format!("strconv.Atoi: parsing {shown}: invalid syntax")
            );
        }
    }
}
