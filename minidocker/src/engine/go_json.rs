//! How Go's `encoding/json` prints Docker's types, where serde's defaults differ: a nil slice
//! is `null`, not `[]` (Docker leaves a list nil when it has nothing to put in it), and how it
//! reads them back: `null` is the zero value.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `null` for an empty list, the list otherwise (`"RepoTags": null`, `"ImagesDeleted": null`).
pub fn nil_if_empty<S: Serializer, T: Serialize>(list: &[T], serializer: S) -> Result<S::Ok, S::Error> {
    if list.is_empty() {
        serializer.serialize_none()
    } else {
        list.serialize(serializer)
    }
}

/// `null` (or, with `#[serde(default)]`, a missing field) read as the type's default, as Go's
/// decoder leaves a zero value: the reading side of [`nil_if_empty`].
pub fn null_as_default<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(
    d: D,
) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Lists {
        #[serde(serialize_with = "nil_if_empty", deserialize_with = "null_as_default")]
        a: Vec<u8>,
        #[serde(serialize_with = "nil_if_empty", deserialize_with = "null_as_default")]
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
        assert_eq!(
            serde_json::from_str::<Lists>(&json).unwrap(),
            Lists {
                a: vec![],
                b: vec![1]
            }
        );
    }
}
