//! Regular-slot ranking: the comparators that order unchoke candidates, best first.
//!
//! Invariant: every order is total and reproducible. A candidate's key is
//! `(tier, value, since, random, peer)`, compared lexicographically, smaller first: `tier`,
//! `value` and `since` come from the [`Ranking`] rule, `random` is a fresh `u64` drawn from the passed rng for every
//! ranked candidate in ascending peer-id order (so the result does not depend on the order the
//! candidates are given in, and equal-rate peers are not always the low ids), and `peer` id
//! ascending settles the (practically impossible) equal random draws.

use super::Candidate;
use crate::ids::PeerId;
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};
use rand::RngExt;

/// How regular slots are ranked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ranking {
    /// Leeching: fastest `download_rate` (what the peer sends us) first.
    DownloadRate,
    /// Seeding (mainline, Transmission): fastest `upload_rate` (what we send it) first.
    UploadRate,
    /// Seeding, libtorrent's `round_robin` (`unchoke_compare_rr` in `src/choker.cpp`).
    RoundRobin(RoundRobin),
}

/// libtorrent's round-robin seeding rule at one decision. Best first:
/// 1. peers whose slot is not used up before peers whose slot is: a holder has used up its
///    slot once it was sent more than `quota_bytes` since its unchoke began *and* has held
///    it for more than `min_hold`;
/// 2. then by the rate we send to it, fastest first (a waiting peer counts 0, so holders we
///    are serving keep their slots);
/// 3. then by when its last unchoke began, longest ago first (never-unchoked peers before
///    every real time): among waiting peers, the one that waited longest gets a slot first.
///
/// So a holder keeps its slot until it has received its quota of pieces, and then the peers
/// waiting longest take the used-up slots in turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoundRobin {
    pub now: SimTime,
    /// `seeding_piece_quota` × the torrent's piece length, in bytes.
    pub quota_bytes: u64,
    /// `seeding_min_unchoke`: a slot is used up only after it was held this long.
    pub min_hold: SimDuration,
}

/// Where a candidate stands before a decision (only [`Ranking::RoundRobin`] looks at it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// Choked, or unchoked only as an optimistic.
    Waiting,
    /// In a regular slot.
    Held,
}

/// Sort key of one ranked candidate; smaller is better. Field order is comparison order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct RankKey {
    tier: u8,
    value: u64,
    since: u64,
    random: u64,
    peer: PeerId,
}

impl Ranking {
    /// The rule-specific part of a candidate's key, `(tier, value, since)`, smaller first.
    pub fn primary(self, c: &Candidate, slot: Slot) -> (u8, u64, u64) {
        match self {
            Ranking::DownloadRate => (0, u64::MAX - c.download_rate, 0),
            Ranking::UploadRate => (0, u64::MAX - c.upload_rate, 0),
            Ranking::RoundRobin(rule) => {
                let held = slot == Slot::Held;
                let used_up = held
                    && c.sent_since_unchoked > rule.quota_bytes
                    && c.last_unchoked
                        .is_some_and(|t| rule.now.since(t) > rule.min_hold);
                let rate = if held { c.upload_rate } else { 0 };
                // A peer never unchoked sorts before every real unchoke time.
                let since = c.last_unchoked.map_or(0, |t| t.0.saturating_add(1));
                (u8::from(used_up), u64::MAX - rate, since)
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
        let (tier, value, since) = ranking.primary(c, slot(c));
        RankKey {
            tier,
            value,
            since,
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
    fn round_robin_keeps_served_holders_until_their_quota_is_used_up() {
        let t = |s: u64| Some(SimTime(s * 1_000_000));
        let rule = Ranking::RoundRobin(RoundRobin {
            now: SimTime(200 * 1_000_000),
            quota_bytes: 1000,
            min_hold: SimDuration::from_secs(60),
        });
        let mut cs: Vec<Candidate> = (0..7).map(cand).collect();
        // (last unchoked, sent since, rate): 0 held 150 s, used up; 1 held 20 s, past the
        // quota but under a minute; 2 held 100 s under the quota, rate 50; 6 like 2 at rate 80;
        // 3 waiting since 5 s; 4 never unchoked; 5 waiting since 25 s; 1 and 0 are holders.
        let rows = [
            (t(50), 5000, 90),
            (t(180), 5000, 10),
            (t(100), 500, 50),
            (t(5), 0, 0),
            (None, 0, 0),
            (t(25), 0, 0),
            (t(100), 900, 80),
        ];
        for (c, (at, sent, rate)) in cs.iter_mut().zip(rows) {
            c.last_unchoked = at;
            c.sent_since_unchoked = sent;
            c.upload_rate = rate;
            c.unchoked = at.is_some() && matches!(c.peer.0, 0 | 1 | 2 | 6);
        }
        let slot = |c: &Candidate| {
            if c.unchoked {
                Slot::Held
            } else {
                Slot::Waiting
            }
        };
        let refs: Vec<&Candidate> = cs.iter().collect();
        let mut rng = stream(2, Stream::Choker);
        let order = ranked(&refs, rule, slot, 7, &mut rng);
        // Served holders by rate, then waiting peers longest-waiting first, the used-up last.
        assert_eq!(order, ids(&[6, 2, 1, 4, 3, 5, 0]));
    }
}
