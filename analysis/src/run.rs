//! `tokenswarm run` and `tokenswarm show-config`.

use crate::budget::check_run;
use crate::destination::check_replaceable;
use crate::error::InputError;
use crate::load::{Override, load_scenario};
use crate::output::{Manifest, git_revision, scenario_hash, scenario_toml, write_run};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What `run` was asked to do.
#[derive(Debug)]
pub struct RunRequest {
    pub scenario: PathBuf,
    pub seed: Option<u64>,
    pub overrides: Vec<Override>,
    pub out: Option<PathBuf>,
    /// Run even if the work estimate passes the limits of `budget`.
    pub force: bool,
}

/// Either the user's mistake (exit 2) or an internal failure (exit 1).
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Other(anyhow::Error),
}

/// An `anyhow` error that carries an [`InputError`] (a damaged table read by `plot`, say) is
/// still the user's input: exit 2.
impl From<anyhow::Error> for CommandError {
    fn from(e: anyhow::Error) -> Self {
        match e.downcast::<InputError>() {
            Ok(input) => CommandError::Input(input),
            Err(other) => CommandError::Other(other),
        }
    }
}

/// Loads, runs and writes one scenario; returns the output directory.
pub fn run(req: &RunRequest) -> Result<PathBuf, CommandError> {
    let mut scenario = load_scenario(&req.scenario, &req.overrides)?;
    // Set after loading: TOML integers stop at i64::MAX, seeds go to u64::MAX.
    if let Some(seed) = req.seed {
        scenario.seed = seed;
    }
    let (out, flag) = match &req.out {
        Some(out) => (out.clone(), "--out"),
        None => (
            Path::new("outputs").join(&scenario.name),
            "the output directory (from the scenario's name)",
        ),
    };
    check_replaceable(&out, flag)?;
    check_run(&scenario, &req.scenario, None, req.force)?;
    let started = Instant::now();
    let report = crate::progress::run_to_end(&scenario, true)
        .map_err(|e| CommandError::Other(anyhow::anyhow!("{}: {e}", req.scenario.display())))?;
    let wall = started.elapsed().as_secs_f64();
    let manifest = Manifest {
        tokenswarm_version: env!("CARGO_PKG_VERSION"),
        git_revision: git_revision(),
        scenario_file: req.scenario.display().to_string(),
        scenario_hash: scenario_hash(&scenario)?,
        seed: scenario.seed,
        wall_time_s: wall,
        events_per_s: report.summary.events_processed as f64 / wall.max(1e-9),
        estimated_events: scenario.estimate_work().events(),
        estimated_bytes: scenario.estimate_work().bytes(),
        scenario: &scenario,
    };
    write_run(&out, &scenario, &report, &manifest)?;
    eprintln!(
        "tokenswarm: {} events, {} piece transfers, {:.0} s simulated in {:.2} s wall; results in {}",
        report.summary.events_processed,
        report.summary.piece_transfers,
        report.summary.sim_time_s,
        wall,
        out.display()
    );
    Ok(out)
}

/// Runs `scenario` to its end without progress lines; a panic in the engine becomes an
/// error message (see [`crate::progress::run_to_end`]).
pub fn run_guarded(
    scenario: &sim_core::config::Scenario,
) -> Result<sim_core::report::Report, String> {
    crate::progress::run_to_end(scenario, false)
}

/// The resolved scenario with every default filled in, as TOML.
pub fn show_config(path: &Path, overrides: &[Override]) -> Result<String, CommandError> {
    let scenario = load_scenario(path, overrides)?;
    Ok(scenario_toml(&scenario)?)
}
