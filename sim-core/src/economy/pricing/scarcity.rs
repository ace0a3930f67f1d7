//! `scarcity`: a premium over a base price that rises as content gets scarce —
//! `base · (1 + premium · s)`, where `s` ∈ [0, 1] is the share of leechers in the swarm (the
//! seed-to-leecher ratio falling) or the share of online peers lacking the piece.
//!
//! Simplification: a seller learns swarm counts from tracker scrapes and piece rarity from the
//! torrent's copy counts, rather than from its own neighbours' bitfields.

use super::{PriceContext, Pricing};
use crate::config::ScarcityMeasure;
use crate::economy::tokens::from_tokens;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scarcity {
    base_per_mib: u64,
    premium: f64,
    measure: ScarcityMeasure,
}

impl Scarcity {
    pub fn new(base_per_mib: f64, premium: f64, measure: ScarcityMeasure) -> Self {
        Scarcity {
            base_per_mib: from_tokens(base_per_mib),
            premium,
            measure,
        }
    }

    /// Scarcity in [0, 1] under this policy's measure (0 when unknown).
    pub fn scarcity(&self, ctx: &PriceContext) -> f64 {
        match self.measure {
            ScarcityMeasure::SeedRatio => {
                let total = ctx.seeds + ctx.leechers;
                if total == 0 {
                    0.0
                } else {
                    f64::from(ctx.leechers) / f64::from(total)
                }
            }
            ScarcityMeasure::PieceRarity => match ctx.piece_copies {
                Some(copies) if ctx.online > 0 => {
                    1.0 - (f64::from(copies) / f64::from(ctx.online)).min(1.0)
                }
                _ => 0.0,
            },
        }
    }
}

impl Pricing for Scarcity {
    fn ask_per_mib(&self, ctx: &PriceContext) -> u64 {
        let factor = 1.0 + self.premium * self.scarcity(ctx);
        (self.base_per_mib as f64 * factor).round() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn swarm(seeds: u32, leechers: u32, copies: Option<u32>) -> PriceContext {
        PriceContext {
            rate_bytes_per_s: 0,
            piece_copies: copies,
            online: seeds + leechers,
            seeds,
            leechers,
        }
    }

    #[test]
    fn premium_rises_as_the_seed_ratio_falls() {
        let s = Scarcity::new(1.0, 2.0, ScarcityMeasure::SeedRatio);
        let many_seeds = s.ask_per_mib(&swarm(9, 1, None));
        let few_seeds = s.ask_per_mib(&swarm(1, 9, None));
        assert_eq!(many_seeds, 1_200_000); // 1 · (1 + 2 · 0.1)
        assert_eq!(few_seeds, 2_800_000); // 1 · (1 + 2 · 0.9)
    }

    #[test]
    fn premium_rises_as_fewer_peers_hold_the_piece() {
        let s = Scarcity::new(1.0, 1.0, ScarcityMeasure::PieceRarity);
        let common = s.ask_per_mib(&swarm(5, 5, Some(10)));
        let rare = s.ask_per_mib(&swarm(5, 5, Some(1)));
        let unknown = s.ask_per_mib(&swarm(5, 5, None));
        assert_eq!(common, 1_000_000);
        assert_eq!(rare, 1_900_000);
        assert_eq!(
            unknown, 1_000_000,
            "a typical piece carries no rarity premium"
        );
    }
}
