//! What Hubfleet's cluster client and its simulated cluster (`simcluster`) share: the Helm
//! release Secret codec ([`helm`]) and Kubernetes quantities ([`quantity`]). Pure functions
//! and plain data only, no I/O, so both sides agree byte for byte on what they read and
//! write.

pub mod helm;
pub mod quantity;
