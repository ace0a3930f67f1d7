//! Engine tests against closed-form anchors, invariants and determinism. One integration
//! binary for the crate (see STYLE: `tests/it/main.rs`).

mod anchors;
mod capital;
mod determinism;
mod differential;
mod economy;
mod invariants;
mod layering;
mod lending;
mod liveness;
mod markets;
mod swarm_life;
mod warm_start;
mod world;

use sim_core::config::Scenario;
use sim_core::report::Report;
use sim_core::swarm::Sim;

/// Parses, resolves and validates a scenario written inline.
pub fn scenario(text: &str) -> Scenario {
    let mut s: Scenario =
        toml::from_str(text).unwrap_or_else(|e| panic!("test scenario does not parse: {e}"));
    s.resolve();
    s.validate()
        .unwrap_or_else(|e| panic!("test scenario is invalid: {e}"));
    s
}

/// A homogeneous flash crowd: `count` leechers (1 MiB/s up, 8 MiB/s down) join at once, one
/// 10 Mbit/s publisher stays, leechers leave when done, the run stops when all are done.
pub fn homogeneous_flash_crowd(seed: u64, count: u32, size: &str) -> Scenario {
    scenario(&format!(
        r#"
        name = "flash"
        seed = {seed}
        horizon = "3h"
        stop_when_done = true
        [[classes]]
        name = "homogeneous"
        share = 1.0
        upload = "1 MiB/s"
        download = "8 MiB/s"
        [[torrents]]
        name = "file"
        size = "{size}"
        publishers = {{ count = 1, upload = "10 Mbit/s", download = "10 Mbit/s" }}
        arrivals = {{ kind = "flash_crowd", count = {count} }}
        seeding = {{ kind = "leave_at_once" }}
        "#
    ))
}

pub fn run(s: &Scenario) -> Report {
    Sim::new(s).run()
}

/// Runs `s` with every invariant checked after every event; a failure names `label`, the
/// event and the time.
pub fn run_checked(s: &Scenario, label: &str) -> Report {
    let mut sim = Sim::new(s);
    while sim.step() {
        if let Err(e) = sim.check_invariants() {
            panic!(
                "{label}: after event {} at {}: {e}",
                sim.events_processed(),
                sim.now()
            );
        }
    }
    sim.finish()
}

/// Time-average of a series metric of the first torrent over `[from_s, to_s]` (samples are
/// evenly spaced, so the mean of the samples is the time average).
pub fn series_mean(r: &Report, metric: &str, from_s: f64, to_s: f64) -> f64 {
    let v: Vec<f64> = r
        .series
        .iter()
        .filter(|row| row.metric == metric && row.time_s >= from_s && row.time_s <= to_s)
        .map(|row| row.value)
        .collect();
    assert!(
        !v.is_empty(),
        "no samples of {metric} in [{from_s}, {to_s}]"
    );
    v.iter().sum::<f64>() / v.len() as f64
}
