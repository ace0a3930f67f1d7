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

/// Clears an auction of `slots` slots at `ask` µT per MiB. Cost O(n log n).
pub fn clear(mut bids: Vec<Bid>, ask: u64, slots: usize, rule: Clearing) -> Outcome {
    bids.retain(|b| b.per_mib > 0 && b.per_mib >= ask);
    bids.sort_by(|a, b| {
        b.per_mib
            .cmp(&a.per_mib)
            .then(a.tiebreak.cmp(&b.tiebreak))
            .then(a.peer.cmp(&b.peer))
    });
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
        let o = clear(bids(&[5, 9, 2, 7, 8]), 3, 2, Clearing::FirstPrice);
        assert_eq!(winners(&o), vec![1, 4]);
        assert_eq!(o.demand, 4, "the bid of 2 is below the ask of 3");
        let floors: Vec<u64> = o.awards.iter().map(|a| a.floor).collect();
        assert_eq!(floors, vec![9, 8], "first price: each pays its own bid");
    }

    #[test]
    fn second_price_charges_the_next_bid() {
        let o = clear(bids(&[5, 9, 2, 7, 8]), 3, 2, Clearing::SecondPrice);
        assert_eq!(winners(&o), vec![1, 4]);
        assert!(o.awards.iter().all(|a| a.floor == 7), "{o:?}");
        // Fewer bidders than slots: the ask is the price.
        let o = clear(bids(&[5, 9]), 3, 3, Clearing::SecondPrice);
        assert!(o.awards.iter().all(|a| a.floor == 3), "{o:?}");
    }

    #[test]
    fn zero_bids_and_bids_below_the_ask_never_win() {
        let o = clear(bids(&[0, 0, 1]), 0, 3, Clearing::SecondPrice);
        assert_eq!(winners(&o), vec![2]);
        let o = clear(bids(&[4, 4]), 5, 3, Clearing::SecondPrice);
        assert!(o.awards.is_empty());
        assert_eq!(o.demand, 0);
    }

    #[test]
    fn ties_are_broken_by_the_random_key_then_the_peer() {
        let mut b = bids(&[6, 6, 6]);
        b[0].tiebreak = 9;
        b[1].tiebreak = 1;
        b[2].tiebreak = 1;
        let o = clear(b, 1, 2, Clearing::SecondPrice);
        assert_eq!(winners(&o), vec![1, 2]);
        assert!(o.awards.iter().all(|a| a.floor == 6));
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
