//! `tokenswarm compare`: two or more arms (scenario files, or variants of the first file by
//! `--variant NAME:path=value;…`) run over the same replicates with common random numbers
//! (replicate r of every arm has one seed), then one table of every summary metric per arm
//! with the paired difference to the first arm and, for censored metrics, survival
//! statistics (`compare.csv`, `compare.parquet`), and every run's files under `runs/`.
//!
//! Invariant: the table's rows are in (metric, arm) order with metrics in the first arm's
//! summary order, and every float is summed in replicate order, so the bytes never depend on
//! scheduling. A paired difference uses only the replicates where both arms have a value.

use crate::budget::check_run;
use crate::destination::{Temporary, check_replaceable, partial_of, write_atomically};
use crate::error::InputError;
use crate::frame::{csv_bytes, parquet_bytes};
use crate::load::{Override, load_scenario};
use crate::metrics::{Aggregate, Metric, flatten_summary};
use crate::output::{Manifest, run_files, scenario_hash};
use crate::run::{CommandError, run_guarded};
use crate::survival::{Survival, censored_companion};
use crate::sweep::plan::replicate_seed;
use polars::prelude::*;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sim_core::config::Scenario;
use std::path::{Path, PathBuf};

/// The file in a comparison's directory that describes it.
pub const DESCRIPTION: &str = "compare.json";

/// What `compare` was asked to do.
#[derive(Debug)]
pub struct CompareRequest {
    pub files: Vec<PathBuf>,
    /// Variants of the first file: `NAME:path=value;path=value`.
    pub variants: Vec<String>,
    /// Replicate seeds: `replicate_seed(seed, r)` for r < replicates, or exactly these.
    pub replicates: u32,
    pub seed: u64,
    pub seeds: Option<Vec<u64>>,
    pub out: Option<PathBuf>,
    pub threads: Option<usize>,
    pub force: bool,
}

/// One arm: a name and its scenario.
#[derive(Debug, Clone)]
struct Arm {
    name: String,
    file: PathBuf,
    scenario: Scenario,
}

/// `compare.json`: what the directory holds.
#[derive(Debug, Serialize, Deserialize)]
pub struct CompareDescription {
    pub arms: Vec<String>,
    pub files: Vec<PathBuf>,
    pub seeds: Vec<u64>,
    pub horizons_s: Vec<f64>,
}

/// What a finished comparison did.
#[derive(Debug)]
pub struct CompareOutcome {
    pub out: PathBuf,
    pub arms: Vec<String>,
    pub runs: usize,
    /// Lines worth printing (different horizons, the headline metrics).
    pub notes: Vec<String>,
}

/// Parses `NAME:path=value;path=value`.
fn parse_variant(text: &str, file: &Path) -> Result<(String, Vec<Override>), InputError> {
    let bad = |m: String| InputError::new(file, format!("--variant {text}: {m}"));
    let (name, sets) = text
        .split_once(':')
        .ok_or_else(|| bad("expected NAME:path=value;path=value".into()))?;
    let name = name.trim();
    sim_core::config::validate_file_name("--variant name", name).map_err(|e| bad(e.message))?;
    let overrides = sets
        .split(';')
        .filter(|s| !s.trim().is_empty())
        .map(|s| Override::parse(s.trim()).map_err(bad))
        .collect::<Result<Vec<_>, _>>()?;
    if overrides.is_empty() {
        return Err(bad("give at least one path=value".into()));
    }
    Ok((name.to_string(), overrides))
}

fn arms(req: &CompareRequest) -> Result<Vec<Arm>, InputError> {
    let Some(first) = req.files.first() else {
        return Err(InputError::new(
            "compare",
            "no arms: give two or more scenario files, or one with --variant",
        ));
    };
    let mut arms = Vec::new();
    for file in &req.files {
        let scenario = load_scenario(file, &[])?;
        let name = scenario.name.clone();
        arms.push(Arm {
            name,
            file: file.clone(),
            scenario,
        });
    }
    for v in &req.variants {
        let (name, overrides) = parse_variant(v, first)?;
        let scenario = load_scenario(first, &overrides)?;
        arms.push(Arm {
            name,
            file: first.clone(),
            scenario,
        });
    }
    if arms.len() < 2 {
        return Err(InputError::new(
            first,
            "a comparison needs two or more arms: more scenario files, or --variant NAME:path=value",
        ));
    }
    for (i, a) in arms.iter().enumerate() {
        if arms[..i].iter().any(|b| b.name == a.name) {
            return Err(InputError::new(
                &a.file,
                format!(
                    "two arms are named \"{}\"; name variants apart (--variant NAME:…)",
                    a.name
                ),
            ));
        }
    }
    Ok(arms)
}

/// Runs the comparison and writes its table and runs.
pub fn compare(req: &CompareRequest) -> Result<CompareOutcome, CommandError> {
    if req.threads == Some(0) {
        return Err(InputError::new("compare", "--threads 0: give at least 1 thread").into());
    }
    let arms = arms(req)?;
    let seeds: Vec<u64> = match &req.seeds {
        Some(s) => s.clone(),
        None => (0..req.replicates)
            .map(|r| replicate_seed(req.seed, r))
            .collect(),
    };
    if seeds.is_empty() {
        return Err(InputError::new(&arms[0].file, "--replicates 0: give at least 1").into());
    }
    for a in &arms {
        check_run(
            &a.scenario,
            &a.file,
            Some(&format!("arm {}", a.name)),
            req.force,
        )?;
    }
    let names: Vec<&str> = arms.iter().map(|a| a.name.as_str()).collect();
    let out = req
        .out
        .clone()
        .unwrap_or_else(|| Path::new("outputs").join(format!("compare-{}", names.join("-vs-"))));
    check_out(&out)?;
    let mut notes = Vec::new();
    let horizons: Vec<f64> = arms
        .iter()
        .map(|a| a.scenario.horizon.as_secs_f64())
        .collect();
    if horizons.iter().any(|h| *h != horizons[0]) {
        notes.push(format!(
            "note: the arms' horizons differ ({}); metrics that depend on the horizon (longevity, seeding times, series) are not comparable as they stand",
            arms.iter()
                .map(|a| format!("{} {}", a.name, a.scenario.horizon))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let jobs: Vec<(usize, usize)> = (0..arms.len())
        .flat_map(|a| (0..seeds.len()).map(move |r| (a, r)))
        .collect();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = req.threads.unwrap_or(cores).min(jobs.len()).clamp(1, 1024);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(anyhow::Error::from)?;
    // Everything is written into a temporary sibling and put in place at the end, so an
    // earlier comparison at `out` stays whole until the new one is complete.
    let final_out = out;
    if let Some(parent) = final_out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", parent.display()))?;
    }
    let tmp = Temporary::new_dir(partial_of(&final_out))?;
    let out = tmp.path().to_path_buf();
    let bar = crate::progress::Progress::new(
        &format!("compare {}", names.join(" vs ")),
        jobs.len() as u64,
    );
    let results: Vec<Result<Vec<Metric>, String>> = pool.install(|| {
        jobs.par_iter()
            .map(|&(a, r)| {
                let result = run_arm(&arms[a], seeds[r], r, &out);
                bar.inc(result.is_err());
                result
            })
            .collect()
    });
    bar.finish();
    let mut metrics: Vec<Vec<Vec<Metric>>> = vec![Vec::new(); arms.len()];
    for ((a, r), result) in jobs.iter().zip(results) {
        let m = result.map_err(|e| {
            CommandError::Other(anyhow::anyhow!(
                "arm {} replicate {r} (seed {}): {e}",
                arms[*a].name,
                seeds[*r]
            ))
        })?;
        metrics[*a].push(m);
    }
    let mut table = comparison_frame(&arms, &metrics)?;
    let csv = csv_bytes(&mut table).map_err(anyhow::Error::from)?;
    let parquet = parquet_bytes(&mut table).map_err(anyhow::Error::from)?;
    crate::sweep::tables::write_file(&out, "compare.csv", &csv)?;
    crate::sweep::tables::write_file(&out, "compare.parquet", &parquet)?;
    let desc = CompareDescription {
        arms: arms.iter().map(|a| a.name.clone()).collect(),
        files: arms.iter().map(|a| a.file.clone()).collect(),
        seeds: seeds.clone(),
        horizons_s: horizons,
    };
    let json = serde_json::to_string_pretty(&desc).map_err(anyhow::Error::from)?;
    crate::sweep::tables::write_file(&out, DESCRIPTION, format!("{json}\n").as_bytes())?;
    notes.extend(headline(&arms, &metrics));
    install(tmp, &final_out)?;
    Ok(CompareOutcome {
        out: final_out,
        arms: desc.arms,
        runs: jobs.len(),
        notes,
    })
}

/// What a comparison directory holds (besides `plots/`, which `plot` writes).
const OURS: &[&str] = &[
    "compare.csv",
    "compare.parquet",
    DESCRIPTION,
    "runs",
    "plots",
];

/// Whether `dir` holds an earlier comparison and nothing else: its `compare.json` names its
/// arms and every entry is one a comparison or its plots wrote.
fn is_comparison_dir(dir: &Path) -> bool {
    let described = std::fs::read_to_string(dir.join(DESCRIPTION))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .is_some_and(|v| v.get("arms").is_some_and(|a| a.is_array()));
    described
        && std::fs::read_dir(dir).is_ok_and(|entries| {
            entries
                .filter_map(|e| e.ok())
                .all(|e| OURS.contains(&e.file_name().to_string_lossy().as_ref()))
        })
}

/// `--out` may be new, empty, or an earlier comparison (replaced once the new one is
/// complete); anything else is left untouched.
fn check_out(out: &Path) -> Result<(), InputError> {
    let inside = std::env::current_dir()
        .and_then(std::fs::canonicalize)
        .ok()
        .zip(std::fs::canonicalize(out).ok())
        .is_some_and(|(cwd, target)| cwd.starts_with(target));
    if out.is_dir() && !inside && is_comparison_dir(out) {
        return Ok(());
    }
    if out.is_dir() && !inside && !std::fs::read_dir(out).is_ok_and(|mut e| e.next().is_none()) {
        return Err(InputError::new(
            out,
            format!(
                "--out {} is not empty and holds no earlier comparison (no compare.json, or files a comparison did not write); it is left untouched: choose another --out",
                out.display()
            ),
        ));
    }
    check_replaceable(out, "--out")
}

/// Puts the finished comparison `tmp` at `out`, moving an earlier one aside first and
/// removing it once the new one is in place.
fn install(tmp: Temporary, out: &Path) -> Result<(), CommandError> {
    let partial = partial_of(out);
    let aside = partial.with_file_name(
        partial
            .file_name()
            .map(|n| n.to_string_lossy().replacen(".partial-", ".old-", 1))
            .unwrap_or_default(),
    );
    let mut moved = false;
    let result = tmp.commit(out, || {
        if out.exists() {
            check_out(out).map_err(|e| anyhow::anyhow!(e.to_string()))?;
            std::fs::rename(out, &aside)
                .map_err(|e| anyhow::anyhow!("cannot move {} aside: {e}", out.display()))?;
            moved = true;
        }
        Ok(())
    });
    if let Err(e) = result {
        if moved {
            // Put the earlier comparison back: one complete comparison stays in place.
            let _ = std::fs::rename(&aside, out);
        }
        return Err(CommandError::Other(e));
    }
    if moved {
        let _ = std::fs::remove_dir_all(&aside);
    }
    Ok(())
}

/// Runs one replicate of one arm, writes it under `runs/ARM/rNN/` and returns its metrics.
fn run_arm(arm: &Arm, seed: u64, r: usize, out: &Path) -> Result<Vec<Metric>, String> {
    let mut s = arm.scenario.clone();
    s.seed = seed;
    let report = run_guarded(&s)?;
    let summary = serde_json::to_value(&report.summary).map_err(|e| e.to_string())?;
    let manifest = Manifest {
        tokenswarm_version: env!("CARGO_PKG_VERSION"),
        git_revision: None,
        scenario_file: arm.file.display().to_string(),
        scenario_hash: scenario_hash(&s).map_err(|e| e.to_string())?,
        seed: s.seed,
        wall_time_s: 0.0,
        events_per_s: 0.0,
        estimated_events: s.estimate_work().events(),
        estimated_bytes: s.estimate_work().bytes(),
        scenario: &s,
    };
    let files = run_files(&s, &report, &manifest, crate::output::Twins::CsvOnly)
        .map_err(|e| e.to_string())?;
    let dir = out.join("runs").join(&arm.name).join(format!("r{r:02}"));
    write_atomically(&dir, &files).map_err(|e| e.to_string())?;
    Ok(flatten_summary(&summary))
}

fn value_of(metrics: &[Metric], name: &str) -> Option<f64> {
    metrics.iter().find(|m| m.0 == name).and_then(|m| m.1)
}

/// Every metric name, in first-seen order over the arms.
fn metric_names(metrics: &[Vec<Vec<Metric>>]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for m in metrics.iter().flatten().flatten() {
        if seen.insert(m.0.clone()) {
            names.push(m.0.clone());
        }
    }
    names
}

/// One row per (metric, arm): the arm's statistics, the paired difference to the first arm,
/// survival statistics for censored metrics.
fn comparison_frame(arms: &[Arm], metrics: &[Vec<Vec<Metric>>]) -> anyhow::Result<DataFrame> {
    let names = metric_names(metrics);
    let mut metric_col = Vec::new();
    let mut arm_col = Vec::new();
    let (mut n, mut missing) = (Vec::<u32>::new(), Vec::<u32>::new());
    let (mut mean, mut sd, mut lo, mut hi) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut dn, mut dmean, mut dsd, mut dlo, mut dhi) = (
        Vec::<u32>::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    let mut survival: Vec<Option<Survival>> = Vec::new();
    for name in &names {
        let baseline: Vec<Option<f64>> = metrics[0].iter().map(|m| value_of(m, name)).collect();
        for (a, arm) in arms.iter().enumerate() {
            let values: Vec<Option<f64>> = metrics[a].iter().map(|m| value_of(m, name)).collect();
            let agg = Aggregate::of(&values);
            metric_col.push(name.clone());
            arm_col.push(arm.name.clone());
            n.push(agg.n as u32);
            missing.push(agg.missing as u32);
            mean.push(agg.mean);
            sd.push(agg.sd);
            lo.push(agg.ci95_low);
            hi.push(agg.ci95_high);
            // Paired over the replicates where both arms have a value.
            let diffs: Vec<Option<f64>> = values
                .iter()
                .zip(&baseline)
                .filter_map(|(v, b)| Some(Some((*v)? - (*b)?)))
                .collect();
            let d = Aggregate::of(&diffs);
            dn.push(d.n as u32);
            dmean.push(d.mean);
            dsd.push(d.sd);
            dlo.push(d.ci95_low);
            dhi.push(d.ci95_high);
            survival.push(
                censored_companion(name)
                    .filter(|c| names.contains(c))
                    .map(|c| {
                        let censored: Vec<Option<f64>> =
                            metrics[a].iter().map(|m| value_of(m, &c)).collect();
                        Survival::of(&values, &censored)
                    }),
            );
        }
    }
    let col = |f: fn(&Survival) -> Option<f64>| -> Vec<Option<f64>> {
        survival.iter().map(|s| s.as_ref().and_then(f)).collect()
    };
    let censored: Vec<Option<u32>> = survival
        .iter()
        .map(|s| s.as_ref().map(|s| s.censored as u32))
        .collect();
    let cols = vec![
        Column::new("metric".into(), metric_col),
        Column::new("arm".into(), arm_col),
        Column::new("n".into(), n),
        Column::new("missing".into(), missing),
        Column::new("mean".into(), mean),
        Column::new("sd".into(), sd),
        Column::new("ci95_low".into(), lo),
        Column::new("ci95_high".into(), hi),
        Column::new("diff_n".into(), dn),
        Column::new("diff_mean".into(), dmean),
        Column::new("diff_sd".into(), dsd),
        Column::new("diff_ci95_low".into(), dlo),
        Column::new("diff_ci95_high".into(), dhi),
        Column::new("censored".into(), censored),
        Column::new("km_median".into(), col(|s| s.km_median)),
        Column::new("km_median_ci95_low".into(), col(|s| s.km_median_ci95_low)),
        Column::new("km_median_ci95_high".into(), col(|s| s.km_median_ci95_high)),
        Column::new("restricted_to".into(), col(|s| s.restricted_to)),
        Column::new("rmst".into(), col(|s| s.rmst)),
        Column::new("rmst_ci95_low".into(), col(|s| s.rmst_ci95_low)),
        Column::new("rmst_ci95_high".into(), col(|s| s.rmst_ci95_high)),
    ];
    Ok(DataFrame::new_infer_height(cols)?)
}

/// Metric name endings printed after a comparison.
const HEADLINE: &[&str] = &[
    ".longevity_s",
    ".completed_downloads",
    ".download_time_s.p50",
    ".download_time_s.p90",
    ".seeding_time_s.mean",
    "economy.paid_share",
];

/// A short text table of the headline metrics: mean ± sd per arm, and the paired difference
/// to the first arm with its 95% interval.
fn headline(arms: &[Arm], metrics: &[Vec<Vec<Metric>>]) -> Vec<String> {
    let names = metric_names(metrics);
    let mut lines = Vec::new();
    for name in names
        .iter()
        .filter(|n| HEADLINE.iter().any(|h| n.ends_with(h)))
    {
        let base: Vec<Option<f64>> = metrics[0].iter().map(|m| value_of(m, name)).collect();
        let mut cells = vec![name.clone()];
        for (a, arm) in arms.iter().enumerate() {
            let values: Vec<Option<f64>> = metrics[a].iter().map(|m| value_of(m, name)).collect();
            let agg = Aggregate::of(&values);
            let stat = match (agg.mean, agg.sd) {
                (Some(m), Some(s)) => format!("{m:.4} ± {s:.2}"),
                (Some(m), None) => format!("{m:.4}"),
                _ => "–".into(),
            };
            let censored = agg.missing;
            let mut cell = format!("{}: {stat}", arm.name);
            if censored > 0 {
                cell.push_str(&format!(" ({censored} null)"));
            }
            if a > 0 {
                let diffs: Vec<Option<f64>> = values
                    .iter()
                    .zip(&base)
                    .filter_map(|(v, b)| Some(Some((*v)? - (*b)?)))
                    .collect();
                let d = Aggregate::of(&diffs);
                if let (Some(l), Some(h)) = (d.ci95_low, d.ci95_high) {
                    cell.push_str(&format!(" [Δ 95% CI {l:.4} … {h:.4}]"));
                }
            }
            cells.push(cell);
        }
        lines.push(cells.join("  |  "));
    }
    lines
}
