//! The app crate's integration tests, linked into one binary (one link of kube, sqlx and
//! jsonschema instead of one per file): hubs, volumes and profiles against real SQLite files,
//! the first-run example, values generation against golden files, the chart's schema and
//! property tests, and the cluster connection against the simulated cluster.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit_integrity;
mod cluster_handle;
mod common;
mod hubs_volumes_db;
mod input_props;
mod profiles_db;
mod seed_db;
mod values_errors;
mod values_fallback;
mod values_golden;
mod values_props;
mod values_schema;
mod values_support;
