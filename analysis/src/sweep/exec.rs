//! Running a sweep: every (point, replicate) on a rayon pool, each run written to
//! `runs/pNNNN-rRR/` the moment it finishes, progress (a bar on a terminal, a line every few
//! seconds off one), resume, and
//! failures reported without stopping the others.
//!
//! Invariant: a run directory exists only when complete (atomic rename), so `--resume`
//! skips exactly the finished runs; memory holds one report per worker thread, never the
//! whole sweep.

use super::claim::{Claim, remove_debris};
use super::plan::{Plan, RunId};
use super::shard::Shard;
use super::store::Store;
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
#[derive(Debug, Default)]
pub struct SweepRequest {
    pub file: PathBuf,
    /// Worker threads (default: every core; never more than the runs to do).
    pub threads: Option<usize>,
    pub out: Option<PathBuf>,
    pub resume: bool,
    /// Sweep even if the number of runs or the estimated work passes the limits of `budget`.
    pub force: bool,
    /// Run only this shard's runs (`--shard i/n`), joining the directory of other shards of
    /// the same sweep; no tables (they come from `--merge` or `--resume`).
    pub shard: Option<Shard>,
    /// Print the runs (`--plan`) instead of running them.
    pub plan_only: bool,
    /// Build the tables of these sweep directories (`--merge`) into `out`.
    pub merge: Vec<PathBuf>,
    /// What each run keeps on disk.
    pub keep: Keep,
    /// Pack finished runs into Parquet files (`packs/`) instead of one directory each.
    pub pack: bool,
}

/// What a sweep keeps of each run (`--keep`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Keep {
    /// Every file `tokenswarm run` writes (without Parquet twins).
    #[default]
    All,
    /// `summary.json` only: the runs and points tables, no series.
    Summaries,
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
    /// Runs this process computed.
    pub ran: u64,
    pub failures: Vec<Failure>,
    /// Runs of the sweep not finished when the tables were written (an incomplete merge).
    pub missing: u64,
    /// `--plan`: the listing, printed by the caller.
    pub listing: Option<String>,
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
    if !req.merge.is_empty() && (req.shard.is_some() || req.resume || req.plan_only) {
        return Err(InputError::new(
            &req.file,
            "--merge builds tables from finished sweep directories: it takes neither --shard, --resume nor --plan",
        )
        .into());
    }
    let spec = super::spec::SweepSpec::load(&req.file)?;
    let plan = Plan::new(spec)?;
    if req.plan_only {
        return Ok(SweepOutcome {
            out: PathBuf::new(),
            runs: plan.run_count(),
            skipped: 0,
            ran: 0,
            failures: Vec::new(),
            missing: 0,
            listing: Some(super::shard::listing(&plan, req.shard)?),
        });
    }
    let out = req
        .out
        .clone()
        .unwrap_or_else(|| Path::new("outputs").join(&plan.spec.name));
    if !req.merge.is_empty() {
        return super::merge::merge(&plan, &req.merge, &out);
    }
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
    prepare_dir(&out, &plan, req.resume, req.shard.is_some())?;
    let store = Store::open(&out)?;
    let mine = |k: u64| req.shard.is_none_or(|s| s.holds(k));
    let todo_runs: Vec<u64> = (0..total)
        .filter(|&k| mine(k) && !store.is_done(plan.run_at(k)))
        .collect();
    let mine_count = (0..total).filter(|&k| mine(k)).count() as u64;
    let skipped = mine_count - todo_runs.len() as u64;
    let todo = todo_runs.len() as u64;
    let threads = thread_count(&plan, req.threads, todo);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(anyhow::Error::from)?;
    let what = match req.shard {
        Some(s) => format!("sweep {} shard {}/{}", plan.spec.name, s.index, s.count),
        None => format!("sweep {}", plan.spec.name),
    };
    let bar = crate::progress::Progress::new(&what, todo);
    let started = Instant::now();
    let runs_dir = out.join(RUNS_DIR);
    let shared = std::sync::Mutex::new(store);
    let attempt = |run: RunId, claim: Claim| -> Attempt {
        // Finished (or packed) by another process while this one waited for the claim?
        {
            let mut store = shared.lock().unwrap_or_else(|p| p.into_inner());
            if store.is_done(run) || (store.refresh().is_ok() && store.is_done(run)) {
                claim.release_finished();
                return Attempt::Done;
            }
        }
        remove_debris(&runs_dir, run);
        let result = run_one(&plan, &out, run, req.keep);
        match result {
            Ok(()) => {
                claim.release_finished();
                Attempt::Ran
            }
            Err(message) => Attempt::Failed(Failure {
                run,
                seed: plan.seed_of(run),
                message,
            }),
        }
    };
    let outcomes: Vec<(RunId, Attempt)> = pool.install(|| {
        todo_runs
            .par_iter()
            .map(|&k| {
                let run = plan.run_at(k);
                let outcome = match Claim::try_take(&runs_dir, run) {
                    Ok(Some(claim)) => attempt(run, claim),
                    Ok(None) => Attempt::Busy,
                    Err(e) => Attempt::Failed(Failure {
                        run,
                        seed: plan.seed_of(run),
                        message: format!("{e:#}"),
                    }),
                };
                if !matches!(outcome, Attempt::Busy) {
                    bar.inc(matches!(outcome, Attempt::Failed(_)));
                }
                if let Attempt::Failed(f) = &outcome {
                    report_failure(&bar, f);
                }
                (run, outcome)
            })
            .collect()
    });
    // Runs another process was computing: wait for it; if it died, run them here.
    let mut finished: Vec<(RunId, Attempt)> = Vec::new();
    for (run, outcome) in outcomes {
        let outcome = match outcome {
            Attempt::Busy => {
                let claim = Claim::wait_for(&runs_dir, run)?;
                let o = attempt(run, claim);
                bar.inc(matches!(o, Attempt::Failed(_)));
                if let Attempt::Failed(f) = &o {
                    report_failure(&bar, f);
                }
                o
            }
            other => other,
        };
        finished.push((run, outcome));
    }
    bar.finish();
    let ran = finished
        .iter()
        .filter(|(_, o)| matches!(o, Attempt::Ran))
        .count() as u64;
    let by_others = finished
        .iter()
        .filter(|(_, o)| matches!(o, Attempt::Done))
        .count() as u64;
    let mut failures: Vec<Failure> = finished
        .into_iter()
        .filter_map(|(_, o)| match o {
            Attempt::Failed(f) => Some(f),
            _ => None,
        })
        .collect();
    failures.sort_by_key(|f| f.run);
    let mut store = shared.into_inner().unwrap_or_else(|p| p.into_inner());
    store.refresh()?;
    if req.pack {
        let runs: Vec<RunId> = (0..total)
            .filter(|&k| mine(k))
            .map(|k| plan.run_at(k))
            .collect();
        let packed = store.pack(&runs)?;
        if packed > 0 {
            eprintln!(
                "tokenswarm: packed {packed} runs into {}",
                out.join(super::store::PACKS_DIR).display()
            );
        }
    }
    write_failures(&out, req.shard, &failures)?;
    let mut missing = 0;
    if req.shard.is_none() {
        let done: Vec<RunId> = plan.runs().filter(|r| store.is_done(*r)).collect();
        missing = total - done.len() as u64 - failures.len() as u64;
        write_tables(&out, &plan, &store, &done)?;
    }
    eprintln!(
        "tokenswarm: {what}: {} runs ({skipped} done before, {ran} run here, {by_others} run by another process, {} failed) on {threads} threads in {:.1} s; {}",
        mine_count,
        failures.len(),
        started.elapsed().as_secs_f64(),
        if req.shard.is_some() {
            format!(
                "runs in {}; tables once every shard is done: `tokenswarm sweep {} --merge DIR... --out DIR` or `--resume`",
                out.join(RUNS_DIR).display(),
                req.file.display()
            )
        } else {
            format!("tables in {}", out.display())
        }
    );
    Ok(SweepOutcome {
        out,
        runs: mine_count,
        skipped,
        ran,
        failures,
        missing,
        listing: None,
    })
}

/// What became of one run in this process.
#[derive(Debug)]
enum Attempt {
    /// Computed and written here.
    Ran,
    /// Found finished (by another process) once claimed.
    Done,
    /// Claimed by another live process; waited for after the others.
    Busy,
    Failed(Failure),
}

fn report_failure(bar: &crate::progress::Progress, f: &Failure) {
    bar.suspend(|| {
        eprintln!(
            "tokenswarm: run {} (point {}, replicate {}, seed {}) failed: {}",
            f.run.dir_name(),
            f.run.point,
            f.run.replicate,
            f.seed,
            f.message
        )
    });
}

/// Worker threads: as asked (default every core), never more than the runs to do, 1,024, or
/// as many as would hold more than [`MAX_SWEEP_BYTES`] of estimated run memory.
fn thread_count(plan: &Plan, asked: Option<usize>, todo: u64) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let wanted = asked.unwrap_or(cores);
    let run_bytes = plan
        .points
        .iter()
        .map(|p| p.scenario.estimate_work().bytes())
        .fold(0.0, f64::max);
    let by_memory = ((MAX_SWEEP_BYTES / run_bytes.max(1.0)).floor() as usize).max(1);
    let threads = wanted
        .min(MAX_THREADS)
        .min(todo.max(1) as usize)
        .min(by_memory);
    if threads < wanted && (asked.is_some() || threads == by_memory) {
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
        eprintln!("tokenswarm: using {threads} threads, not {wanted}: {why}");
    }
    threads
}

fn run_dir(out: &Path, run: RunId) -> PathBuf {
    out.join(RUNS_DIR).join(run.dir_name())
}

/// Runs one simulation and writes its directory; a panic in the engine becomes this run's
/// failure instead of ending the sweep.
fn run_one(plan: &Plan, out: &Path, run: RunId, keep: Keep) -> Result<(), String> {
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
    let mut files = run_files(&scenario, &report, &manifest, crate::output::Twins::CsvOnly)
        .map_err(|e| e.to_string())?;
    if keep == Keep::Summaries {
        files.retain(|(name, _)| name == "summary.json");
    }
    write_atomically(&run_dir(out, run), &files).map_err(|e| format!("cannot write results: {e}"))
}

/// Makes `out` ready: new (created whole, `sweep.json` and `runs/`, by renaming a finished
/// temporary, so an interrupted start leaves no half-made sweep), or holding this very sweep
/// and `--resume` or `--shard` given (shards share one directory; several may start at
/// once, and the first to create it wins). Anything else is the user's mistake and nothing
/// is touched.
pub(super) fn prepare_dir(
    out: &Path,
    plan: &Plan,
    resume: bool,
    shard: bool,
) -> Result<(), CommandError> {
    if out.exists() && !out.is_dir() {
        return Err(InputError::new(out, "--out is a file, not a directory").into());
    }
    let empty = match std::fs::read_dir(out) {
        Ok(mut entries) => entries.next().is_none(),
        Err(_) => !out.exists(),
    };
    if !empty {
        return join_existing(out, plan, resume || shard);
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
    let committed = tmp.commit(out, || {
        // An empty directory at `out` is replaced (rename needs it gone on some systems).
        if out.exists() {
            std::fs::remove_dir(out).map_err(|e| io_error("replace", out, e))?;
        }
        Ok(())
    });
    match committed {
        Ok(()) => Ok(()),
        // Another process (a shard started at the same moment) created it first.
        Err(e) if held_sweep(out).is_some() => {
            join_existing(out, plan, resume || shard).map_err(|_| CommandError::Other(e))
        }
        Err(e) => Err(e.into()),
    }
}

/// The sweep `out` holds, if its `sweep.json` can be read.
pub(super) fn held_sweep(out: &Path) -> Option<super::plan::SweepDescription> {
    std::fs::read_to_string(out.join(DESCRIPTION))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
}

/// Accepts a non-empty `out` only if it holds this sweep and joining is allowed.
fn join_existing(out: &Path, plan: &Plan, may_join: bool) -> Result<(), CommandError> {
    match held_sweep(out) {
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
        Some(_) if !may_join => Err(InputError::new(
            out,
            "the output directory already holds this sweep; pass --resume to finish it, or choose another --out",
        )
        .into()),
        Some(_) => {
            // Only this machine's dead processes' temporaries: another machine's may be live.
            remove_stale_partials(&out.join(RUNS_DIR), None);
            remove_stale_partials(out, None);
            std::fs::create_dir_all(out.join(RUNS_DIR))
                .map_err(|e| io_error("create", &out.join(RUNS_DIR), e))?;
            Ok(())
        }
    }
}

/// `failed.csv`: one row per failed run (removed when no run failed).
fn write_failures(out: &Path, shard: Option<Shard>, failures: &[Failure]) -> anyhow::Result<()> {
    let name = match shard {
        Some(s) => format!("failed-shard-{}-of-{}.csv", s.index, s.count),
        None => "failed.csv".to_string(),
    };
    let path = out.join(&name);
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
    write_file(out, &name, crate::table::to_csv(&rows)?.as_bytes())
}
