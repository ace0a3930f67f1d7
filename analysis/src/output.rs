//! The files of a run: manifest, summary, resolved scenario and tables, written atomically
//! through `destination` (a temporary sibling renamed into place only when complete, so a
//! failed or interrupted run leaves nothing half-written and replaces only a previous run).

use crate::frame::parquet_bytes;
use crate::table::{to_csv, to_table};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sim_core::config::Scenario;
use sim_core::reflect::Reflect;
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
/// else): the files of [`run_files`] with a typed Parquet twin of every CSV table.
pub fn write_run(
    dir: &Path,
    scenario: &Scenario,
    report: &Report,
    manifest: &Manifest,
) -> Result<(), crate::run::CommandError> {
    let files = run_files(scenario, report, manifest, Twins::Parquet)?;
    crate::destination::write_atomically(dir, &files)
}

/// Whether the tables of a run also get their Parquet twin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Twins {
    /// CSV only (the runs of a sweep or a comparison).
    CsvOnly,
    /// Every `NAME.csv` also as `NAME.parquet`, typed by its row type.
    Parquet,
}

/// The files of a run, by name: JSON documents, the resolved scenario and CSV tables (and,
/// with [`Twins::Parquet`], their Parquet twins after them).
pub fn run_files(
    scenario: &Scenario,
    report: &Report,
    manifest: &Manifest,
    twins: Twins,
) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut files: Vec<(String, Vec<u8>)> = vec![
        (
            "manifest.json".into(),
            (serde_json::to_string_pretty(manifest)? + "\n").into_bytes(),
        ),
        (
            "summary.json".into(),
            (serde_json::to_string_pretty(&report.summary)? + "\n").into_bytes(),
        ),
        (
            "scenario.toml".into(),
            scenario_toml(scenario)?.into_bytes(),
        ),
    ];
    let mut twins_of: Vec<(String, Vec<u8>)> = Vec::new();
    let mut out = Tables {
        files: &mut files,
        twins: (twins == Twins::Parquet).then_some(&mut twins_of),
    };
    out.add("torrents", &report.summary.torrents)?;
    out.add("peers", &report.peers)?;
    out.add("series", &report.series)?;
    if let Some(econ) = &report.economy {
        out.add("balances", &econ.balances)?;
        out.add("journal", &econ.journal)?;
        if let Some(loans) = &econ.loans {
            out.add("loans", loans)?;
        }
        if let Some(bounties) = &econ.bounties {
            out.add("bounties", bounties)?;
        }
    }
    if let Some(agents) = &report.agents {
        out.add("agents", agents)?;
    }
    files.extend(twins_of);
    Ok(files)
}

/// Where a run's tables go: CSV into `files`, Parquet twins (if wanted) into `twins`.
struct Tables<'a> {
    files: &'a mut Vec<(String, Vec<u8>)>,
    twins: Option<&'a mut Vec<(String, Vec<u8>)>>,
}

impl Tables<'_> {
    fn add<T: Serialize + Reflect>(&mut self, name: &str, rows: &[T]) -> anyhow::Result<()> {
        let csv = match &mut self.twins {
            None => to_csv(rows)?,
            Some(twins) => {
                let mut table = to_table(rows)?;
                twins.push((format!("{name}.parquet"), parquet_bytes(&mut table.frame)?));
                table.csv
            }
        };
        self.files.push((format!("{name}.csv"), csv.into_bytes()));
        Ok(())
    }
}
