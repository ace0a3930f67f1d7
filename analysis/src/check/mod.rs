//! `tokenswarm check [DIR] [--bless]`: the regression gate. Runs every scenario `NAME.toml`
//! in DIR (default `scenarios/regression`) with the seeds of `NAME.baseline.toml`, averages
//! every summary metric over the seeds, and compares the means with the baseline under
//! per-metric tolerances. `--bless` rewrites the baselines with the current values.
//!
//! Invariant: metrics come from `summary.json`'s numeric leaves, so metrics added to the
//! summary are checked without code changes (as `new` until blessed); nothing depends on
//! wall-clock time or thread scheduling.

pub mod baseline;

use crate::error::InputError;
use crate::load::load_scenario;
use crate::metrics::{Aggregate, Metric, flatten_summary};
use crate::run::CommandError;
use baseline::{Baseline, DEFAULT_IGNORE, DEFAULT_SEEDS};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// How one metric compares with its baseline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    Drift,
    /// In the results but not in the baseline (bless to accept).
    New,
    /// In the baseline but no longer in the results.
    Missing,
}

impl Verdict {
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Drift => "DRIFT",
            Verdict::New => "NEW",
            Verdict::Missing => "MISSING",
        }
    }
}

/// One row of the report.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub scenario: String,
    pub metric: String,
    pub baseline: Option<f64>,
    pub now: Option<f64>,
    /// Allowed absolute difference.
    pub tolerance: Option<f64>,
    pub verdict: Verdict,
}

/// The result of a check.
#[derive(Debug)]
pub struct CheckOutcome {
    pub rows: Vec<Row>,
    /// Scenarios without a baseline file (a failure unless blessing).
    pub unbaselined: Vec<String>,
    pub blessed: bool,
}

impl CheckOutcome {
    pub fn passed(&self) -> bool {
        self.blessed
            || (self.unbaselined.is_empty() && self.rows.iter().all(|r| r.verdict == Verdict::Ok))
    }

    /// The report as an aligned text table.
    pub fn table(&self) -> String {
        let cell = |v: Option<f64>| v.map_or("null".to_string(), |x| format!("{x:.6}"));
        let mut lines = vec![[
            "scenario".to_string(),
            "metric".into(),
            "baseline".into(),
            "now".into(),
            "tolerance".into(),
            "verdict".into(),
        ]];
        for r in &self.rows {
            lines.push([
                r.scenario.clone(),
                r.metric.clone(),
                cell(r.baseline),
                cell(r.now),
                r.tolerance.map_or("-".into(), |t| format!("±{t:.6}")),
                r.verdict.word().into(),
            ]);
        }
        let widths: Vec<usize> = (0..6)
            .map(|c| {
                lines
                    .iter()
                    .map(|l| l[c].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for l in &lines {
            let cells: Vec<String> = l
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(c, (s, w))| {
                    if (2..5).contains(&c) {
                        format!("{s:>w$}")
                    } else {
                        format!("{s:<w$}")
                    }
                })
                .collect();
            out.push_str(cells.join("  ").trim_end());
            out.push('\n');
        }
        out
    }
}

/// The regression scenarios in `dir`: every `*.toml` except baselines, sorted by name.
fn scenarios_in(dir: &Path) -> Result<Vec<PathBuf>, InputError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| InputError::new(dir, format!("cannot read the regression directory: {e}")))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "toml")
                && !p.to_string_lossy().ends_with(".baseline.toml")
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(InputError::new(
            dir,
            "no regression scenarios (*.toml) here",
        ));
    }
    Ok(files)
}

fn baseline_path(scenario: &Path) -> PathBuf {
    scenario.with_extension("baseline.toml")
}

/// Runs the regression set in `dir` and compares (or, with `bless`, rewrites) baselines.
/// Scenarios past the work limits are refused unless `force` (see `budget`).
pub fn check(dir: &Path, bless: bool, force: bool) -> Result<CheckOutcome, CommandError> {
    let files = scenarios_in(dir)?;
    let mut jobs = Vec::new();
    let mut loaded = Vec::new();
    for file in &files {
        let scenario = load_scenario(file, &[])?;
        crate::budget::check_run(&scenario, file, None, force)?;
        let base = Baseline::load(&baseline_path(file))?;
        let seeds = base
            .as_ref()
            .map_or(DEFAULT_SEEDS.to_vec(), |b| b.seeds.clone());
        for (k, &seed) in seeds.iter().enumerate() {
            jobs.push((loaded.len(), k, seed));
        }
        loaded.push((file.clone(), scenario, base, seeds.len()));
    }
    // Runs in parallel; results are put back in (scenario, seed) order before any sum.
    // A panic in the engine is this scenario's failure, reported with its seed.
    type Done = (usize, usize, Vec<Metric>);
    let results: Vec<Result<Done, String>> = jobs
        .par_iter()
        .map(|&(i, k, seed)| {
            let mut s = loaded[i].1.clone();
            s.seed = seed;
            let report = crate::run::run_guarded(&s)
                .map_err(|e| format!("{} with seed {seed}: {e}", loaded[i].0.display()))?;
            let summary = serde_json::to_value(&report.summary).expect("a summary serialises");
            Ok((i, k, flatten_summary(&summary)))
        })
        .collect();
    let mut results: Vec<Done> = results
        .into_iter()
        .collect::<Result<_, _>>()
        .map_err(|e| CommandError::Other(anyhow::anyhow!(e)))?;
    results.sort_by_key(|r| (r.0, r.1));
    let mut outcome = CheckOutcome {
        rows: Vec::new(),
        unbaselined: Vec::new(),
        blessed: bless,
    };
    for (i, (file, _, base, _)) in loaded.iter().enumerate() {
        let name = file.file_name().map_or_else(
            || file.display().to_string(),
            |n| n.to_string_lossy().to_string(),
        );
        let runs: Vec<&Vec<Metric>> = results.iter().filter(|r| r.0 == i).map(|r| &r.2).collect();
        let ignore: &[String] = base.as_ref().map_or(&[], |b| &b.ignore);
        // Every metric in summary order; ignored ones are kept for their place in the baseline.
        let mut all_names: Vec<String> = Vec::new();
        for m in runs.iter().flat_map(|r| r.iter()) {
            if !all_names.contains(&m.0) {
                all_names.push(m.0.clone());
            }
        }
        let names: Vec<String> = all_names
            .iter()
            .filter(|n| !ignore.contains(n))
            .cloned()
            .collect();
        let means: Vec<(String, Option<f64>)> = names
            .iter()
            .map(|n| {
                let values: Vec<Option<f64>> = runs
                    .iter()
                    .map(|r| r.iter().find(|m| m.0 == *n).and_then(|m| m.1))
                    .collect();
                (n.clone(), Aggregate::of(&values).mean)
            })
            .collect();
        if bless {
            let b = base.clone().unwrap_or(Baseline {
                seeds: DEFAULT_SEEDS.to_vec(),
                ignore: DEFAULT_IGNORE.iter().map(|s| s.to_string()).collect(),
                metrics: Default::default(),
            });
            let text = b.render(&name, &all_names, &means);
            let path = baseline_path(file);
            let dir = path.parent().unwrap_or(Path::new("."));
            let file_name = path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().to_string());
            crate::sweep::tables::write_file(dir, &file_name, text.as_bytes())?;
        }
        let Some(base) = base else {
            if !bless {
                outcome.unbaselined.push(name);
            }
            continue;
        };
        for (metric, now) in &means {
            let row = match base.metrics.get(metric) {
                Some(e) => Row {
                    scenario: name.clone(),
                    metric: metric.clone(),
                    baseline: e.value,
                    now: *now,
                    tolerance: Some(e.allowed()),
                    verdict: if e.accepts(*now) {
                        Verdict::Ok
                    } else {
                        Verdict::Drift
                    },
                },
                None => Row {
                    scenario: name.clone(),
                    metric: metric.clone(),
                    baseline: None,
                    now: *now,
                    tolerance: None,
                    verdict: Verdict::New,
                },
            };
            outcome.rows.push(row);
        }
        for (metric, e) in &base.metrics.0 {
            if !means.iter().any(|m| m.0 == *metric) && !ignore.contains(metric) {
                outcome.rows.push(Row {
                    scenario: name.clone(),
                    metric: metric.clone(),
                    baseline: e.value,
                    now: None,
                    tolerance: Some(e.allowed()),
                    verdict: Verdict::Missing,
                });
            }
        }
    }
    Ok(outcome)
}
