//! Regular-slot ranking: the comparators that order unchoke candidates, best first.
//!
//! Invariant: every order is total and reproducible. A candidate's key is
//! `(tier, value, random, peer)`, compared lexicographically, smaller first: `tier` and `value`
//! come from the [`Ranking`] rule, `random` is a fresh `u64` drawn from the passed rng for every
//! ranked candidate in ascending peer-id order (so the result does not depend on the order the
//! candidates are given in, and equal-rate peers are not always the low ids), and `peer` id
//! ascending settles the (practically impossible) equal random draws.

use super::Candidate;
use crate::ids::PeerId;
use crate::rng::SimRng;
use rand::RngExt;

/// How regular slots are ranked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ranking {
    /// Leeching: fastest `download_rate` (what the peer sends us) first.
    DownloadRate,
    /// Seeding (mainline, Transmission): fastest `upload_rate` (what we send it) first.
    UploadRate,
    /// Seeding (libtorrent-style rotation), best first:
    /// 1. [`Slot::Fresh`] holders (unchoked by `fill_free_slots` since the previous
    ///    rechoke), by `last_unchoked` descending: they keep their slot through one rechoke;
    /// 2. [`Slot::Waiting`] peers (choked, or a current optimistic unchoke), by
    ///    `last_unchoked` ascending, never-unchoked (`None`) first: the one whose last unchoke
    ///    began longest ago gets a slot first;
    /// 3. [`Slot::Held`] holders, by `last_unchoked` descending: the one whose current unchoke
    ///    began longest ago loses its slot first.
    ///
    /// So at each rechoke up to `regular_slots` waiting peers replace the longest-serving
    /// holders, and slots rotate through all interested peers.
    RoundRobin,
}

/// Where a candidate stands before a decision (only [`Ranking::RoundRobin`] looks at it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// Choked, or unchoked only as an optimistic.
    Waiting,
    /// In a regular slot given by `fill_free_slots` since the previous rechoke.
    Fresh,
    /// In a regular slot given at a rechoke or kept since one.
    Held,
}

/// Sort key of one ranked candidate; smaller is better. Field order is comparison order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct RankKey {
    tier: u8,
    value: u64,
    random: u64,
    peer: PeerId,
}

impl Ranking {
    /// The rule-specific part of a candidate's key, `(tier, value)`, smaller first.
    pub fn primary(self, c: &Candidate, slot: Slot) -> (u8, u64) {
        match self {
            Ranking::DownloadRate => (0, u64::MAX - c.download_rate),
            Ranking::UploadRate => (0, u64::MAX - c.upload_rate),
            Ranking::RoundRobin => {
                // A holder without a start time is treated as unchoked at time 0; a waiting
                // peer that was never unchoked sorts before every real time.
                let start = c.last_unchoked.map_or(0, |t| t.0);
                match slot {
                    Slot::Fresh => (0, u64::MAX - start),
                    Slot::Waiting => (1, c.last_unchoked.map_or(0, |t| t.0.saturating_add(1))),
                    Slot::Held => (2, u64::MAX - start),
                }
            }
        }
    }
}

/// The reusable key buffer of [`rank`] (a rechoke would otherwise allocate one per ranking).
#[derive(Clone, Debug, Default)]
pub struct RankBuffer(Vec<RankKey>);

/// Orders `candidates` best first by `ranking` and the tie-breaks described in the module
/// doc, and appends the ids of the best `best` of them (all of them if fewer) to `out`.
/// `slot(c)` tells where `c` stands now (only [`Ranking::RoundRobin`] uses it). Draws exactly
/// one `u64` per candidate, however many are returned. Cost: O(n log n) for the draw order,
/// then O(n + best log best): only the returned ones are sorted.
pub fn rank<'a>(
    candidates: impl IntoIterator<Item = &'a Candidate>,
    ranking: Ranking,
    slot: impl Fn(&Candidate) -> Slot,
    best: usize,
    buffer: &mut RankBuffer,
    out: &mut Vec<PeerId>,
    rng: &mut SimRng,
) {
    let keys = &mut buffer.0;
    keys.clear();
    keys.extend(candidates.into_iter().map(|c| {
        let (tier, value) = ranking.primary(c, slot(c));
        RankKey {
            tier,
            value,
            random: 0,
            peer: c.peer,
        }
    }));
    // Draws in ascending peer-id order, whatever order the candidates came in.
    keys.sort_unstable_by_key(|k| k.peer);
    debug_assert!(
        keys.windows(2).all(|w| w[0].peer != w[1].peer),
        "duplicate peer in a choke view"
    );
    for k in keys.iter_mut() {
        k.random = rng.random();
    }
    // Keys are distinct (peer ids are), so the best `best` are the same set whichever way
    // they are found.
    if keys.len() > best {
        keys.select_nth_unstable(best);
        keys.truncate(best);
    }
    keys.sort_unstable();
    out.extend(keys.iter().map(|k| k.peer));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Stream, stream};
    use crate::time::SimTime;

    use crate::choker::idle_candidate as cand;

    fn ids(v: &[u32]) -> Vec<PeerId> {
        v.iter().map(|&p| PeerId(p)).collect()
    }

    /// [`rank`] into a fresh list.
    fn ranked(
        candidates: &[&Candidate],
        ranking: Ranking,
        slot: impl Fn(&Candidate) -> Slot,
        best: usize,
        rng: &mut SimRng,
    ) -> Vec<PeerId> {
        let mut out = Vec::new();
        let candidates = candidates.iter().copied();
        rank(
            candidates,
            ranking,
            slot,
            best,
            &mut RankBuffer::default(),
            &mut out,
            rng,
        );
        out
    }

    #[test]
    fn rates_rank_descending_and_ignore_the_other_direction() {
        let mut cs: Vec<Candidate> = (0..4).map(cand).collect();
        for (c, (d, u)) in cs.iter_mut().zip([(5, 40), (30, 10), (20, 30), (10, 20)]) {
            c.download_rate = d;
            c.upload_rate = u;
        }
        let refs: Vec<&Candidate> = cs.iter().collect();
        let mut rng = stream(1, Stream::Choker);
        let down = ranked(&refs, Ranking::DownloadRate, |_| Slot::Waiting, 4, &mut rng);
        assert_eq!(down, ids(&[1, 2, 3, 0]));
        let up = ranked(&refs, Ranking::UploadRate, |_| Slot::Waiting, 9, &mut rng);
        assert_eq!(up, ids(&[0, 2, 3, 1]));
        let top = ranked(&refs, Ranking::UploadRate, |_| Slot::Waiting, 2, &mut rng);
        assert_eq!(top, ids(&[0, 2]), "only the best two");
    }

    #[test]
    fn input_order_does_not_matter() {
        let cs: Vec<Candidate> = (0..12).map(cand).collect();
        let fwd: Vec<&Candidate> = cs.iter().collect();
        let rev: Vec<&Candidate> = cs.iter().rev().collect();
        let a = ranked(
            &fwd,
            Ranking::DownloadRate,
            |_| Slot::Waiting,
            12,
            &mut stream(5, Stream::Choker),
        );
        let b = ranked(
            &rev,
            Ranking::DownloadRate,
            |_| Slot::Waiting,
            12,
            &mut stream(5, Stream::Choker),
        );
        assert_eq!(a, b);
    }

    #[test]
    fn round_robin_tiers() {
        let t = |s: u64| Some(SimTime(s * 1_000_000));
        let mut cs: Vec<Candidate> = (0..7).map(cand).collect();
        // 0: held since 10 s; 1: held since 20 s; 2: fresh since 35 s; 6: fresh since 32 s;
        // 3: waiting, last unchoked 5 s; 4: waiting, never unchoked; 5: waiting, last 25 s.
        let starts = [t(10), t(20), t(35), t(5), None, t(25), t(32)];
        for (c, s) in cs.iter_mut().zip(starts) {
            c.last_unchoked = s;
        }
        let slot = |c: &Candidate| match c.peer.0 {
            0 | 1 => Slot::Held,
            2 | 6 => Slot::Fresh,
            _ => Slot::Waiting,
        };
        let refs: Vec<&Candidate> = cs.iter().collect();
        let mut rng = stream(2, Stream::Choker);
        let order = ranked(&refs, Ranking::RoundRobin, slot, 7, &mut rng);
        assert_eq!(order, ids(&[2, 6, 4, 3, 5, 1, 0]));
    }
}
