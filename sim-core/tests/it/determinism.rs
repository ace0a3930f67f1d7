//! Same scenario and seed ⇒ identical report; different seeds ⇒ different runs.

use super::{run, scenario};

fn text(seed: u64) -> String {
    format!(
        r#"
        name = "det"
        seed = {seed}
        horizon = "1h"
        [population]
        multi_torrent_share = 0.3
        [[classes]]
        name = "a"
        share = 0.5
        upload = "1 Mbit/s"
        download = "8 Mbit/s"
        [[classes]]
        name = "b"
        share = 0.5
        upload = "4 Mbit/s"
        download = "16 Mbit/s"
        [[torrents]]
        name = "t1"
        size = "8 MiB"
        arrivals = {{ kind = "flash_crowd", count = 40, window = "5min" }}
        seeding = {{ kind = "exponential", mean = "10min" }}
        abort = {{ mean = "2h" }}
        [[torrents]]
        name = "t2"
        size = "4 MiB"
        release = "10min"
        arrivals = {{ kind = "poisson", rate_per_s = 0.02 }}
        seeding = {{ kind = "fixed", time = "5min" }}
        "#
    )
}

#[test]
fn same_seed_gives_identical_reports() {
    let a = run(&scenario(&text(11)));
    let b = run(&scenario(&text(11)));
    assert_eq!(a, b);
}

#[test]
fn different_seeds_give_different_runs() {
    let a = run(&scenario(&text(11)));
    let b = run(&scenario(&text(12)));
    assert_ne!(a.summary, b.summary);
    assert_ne!(a.peers, b.peers);
}
