//! Refusing work too large to finish: a run's estimated events and memory
//! (`Scenario::estimate_work`) and a sweep's number of runs against limits that `--force`
//! lifts, so that a valid but absurd scenario fails at once with the estimate and the field to
//! change instead of running for days or aborting out of memory.
//!
//! Invariant: nothing here changes what a run computes; it only decides whether to start.

use crate::error::InputError;
use sim_core::config::Scenario;
use std::path::Path;

/// Most estimated events of one run without `--force` (about half an hour to an hour).
pub const MAX_RUN_EVENTS: f64 = 2e9;
/// Most estimated memory of one run without `--force`.
pub const MAX_RUN_BYTES: f64 = 8.0 * (1u64 << 30) as f64;
/// Most runs of one sweep without `--force`.
pub const MAX_SWEEP_RUNS: u64 = 100_000;
/// Most estimated events of a whole sweep without `--force`.
pub const MAX_SWEEP_EVENTS: f64 = 1e11;
/// Events per second of one core, to turn the estimate into a duration (BENCHMARKS.md:
/// 0.7–1.5 million per second on the benchmarks).
const EVENTS_PER_S: f64 = 1e6;

/// A duration in words: "40 s", "12 min", "3.5 h", "9 d".
pub fn duration_words(seconds: f64) -> String {
    if seconds < 120.0 {
        format!("{seconds:.0} s")
    } else if seconds < 7_200.0 {
        format!("{:.0} min", seconds / 60.0)
    } else if seconds < 172_800.0 {
        format!("{:.1} h", seconds / 3_600.0)
    } else {
        format!("{:.0} d", seconds / 86_400.0)
    }
}

/// Bytes in words: "512 MiB", "3.2 GiB".
pub fn bytes_words(bytes: f64) -> String {
    let gib = bytes / (1u64 << 30) as f64;
    if gib >= 1.0 {
        format!("{gib:.1} GiB")
    } else if bytes < (1u64 << 20) as f64 {
        "under 1 MiB".into()
    } else {
        format!("{:.0} MiB", bytes / (1u64 << 20) as f64)
    }
}

/// The per-run event limit: [`MAX_RUN_EVENTS`], or `TOKENSWARM_MAX_EVENTS` when set to a
/// positive number (a lower limit keeps a test or a CI job short; a higher one allows long
/// runs without `--force`).
fn max_run_events() -> f64 {
    std::env::var("TOKENSWARM_MAX_EVENTS")
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v > 0.0)
        .unwrap_or(MAX_RUN_EVENTS)
}

/// Refuses a run whose estimate passes a limit (unless `force`); `what` prefixes the message
/// (e.g. "point 3").
pub fn check_run(
    scenario: &Scenario,
    file: &Path,
    what: Option<&str>,
    force: bool,
) -> Result<(), InputError> {
    if force {
        return Ok(());
    }
    let estimate = scenario.estimate_work();
    let (events, bytes) = (estimate.events(), estimate.bytes());
    let prefix = what.map_or(String::new(), |w| format!("{w}: "));
    let max_events = max_run_events();
    if events > max_events
        && let Some(term) = estimate.largest_by_events()
    {
        return Err(InputError::new(
            file,
            format!(
                "{prefix}the run would take about {events:.1e} events (~{} on one core, {}), most of them {} driven by `{}`; the limit is {max_events:.0e} events: change `{}` (or the horizon), or pass --force to run it anyway",
                duration_words(events / EVENTS_PER_S),
                bytes_words(bytes),
                term.what,
                term.field,
                term.field
            ),
        ));
    }
    if bytes > MAX_RUN_BYTES
        && let Some(term) = estimate.largest_by_bytes()
    {
        return Err(InputError::new(
            file,
            format!(
                "{prefix}the run would need about {} of memory, most of it for {} driven by `{}`; the limit is {}: change `{}`, or pass --force to run it anyway",
                bytes_words(bytes),
                term.what,
                term.field,
                bytes_words(MAX_RUN_BYTES),
                term.field
            ),
        ));
    }
    Ok(())
}

/// Refuses a sweep of more than [`MAX_SWEEP_RUNS`] runs or [`MAX_SWEEP_EVENTS`] estimated
/// events (unless `force`). `events_per_replicate` is the sum of every point's estimate.
pub fn check_sweep(
    runs: u64,
    events_per_replicate: f64,
    replicates: u32,
    file: &Path,
    force: bool,
) -> Result<(), InputError> {
    if force {
        return Ok(());
    }
    if runs > MAX_SWEEP_RUNS {
        return Err(InputError::new(
            file,
            format!(
                "the sweep has {runs} runs (points × `replicates`); the limit is {MAX_SWEEP_RUNS}: lower `replicates` or the number of points, split it into several sweeps, or pass --force"
            ),
        ));
    }
    let events = events_per_replicate * f64::from(replicates);
    if events > MAX_SWEEP_EVENTS {
        return Err(InputError::new(
            file,
            format!(
                "the sweep would take about {events:.1e} events (~{} of one core); the limit is {MAX_SWEEP_EVENTS:.0e}: lower `replicates`, the number of points or the runs' size, or pass --force",
                duration_words(events / EVENTS_PER_S)
            ),
        ));
    }
    Ok(())
}
