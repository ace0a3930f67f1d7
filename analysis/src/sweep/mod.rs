//! `tokenswarm sweep`: parameter sweeps over dotted scenario paths (grid, zip, random,
//! Latin hypercube), replicated, run in parallel, resumable, ending in tables.
//!
//! The pieces: `spec` reads the sweep file, `paths` and `values` check and interpret
//! parameters, `plan` turns them into points and seeds, `exec` runs them, `tables` writes
//! `runs`, `points` and `series`.

pub mod claim;
pub mod exec;
pub mod merge;
pub mod paths;
pub mod plan;
pub mod shard;
pub mod spec;
pub mod store;
pub mod tables;
pub mod values;

pub use exec::{Keep, SweepOutcome, SweepRequest, sweep};

/// A sweep's `name` names its default output directory: one plain path component.
pub fn validate_name(name: &str, file: &std::path::Path) -> Result<(), crate::error::InputError> {
    sim_core::config::validate_file_name("name", name)
        .map_err(|e| crate::error::InputError::new(file, e.to_string()))
}
