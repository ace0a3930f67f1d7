//! Behaviour tests of the reference choker, driven like the engine will drive it: a [`Driver`]
//! holds one peer's neighbours and applies each decision to their `unchoked`,
//! `last_unchoked`, `last_optimistic` and `sent_since_unchoked` fields (an unchoked neighbour
//! is sent its `upload_rate` for each simulated second).

use super::*;
use crate::config::{ClientProfile, OptimisticRule};
use crate::rng::{Stream, stream};
use rand::seq::SliceRandom;

/// One choking peer, its neighbours and simulated time, updated as the engine will.
struct Driver {
    choker: Box<dyn Choker>,
    cands: Vec<Candidate>,
    rng: SimRng,
    now: SimTime,
    seeding: bool,
    /// The last decision's optimistic set (to stamp `last_optimistic` on entry only).
    optimistic: Vec<PeerId>,
}

use crate::choker::idle_candidate as idle;

/// The test torrent's piece length, in bytes.
const PIECE_BYTES: u64 = 1000;

fn secs(s: u64) -> SimTime {
    SimTime(s * 1_000_000)
}

impl Driver {
    fn new(params: ChokerParams, n: u32, seed: u64) -> Self {
        Driver {
            choker: choker_for(&params),
            cands: (0..n).map(idle).collect(),
            rng: stream(seed, Stream::Choker),
            now: secs(100),
            seeding: false,
            optimistic: Vec::new(),
        }
    }

    fn cand(&mut self, peer: u32) -> &mut Candidate {
        let i = self.cands.iter().position(|c| c.peer == PeerId(peer));
        &mut self.cands[i.expect("test peer exists")]
    }

    /// Unchokes `unchoked` at `now`, chokes everyone else, stamps start times.
    fn apply(&mut self, unchoked: &[PeerId], optimistic: &[PeerId]) {
        for c in &mut self.cands {
            let on = unchoked.contains(&c.peer);
            if on && !c.unchoked {
                c.last_unchoked = Some(self.now);
            }
            if !on || !c.unchoked {
                c.sent_since_unchoked = 0;
            }
            if optimistic.contains(&c.peer) && !self.optimistic.contains(&c.peer) {
                c.last_optimistic = Some(self.now);
            }
            c.unchoked = on;
        }
        self.optimistic = optimistic.to_vec();
    }

    /// Calls the choker with a view of the current state.
    fn call<T>(&mut self, f: impl FnOnce(&mut dyn Choker, &ChokeView, &mut SimRng) -> T) -> T {
        let view = ChokeView {
            now: self.now,
            seeding: self.seeding,
            candidates: &self.cands,
            reserved_slots: 0,
            piece_bytes: PIECE_BYTES,
        };
        f(self.choker.as_mut(), &view, &mut self.rng)
    }

    /// Rechokes at `now`, applies the decision, then advances one rechoke interval.
    fn step(&mut self) -> ChokeDecision {
        let d = self.call(|c, v, r| c.rechoke(v, r));
        check_invariants(&d, &self.cands);
        let all: Vec<PeerId> = d.unchoked().collect();
        self.apply(&all, &d.optimistic.clone());
        let interval = self.choker.rechoke_interval();
        self.now += interval;
        for c in self.cands.iter_mut().filter(|c| c.unchoked) {
            c.sent_since_unchoked += c.upload_rate * interval.as_micros() / 1_000_000;
        }
        d
    }

    /// Between rechokes: fills free slots and applies them (nobody is choked).
    fn fill(&mut self) -> Vec<PeerId> {
        let got = self.call(|c, v, r| c.fill_free_slots(v, r));
        let mut all: Vec<PeerId> = self
            .cands
            .iter()
            .filter(|c| c.unchoked)
            .map(|c| c.peer)
            .collect();
        all.extend(&got);
        let opt = self.optimistic.clone();
        self.apply(&all, &opt);
        got
    }
}

fn check_invariants(d: &ChokeDecision, cands: &[Candidate]) {
    let mut all: Vec<PeerId> = d.unchoked().collect();
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!(
        all.len(),
        n,
        "regular and optimistic overlap or repeat: {d:?}"
    );
    for p in all {
        let c = cands
            .iter()
            .find(|c| c.peer == p)
            .expect("unchoked peer is a candidate");
        assert!(c.interested, "uninterested {p:?} unchoked");
    }
}

fn ids(v: &[u32]) -> Vec<PeerId> {
    v.iter().map(|&p| PeerId(p)).collect()
}

#[test]
fn profiles_slot_counts_intervals_and_optimistic_hold() {
    let table = [
        (ClientProfile::Bep3, 3, 10, 3),
        (ClientProfile::Libtorrent, 7, 15, 2),
        (ClientProfile::Transmission, 14, 10, 5),
    ];
    for (profile, regular, interval_s, hold) in table {
        let mut d = Driver::new(profile.defaults(), 30, 7);
        for c in &mut d.cands {
            c.download_rate = 1000 * u64::from(c.peer.0);
        }
        assert_eq!(
            d.choker.rechoke_interval(),
            SimDuration::from_secs(interval_s)
        );
        let opts: Vec<PeerId> = (0..3 * hold)
            .map(|_| {
                let dec = d.step();
                assert_eq!(dec.regular.len(), regular, "{profile:?}");
                assert_eq!(dec.optimistic.len(), 1, "{profile:?}");
                dec.optimistic[0]
            })
            .collect();
        for period in opts.chunks(hold) {
            assert!(
                period.iter().all(|&p| p == period[0]),
                "{profile:?}: {opts:?}"
            );
        }
        for w in opts.windows(hold + 1).step_by(hold) {
            assert_ne!(w[0], w[hold], "{profile:?} did not rotate: {opts:?}");
        }
    }
}

#[test]
fn leecher_takes_fastest_downloaders_seed_fastest_uploads() {
    let mut d = Driver::new(ClientProfile::Bep3.defaults(), 10, 1);
    let down = [50, 900, 10, 700, 0, 800, 30, 20, 600, 40];
    for (c, r) in d.cands.iter_mut().zip(down) {
        c.download_rate = r;
        c.upload_rate = 1000 - r;
    }
    assert_eq!(d.step().regular, ids(&[1, 5, 3]));
    d.seeding = true;
    assert_eq!(d.step().regular, ids(&[4, 2, 7]));
}

/// A round-robin seed with 20 interested peers, 7 slots and no optimistic slot, every peer
/// sent `rate` bytes/s while unchoked; returns the decisions of `rechokes` rechokes.
fn round_robin_run(rate: u64, quota: u32, rechokes: usize) -> Vec<ChokeDecision> {
    let mut p = ClientProfile::Libtorrent.defaults();
    p.optimistic_slots = 0;
    p.seeding_piece_quota = quota;
    let mut d = Driver::new(p, 20, 3);
    d.seeding = true;
    for c in &mut d.cands {
        c.upload_rate = rate;
    }
    (0..rechokes).map(|_| d.step()).collect()
}

/// How many consecutive rechokes each peer held a slot, one entry per completed stint.
fn stints(decisions: &[ChokeDecision]) -> Vec<usize> {
    let mut run = [0usize; 20];
    let mut out = Vec::new();
    for d in decisions {
        for (i, n) in run.iter_mut().enumerate() {
            if d.regular.contains(&PeerId(i as u32)) {
                *n += 1;
            } else if *n > 0 {
                out.push(std::mem::take(n));
            }
        }
    }
    out
}

#[test]
fn round_robin_seeding_rotates_slots_once_the_quota_is_sent() {
    // 1,000 B/s and a 20-piece quota of 1,000-byte pieces: a holder has used up its slot
    // once sent more than 20,000 bytes, after 21 s, but keeps it for more than a minute
    // (libtorrent's `minutes(1)`): unchoked at a rechoke, it is sent 15,000 bytes per 15 s
    // interval, so it loses the slot at the 5th rechoke after (75 s > 60 s).
    let decisions = round_robin_run(1000, 20, 40);
    for d in &decisions {
        assert_eq!(d.regular.len(), 7);
    }
    let s = stints(&decisions);
    assert!(!s.is_empty());
    assert!(s.iter().all(|&n| n == 5), "{s:?}");
    let mut served = [false; 20];
    for d in &decisions[..15] {
        for p in &d.regular {
            served[p.index()] = true;
        }
    }
    // 15 rechokes: three rounds of 7 five-rechoke stints cover all 20 peers.
    assert!(served.iter().all(|&x| x), "{served:?}");
}

#[test]
fn round_robin_holds_a_slow_peer_until_it_got_its_quota() {
    // 100 B/s: 20,000 bytes take 200 s, past the minute; stints last 14 rechokes (210 s).
    let s = stints(&round_robin_run(100, 20, 60));
    assert!(!s.is_empty());
    assert!(s.iter().all(|&n| n == 14), "{s:?}");
    // Quota 0: only the minute counts.
    let s = stints(&round_robin_run(100, 0, 60));
    assert!(s.iter().all(|&n| n == 5), "{s:?}");
}

#[test]
fn round_robin_keeps_a_slot_filled_between_rechokes_while_serving_it() {
    let mut p = ClientProfile::Libtorrent.defaults();
    p.optimistic_slots = 0;
    // 20 interested: 7 unchoked at 100 s, 13 waiting.
    let mut d = Driver::new(p, 20, 4);
    d.seeding = true;
    let first = d.step();
    d.now = secs(105); // between the rechokes at 100 s and 115 s
    d.cand(first.regular[0].0).interested = false;
    let filled = d.fill();
    assert_eq!(filled.len(), 1);
    // Only the filled peer is being sent data; the others stalled (rate 0).
    d.cand(filled[0].0).upload_rate = 500;
    d.now = secs(115);
    let second = d.step();
    // 12 peers still wait, more than the 7 slots: the peer being served keeps its slot and
    // the stalled holders give theirs to the peers waiting longest.
    assert_eq!(second.regular[0], filled[0], "{second:?}");
    assert!(
        second.regular.iter().all(|p| !first.regular.contains(p)),
        "{second:?}"
    );
}

#[test]
fn equal_rates_break_ties_by_seeded_random_key() {
    let decide = |seed: u64| {
        let mut d = Driver::new(ClientProfile::Bep3.defaults(), 10, seed);
        d.step()
    };
    let mut sets = Vec::new();
    for seed in 0..16 {
        let a = decide(seed);
        assert_eq!(a, decide(seed), "not reproducible for seed {seed}");
        let mut r = a.regular;
        r.sort();
        sets.push(r);
    }
    assert!(sets.iter().any(|s| !s.contains(&PeerId(0))), "{sets:?}");
    sets.sort();
    sets.dedup();
    assert!(sets.len() >= 8, "too few distinct winner sets: {sets:?}");
}

#[test]
fn decision_does_not_depend_on_candidate_order() {
    let mut base = Driver::new(ClientProfile::Bep3.defaults(), 15, 9);
    for c in &mut base.cands {
        c.download_rate = u64::from(c.peer.0 % 4);
        c.connected_at = secs(u64::from(c.peer.0) * 7);
    }
    let want = base.step();
    let mut shuffled = Driver::new(ClientProfile::Bep3.defaults(), 15, 9);
    shuffled.cands = base.cands.clone();
    for c in &mut shuffled.cands {
        c.unchoked = false;
        c.last_unchoked = None;
        c.last_optimistic = None;
    }
    shuffled.cands.shuffle(&mut stream(99, Stream::Choker));
    shuffled.now = secs(100);
    assert_eq!(shuffled.step(), want);
}

#[test]
fn snubbing_peers_rank_after_all_others_while_leeching() {
    // Peers 0..=3 send to us (rates 0..300); 4..=6 are faster on paper but snub us.
    let mut d = Driver::new(ClientProfile::Bep3.defaults(), 7, 2);
    for c in &mut d.cands {
        c.download_rate = 100 * u64::from(c.peer.0);
        c.upload_rate = 100 * u64::from(c.peer.0);
        c.snubbed = c.peer.0 >= 4;
    }
    for _ in 0..10 {
        let dec = d.step();
        assert_eq!(
            dec.regular,
            ids(&[3, 2, 1]),
            "snubbing peers lose to every other"
        );
        assert_eq!(dec.optimistic.len(), 1);
    }
    // With two peers not snubbing left, the third regular slot goes to the best snubbing one
    // (mainline fills slots nobody else wants).
    for c in &mut d.cands {
        if c.peer.0 == 2 || c.peer.0 == 3 {
            c.interested = false;
        }
    }
    assert_eq!(d.step().regular, ids(&[1, 0, 6]));
    // Seeds ignore snubbing.
    d.seeding = true;
    assert_eq!(d.step().regular, ids(&[6, 5, 4]));
}

#[test]
fn uninterested_peers_are_never_unchoked() {
    let mut d = Driver::new(ClientProfile::Transmission.defaults(), 20, 5);
    for c in &mut d.cands {
        c.download_rate = 100 * u64::from(c.peer.0);
        c.interested = c.peer.0 % 2 == 0;
    }
    for _ in 0..12 {
        let dec = d.step();
        assert_eq!(dec.regular.len() + dec.optimistic.len(), 10);
        assert!(dec.unchoked().all(|p| p.0 % 2 == 0), "{dec:?}");
        assert!(d.fill().is_empty());
    }
}

#[test]
fn weighted_random_favours_young_connections_threefold() {
    let params = ClientProfile::Bep3.defaults();
    assert_eq!(params.optimistic_rule, OptimisticRule::WeightedRandom);
    let mut cands: Vec<Candidate> = (0..5).map(idle).collect();
    for c in &mut cands[..3] {
        c.download_rate = 1000; // the three regular slots
    }
    cands[3].connected_at = secs(90); // 10 s old at now = 100 s: young (< 30 s)
    cands[4].connected_at = secs(10); // 90 s old
    let view = ChokeView {
        now: secs(100),
        seeding: false,
        candidates: &cands,
        reserved_slots: 0,
        piece_bytes: PIECE_BYTES,
    };
    let mut rng = stream(11, Stream::Choker);
    let (mut young, mut old) = (0u32, 0u32);
    for _ in 0..20_000 {
        let d = choker_for(&params).rechoke(&view, &mut rng);
        match d.optimistic.as_slice() {
            [PeerId(3)] => young += 1,
            [PeerId(4)] => old += 1,
            other => panic!("unexpected optimistic {other:?}"),
        }
    }
    let ratio = f64::from(young) / f64::from(old);
    assert!((2.7..3.3).contains(&ratio), "young {young} old {old}");
}

#[test]
fn longest_waiting_optimistic_is_fair() {
    // libtorrent's regression test: 20 idle interested peers, one optimistic slot only.
    let mut p = ClientProfile::Libtorrent.defaults();
    p.regular_slots = 0;
    p.optimistic_slots = 1;
    p.rechoke_interval = SimDuration::from_secs(15);
    p.optimistic_interval = SimDuration::from_secs(30);
    p.optimistic_rule = OptimisticRule::LongestWaiting;
    let mut d = Driver::new(p, 20, 6);
    d.now = SimTime::ZERO;
    let mut unchoked_us = [0u64; 20];
    while d.now < secs(1800) {
        let dec = d.step();
        assert!(dec.regular.is_empty());
        for c in d.cands.iter().filter(|c| c.unchoked) {
            unchoked_us[c.peer.index()] += p.rechoke_interval.as_micros();
        }
    }
    for (peer, us) in unchoked_us.iter().enumerate() {
        let s = *us as f64 / 1e6;
        assert!((88.5..=91.5).contains(&s), "peer {peer}: {s} s unchoked");
    }
}

#[test]
fn fill_free_slots_fills_exactly_the_free_count() {
    let mut d = Driver::new(ClientProfile::Bep3.defaults(), 10, 8);
    for c in &mut d.cands {
        c.download_rate = 100 * u64::from(c.peer.0 + 1);
    }
    let first = d.step();
    assert_eq!(first.regular, ids(&[9, 8, 7]));
    let opt = first.optimistic[0];
    assert!(d.fill().is_empty(), "no slot is free");
    // 9 leaves, 8 loses interest, 6 snubs us: two regular slots free (the optimistic
    // unchoke does not take one).
    d.choker.forget(PeerId(9));
    d.cands.retain(|c| c.peer != PeerId(9));
    d.cand(8).interested = false;
    d.cand(6).snubbed = true;
    let mut pool: Vec<&Candidate> = d
        .cands
        .iter()
        .filter(|c| !c.unchoked && c.interested && !c.snubbed)
        .collect();
    pool.sort_by_key(|c| std::cmp::Reverse(c.download_rate));
    let want: Vec<PeerId> = pool.iter().take(2).map(|c| c.peer).collect();
    assert!(!want.contains(&opt));
    assert_eq!(d.fill(), want);
    assert!(d.fill().is_empty(), "slots already full");
}

#[test]
fn optimistic_replaced_early_when_it_leaves_loses_interest_or_is_promoted() {
    let mut d = Driver::new(ClientProfile::Bep3.defaults(), 12, 10);
    for c in &mut d.cands {
        c.download_rate = if c.peer.0 < 3 { 1000 } else { 0 };
    }
    let o0 = d.step().optimistic[0];
    assert_eq!(d.step().optimistic[0], o0, "held within the period");
    // Lost interest → replaced at rechoke 2 (not a rotation rechoke).
    d.cand(o0.0).interested = false;
    let o1 = d.step().optimistic[0];
    assert_ne!(o1, o0);
    // Rechoke 3 rotates anyway; rechoke 4: the current one becomes the fastest peer.
    let o3 = d.step().optimistic[0];
    assert_ne!(o3, o1, "rotation at rechoke 3");
    d.cand(o3.0).download_rate = 5000;
    let dec = d.step();
    assert_eq!(dec.regular[0], o3, "promoted to a regular slot");
    let o4 = dec.optimistic[0];
    assert_ne!(o4, o3);
    // It disconnects → forgotten, replaced at rechoke 5.
    d.choker.forget(o4);
    d.cands.retain(|c| c.peer != o4);
    let o5 = d.step().optimistic[0];
    assert_ne!(o5, o4);
    assert!(d.cands.iter().any(|c| c.peer == o5));
}
