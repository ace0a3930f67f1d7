//! Progress of long work: a bar with an ETA on a terminal; off a terminal (a pipe, a Slurm
//! log) one line every few seconds — done / total, failures, ETA — so logs show life. Also the
//! simulated time of a long single run.
//!
//! Invariant: progress goes to stderr only and never changes what is computed or written.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Seconds between two progress lines off a terminal (`TOKENSWARM_PROGRESS_INTERVAL`
/// overrides the default of 10).
pub fn interval() -> Duration {
    let secs = std::env::var("TOKENSWARM_PROGRESS_INTERVAL")
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v > 0.0)
        .unwrap_or(10.0);
    Duration::from_secs_f64(secs)
}

/// Counters shared with the line printer.
#[derive(Debug, Default)]
struct Counts {
    done: AtomicU64,
    failed: AtomicU64,
    stop: AtomicBool,
}

/// Progress of `total` units of work (runs).
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
    counts: Arc<Counts>,
    printer: Option<std::thread::JoinHandle<()>>,
}

/// "3 min 20 s", "1 h 05 min", "12 s".
fn words(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{} h {:02} min", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{} min {:02} s", s / 60, s % 60)
    } else {
        format!("{s} s")
    }
}

impl Progress {
    /// Starts reporting on `what` ("sweep seeding-time") over `total` runs.
    pub fn new(what: &str, total: u64) -> Progress {
        let counts = Arc::new(Counts::default());
        let terminal = std::io::stderr().is_terminal();
        let bar = ProgressBar::with_draw_target(
            Some(total),
            if terminal {
                ProgressDrawTarget::stderr()
            } else {
                ProgressDrawTarget::hidden()
            },
        );
        if let Ok(style) =
            ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} runs, ETA {eta}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        let printer = (!terminal && total > 0).then(|| {
            let (counts, what) = (counts.clone(), what.to_string());
            let every = interval();
            std::thread::spawn(move || {
                let started = Instant::now();
                let mut next = every;
                while !counts.stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(50).min(every));
                    if started.elapsed() < next {
                        continue;
                    }
                    next += every;
                    let done = counts.done.load(Ordering::Relaxed);
                    let failed = counts.failed.load(Ordering::Relaxed);
                    let eta = (done > 0).then(|| {
                        started.elapsed().mul_f64((total - done.min(total)) as f64 / done as f64)
                    });
                    eprintln!(
                        "tokenswarm: {what}: {done}/{total} runs done, {failed} failed, {} elapsed, ETA {}",
                        words(started.elapsed()),
                        eta.map_or("unknown".into(), words)
                    );
                }
            })
        });
        Progress {
            bar,
            counts,
            printer,
        }
    }

    /// One unit done (`failed`: it failed).
    pub fn inc(&self, failed: bool) {
        self.counts.done.fetch_add(1, Ordering::Relaxed);
        if failed {
            self.counts.failed.fetch_add(1, Ordering::Relaxed);
        }
        self.bar.inc(1);
    }

    /// Prints `f`'s output without tearing the bar.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.bar.suspend(f)
    }

    /// Ends the report.
    pub fn finish(mut self) {
        self.bar.finish_and_clear();
        self.counts.stop.store(true, Ordering::Relaxed);
        if let Some(p) = self.printer.take() {
            let _ = p.join();
        }
    }
}

/// Runs `scenario` to its end; with `show`, prints its simulated time against the horizon
/// every [`interval`] once it has run that long. A panic in the engine (a bug) becomes an
/// error message, so a sweep or a check goes on with the other runs.
pub fn run_to_end(
    scenario: &sim_core::config::Scenario,
    show: bool,
) -> Result<sim_core::report::Report, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut sim = sim_core::swarm::Sim::new(scenario);
        let horizon = scenario.horizon.as_secs_f64();
        let every = interval();
        let started = Instant::now();
        let mut next = every;
        let mut steps: u64 = 0;
        while sim.step() {
            steps += 1;
            if show && steps.is_multiple_of(1 << 16) && started.elapsed() >= next {
                next = started.elapsed() + every;
                let now = sim.now().as_secs_f64();
                eprintln!(
                    "tokenswarm: {}: simulated {:.0} s of {horizon:.0} s ({:.0}%), {} events, {} elapsed",
                    scenario.name,
                    now,
                    100.0 * now / horizon.max(1e-9),
                    sim.events_processed(),
                    words(started.elapsed())
                );
            }
        }
        sim.finish()
    }))
    .map_err(|p| {
        let what = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "unknown panic".into());
        format!("the simulation panicked: {what}")
    })
}
