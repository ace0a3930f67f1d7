//! Whole-swarm behaviour: longevity, seeding, aborts, multi-torrent hosts, client profiles.

use super::{homogeneous_flash_crowd, run, scenario};

fn decaying(publisher: &str, seeding: &str) -> String {
    format!(
        r#"
        name = "life"
        seed = 3
        horizon = "6h"
        [[classes]]
        name = "dsl"
        share = 1.0
        upload = "2 Mbit/s"
        download = "16 Mbit/s"
        [[torrents]]
        name = "t"
        size = "20 MiB"
        release = "10min"
        publishers = {publisher}
        arrivals = {{ kind = "exponential_decay", lambda0_per_s = 0.01, tau = "30min" }}
        seeding = {seeding}
        "#
    )
}

#[test]
fn content_is_lost_once_the_last_copy_leaves_and_kept_while_a_seed_stays() {
    let dies = run(&scenario(&decaying(
        r#"{ count = 1, leave_after = "1h" }"#,
        r#"{ kind = "exponential", mean = "10min" }"#,
    )));
    let t = &dies.summary.torrents[0];
    let longevity = t
        .longevity_s
        .expect("with seeds leaving and arrivals dying out, the content is lost");
    assert!(
        longevity >= 3600.0,
        "lost at {longevity} s, before the publisher left at 3600 s after release"
    );
    assert_eq!(t.seeds_at_end, 0, "nobody holds the whole content any more");
    assert!(
        t.completed_downloads < t.arrivals as usize,
        "late arrivals are stranded without a full copy"
    );

    let lives = run(&scenario(&decaying(
        r#"{ count = 1 }"#,
        r#"{ kind = "forever" }"#,
    )));
    let t = &lives.summary.torrents[0];
    assert_eq!(
        t.longevity_s, None,
        "a publisher that never leaves keeps the content alive"
    );
    assert_eq!(t.completed_downloads, t.arrivals as usize);
}

#[test]
fn no_publisher_means_lost_at_release() {
    let r = run(&scenario(&decaying(
        r#"{ count = 0 }"#,
        r#"{ kind = "forever" }"#,
    )));
    assert_eq!(r.summary.torrents[0].longevity_s, Some(0.0));
    assert_eq!(r.summary.torrents[0].completed_downloads, 0);
}

#[test]
fn seeding_times_follow_the_configured_distribution() {
    let r = run(&scenario(&decaying(
        r#"{ count = 1 }"#,
        r#"{ kind = "fixed", time = "7min" }"#,
    )));
    let s = &r.summary.torrents[0].seeding_time_s;
    assert!(s.count > 10);
    assert_eq!((s.p50, s.p99), (Some(420.0), Some(420.0)));
}

#[test]
fn aborting_leechers_leave_before_completing() {
    let text = decaying(
        r#"{ count = 1, upload = "256 kbit/s" }"#,
        r#"{ kind = "leave_at_once" }"#,
    )
    .replace(
        "seeding = {",
        "abort = { mean = \"5min\" }\n        seeding = {",
    );
    let r = run(&scenario(&text));
    let t = &r.summary.torrents[0];
    assert!(
        t.aborted > 0,
        "slow swarm with 5-minute patience has aborts"
    );
    assert!(
        r.peers
            .iter()
            .filter(|p| p.leave_reason == "abort")
            .all(|p| p.completed_s.is_none())
    );
}

#[test]
fn hosts_in_several_torrents_share_their_bandwidth() {
    let text = |share: f64| {
        format!(
            r#"
            name = "multi"
            seed = 5
            horizon = "3h"
            [population]
            multi_torrent_share = {share}
            [[classes]]
            name = "dsl"
            share = 1.0
            upload = "1 Mbit/s"
            download = "4 Mbit/s"
            [[torrents]]
            name = "a"
            size = "20 MiB"
            arrivals = {{ kind = "poisson", rate_per_s = 0.02, until = "1h" }}
            seeding = {{ kind = "fixed", time = "20min" }}
            [[torrents]]
            name = "b"
            size = "20 MiB"
            arrivals = {{ kind = "poisson", rate_per_s = 0.02, until = "1h" }}
            seeding = {{ kind = "fixed", time = "20min" }}
            "#
        )
    };
    let separate = run(&scenario(&text(0.0)));
    let shared = run(&scenario(&text(0.9)));
    assert_eq!(separate.summary.hosts, separate.summary.peers);
    assert!(
        shared.summary.hosts < shared.summary.peers,
        "reused hosts join a second torrent"
    );
    let hosts_in_two = {
        let mut per_host = std::collections::BTreeMap::new();
        for p in &shared.peers {
            *per_host.entry(p.host).or_insert(0) += 1;
        }
        per_host.values().filter(|&&n| n >= 2).count()
    };
    assert!(hosts_in_two > 5, "{hosts_in_two} hosts in two torrents");
}

#[test]
fn every_client_profile_completes_a_swarm() {
    for profile in ["bep3", "libtorrent", "transmission"] {
        for picker in ["rarest_first", "random", "sequential"] {
            let text = decaying(r#"{ count = 1 }"#, r#"{ kind = "exponential", mean = "5min" }"#).replace(
                "[[classes]]",
                &format!("[client]\nchoker = {{ profile = \"{profile}\" }}\npicker = {{ kind = \"{picker}\" }}\n[[classes]]"),
            );
            let r = run(&scenario(&text));
            let t = &r.summary.torrents[0];
            assert_eq!(
                t.completed_downloads, t.arrivals as usize,
                "{profile}/{picker}"
            );
        }
    }
}

/// Liveness: while a seed is online, every leecher completes, even when the peers it was
/// downloading from leave mid-piece (the interrupted piece must be fetched elsewhere).
#[test]
fn every_leecher_completes_while_a_seed_stays_online() {
    for seed in 0..16 {
        let s = homogeneous_flash_crowd(seed, 150, "24 MiB");
        let r = run(&s);
        let t = &r.summary.torrents[0];
        assert_eq!(
            t.completed_downloads, 150,
            "seed {seed}: {} leechers stranded next to a seed",
            t.leechers_at_end
        );
        assert!(
            r.summary.sim_time_s < 3600.0,
            "seed {seed}: the run only stopped at the horizon"
        );
    }
}

/// Bytes of transfers still running when the run ends are counted (up to the end).
#[test]
fn bytes_in_flight_at_the_horizon_are_counted() {
    let r = run(&scenario(
        r#"
        name = "horizon-bytes"
        horizon = "60s"
        [[classes]]
        name = "peer"
        share = 1.0
        upload = "1 MiB/s"
        download = "8 MiB/s"
        [[torrents]]
        name = "big-piece"
        size = "100 MiB"
        piece_size = "100 MiB"
        publishers = { count = 1, upload = "1 MiB/s", download = "1 MiB/s" }
        arrivals = { kind = "flash_crowd", count = 1 }
        seeding = { kind = "forever" }
        "#,
    ));
    let leecher = r
        .peers
        .iter()
        .find(|p| p.class == "peer")
        .expect("one leecher");
    let publisher = r
        .peers
        .iter()
        .find(|p| p.class == "publisher")
        .expect("one publisher");
    let mib = 1024.0 * 1024.0;
    let got = leecher.bytes_downloaded as f64 / mib;
    // Connected after the first rechoke-free fill at t = 0, so ~60 s at 1 MiB/s.
    assert!(
        (55.0..=60.0).contains(&got),
        "{got} MiB downloaded by the horizon"
    );
    assert_eq!(leecher.bytes_downloaded, publisher.bytes_uploaded);
    assert_eq!(leecher.completed_s, None);
}
