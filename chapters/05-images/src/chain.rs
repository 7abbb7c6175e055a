//! Chain ids: the name of a layer *together with everything below it*.
//!
//! A diff id names one layer's tar. The same tar on top of two different bases gives two
//! different filesystems, so Docker's layer store is keyed by the chain id instead:
//!
//! ```text
//! ChainID(L0) = DiffID(L0)
//! ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln))
//! ```
//!
//! Two images that start with the same layers share the same chain ids for those layers, which
//! is how a base image is stored once.

use crate::digest::Digest;

// ANCHOR: chain_ids
/// The chain id of each layer in `diff_ids` (bottom first).
pub fn chain_ids(diff_ids: &[Digest]) -> Vec<Digest> {
    let mut out: Vec<Digest> = Vec::with_capacity(diff_ids.len());
    for diff_id in diff_ids {
        let next = match out.last() {
            None => diff_id.clone(),
            Some(parent) => child_chain_id(parent, diff_id),
        };
        out.push(next);
    }
    out
}

/// The chain id of layer `diff_id` stacked on the layer whose chain id is `parent`.
pub fn child_chain_id(parent: &Digest, diff_id: &Digest) -> Digest {
    Digest::of(format!("{parent} {diff_id}").as_bytes())
}
// ANCHOR_END: chain_ids

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Digest {
        s.parse().unwrap()
    }

    #[test]
    fn known_values() {
        let a = d("sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4");
        let b = d("sha256:eae7e6c9e7ad7ea9d7b6e8d3b0b9b5c4bd7f0b7a8e0c7d1d0a0e7b7e0b8c3d2a");
        assert!(chain_ids(&[]).is_empty());
        assert_eq!(chain_ids(std::slice::from_ref(&a)), vec![a.clone()]);
        // sha256("sha256:a3ed… sha256:eae7…"), computed independently with sha256sum.
        let expected = d("sha256:4198b6695230d169b1565c25681a2582250917b3389c7d0668799ba3d1d948a3");
        assert_eq!(chain_ids(&[a.clone(), b.clone()]), vec![a, expected]);
    }

    proptest! {
        #[test]
        fn prefix_stable(seeds in proptest::collection::vec(any::<u64>(), 0..8), cut in 0usize..8) {
            let diff_ids: Vec<Digest> = seeds.iter().map(|s| Digest::of(&s.to_le_bytes())).collect();
            let all = chain_ids(&diff_ids);
            let cut = cut.min(diff_ids.len());
            prop_assert_eq!(&chain_ids(&diff_ids[..cut])[..], &all[..cut]);
            prop_assert_eq!(all.len(), diff_ids.len());
        }

        #[test]
        fn order_matters(x in any::<u64>(), y in any::<u64>()) {
            prop_assume!(x != y);
            let (a, b) = (Digest::of(&x.to_le_bytes()), Digest::of(&y.to_le_bytes()));
            prop_assert_ne!(chain_ids(&[a.clone(), b.clone()])[1].clone(), chain_ids(&[b, a])[1].clone());
        }
    }
}
