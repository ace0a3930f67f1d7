//! The paid-slot auction a selling peer runs at each rechoke.
//!
//! Bids at or above the ask enter; the best `slots` bids win, ranked by bid (highest first),
//! then by a random key drawn per bid, then by peer id (a total order). Under first-price
//! clearing each winner pays its own bid; under second-price each pays the best losing bid,
//! or the ask when no bid lost (a uniform (k+1)-th price auction). Nobody pays above its bid.

use crate::config::Clearing;
use crate::ids::PeerId;

/// One buyer's offer to one seller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bid {
    pub peer: PeerId,
    /// µT per MiB; 0 never wins.
    pub per_mib: u64,
    /// Random tie-break key.
    pub tiebreak: u64,
}

/// A won slot: the buyer pays at least `floor` per MiB (the seller's per-piece ask may raise
/// it) and at most `bid`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Award {
    pub peer: PeerId,
    pub bid: u64,
    pub floor: u64,
}

/// Result of one auction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Winners, best first.
    pub awards: Vec<Award>,
    /// Bids at or above the ask.
    pub demand: u32,
}

/// The auction's ranking: best bid first, then lowest tie-break key, then lowest peer id (a
/// total order over distinct bidders).
fn rank(a: &Bid, b: &Bid) -> std::cmp::Ordering {
    b.per_mib
        .cmp(&a.per_mib)
        .then(a.tiebreak.cmp(&b.tiebreak))
        .then(a.peer.cmp(&b.peer))
}

/// Clears an auction of `slots` slots at `ask` µT per MiB over `bids` (one per bidder), which
/// it reorders and filters. Cost O(n + slots log slots): only the winners and the best loser
/// are ranked.
pub fn clear(bids: &mut Vec<Bid>, ask: u64, slots: usize, rule: Clearing) -> Outcome {
    bids.retain(|b| b.per_mib > 0 && b.per_mib >= ask);
    if bids.len() > slots + 1 {
        // The best loser at `slots`, the winners before it in some order.
        bids.select_nth_unstable_by(slots, rank);
        bids[..slots].sort_unstable_by(rank);
    } else {
        bids.sort_unstable_by(rank);
    }
    settle(bids, ask, slots, rule)
}

/// The outcome of `bids`, the entering bids (at or above the ask) ranked best first at least
/// through position `slots` (the best loser).
fn settle(bids: &[Bid], ask: u64, slots: usize, rule: Clearing) -> Outcome {
    let demand = bids.len() as u32;
    let best_loser = bids.get(slots).map(|b| b.per_mib);
    let awards = bids
        .iter()
        .take(slots)
        .map(|b| Award {
            peer: b.peer,
            bid: b.per_mib,
            floor: match rule {
                Clearing::FirstPrice => b.per_mib,
                Clearing::SecondPrice => best_loser.unwrap_or(ask).max(ask).min(b.per_mib),
            },
        })
        .collect();
    Outcome { awards, demand }
}

/// What a winner pays per MiB for one piece whose own ask is `piece_ask`.
pub fn price_per_mib(award: &Award, piece_ask: u64) -> u64 {
    piece_ask.max(award.floor).min(award.bid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bids(values: &[u64]) -> Vec<Bid> {
        values
            .iter()
            .enumerate()
            .map(|(i, &v)| Bid {
                peer: PeerId(i as u32),
                per_mib: v,
                tiebreak: 0,
            })
            .collect()
    }

    fn winners(o: &Outcome) -> Vec<u32> {
        o.awards.iter().map(|a| a.peer.0).collect()
    }

    #[test]
    fn best_bids_at_or_above_the_ask_win() {
        let o = clear(&mut bids(&[5, 9, 2, 7, 8]), 3, 2, Clearing::FirstPrice);
        assert_eq!(winners(&o), vec![1, 4]);
        assert_eq!(o.demand, 4, "the bid of 2 is below the ask of 3");
        let floors: Vec<u64> = o.awards.iter().map(|a| a.floor).collect();
        assert_eq!(floors, vec![9, 8], "first price: each pays its own bid");
    }

    #[test]
    fn second_price_charges_the_next_bid() {
        let o = clear(&mut bids(&[5, 9, 2, 7, 8]), 3, 2, Clearing::SecondPrice);
        assert_eq!(winners(&o), vec![1, 4]);
        assert!(o.awards.iter().all(|a| a.floor == 7), "{o:?}");
        // Fewer bidders than slots: the ask is the price.
        let o = clear(&mut bids(&[5, 9]), 3, 3, Clearing::SecondPrice);
        assert!(o.awards.iter().all(|a| a.floor == 3), "{o:?}");
    }

    #[test]
    fn zero_bids_and_bids_below_the_ask_never_win() {
        let o = clear(&mut bids(&[0, 0, 1]), 0, 3, Clearing::SecondPrice);
        assert_eq!(winners(&o), vec![2]);
        let o = clear(&mut bids(&[4, 4]), 5, 3, Clearing::SecondPrice);
        assert!(o.awards.is_empty());
        assert_eq!(o.demand, 0);
    }

    #[test]
    fn ties_are_broken_by_the_random_key_then_the_peer() {
        let mut b = bids(&[6, 6, 6]);
        b[0].tiebreak = 9;
        b[1].tiebreak = 1;
        b[2].tiebreak = 1;
        let o = clear(&mut b, 1, 2, Clearing::SecondPrice);
        assert_eq!(winners(&o), vec![1, 2]);
        assert!(o.awards.iter().all(|a| a.floor == 6));
    }

    #[test]
    fn ranking_only_the_winners_matches_ranking_every_bid() {
        use crate::rng::{Stream, stream};
        use rand::RngExt;
        // The reference: every bid ranked.
        fn reference(bids: &[Bid], ask: u64, slots: usize, rule: Clearing) -> Outcome {
            let mut all: Vec<Bid> = bids
                .iter()
                .copied()
                .filter(|b| b.per_mib > 0 && b.per_mib >= ask)
                .collect();
            all.sort_by(rank);
            settle(&all, ask, slots, rule)
        }
        for seed in 0..2_000 {
            let mut rng = stream(seed, Stream::Auction);
            let n = rng.random_range(0..40);
            // Few distinct values and keys, so that ties are frequent.
            let bids: Vec<Bid> = (0..n)
                .map(|i| Bid {
                    peer: PeerId(i),
                    per_mib: rng.random_range(0..8),
                    tiebreak: rng.random_range(0..4),
                })
                .collect();
            let ask = rng.random_range(0..4);
            let slots = rng.random_range(0..6);
            for rule in [Clearing::FirstPrice, Clearing::SecondPrice] {
                let want = reference(&bids, ask, slots, rule);
                let got = clear(&mut bids.clone(), ask, slots, rule);
                assert_eq!(got, want, "seed {seed}, {rule:?}");
            }
        }
    }

    #[test]
    fn per_piece_price_lies_between_floor_and_bid() {
        let a = Award {
            peer: PeerId(0),
            bid: 10,
            floor: 4,
        };
        assert_eq!(price_per_mib(&a, 1), 4);
        assert_eq!(price_per_mib(&a, 6), 6);
        assert_eq!(price_per_mib(&a, 15), 10);
    }
}
