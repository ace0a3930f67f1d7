//! Warm starts: the seeds and partial leechers a torrent has at its release hold what their
//! spread says (checked through what each leecher still downloads), keep the invariants after
//! every event, and a spread that leaves pieces to nobody loses the content at once.

use super::{run_checked, scenario};
use sim_core::config::Scenario;

/// A 64-piece torrent with no publisher and the given warm start.
fn warm(seed: u64, warm_start: &str) -> Scenario {
    scenario(&format!(
        r#"
        name = "warm"
        seed = {seed}
        horizon = "6h"
        [[classes]]
        name = "dsl"
        share = 0.5
        upload = "1 Mbit/s"
        download = "8 Mbit/s"
        [[classes]]
        name = "cable"
        share = 0.5
        upload = "5 Mbit/s"
        download = "50 Mbit/s"
        [[torrents]]
        name = "old"
        size = "16 MiB"
        piece_size = "256 KiB"
        publishers = {{ count = 0 }}
        arrivals = {{ kind = "poisson", rate_per_s = 0.002 }}
        seeding = {{ kind = "exponential", mean = "30min" }}
        warm_start = {warm_start}
        "#
    ))
}

const PIECE: u64 = 256 * 1024;

#[test]
fn warm_leechers_download_exactly_what_their_spread_left_them_to_get() {
    for seed in 1..=3 {
        // Half of the pieces each: every completed warm leecher received 32 pieces' bytes
        // (beyond endgame duplicates).
        let r = run_checked(
            &warm(
                seed,
                r#"{ seeds = 2, leechers = 30, progress = { kind = "fixed", fraction = 0.5 } }"#,
            ),
            &format!("fixed, seed {seed}"),
        );
        let warm_rows: Vec<_> = r.peers.iter().filter(|p| p.warm_start).collect();
        assert_eq!(warm_rows.len(), 32, "seed {seed}");
        assert!(warm_rows.iter().all(|p| p.joined_s == 0.0));
        let seeds = warm_rows
            .iter()
            .filter(|p| p.completed_s == Some(0.0))
            .count();
        assert_eq!(
            seeds, 2,
            "seed {seed}: the warm seeds hold everything at release"
        );
        let done: Vec<_> = warm_rows
            .iter()
            .filter(|p| p.completed_s.is_some_and(|c| c > 0.0))
            .collect();
        assert!(done.len() >= 20, "seed {seed}: {} completed", done.len());
        // Nearly all exactly; bytes of an interrupted endgame copy can count as received
        // without being reported wasted (rare: 1 of 90 peers over these seeds, by 1.15 pieces).
        let exact = done
            .iter()
            .filter(|p| p.bytes_downloaded - p.bytes_wasted == 32 * PIECE)
            .count();
        assert!(
            exact * 10 >= done.len() * 9,
            "seed {seed}: {exact} of {}",
            done.len()
        );
        for p in &done {
            let got = p.bytes_downloaded - p.bytes_wasted;
            assert!(
                (32 * PIECE..34 * PIECE).contains(&got),
                "seed {seed}: {got} B"
            );
        }
        // Warm peers are not arrivals: the torrent's statistics count the arrivals only.
        let t = &r.summary.torrents[0];
        let arrivals_done = r
            .peers
            .iter()
            .filter(|p| !p.warm_start && p.download_time_s.is_some())
            .count();
        assert_eq!(t.completed_downloads, arrivals_done, "seed {seed}");
    }
}

#[test]
fn a_profile_spread_gives_each_piece_its_share() {
    // The first half held by every leecher, the second by none: leechers download exactly
    // the second half, from the one seed.
    let r = run_checked(
        &warm(
            4,
            r#"{ seeds = 1, leechers = 10, spread = { kind = "profile", availability = [1.0, 0.0] } }"#,
        ),
        "profile",
    );
    let done: Vec<_> = r
        .peers
        .iter()
        .filter(|p| p.warm_start && p.completed_s.is_some_and(|c| c > 0.0))
        .collect();
    assert!(done.len() >= 5, "{} completed", done.len());
    for p in done {
        assert_eq!(p.bytes_downloaded - p.bytes_wasted, 32 * PIECE);
    }
}

#[test]
fn without_seeds_a_spread_that_leaves_pieces_to_nobody_is_lost_at_release() {
    let lost = run_checked(
        &warm(
            5,
            r#"{ leechers = 40, spread = { kind = "rarest_lost", lost = 0.25 } }"#,
        ),
        "rarest_lost",
    );
    assert_eq!(lost.summary.torrents[0].longevity_s, Some(0.0));
    // 40 leechers holding 90% each at random: every piece has a copy (the chance that one
    // of 64 pieces is held by none is 64 · 0.1^40), so the content is available at release.
    let alive = run_checked(
        &warm(
            5,
            r#"{ leechers = 40, progress = { kind = "fixed", fraction = 0.9 } }"#,
        ),
        "uniform",
    );
    assert_ne!(alive.summary.torrents[0].longevity_s, Some(0.0));
    let completed = alive
        .peers
        .iter()
        .filter(|p| p.warm_start && p.completed_s.is_some())
        .count();
    assert_eq!(
        completed, 40,
        "the leechers finish each other's pieces without a seed"
    );
}
