//! The files of a run: manifest, summary, resolved scenario and tables, written atomically
//! through `destination` (a temporary sibling renamed into place only when complete, so a
//! failed or interrupted run leaves nothing half-written and replaces only a previous run).

use crate::frame::with_parquet_twins;
use crate::table::to_csv;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sim_core::config::Scenario;
use sim_core::report::Report;
use std::path::Path;

/// Facts about the run that are not part of the (byte-stable) summary.
#[derive(Debug, Serialize)]
pub struct Manifest<'a> {
    pub tokenswarm_version: &'static str,
    pub git_revision: Option<String>,
    pub scenario_file: String,
    /// SHA-256 of the resolved scenario as TOML.
    pub scenario_hash: String,
    pub seed: u64,
    /// Wall-clock seconds of the simulation (varies run to run; never in summary.json).
    pub wall_time_s: f64,
    pub events_per_s: f64,
    /// The work estimate checked before the run (`budget`): events and peak bytes.
    pub estimated_events: f64,
    pub estimated_bytes: f64,
    pub scenario: &'a Scenario,
}

/// The resolved scenario as TOML (what `show-config` prints and the hash covers).
pub fn scenario_toml(scenario: &Scenario) -> anyhow::Result<String> {
    Ok(toml::to_string_pretty(scenario)?)
}

pub fn scenario_hash(scenario: &Scenario) -> anyhow::Result<String> {
    let digest = Sha256::digest(scenario_toml(scenario)?.as_bytes());
    Ok(digest.iter().map(|b| format!("{b:02x}")).collect())
}

/// The revision of the source tree this binary was built from, if git can tell.
pub fn git_revision() -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["-C", env!("CARGO_MANIFEST_DIR"), "rev-parse", "HEAD"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Writes every file of a run into `dir` (replacing a previous run there, never anything
/// else): the files of [`run_files`] and a Parquet twin of every CSV table among them.
pub fn write_run(
    dir: &Path,
    scenario: &Scenario,
    report: &Report,
    manifest: &Manifest,
) -> Result<(), crate::run::CommandError> {
    let files = run_files(scenario, report, manifest)?;
    crate::destination::write_atomically(dir, &with_parquet_twins(files)?)
}

/// The files of a run, by name: JSON documents, the resolved scenario and CSV tables.
/// Every `.csv` listed here also gets a `.parquet` twin from [`write_run`].
pub fn run_files(
    scenario: &Scenario,
    report: &Report,
    manifest: &Manifest,
) -> anyhow::Result<Vec<(&'static str, String)>> {
    let mut files: Vec<(&'static str, String)> = vec![
        (
            "manifest.json",
            serde_json::to_string_pretty(manifest)? + "\n",
        ),
        (
            "summary.json",
            serde_json::to_string_pretty(&report.summary)? + "\n",
        ),
        ("scenario.toml", scenario_toml(scenario)?),
        ("torrents.csv", to_csv(&report.summary.torrents)?),
        ("peers.csv", to_csv(&report.peers)?),
        ("series.csv", to_csv(&report.series)?),
    ];
    if let Some(econ) = &report.economy {
        files.push(("balances.csv", to_csv(&econ.balances)?));
        files.push(("journal.csv", to_csv(&econ.journal)?));
    }
    if let Some(agents) = &report.agents {
        files.push(("agents.csv", to_csv(agents)?));
    }
    Ok(files)
}
