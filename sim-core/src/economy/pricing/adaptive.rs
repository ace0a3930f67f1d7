//! `adaptive`: the price follows how full the seller's paid slots are. After each auction,
//! with utilisation `u = demand / slots` capped at 2 (bids at or above the ask per slot),
//! the price is multiplied by `1 + step · (u − target)` and clamped to `[min, max]`: it rises
//! while demand exceeds the target and falls while slots stay empty.

use super::{AuctionRound, PriceContext, Pricing};
use crate::economy::tokens::from_tokens;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Adaptive {
    per_mib: u64,
    step: f64,
    target: f64,
    min: u64,
    max: u64,
}

impl Adaptive {
    pub fn new(initial: f64, step: f64, target: f64, min: f64, max: f64) -> Self {
        Adaptive {
            per_mib: from_tokens(initial),
            step,
            target,
            min: from_tokens(min),
            max: from_tokens(max),
        }
    }
}

impl Pricing for Adaptive {
    fn ask_per_mib(&self, _ctx: &PriceContext) -> u64 {
        self.per_mib
    }

    fn after_auction(&mut self, round: &AuctionRound) {
        if round.slots == 0 {
            return;
        }
        let u = (f64::from(round.demand) / f64::from(round.slots)).min(2.0);
        let next = (self.per_mib as f64 * (1.0 + self.step * (u - self.target))).round() as u64;
        // Rounding must not pin a small (or zero) price: above the target it rises by at least
        // 1 µT, below it falls by at least 1 µT.
        let next = if u > self.target {
            next.max(self.per_mib + 1)
        } else if u < self.target {
            next.min(self.per_mib.saturating_sub(1))
        } else {
            self.per_mib
        };
        self.per_mib = next.clamp(self.min, self.max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(demand: u32) -> AuctionRound {
        AuctionRound {
            slots: 2,
            filled: demand.min(2),
            demand,
        }
    }

    #[test]
    fn price_rises_with_excess_demand_and_falls_with_empty_slots() {
        let mut a = Adaptive::new(1.0, 0.5, 0.5, 0.1, 10.0);
        let ctx = PriceContext::default();
        a.after_auction(&round(4)); // u = 2: × (1 + 0.5 · 1.5)
        assert_eq!(a.ask_per_mib(&ctx), 1_750_000);
        a.after_auction(&round(1)); // u = 0.5 = target: unchanged
        assert_eq!(a.ask_per_mib(&ctx), 1_750_000);
        a.after_auction(&round(0)); // u = 0: × 0.75
        assert_eq!(a.ask_per_mib(&ctx), 1_312_500);
    }

    #[test]
    fn a_zero_or_tiny_price_can_still_move() {
        let mut a = Adaptive::new(0.0, 0.2, 0.5, 0.0, 1.0);
        a.after_auction(&round(4));
        assert_eq!(a.ask_per_mib(&PriceContext::default()), 1);
        for _ in 0..5 {
            a.after_auction(&round(4));
        }
        // 1 → 2 → 3 → 4 → 5 → 7 (× 1.3, rounded, at least +1).
        assert_eq!(a.ask_per_mib(&PriceContext::default()), 7);
        a.after_auction(&round(0)); // × 0.9 = 6.3
        assert_eq!(a.ask_per_mib(&PriceContext::default()), 6);
    }

    #[test]
    fn price_stays_within_its_bounds() {
        let mut a = Adaptive::new(1.0, 0.9, 0.5, 0.5, 2.0);
        for _ in 0..20 {
            a.after_auction(&round(0));
        }
        assert_eq!(a.ask_per_mib(&PriceContext::default()), 500_000);
        for _ in 0..20 {
            a.after_auction(&round(9));
        }
        assert_eq!(a.ask_per_mib(&PriceContext::default()), 2_000_000);
    }
}
