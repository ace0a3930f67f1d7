//! `fixed`: the same bid per MiB while the budget can pay for at least one more MiB.

use super::{BidContext, Bidding};
use crate::economy::tokens::from_tokens;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixedBid {
    per_mib: u64,
}

impl FixedBid {
    pub fn new(tokens_per_mib: f64) -> Self {
        FixedBid {
            per_mib: from_tokens(tokens_per_mib),
        }
    }
}

impl Bidding for FixedBid {
    fn bid_per_mib(&self, ctx: &BidContext) -> u64 {
        if ctx.budget_left >= self.per_mib {
            self.per_mib
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bids_while_the_budget_lasts() {
        let b = FixedBid::new(0.5);
        let ctx = |budget_left| BidContext {
            download_rate: 0,
            bytes_left: 1 << 30,
            budget_left,
        };
        assert_eq!(b.bid_per_mib(&ctx(500_000)), 500_000);
        assert_eq!(b.bid_per_mib(&ctx(499_999)), 0);
    }
}
