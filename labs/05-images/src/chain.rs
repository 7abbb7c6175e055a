//! Chain ids: the name of a layer *together with everything below it*.
//!
//! **Lab 05 skeleton.** Exercise `ex3`: write [`chain_ids`] and [`child_chain_id`] (the two
//! `todo!()`s). `labs/check 05` tells you how far you are.
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

/// The chain id of each layer in `diff_ids` (bottom first).
pub fn chain_ids(diff_ids: &[Digest]) -> Vec<Digest> {
    // ex3: the formula above, one chain id per diff id: the first is the first diff id,
    // every next one is `child_chain_id` of the chain id before it and its diff id.
    todo!("ex3: ChainID(L0) = DiffID(L0), ChainID(Ln) = child_chain_id(ChainID(Ln-1), DiffID(Ln))")
}

/// The chain id of layer `diff_id` stacked on the layer whose chain id is `parent`.
pub fn child_chain_id(parent: &Digest, diff_id: &Digest) -> Digest {
    // ex3: the sha256 (`Digest::of`) of the text `<parent> <diff_id>`, both digests
    // written in full (`sha256:…`, their `Display`), one space between them.
    todo!("ex3: Digest::of(format!(\"{{parent}} {{diff_id}}\").as_bytes())")
}
