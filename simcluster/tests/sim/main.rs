//! The simulated cluster through the unchanged `kube` client: one test binary, one module per
//! area (API semantics, Helm drivers, user servers, loopback serving and the real-time clock,
//! the `simcluster serve` binary).

mod api;
mod loopback;
mod releases;
mod serve;
mod users;
