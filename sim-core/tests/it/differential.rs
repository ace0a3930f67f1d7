//! Differential check against libtorrent's own simulation: the reference runs of
//! `tests/data/libtorrent-2.0/` (one-seed flash crowds simulated by libtorrent 2.0 on
//! libsimulator; see the README there) against tokenswarm's `libtorrent` profile on the same
//! swarms, over the same five replicates.

use super::{run, scenario};

/// One reference run: first, mean and last completion (s) and the seed's payload upload.
#[derive(Debug)]
struct Reference {
    n_leechers: u32,
    connections_limit: u32,
    first_s: f64,
    mean_s: f64,
    last_s: f64,
    seed_bytes: f64,
}

fn references(n_leechers: u32, connections_limit: u32) -> Vec<Reference> {
    let text = include_str!("../data/libtorrent-2.0/runs.csv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|&h| h == name)
            .unwrap_or_else(|| panic!("runs.csv has no column {name}"))
    };
    let (n, cl, first, mean, last, seed) = (
        col("n_leechers"),
        col("connections_limit"),
        col("first_s"),
        col("mean_s"),
        col("last_s"),
        col("seed_payload_up"),
    );
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .map(|f| Reference {
            n_leechers: f[n].parse().expect("n_leechers"),
            connections_limit: f[cl].parse().expect("connections_limit"),
            first_s: f[first].parse().expect("first_s"),
            mean_s: f[mean].parse().expect("mean_s"),
            last_s: f[last].parse().expect("last_s"),
            seed_bytes: f[seed].parse().expect("seed_payload_up"),
        })
        .filter(|r| r.n_leechers == n_leechers && r.connections_limit == connections_limit)
        .collect()
}

/// The reference swarm in tokenswarm: 16 MiB in 256 KiB pieces, one seed and `n` leechers at
/// t = 0, 100,000 B/s up and 1,000,000 B/s down everywhere, leechers leave on completion,
/// `numwant` 200 (libtorrent's default) and the connection limit of the reference run.
fn ours(seed: u64, n: u32, connections_limit: u32) -> Reference {
    let s = scenario(&format!(
        r#"
        name = "libtorrent-reference"
        seed = {seed}
        horizon = "3h"
        stop_when_done = true
        [client.choker]
        profile = "libtorrent"
        [tracker]
        numwant = 200
        max_connections = {connections_limit}
        max_initiate = {connections_limit}
        [[classes]]
        name = "leecher"
        share = 1.0
        upload = "800 kbit/s"
        download = "8 Mbit/s"
        [[torrents]]
        name = "file"
        size = "16 MiB"
        piece_size = "256 KiB"
        publishers = {{ count = 1, upload = "800 kbit/s", download = "8 Mbit/s" }}
        arrivals = {{ kind = "flash_crowd", count = {n} }}
        seeding = {{ kind = "leave_at_once" }}
        "#
    ));
    let r = run(&s);
    let times: Vec<f64> = r.peers.iter().filter_map(|p| p.download_time_s).collect();
    assert_eq!(
        times.len() as u32,
        n,
        "seed {seed}: every leecher completes"
    );
    let seed_bytes = r
        .peers
        .iter()
        .find(|p| p.class == "publisher")
        .map_or(0, |p| p.bytes_uploaded) as f64;
    Reference {
        n_leechers: n,
        connections_limit,
        first_s: times.iter().copied().fold(f64::MAX, f64::min),
        mean_s: times.iter().sum::<f64>() / times.len() as f64,
        last_s: times.iter().copied().fold(0.0, f64::max),
        seed_bytes,
    }
}

/// One figure of a run.
type Figure = fn(&Reference) -> f64;

/// Every figure [`compare`] computes.
const ALL: [&str; 4] = [
    "first completion",
    "mean completion",
    "last completion",
    "seed upload rate",
];

fn mean(runs: &[Reference], f: impl Fn(&Reference) -> f64) -> f64 {
    runs.iter().map(f).sum::<f64>() / runs.len() as f64
}

/// Compares the means over replicates 1–5 of first, mean and last completion and of the
/// seed's upload rate (bytes over the last completion); returns the failures among the
/// figures named in `checked` (every figure is printed).
fn compare(n: u32, connections_limit: u32, tolerance: f64, checked: &[&str]) -> Vec<String> {
    let refs = references(n, connections_limit);
    assert!(
        refs.len() >= 3,
        "runs.csv has {} reference runs of N = {n}, connections_limit {connections_limit}",
        refs.len()
    );
    let mine: Vec<Reference> = (1..=5).map(|s| ours(s, n, connections_limit)).collect();
    let figures: [(&str, Figure); 4] = [
        ("first completion", |r| r.first_s),
        ("mean completion", |r| r.mean_s),
        ("last completion", |r| r.last_s),
        ("seed upload rate", |r| r.seed_bytes / r.last_s),
    ];
    let mut failures = Vec::new();
    for (name, f) in figures {
        let (theirs, ours) = (mean(&refs, f), mean(&mine, f));
        let off = ours / theirs - 1.0;
        eprintln!(
            "N = {n}, limit {connections_limit}: {name} {ours:.1} vs libtorrent {theirs:.1} ({:+.1}%)",
            100.0 * off
        );
        if checked.contains(&name) && off.abs() > tolerance {
            failures.push(format!(
                "N = {n}, limit {connections_limit}: {name} {ours:.1} vs libtorrent {theirs:.1} \
                 ({:+.1}%, tolerance ±{:.0}%)",
                100.0 * off,
                100.0 * tolerance
            ));
        }
    }
    failures
}

/// Tolerance ±20%: libtorrent's own replicates spread by 4–7% of the mean (sd over 5 runs),
/// and the models differ where the reference cannot be matched at this level of detail:
/// tokenswarm sends whole pieces as one flow (libtorrent: 16 KiB blocks, pipelined, a piece
/// shared before it is complete only block by block), has no latency (5 ms one way in the
/// reference) and no TCP dynamics. A 20-leecher swarm, where every peer sees the whole swarm,
/// agrees within that: −12% to −15% (measured, seeds 1–5; tokenswarm finishes earlier).
#[test]
fn a_full_mesh_of_twenty_agrees_with_libtorrent_within_twenty_percent() {
    let failures = compare(20, 200, 0.20, &ALL);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// With 30 connections per peer among 100 leechers (no full mesh), mean and last completion
/// agree within the same ±20% (measured +9% and +7%); the first completion does not (−29%,
/// see below).
#[test]
fn a_partial_mesh_of_a_hundred_agrees_on_mean_and_last_completion() {
    let failures = compare(
        100,
        30,
        0.20,
        &["mean completion", "last completion", "seed upload rate"],
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Larger full meshes do not agree yet: libtorrent's first completion grows with the swarm
/// (286 s at N = 20, 536 s at 100, 1,002 s at 300), where tokenswarm's stays near 250–270 s
/// (−50% at N = 100, −73% at 300). In libtorrent's runs the seed's round robin gives each of
/// its many connected leechers less than a piece per unchoke, so pieces complete late, and at
/// the end every remaining leecher waits for the same last piece from the seed (see the
/// dataset's README). The cause on tokenswarm's side is open (issue "Faithful at scale", §2);
/// run with `--ignored` to see the gap.
#[test]
#[ignore = "known gap: full meshes of 100 and 300 finish 41-73% earlier than in libtorrent"]
fn larger_swarms_agree_with_libtorrent_within_twenty_percent() {
    let mut failures = compare(100, 200, 0.20, &ALL);
    failures.extend(compare(300, 200, 0.20, &ALL));
    failures.extend(compare(100, 30, 0.20, &ALL));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
