//! The server crate's integration tests, linked into one binary: accounts, sessions, CSRF and
//! roles through the real router; the hub profile API; the profile, volume and hub server
//! functions; the `hubfleet` command line; the binary against the simulated cluster served
//! on loopback through a kubeconfig; and the container image and Helm chart (`packaging`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod adopt;
mod auth;
mod cli;
mod cluster_kubeconfig;
mod common;
mod deploy;
mod home_volumes;
mod hub_api;
mod my_environment;
mod operability;
mod packaging;
mod passwords;
mod process;
mod profiles_api;
mod security;
mod server_control;
mod servers;
mod shared_claims;
mod site;
