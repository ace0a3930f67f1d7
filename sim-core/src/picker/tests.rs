//! Picker rules on small string fixtures (one character per piece).
//!
//! Invariant kept by the fixtures: the remote is one of the counted neighbours, as the engine
//! guarantees, and `check_invariants` holds after every setup step.

use super::*;
use crate::config::{PickerConfig, PickerKind};
use crate::rng::{SimRng, Stream, stream};

/// A bitfield from a string of '0'/'1'.
pub(super) fn bits(s: &str) -> PieceSet {
    let mut set = PieceSet::empty(s.len() as u32);
    for (i, c) in s.chars().enumerate() {
        match c {
            '1' => {
                set.insert(i as u32);
            }
            '0' => {}
            _ => panic!("bitfield fixture {s:?} may hold only 0 and 1"),
        }
    }
    set
}

fn digits(s: &str) -> Vec<u32> {
    s.chars()
        .map(|c| {
            c.to_digit(10)
                .unwrap_or_else(|| panic!("bad digit in {s:?}"))
        })
        .collect()
}

/// A peer, its neighbours (the remote is neighbour 0) and the remote's bitfield and list.
pub(super) struct Fx {
    pub peer: PeerPieces,
    pub neighbours: Vec<PieceSet>,
    pub remote: PieceSet,
    pub remote_list: Vec<u32>,
}

/// `avail`: neighbours holding each piece (digits, built from bitfields), `have`: our pieces,
/// `remote`: the neighbour we pick from (counted in `avail`), `in_flight`: downloads per piece.
pub(super) fn fixture(avail: &str, have: &str, remote: &str, in_flight: &str) -> Fx {
    let n = avail.len();
    assert!(
        have.len() == n && remote.len() == n && in_flight.len() == n,
        "fixture lengths"
    );
    let remote_set = bits(remote);
    let residual: Vec<u32> = digits(avail)
        .iter()
        .enumerate()
        .map(|(p, &a)| {
            let r = remote_set.contains(p as u32) as u32;
            a.checked_sub(r)
                .unwrap_or_else(|| panic!("piece {p}: the remote holds it, availability 0"))
        })
        .collect();
    let mut neighbours = vec![remote_set.clone()];
    for k in 0..residual.iter().copied().max().unwrap_or(0) {
        let mut nb = PieceSet::empty(n as u32);
        for (p, &r) in residual.iter().enumerate() {
            if r > k {
                nb.insert(p as u32);
            }
        }
        neighbours.push(nb);
    }
    let mut peer = PeerPieces::new(n as u32);
    for nb in &neighbours {
        peer.add_neighbour(nb);
    }
    for p in bits(have).iter() {
        peer.grant(p);
    }
    for (p, f) in digits(in_flight).into_iter().enumerate() {
        for _ in 0..f {
            peer.begin(p as u32);
        }
    }
    peer.check_invariants(neighbours.iter())
        .unwrap_or_else(|e| panic!("fixture {avail}/{have}/{remote}: {e}"));
    let remote_list = remote_set.iter().collect();
    Fx {
        peer,
        neighbours,
        remote: remote_set,
        remote_list,
    }
}

/// A remote's list as the engine passes it to `pick`: only while it is shorter than the
/// remote bitfield's words (see `PeerPieces::short_have_list`).
pub(super) fn short_list<'a>(list: &'a [u32], remote: &PieceSet) -> Option<&'a [u32]> {
    (list.len() < remote.words().len()).then_some(list)
}

impl Fx {
    pub(super) fn pick(&mut self, cfg: &PickerConfig, rng: &mut SimRng) -> Option<Pick> {
        let list = short_list(&self.remote_list, &self.remote);
        self.peer.pick(cfg, &self.remote, list, rng)
    }

    /// Pick counts per piece over `runs` seeds, and how many picks were `None`.
    fn histogram(&mut self, cfg: &PickerConfig, runs: u64) -> (Vec<u32>, u32) {
        let mut hits = vec![0u32; self.peer.num_pieces() as usize];
        let mut none = 0;
        for seed in 0..runs {
            match self.pick(cfg, &mut stream(seed, Stream::Picker)) {
                Some(p) => hits[p.piece as usize] += 1,
                None => none += 1,
            }
        }
        (hits, none)
    }

    pub(super) fn check(&self) {
        if let Err(e) = self.peer.check_invariants(self.neighbours.iter()) {
            panic!("invariant broken: {e}");
        }
    }
}

pub(super) fn cfg(kind: PickerKind, initial_random: u32) -> PickerConfig {
    PickerConfig {
        kind,
        initial_random,
        ..PickerConfig::default()
    }
}

pub(super) fn rarest() -> PickerConfig {
    cfg(PickerKind::RarestFirst, 0)
}

#[test]
fn rarest_first_picks_rarest_eligible_piece() {
    // (availability, have, remote, in flight, allowed picks)
    let cases: &[(&str, &str, &str, &str, &[u32])] = &[
        ("3121", "0000", "1111", "0000", &[1, 3]),
        ("3122", "0000", "1111", "0000", &[1]),
        ("3121", "0100", "1111", "0000", &[3]),
        ("3121", "0000", "1111", "0100", &[3]),
        ("3121", "0001", "1011", "0000", &[2]),
        ("4231", "0000", "1110", "0000", &[1]),
        ("3121", "0101", "0101", "0000", &[]),
        ("3121", "0000", "1111", "1111", &[]),
        ("0110", "0000", "0010", "0000", &[2]),
    ];
    // Endgame off: the all-in-flight case must yield nothing.
    let c = cfg_endgame(false, 2);
    for &(avail, have, remote, fly, allowed) in cases {
        let mut fx = fixture(avail, have, remote, fly);
        for seed in 0..50 {
            let got = fx.pick(&c, &mut stream(seed, Stream::Picker));
            match got {
                None => assert!(allowed.is_empty(), "{avail}/{have}/{remote}/{fly}: None"),
                Some(p) => assert!(
                    allowed.contains(&p.piece) && !p.endgame,
                    "{avail}/{have}/{remote}/{fly}: picked {p:?}, allowed {allowed:?}"
                ),
            }
        }
    }
}

/// Asserts that over 2,000 seeds each of `tied` gets 25% ± 5% and nothing else is picked.
fn assert_uniform_ties(fx: &mut Fx, cfg: &PickerConfig, tied: &[u32]) {
    let (hits, none) = fx.histogram(cfg, 2000);
    assert_eq!(none, 0);
    for (p, &h) in hits.iter().enumerate() {
        if tied.contains(&(p as u32)) {
            let share = h as f64 / 2000.0;
            let want = 1.0 / tied.len() as f64;
            assert!(
                (share - want).abs() <= 0.05,
                "piece {p}: {share}, hits {hits:?}"
            );
        } else {
            assert_eq!(h, 0, "piece {p} is not among the rarest, hits {hits:?}");
        }
    }
}

#[test]
fn rarest_ties_are_random_but_reproducible() {
    // Small bucket, scanned directly.
    let mut fx = fixture("22223", "00000", "11111", "00000");
    assert_uniform_ties(&mut fx, &rarest(), &[0, 1, 2, 3]);
    for seed in 0..20 {
        let a = fx.pick(&rarest(), &mut stream(seed, Stream::Picker));
        let b = fx.pick(&rarest(), &mut stream(seed, Stream::Picker));
        assert_eq!(a, b, "seed {seed} not reproducible");
    }
    // Large bucket (random probes), most of it in flight.
    let fly = format!("{}{}", "0000", "1".repeat(16));
    let mut fx = fixture(&"2".repeat(20), &"0".repeat(20), &"1".repeat(20), &fly);
    assert_uniform_ties(&mut fx, &rarest(), &[0, 1, 2, 3]);
    // Remote holding fewer pieces than there are bitfield words: the pick walks its list.
    let mut avail = "1".repeat(330).into_bytes();
    let mut remote = "0".repeat(330).into_bytes();
    for (p, a) in [(5, b'2'), (70, b'2'), (140, b'2'), (329, b'2'), (200, b'3')] {
        avail[p] = a;
        remote[p] = b'1';
    }
    let (avail, remote) = (ascii(avail), ascii(remote));
    let mut fx = fixture(&avail, &"0".repeat(330), &remote, &"0".repeat(330));
    assert!(
        fx.remote_list.len() < 6,
        "list path needs a list shorter than the words"
    );
    assert_uniform_ties(&mut fx, &rarest(), &[5, 70, 140, 329]);
}

fn ascii(b: Vec<u8>) -> String {
    String::from_utf8(b).expect("ascii fixture")
}

#[test]
fn rarest_ties_spread_over_blocks_are_uniform_and_bounds_prune_safely() {
    // Ties in four different 64-piece blocks, a rarer piece the remote lacks (so the bound
    // of its block is below every eligible count there), and a partial tail block.
    let n = 200;
    let mut avail = "5".repeat(n).into_bytes();
    let mut remote = "1".repeat(n).into_bytes();
    for p in [3, 64, 150, 199] {
        avail[p] = b'2';
    }
    avail[10] = b'1';
    remote[10] = b'0';
    let (avail, remote) = (ascii(avail), ascii(remote));
    let mut fx = fixture(&avail, &"0".repeat(n), &remote, &"0".repeat(n));
    assert_uniform_ties(&mut fx, &rarest(), &[3, 64, 150, 199]);
    fx.check();
    // A neighbour leaving lowers counts below the block bounds tightened by the picks above:
    // the bounds must follow, and the new rarest piece must be found.
    let leaving = fx
        .neighbours
        .pop()
        .expect("fixture has residual neighbours");
    fx.peer.remove_neighbour(&leaving);
    fx.check();
    let min = (0..n as u32)
        .filter(|&p| fx.remote.contains(p))
        .map(|p| fx.peer.availability(p))
        .min()
        .expect("remote holds pieces");
    for seed in 0..50 {
        let p = fx
            .pick(&rarest(), &mut stream(seed, Stream::Picker))
            .expect("pick");
        assert_eq!(fx.peer.availability(p.piece), min, "seed {seed}: {p:?}");
    }
    fx.check();
}

/// The rarest-first scan keeps its scratch in a small stack array up to 1,024 pieces, a
/// larger one up to 4,096 and a heap buffer beyond: exact and uniform at each size and at
/// the boundaries (with two ties in one block after the first, so ties are counted per
/// piece, not per block).
#[test]
fn rarest_first_is_exact_with_every_scratch_size() {
    for n in [1024, 1025, 4096, 4097, 6000] {
        let mut avail = "5".repeat(n).into_bytes();
        let mut remote = "1".repeat(n).into_bytes();
        let tied = [3, n / 3, 2 * n / 3, 2 * n / 3 + 1, n - 1];
        for p in tied {
            avail[p] = b'2';
        }
        avail[n / 2] = b'1';
        remote[n / 2] = b'0';
        let (avail, remote) = (ascii(avail), ascii(remote));
        let mut fx = fixture(&avail, &"0".repeat(n), &remote, &"0".repeat(n));
        let tied: Vec<u32> = tied.iter().map(|&p| p as u32).collect();
        assert_uniform_ties(&mut fx, &rarest(), &tied);
        fx.check();
    }
}

#[test]
fn random_first_until_initial_random_pieces_then_rarest() {
    let c = cfg(PickerKind::RarestFirst, 4);
    let mut fx = fixture("1222", "0000", "1111", "0000");
    assert_uniform_ties(&mut fx, &c, &[0, 1, 2, 3]);
    let mut fx = fixture("1222", "1110", "1111", "0000");
    let (hits, _) = fx.histogram(&c, 100);
    assert_eq!(hits[3], 100, "only one piece left to pick");
    let mut fx = fixture("12222222", "00001111", "11111111", "00000000");
    let (hits, _) = fx.histogram(&c, 200);
    assert_eq!(hits[0], 200, "four pieces held: rarest first, {hits:?}");
}

#[test]
fn finish_started_piece_beats_rarer_unstarted() {
    let mut fx = fixture("3121", "0000", "1111", "0000");
    fx.peer.begin(0);
    fx.peer.abort(0, 5_000);
    fx.check();
    assert_eq!(fx.peer.partial_bytes(0), 5_000);
    for kind in [
        PickerKind::RarestFirst,
        PickerKind::Random,
        PickerKind::Sequential,
    ] {
        for seed in 0..20 {
            let p = fx.pick(&cfg(kind, 0), &mut stream(seed, Stream::Picker));
            assert_eq!(p.map(|p| p.piece), Some(0), "{kind:?}");
        }
    }
    // Two started pieces: the rarer wins. One in flight again: the other.
    fx.peer.begin(2);
    fx.peer.abort(2, 1);
    assert_eq!(fx.histogram(&rarest(), 50).0[2], 50);
    fx.peer.begin(2);
    assert_eq!(fx.histogram(&rarest(), 50).0[0], 50);
    // A started piece the remote lacks does not count.
    let mut fx = fixture("3122", "0000", "0111", "0000");
    fx.peer.begin(0);
    fx.peer.abort(0, 7);
    assert_eq!(fx.histogram(&rarest(), 50).0[1], 50);
}

#[test]
fn sequential_picks_lowest_and_random_covers_all() {
    let seq = cfg(PickerKind::Sequential, 0);
    let cases: &[(&str, &str, &str, &str, Option<u32>)] = &[
        ("1111", "1000", "1111", "0000", Some(1)),
        ("1111", "1000", "1111", "0100", Some(2)),
        ("1111", "1000", "1101", "0100", Some(3)),
        ("1111", "1111", "1111", "0000", None),
    ];
    for &(avail, have, remote, fly, want) in cases {
        let mut fx = fixture(avail, have, remote, fly);
        let got = fx.pick(&seq, &mut stream(1, Stream::Picker));
        assert_eq!(got.map(|p| p.piece), want, "{avail}/{have}/{remote}/{fly}");
    }
    // The remote holds few pieces: lowest over its list.
    let mut remote = "0".repeat(100).into_bytes();
    for p in [90, 7, 50] {
        remote[p] = b'1';
    }
    let remote = String::from_utf8(remote).expect("ascii");
    let mut fx = fixture(&remote, &"0".repeat(100), &remote, &"0".repeat(100));
    assert_eq!(
        fx.pick(&seq, &mut stream(1, Stream::Picker))
            .map(|p| p.piece),
        Some(7)
    );

    let mut fx = fixture("13216", "00000", "11111", "00000");
    assert_uniform_ties(&mut fx, &cfg(PickerKind::Random, 0), &[0, 1, 2, 3, 4]);
}

#[test]
fn endgame_duplicates_only_when_every_missing_piece_is_in_flight() {
    let c = cfg(PickerKind::RarestFirst, 0);
    let mut fx = fixture("1111", "1100", "1110", "0010");
    // Piece 3 is unrequested (the remote lacks it): no endgame from this remote.
    assert_eq!(fx.pick(&c, &mut stream(1, Stream::Picker)), None);
    fx.peer.begin(3);
    assert_eq!(fx.peer.unrequested(), 0);
    let (hits, _) = fx.histogram(&c, 50);
    assert_eq!(
        hits,
        vec![0, 0, 50, 0],
        "only piece 2 is held by the remote"
    );
    let p = fx
        .pick(&c, &mut stream(1, Stream::Picker))
        .expect("endgame pick");
    assert!(p.endgame);
    assert_eq!(
        fx.pick(&cfg_endgame(false, 2), &mut stream(1, Stream::Picker)),
        None
    );

    // Fewest downloaders first, at most endgame_max_downloaders per piece.
    let mut fx = fixture("111", "100", "111", "021");
    assert_eq!(fx.histogram(&c, 50).0, vec![0, 0, 50]);
    fx.peer.begin(2);
    assert_eq!(
        fx.pick(&c, &mut stream(1, Stream::Picker)),
        None,
        "max 2 downloaders"
    );
    let (hits, _) = fx.histogram(&cfg_endgame(true, 3), 400);
    assert!(hits[1] > 150 && hits[2] > 150, "ties random: {hits:?}");

    // Completion of one copy, then the duplicate is cancelled.
    assert!(fx.peer.complete(2));
    assert_eq!(fx.peer.downloaders(2), 1);
    fx.check();
    fx.peer.cancel(2);
    assert_eq!(fx.peer.downloaders(2), 0);
    fx.check();
    // A late duplicate completing is not new.
    assert!(fx.peer.complete(1));
    assert!(!fx.peer.complete(1), "second copy of piece 1 is not new");
    assert!(fx.peer.is_seed());
    fx.check();
}

fn cfg_endgame(endgame: bool, max: u32) -> PickerConfig {
    PickerConfig {
        endgame,
        endgame_max_downloaders: max,
        ..rarest()
    }
}
