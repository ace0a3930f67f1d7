//! `speed`: BitTorrent-Speed-style automated bidding from a value of time and a budget.
//!
//! At its current download rate `r` a MiB takes `MiB / r` seconds; the host values that time
//! at `value_of_time_per_hour · (MiB / r) / 3600` tokens, which is the most a faster slot is
//! worth to it. The bid is that value, capped by the budget left spread evenly over the MiB
//! still to download, so a buyer never bids what it could not pay for the rest of the
//! download. Slow buyers bid more; buyers near the end of their budget bid less. Before any
//! data has arrived the rate is taken as [`MIN_RATE`].

use super::{BidContext, Bidding};
use crate::economy::tokens::MIB;

/// Floor of the download rate used for valuing time, bytes/s (1 KiB/s).
pub const MIN_RATE: u64 = 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpeedBid {
    /// µT per hour of waiting.
    value_of_time_per_hour: u64,
}

impl SpeedBid {
    pub fn new(value_of_time_per_hour: u64) -> Self {
        SpeedBid {
            value_of_time_per_hour,
        }
    }
}

impl Bidding for SpeedBid {
    fn bid_per_mib(&self, ctx: &BidContext) -> u64 {
        let rate = ctx.download_rate.max(MIN_RATE);
        // value · (MiB / rate) s / 3600 s, in 64-bit arithmetic when it fits (a 128-bit
        // division is a slow library call; every seller's rechoke asks every bidder).
        let value = match (
            self.value_of_time_per_hour.checked_mul(MIB),
            rate.checked_mul(3600),
        ) {
            (Some(num), Some(den)) => u128::from(num / den),
            _ => {
                u128::from(self.value_of_time_per_hour) * u128::from(MIB)
                    / (u128::from(rate) * 3600)
            }
        };
        let mib_left = ctx.bytes_left.div_ceil(MIB).max(1);
        let affordable = ctx.budget_left / mib_left;
        value.min(u128::from(affordable)) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(rate: u64, mib_left: u64, budget: u64) -> BidContext {
        BidContext {
            download_rate: rate,
            bytes_left: mib_left * MIB,
            budget_left: budget,
        }
    }

    #[test]
    fn bid_is_the_value_of_the_time_a_mib_takes() {
        // 36 tokens/h; at 1 MiB/s a MiB takes 1 s, worth 36/3600 = 0.01 token.
        let b = SpeedBid::new(36_000_000);
        assert_eq!(b.bid_per_mib(&ctx(MIB, 10, u64::MAX)), 10_000);
        // Ten times slower: the same MiB is worth ten times more.
        assert_eq!(b.bid_per_mib(&ctx(MIB / 10, 10, u64::MAX)), 100_000);
    }

    #[test]
    fn bid_never_exceeds_the_budget_spread_over_what_is_left() {
        let b = SpeedBid::new(36_000_000);
        assert_eq!(b.bid_per_mib(&ctx(MIB / 10, 10, 200_000)), 20_000);
        assert_eq!(b.bid_per_mib(&ctx(MIB / 10, 10, 0)), 0);
    }

    #[test]
    fn huge_values_take_the_exact_wide_path() {
        let v = u64::MAX / 3;
        let b = SpeedBid::new(v);
        let want = u128::from(v) * u128::from(MIB) / (u128::from(MIB) * 3600);
        assert_eq!(u128::from(b.bid_per_mib(&ctx(MIB, 1, u64::MAX))), want);
    }

    #[test]
    fn no_data_yet_counts_as_the_minimum_rate() {
        let b = SpeedBid::new(3_600_000); // 3.6 tokens/h
        // 1 MiB at 1 KiB/s takes 1024 s: 3.6 · 1024 / 3600 tokens.
        assert_eq!(b.bid_per_mib(&ctx(0, 1, u64::MAX)), 1_024_000);
    }
}
