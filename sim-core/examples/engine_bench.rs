//! Runs one scenario through the engine alone (no output files) and prints the run's size
//! and wall time: the quickest loop for profiling the engine, since it builds without the
//! analysis crate. It also prints a digest of the summary and one of the whole report (summary,
//! per-peer rows, time series, economy tables), so that an optimisation can be checked to
//! leave the results bit-for-bit unchanged. Trace arrivals are not supported here (use
//! `tokenswarm run`).
//!
//! ```sh
//! cargo run --release -p sim-core --example engine_bench -- scenarios/bench/flash-10k.toml
//! ```

use sim_core::config::Scenario;
use sim_core::swarm::Sim;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Instant;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: engine_bench SCENARIO.toml");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        eprintln!("{path}: cannot read the scenario file: {e}");
        std::process::exit(2);
    });
    let mut scenario: Scenario = toml::from_str(&text).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(2);
    });
    scenario.resolve();
    if let Err(e) = scenario.validate() {
        eprintln!("{path}: {e}");
        std::process::exit(2);
    }
    let start = Instant::now();
    let mut sim = Sim::new(&scenario);
    while sim.step() {}
    let dropped = sim.events_dropped();
    let opened = sim.connections_opened();
    let report = sim.finish();
    let wall = start.elapsed().as_secs_f64();
    // `DefaultHasher::new()` uses fixed keys: the digest is stable across runs.
    let digest = |text: String| {
        let mut h = DefaultHasher::new();
        text.hash(&mut h);
        h.finish()
    };
    println!(
        "{path}: {} events (and {dropped} superseded completions dropped), {} piece \
         transfers, {opened} connections opened, {:.0} simulated s, {wall:.2} s wall ({:.0} events/s), summary digest \
         {:016x}, report digest {:016x}",
        report.summary.events_processed,
        report.summary.piece_transfers,
        report.summary.sim_time_s,
        report.summary.events_processed as f64 / wall,
        digest(format!("{:?}", report.summary)),
        digest(format!("{report:?}")),
    );
}
