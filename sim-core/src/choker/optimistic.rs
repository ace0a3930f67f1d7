//! Optimistic-unchoke selection: which of a pool of candidates get the optimistic slots.
//!
//! Invariant: picks are distinct members of the pool, at most the requested count, and depend
//! only on the pool's contents (not its order), `now` and the passed rng.

use super::Candidate;
use crate::config::OptimisticRule;
use crate::ids::PeerId;
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};
use rand::RngExt;

/// The knobs of an optimistic pick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptimisticParams {
    pub rule: OptimisticRule,
    /// Weight of a young connection under [`OptimisticRule::WeightedRandom`] (0 counts as 1).
    pub new_peer_weight: u32,
    /// A connection with `now - connected_at < new_peer_age` is young.
    pub new_peer_age: SimDuration,
}

/// Picks up to `n` distinct peers from `pool`:
/// - [`OptimisticRule::WeightedRandom`]: `n` successive weighted draws without replacement
///   over the pool in ascending peer-id order; a young connection weighs `new_peer_weight`,
///   any other 1. One `random_range` draw per pick.
/// - [`OptimisticRule::LongestWaiting`]: the `n` smallest by `(last_optimistic` with `None`
///   first, `connected_at`, `peer)`; no rng draw.
///
/// Cost: O(n · pool) for weighted random, O(pool log pool) for longest waiting.
pub fn pick(
    pool: &[&Candidate],
    n: usize,
    now: SimTime,
    params: &OptimisticParams,
    rng: &mut SimRng,
) -> Vec<PeerId> {
    let mut sorted: Vec<&Candidate> = pool.to_vec();
    match params.rule {
        OptimisticRule::LongestWaiting => {
            sorted.sort_unstable_by_key(|c| (c.last_optimistic, c.connected_at, c.peer));
            sorted.iter().take(n).map(|c| c.peer).collect()
        }
        OptimisticRule::WeightedRandom => {
            sorted.sort_unstable_by_key(|c| c.peer);
            let mut weighted: Vec<(PeerId, u64)> = sorted
                .iter()
                .map(|c| (c.peer, weight(c, now, params)))
                .collect();
            let mut picks = Vec::with_capacity(n.min(weighted.len()));
            while picks.len() < n && !weighted.is_empty() {
                let total: u64 = weighted.iter().map(|&(_, w)| w).sum();
                let mut r = rng.random_range(0..total);
                // Every weight is at least 1, so `r` falls in some entry; the fallback to
                // the last entry is unreachable but keeps the loop panic-free.
                let mut chosen = weighted.len() - 1;
                for (i, &(_, w)) in weighted.iter().enumerate() {
                    if r < w {
                        chosen = i;
                        break;
                    }
                    r -= w;
                }
                picks.push(weighted.remove(chosen).0);
            }
            picks
        }
    }
}

/// Weight of `c` in a weighted-random pick: `new_peer_weight` (at least 1) if its connection is
/// younger than `new_peer_age`, else 1.
pub fn weight(c: &Candidate, now: SimTime, params: &OptimisticParams) -> u64 {
    if now.since(c.connected_at) < params.new_peer_age {
        u64::from(params.new_peer_weight.max(1))
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Stream, stream};

    fn cand(peer: u32, connected_s: u64, last_opt_s: Option<u64>) -> Candidate {
        Candidate {
            peer: PeerId(peer),
            interested: true,
            unchoked: false,
            connected_at: SimTime(connected_s * 1_000_000),
            download_rate: 0,
            upload_rate: 0,
            snubbed: false,
            last_optimistic: last_opt_s.map(|s| SimTime(s * 1_000_000)),
            last_unchoked: None,
            sent_since_unchoked: 0,
        }
    }

    const LONGEST: OptimisticParams = OptimisticParams {
        rule: OptimisticRule::LongestWaiting,
        new_peer_weight: 1,
        new_peer_age: SimDuration(0),
    };

    #[test]
    fn longest_waiting_order() {
        // Never-unchoked first (by connection time, then id), then oldest last_optimistic.
        let cs = [
            cand(0, 0, Some(50)),
            cand(1, 20, None),
            cand(2, 10, None),
            cand(3, 10, None),
            cand(4, 0, Some(40)),
        ];
        let pool: Vec<&Candidate> = cs.iter().collect();
        let mut rng = stream(1, Stream::Choker);
        let got = pick(&pool, 5, SimTime(100_000_000), &LONGEST, &mut rng);
        let want: Vec<PeerId> = [2, 3, 1, 4, 0].map(PeerId).to_vec();
        assert_eq!(got, want);
        assert_eq!(pick(&pool, 2, SimTime::ZERO, &LONGEST, &mut rng), want[..2]);
    }

    #[test]
    fn weighted_random_picks_distinct_pool_members() {
        let cs: Vec<Candidate> = (0..6).map(|p| cand(p, 0, None)).collect();
        let pool: Vec<&Candidate> = cs.iter().collect();
        let params = OptimisticParams {
            rule: OptimisticRule::WeightedRandom,
            new_peer_weight: 3,
            new_peer_age: SimDuration::from_secs(30),
        };
        let mut rng = stream(3, Stream::Choker);
        let mut got = pick(&pool, 10, SimTime::ZERO, &params, &mut rng);
        assert_eq!(got.len(), 6);
        got.sort();
        got.dedup();
        assert_eq!(got.len(), 6);
        assert!(pick(&[], 1, SimTime::ZERO, &params, &mut rng).is_empty());
    }

    #[test]
    fn young_means_strictly_younger_than_new_peer_age() {
        let params = OptimisticParams {
            rule: OptimisticRule::WeightedRandom,
            new_peer_weight: 3,
            new_peer_age: SimDuration::from_secs(30),
        };
        let c = cand(0, 10, None);
        assert_eq!(weight(&c, SimTime(39_999_999), &params), 3);
        assert_eq!(weight(&c, SimTime(40_000_000), &params), 1);
    }
}
