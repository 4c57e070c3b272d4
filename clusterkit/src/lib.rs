//! What Hubfleet's cluster client and its simulated cluster (`simcluster`) share: the Helm
//! release Secret codec ([`helm`], feature `codec`, on by default), Helm's release statuses
//! ([`ReleaseStatus`]) and Kubernetes quantities ([`quantity`]). Pure functions and plain data
//! only, no I/O, so both sides agree byte for byte on what they read and write. Without
//! `codec` the crate builds for the browser (wasm32) too.

#[cfg(feature = "codec")]
pub mod helm;
pub mod quantity;
mod release_status;

pub use release_status::ReleaseStatus;
