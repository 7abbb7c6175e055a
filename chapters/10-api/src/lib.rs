//! # Chapter 10: the Engine API's own rules
//!
//! What every endpoint of the Docker Engine API shares, whatever it does, and what a client
//! must know to talk to one. `minidocker daemon` serves its endpoints through these pieces
//! and the `minidocker` CLI reads them back with them:
//!
//! | module | the rule |
//! |---|---|
//! | [`version`] | `/v1.41/containers/json` and `/containers/json` are the same route; a version out of range is a 400 with Docker's words; every answer says `Api-Version` |
//! | [`error`] | an error is a status code and `{"message": "…"}`; a JSON body is read as dockerd reads it |
//! | [`stdcopy`] | without a TTY, stdout and stderr share one stream in 8-byte-headed frames |
//! | [`hijack`] | `attach` and `exec start` take the connection over (`101 UPGRADED`, `Upgrade: tcp`) |
//! | [`ping`] | `GET /_ping`, the first request of every client: how it learns the version |
//!
//! The endpoints themselves (containers, images, networks …) are the engine's, in
//! `minidocker/src/daemon/api/`.

pub mod error;
pub mod hijack;
pub mod ping;
pub mod stdcopy;
pub mod version;

pub use error::{ApiError, ApiJson};
pub use version::{API_VERSION, MIN_API_VERSION};
