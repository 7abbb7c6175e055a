//! How Go's `encoding/json` prints Docker's types, where serde's defaults differ: a nil slice
//! is `null`, not `[]` (Docker leaves a list nil when it has nothing to put in it).

use serde::{Serialize, Serializer};

/// `null` for an empty list, the list otherwise (`"RepoTags": null`, `"ImagesDeleted": null`).
pub fn nil_if_empty<S: Serializer, T: Serialize>(list: &[T], serializer: S) -> Result<S::Ok, S::Error> {
    if list.is_empty() {
        serializer.serialize_none()
    } else {
        list.serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Lists {
        #[serde(serialize_with = "nil_if_empty")]
        a: Vec<u8>,
        #[serde(serialize_with = "nil_if_empty")]
        b: Vec<u8>,
    }

    #[test]
    fn empty_lists_are_null() {
        let json = serde_json::to_string(&Lists {
            a: vec![],
            b: vec![1],
        })
        .unwrap();
        assert_eq!(json, r#"{"a":null,"b":[1]}"#);
    }
}
