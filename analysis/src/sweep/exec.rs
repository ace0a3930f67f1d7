//! Running a sweep: every (point, replicate) on a rayon pool, each run written to
//! `runs/pNNNN-rRR/` the moment it finishes, progress (a bar on a terminal, a line every few
//! seconds off one), resume, and
//! failures reported without stopping the others.
//!
//! Invariant: a run directory exists only when complete (atomic rename), so `--resume`
//! skips exactly the finished runs; memory holds one report per worker thread, never the
//! whole sweep.

use super::plan::{Plan, RunId};
use super::tables::{RUNS_DIR, write_file, write_tables};
use crate::budget::{check_run, check_sweep};
use crate::destination::{
    Temporary, check_replaceable, partial_of, remove_stale_partials, write_atomically,
};
use crate::error::{InputError, io_error};
use crate::output::{Manifest, run_files, scenario_hash};
use crate::run::CommandError;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The file in a sweep's output directory that says which sweep it holds.
pub const DESCRIPTION: &str = "sweep.json";

/// What `sweep` was asked to do.
#[derive(Debug)]
pub struct SweepRequest {
    pub file: PathBuf,
    /// Worker threads (default: every core; never more than the runs to do).
    pub threads: Option<usize>,
    pub out: Option<PathBuf>,
    pub resume: bool,
    /// Sweep even if the number of runs or the estimated work passes the limits of `budget`.
    pub force: bool,
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
    pub runs: u64,
    pub skipped: u64,
    pub failures: Vec<Failure>,
}

/// Most worker threads, whatever `--threads` says.
pub const MAX_THREADS: usize = 1024;
/// Most estimated memory of the runs in progress at once (threads are lowered to fit).
pub const MAX_SWEEP_BYTES: f64 = 16.0 * (1u64 << 30) as f64;

/// Plans, runs and tabulates a sweep. Bad input fails before anything is written (exit 2);
/// failed runs are reported and make the command exit 1 after the tables are written.
pub fn sweep(req: &SweepRequest) -> Result<SweepOutcome, CommandError> {
    if req.threads == Some(0) {
        return Err(InputError::new(&req.file, "--threads 0: give at least 1 thread").into());
    }
    let spec = super::spec::SweepSpec::load(&req.file)?;
    let plan = Plan::new(spec)?;
    let total = plan.run_count();
    let per_replicate: f64 = plan
        .points
        .iter()
        .map(|p| p.scenario.estimate_work().events())
        .sum();
    check_sweep(
        total,
        per_replicate,
        plan.spec.replicates,
        &req.file,
        req.force,
    )?;
    for p in &plan.points {
        check_run(
            &p.scenario,
            &req.file,
            Some(&format!("point {}", p.index)),
            req.force,
        )?;
    }
    let out = req
        .out
        .clone()
        .unwrap_or_else(|| Path::new("outputs").join(&plan.spec.name));
    prepare_dir(&out, &plan, req.resume)?;
    let skipped = plan.runs().filter(|r| is_done(&out, *r)).count() as u64;
    let todo = total - skipped;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let asked = req.threads.unwrap_or(cores);
    // Runs in parallel hold their memory at once: keep the estimated total within bounds.
    let run_bytes = plan
        .points
        .iter()
        .map(|p| p.scenario.estimate_work().bytes())
        .fold(0.0, f64::max);
    let by_memory = ((MAX_SWEEP_BYTES / run_bytes.max(1.0)).floor() as usize).max(1);
    let threads = asked
        .min(MAX_THREADS)
        .min(todo.max(1) as usize)
        .min(by_memory);
    if threads < asked && (req.threads.is_some() || threads == by_memory) {
        let why = if threads == by_memory {
            format!(
                "each run may need {}, and parallel runs are kept under {}",
                crate::budget::bytes_words(run_bytes),
                crate::budget::bytes_words(MAX_SWEEP_BYTES)
            )
        } else if threads == MAX_THREADS {
            format!("at most {MAX_THREADS}")
        } else {
            format!("only {todo} runs to do")
        };
        eprintln!("tokenswarm: using {threads} threads, not {asked}: {why}");
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(anyhow::Error::from)?;
    let bar = crate::progress::Progress::new(&format!("sweep {}", plan.spec.name), todo);
    let started = Instant::now();
    let mut failures: Vec<Failure> = pool.install(|| {
        (0..total)
            .into_par_iter()
            .map(|i| plan.run_at(i))
            .filter(|&run| !is_done(&out, run))
            .filter_map(|run| {
                let result = run_one(&plan, &out, run);
                bar.inc(result.is_err());
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
    bar.finish();
    failures.sort_by_key(|f| f.run);
    let done: Vec<RunId> = plan.runs().filter(|r| is_done(&out, *r)).collect();
    write_failures(&out, &failures)?;
    write_tables(&out, &plan, &done)?;
    eprintln!(
        "tokenswarm: sweep {}: {} runs ({} done before, {} failed) on {threads} threads in {:.1} s; tables in {}",
        plan.spec.name,
        total,
        skipped,
        failures.len(),
        started.elapsed().as_secs_f64(),
        out.display()
    );
    Ok(SweepOutcome {
        out,
        runs: total,
        skipped,
        failures,
    })
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
    let report = crate::run::run_guarded(&scenario)?;
    let wall = started.elapsed().as_secs_f64();
    let manifest = Manifest {
        tokenswarm_version: env!("CARGO_PKG_VERSION"),
        git_revision: None,
        scenario_file: plan.spec.file.display().to_string(),
        scenario_hash: scenario_hash(&scenario).map_err(|e| e.to_string())?,
        seed: scenario.seed,
        wall_time_s: wall,
        events_per_s: report.summary.events_processed as f64 / wall.max(1e-9),
        estimated_events: scenario.estimate_work().events(),
        estimated_bytes: scenario.estimate_work().bytes(),
        scenario: &scenario,
    };
    let files = run_files(&scenario, &report, &manifest).map_err(|e| e.to_string())?;
    write_atomically(&run_dir(out, run), &files).map_err(|e| format!("cannot write results: {e}"))
}

/// Makes `out` ready: new (created whole, `sweep.json` and `runs/`, by renaming a finished
/// temporary, so an interrupted start leaves no half-made sweep), or holding this very sweep
/// and `--resume` given. Anything else is the user's mistake and nothing is touched.
fn prepare_dir(out: &Path, plan: &Plan, resume: bool) -> Result<(), CommandError> {
    let desc_path = out.join(DESCRIPTION);
    if out.exists() && !out.is_dir() {
        return Err(InputError::new(out, "--out is a file, not a directory").into());
    }
    let empty = match std::fs::read_dir(out) {
        Ok(mut entries) => entries.next().is_none(),
        Err(_) => !out.exists(),
    };
    if !empty {
        let held: Option<super::plan::SweepDescription> = std::fs::read_to_string(&desc_path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
        return match held {
            None => Err(InputError::new(
                out,
                "the output directory is not empty and holds no sweep (no readable sweep.json); it is left untouched: choose another --out",
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
                remove_stale_partials(&out.join(RUNS_DIR), None);
                remove_stale_partials(out, None);
                Ok(())
            }
        };
    }
    check_replaceable(out, "--out")?;
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| io_error("create", parent, e))?;
    let tmp = Temporary::new_dir(partial_of(out))?;
    std::fs::create_dir_all(tmp.path().join(RUNS_DIR))
        .map_err(|e| io_error("create", tmp.path(), e))?;
    let desc = serde_json::to_string_pretty(&plan.description()).map_err(anyhow::Error::from)?;
    write_file(tmp.path(), DESCRIPTION, format!("{desc}\n").as_bytes())?;
    tmp.commit(out, || {
        // An empty directory at `out` is replaced (rename needs it gone on some systems).
        if out.exists() {
            std::fs::remove_dir(out).map_err(|e| io_error("replace", out, e))?;
        }
        Ok(())
    })?;
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
