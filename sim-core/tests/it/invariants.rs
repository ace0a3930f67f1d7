//! Engine invariants after every event, over many seeds and several small scenarios.

use super::scenario;
use sim_core::swarm::Sim;

fn scenarios(seed: u64) -> Vec<String> {
    vec![
        // Heterogeneous flash crowd with aborts and exponential seeding: endgame, choking,
        // departures while transfers are in flight.
        format!(
            r#"
            name = "inv-flash"
            seed = {seed}
            horizon = "30min"
            [tracker]
            max_connections = 12
            numwant = 8
            min_peers = 4
            inactivity_timeout = "1min"
            peer_turnover_percent = 20
            peer_turnover_interval = "1min"
            [[classes]]
            name = "slow"
            share = 0.6
            upload = "512 kbit/s"
            download = "4 Mbit/s"
            [[classes]]
            name = "fast"
            share = 0.4
            upload = "8 Mbit/s"
            download = "32 Mbit/s"
            [[torrents]]
            name = "a"
            size = "3 MiB"
            piece_size = "128 KiB"
            publishers = {{ count = 1, leave_after = "20min" }}
            arrivals = {{ kind = "flash_crowd", count = 25, window = "2min" }}
            seeding = {{ kind = "exponential", mean = "3min" }}
            abort = {{ mean = "30min" }}
            "#
        ),
        // Two torrents sharing hosts, libtorrent and transmission clients, random picker.
        format!(
            r#"
            name = "inv-catalog"
            seed = {seed}
            horizon = "40min"
            [population]
            multi_torrent_share = 0.6
            [[classes]]
            name = "lt"
            share = 0.5
            upload = "2 Mbit/s"
            download = "10 Mbit/s"
            client = {{ choker = {{ profile = "libtorrent" }} }}
            [[classes]]
            name = "tr"
            share = 0.5
            upload = "1 Mbit/s"
            download = "10 Mbit/s"
            client = {{ choker = {{ profile = "transmission" }}, picker = {{ kind = "random" }} }}
            [[torrents]]
            name = "x"
            size = "2 MiB"
            piece_size = "64 KiB"
            arrivals = {{ kind = "poisson", rate_per_s = 0.03 }}
            seeding = {{ kind = "fixed", time = "4min" }}
            [[torrents]]
            name = "y"
            size = "1 MiB"
            piece_size = "64 KiB"
            release = "5min"
            publishers = {{ count = 2, leave_after = "15min" }}
            arrivals = {{ kind = "exponential_decay", lambda0_per_s = 0.05, tau = "10min" }}
            seeding = {{ kind = "lognormal", median = "2min", sigma = 1.0 }}
            "#
        ),
    ]
}

#[test]
fn invariants_hold_after_every_event_over_many_seeds() {
    for seed in 0..24 {
        for text in scenarios(seed) {
            let s = scenario(&text);
            let mut sim = Sim::new(&s);
            let mut last = sim.now();
            while sim.step() {
                assert!(sim.now() >= last, "seed {seed} {}: time went back", s.name);
                last = sim.now();
                if let Err(e) = sim.check_invariants() {
                    panic!(
                        "seed {seed} scenario {}: after event {} at {}: {e}",
                        s.name,
                        sim.events_processed(),
                        sim.now()
                    );
                }
            }
            let r = sim.finish();
            assert!(
                r.summary.events_processed > 100,
                "seed {seed} {}: the run did something",
                s.name
            );
        }
    }
}
