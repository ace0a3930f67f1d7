//! Running a sweep: every (point, replicate) on a rayon pool, each run written to
//! `runs/pNNNN-rRR/` the moment it finishes, a progress bar on a terminal, resume, and
//! failures reported without stopping the others.
//!
//! Invariant: a run directory exists only when complete (atomic rename), so `--resume`
//! skips exactly the finished runs; memory holds one report per worker thread, never the
//! whole sweep.

use super::plan::{Plan, RunId};
use super::tables::{RUNS_DIR, write_file, write_tables};
use crate::error::InputError;
use crate::output::{Manifest, run_files, scenario_hash, write_atomically};
use crate::run::CommandError;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use sim_core::swarm::Sim;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The file in a sweep's output directory that says which sweep it holds.
pub const DESCRIPTION: &str = "sweep.json";

/// What `sweep` was asked to do.
#[derive(Debug)]
pub struct SweepRequest {
    pub file: PathBuf,
    /// Worker threads (default: every core).
    pub threads: Option<usize>,
    pub out: Option<PathBuf>,
    pub resume: bool,
}

/// A run that failed, with what identifies it.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub run: RunId,
    pub seed: u64,
    pub message: String,
}

/// What a finished sweep did.
#[derive(Debug)]
pub struct SweepOutcome {
    pub out: PathBuf,
    pub runs: usize,
    pub skipped: usize,
    pub failures: Vec<Failure>,
}

/// Plans, runs and tabulates a sweep. Bad input fails before anything is written (exit 2);
/// failed runs are reported and make the command exit 1 after the tables are written.
pub fn sweep(req: &SweepRequest) -> Result<SweepOutcome, CommandError> {
    let spec = super::spec::SweepSpec::load(&req.file)?;
    let plan = Plan::new(spec)?;
    if req.threads == Some(0) {
        return Err(InputError::new(&req.file, "--threads 0: give at least 1 thread").into());
    }
    let out = req
        .out
        .clone()
        .unwrap_or_else(|| Path::new("outputs").join(&plan.spec.name));
    prepare_dir(&out, &plan, req.resume)?;
    let all = plan.runs();
    let todo: Vec<RunId> = all.iter().copied().filter(|r| !is_done(&out, *r)).collect();
    let skipped = all.len() - todo.len();
    let threads = req
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(anyhow::Error::from)?;
    let bar = progress_bar(todo.len());
    let started = Instant::now();
    let mut failures: Vec<Failure> = pool.install(|| {
        todo.par_iter()
            .filter_map(|&run| {
                let result = run_one(&plan, &out, run);
                bar.inc(1);
                result.err().map(|message| {
                    let f = Failure {
                        run,
                        seed: plan.seed_of(run),
                        message,
                    };
                    bar.suspend(|| {
                        eprintln!(
                            "tokenswarm: run {} (point {}, replicate {}, seed {}) failed: {}",
                            run.dir_name(),
                            run.point,
                            run.replicate,
                            f.seed,
                            f.message
                        )
                    });
                    f
                })
            })
            .collect()
    });
    bar.finish_and_clear();
    failures.sort_by_key(|f| f.run);
    let done: Vec<RunId> = all.iter().copied().filter(|r| is_done(&out, *r)).collect();
    write_failures(&out, &failures)?;
    write_tables(&out, &plan, &done)?;
    eprintln!(
        "tokenswarm: sweep {}: {} runs ({} done before, {} failed) on {threads} threads in {:.1} s; tables in {}",
        plan.spec.name,
        all.len(),
        skipped,
        failures.len(),
        started.elapsed().as_secs_f64(),
        out.display()
    );
    Ok(SweepOutcome {
        out,
        runs: all.len(),
        skipped,
        failures,
    })
}

fn progress_bar(len: usize) -> ProgressBar {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(len as u64), target);
    if let Ok(style) =
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} runs, ETA {eta}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn run_dir(out: &Path, run: RunId) -> PathBuf {
    out.join(RUNS_DIR).join(run.dir_name())
}

fn is_done(out: &Path, run: RunId) -> bool {
    run_dir(out, run).join("summary.json").is_file()
}

/// Runs one simulation and writes its directory; a panic in the engine becomes this run's
/// failure instead of ending the sweep.
fn run_one(plan: &Plan, out: &Path, run: RunId) -> Result<(), String> {
    let scenario = plan.scenario_of(run);
    let started = Instant::now();
    let report =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Sim::new(&scenario).run()))
            .map_err(|p| {
                let what = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "unknown panic".into());
                format!("the simulation panicked: {what}")
            })?;
    let wall = started.elapsed().as_secs_f64();
    let manifest = Manifest {
        tokenswarm_version: env!("CARGO_PKG_VERSION"),
        git_revision: None,
        scenario_file: plan.spec.file.display().to_string(),
        scenario_hash: scenario_hash(&scenario).map_err(|e| e.to_string())?,
        seed: scenario.seed,
        wall_time_s: wall,
        events_per_s: report.summary.events_processed as f64 / wall.max(1e-9),
        scenario: &scenario,
    };
    let files = run_files(&scenario, &report, &manifest).map_err(|e| e.to_string())?;
    write_atomically(&run_dir(out, run), &files).map_err(|e| format!("cannot write results: {e}"))
}

/// Makes `out` ready: new (write `sweep.json`), or holding this very sweep and `--resume`
/// given. Anything else is the user's mistake and nothing is touched.
fn prepare_dir(out: &Path, plan: &Plan, resume: bool) -> Result<(), CommandError> {
    let desc_path = out.join(DESCRIPTION);
    let empty = match std::fs::read_dir(out) {
        Ok(mut entries) => entries.next().is_none(),
        Err(_) => !out.exists(),
    };
    if !empty {
        if out.is_file() {
            return Err(InputError::new(out, "--out is a file, not a directory").into());
        }
        let held: Option<super::plan::SweepDescription> = std::fs::read_to_string(&desc_path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
        return match held {
            None => Err(InputError::new(
                out,
                "the output directory is not empty and holds no sweep (no readable sweep.json); choose another --out",
            )
            .into()),
            Some(d) if d.identity != plan.identity => Err(InputError::new(
                out,
                format!(
                    "the output directory holds a different sweep (`{}` from {}); choose another --out",
                    d.name,
                    d.sweep_file.display()
                ),
            )
            .into()),
            Some(_) if !resume => Err(InputError::new(
                out,
                "the output directory already holds this sweep; pass --resume to finish it, or choose another --out",
            )
            .into()),
            Some(_) => {
                remove_partials(&out.join(RUNS_DIR)).map_err(anyhow::Error::from)?;
                Ok(())
            }
        };
    }
    std::fs::create_dir_all(out.join(RUNS_DIR)).map_err(anyhow::Error::from)?;
    let desc = serde_json::to_string_pretty(&plan.description()).map_err(anyhow::Error::from)?;
    write_file(out, DESCRIPTION, format!("{desc}\n").as_bytes())?;
    Ok(())
}

/// Removes the temporary directories of runs that were being written when an earlier sweep
/// was interrupted (`.pNNNN-rRR.partial-PID`); finished runs are never touched.
fn remove_partials(runs: &Path) -> std::io::Result<()> {
    let Ok(entries) = std::fs::read_dir(runs) else {
        return Ok(());
    };
    for e in entries.filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with('.') && name.contains(".partial-") {
            std::fs::remove_dir_all(e.path())?;
        }
    }
    Ok(())
}

/// `failed.csv`: one row per failed run (removed when no run failed).
fn write_failures(out: &Path, failures: &[Failure]) -> anyhow::Result<()> {
    let path = out.join("failed.csv");
    if failures.is_empty() {
        if path.exists() {
            std::fs::remove_file(path)?;
        }
        return Ok(());
    }
    #[derive(serde::Serialize)]
    struct Row<'a> {
        run: String,
        point: u32,
        replicate: u32,
        seed: u64,
        error: &'a str,
    }
    let rows: Vec<Row> = failures
        .iter()
        .map(|f| Row {
            run: f.run.dir_name(),
            point: f.run.point,
            replicate: f.run.replicate,
            seed: f.seed,
            error: &f.message,
        })
        .collect();
    write_file(out, "failed.csv", crate::table::to_csv(&rows)?.as_bytes())
}
