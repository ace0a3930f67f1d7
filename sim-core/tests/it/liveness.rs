//! Liveness: a swarm never freezes. The 1,000-leecher flash crowd with a full mesh that
//! used to strand half its leechers completes, and over many seeds, swarm sizes and
//! connection limits no leecher the swarm could supply goes without progress for longer
//! than the bound of the connection rules (announce interval + inactivity timeout + turnover
//! interval + one minimum announce interval).

use super::{run, scenario};
use sim_core::swarm::Sim;
use std::collections::BTreeMap;

fn flash(seed: u64, count: u32, numwant: u32, max_connections: u32, max_initiate: u32) -> String {
    format!(
        r#"
        name = "liveness"
        seed = {seed}
        horizon = "4h"
        stop_when_done = true
        [tracker]
        numwant = {numwant}
        max_connections = {max_connections}
        max_initiate = {max_initiate}
        [[classes]]
        name = "cable"
        share = 1.0
        upload = "5 Mbit/s"
        download = "50 Mbit/s"
        [[torrents]]
        name = "file"
        size = "4 MiB"
        piece_size = "256 KiB"
        arrivals = {{ kind = "flash_crowd", count = {count}, window = "0s" }}
        seeding = {{ kind = "exponential", mean = "20min" }}
        "#
    )
}

#[test]
fn a_full_mesh_flash_crowd_of_1000_completes_every_leecher() {
    let s = scenario(&flash(1, 1000, 1000, 254, 254).replace("4 MiB", "16 MiB"));
    let t = &run(&s).summary.torrents[0];
    assert_eq!(t.completed_downloads, 1000, "every leecher completes");
    assert_eq!(t.leechers_at_end, 0);
}

/// The longest time any leecher went without a delivered byte while another online peer
/// held a piece it lacked, polled every 10 s of simulated time.
fn longest_starvation_s(s: &sim_core::config::Scenario) -> f64 {
    let mut sim = Sim::new(s);
    // peer → (bytes at the last progress, when it last progressed or became supplied)
    let mut last: BTreeMap<u32, (u64, f64)> = BTreeMap::new();
    let mut worst = 0.0f64;
    let mut next_poll = 0.0;
    while sim.step() {
        let now = sim.now().as_secs_f64();
        if now < next_poll {
            continue;
        }
        next_poll = now + 10.0;
        let progress = sim.leecher_progress();
        let online: Vec<u32> = progress.iter().map(|p| p.peer).collect();
        last.retain(|k, _| online.contains(k));
        for p in progress {
            let e = last.entry(p.peer).or_insert((p.bytes_downloaded, now));
            if p.bytes_downloaded != e.0 || !p.supplied {
                *e = (p.bytes_downloaded, now);
            } else {
                worst = worst.max(now - e.1);
            }
        }
    }
    worst
}

#[test]
fn no_supplied_leecher_starves_past_the_bound_over_seeds_sizes_and_limits() {
    // announce 1800 s + inactivity 600 s + turnover 300 s + min announce 60 s.
    let bound_s = 2760.0;
    let mut worst_overall = 0.0f64;
    for seed in 1..=3u64 {
        for &(count, numwant, max_connections, max_initiate) in &[
            (30, 50, 80, 40),
            (30, 50, 4, 4),
            (120, 50, 80, 40),
            (120, 200, 254, 254),
            (200, 50, 8, 8),
            (200, 1000, 60, 60),
        ] {
            let s = scenario(&flash(seed, count, numwant, max_connections, max_initiate));
            let worst = longest_starvation_s(&s);
            worst_overall = worst_overall.max(worst);
            assert!(
                worst <= bound_s,
                "seed {seed}, {count} leechers, numwant {numwant}, max_connections \
                 {max_connections}, max_initiate {max_initiate}: a supplied leecher went \
                 {worst} s without progress (bound {bound_s} s)"
            );
        }
    }
    println!("longest starvation of a supplied leecher: {worst_overall} s");
}
