//! Token amounts: integer micro-tokens (1 token = 1,000,000 µT) so balances never round.
//!
//! Scenario files give decimal tokens; [`from_tokens`] converts them once, at the edge.
//! Prices are in µT per MiB; [`charge`] turns a price and a byte count into µT.

use crate::config::TokenDist;
use crate::rng::SimRng;
use rand::RngExt;
use rand_distr::{Distribution, Exp, LogNormal};

/// Micro-tokens per token.
pub const MICRO_PER_TOKEN: u64 = 1_000_000;

/// Largest token amount a scenario may name (see [`crate::config::MAX_TOKENS`]).
pub use crate::config::MAX_TOKENS;

/// Bytes in a MiB, the unit of prices.
pub const MIB: u64 = 1 << 20;

/// Decimal tokens to µT, rounded to the nearest µT. `x` must be validated (finite, within
/// `[0, MAX_TOKENS]`); anything else saturates.
pub fn from_tokens(x: f64) -> u64 {
    (x.clamp(0.0, MAX_TOKENS) * MICRO_PER_TOKEN as f64).round() as u64
}

/// µT to decimal tokens (for reports only; never for balances).
pub fn to_tokens(micro: u64) -> f64 {
    micro as f64 / MICRO_PER_TOKEN as f64
}

/// Same for sums kept in `u128`.
pub fn to_tokens_wide(micro: u128) -> f64 {
    micro as f64 / MICRO_PER_TOKEN as f64
}

/// The price of `bytes` at `per_mib` µT per MiB, rounded half up to whole µT.
pub fn charge(per_mib: u64, bytes: u64) -> u64 {
    let exact = per_mib as u128 * bytes as u128;
    ((exact + (MIB as u128 / 2)) / MIB as u128).min(u64::MAX as u128) as u64
}

/// One draw from `dist`, in µT.
pub fn draw(dist: &TokenDist, rng: &mut SimRng) -> u64 {
    let x = match *dist {
        TokenDist::Fixed { tokens } => tokens,
        TokenDist::Uniform { min, max } => {
            if max > min {
                rng.random_range(min..=max)
            } else {
                min
            }
        }
        TokenDist::Exponential { mean } => {
            if mean > 0.0 {
                Exp::new(1.0 / mean).map_or(0.0, |d| d.sample(rng))
            } else {
                0.0
            }
        }
        TokenDist::Lognormal { median, sigma } => {
            if median > 0.0 {
                LogNormal::new(median.ln(), sigma).map_or(median, |d| d.sample(rng))
            } else {
                0.0
            }
        }
    };
    from_tokens(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Stream, stream};

    #[test]
    fn conversions_round_to_the_nearest_micro_token() {
        assert_eq!(from_tokens(2.5), 2_500_000);
        assert_eq!(from_tokens(0.000_000_4), 0);
        assert_eq!(from_tokens(0.000_000_6), 1);
        assert_eq!(from_tokens(-3.0), 0);
        assert_eq!(to_tokens(1_500_000), 1.5);
    }

    #[test]
    fn charge_is_proportional_to_bytes_and_rounds_half_up() {
        assert_eq!(charge(1_000_000, MIB), 1_000_000);
        assert_eq!(charge(1_000_000, MIB / 4), 250_000);
        assert_eq!(charge(1, MIB / 2), 1); // 0.5 µT rounds up
        assert_eq!(charge(1, MIB / 2 - 1), 0);
        assert_eq!(charge(u64::MAX, u64::MAX), u64::MAX); // saturates
    }

    #[test]
    fn draws_follow_their_distribution() {
        let mut rng = stream(7, Stream::Economy);
        assert_eq!(draw(&TokenDist::Fixed { tokens: 3.0 }, &mut rng), 3_000_000);
        let n = 20_000;
        let mean = |d: TokenDist, rng: &mut SimRng| {
            (0..n).map(|_| to_tokens(draw(&d, rng))).sum::<f64>() / n as f64
        };
        let u = mean(TokenDist::Uniform { min: 1.0, max: 3.0 }, &mut rng);
        assert!((u - 2.0).abs() < 0.03, "uniform mean {u}");
        let e = mean(TokenDist::Exponential { mean: 5.0 }, &mut rng);
        assert!((e - 5.0).abs() < 0.15, "exponential mean {e}");
        let mut v: Vec<u64> = (0..n)
            .map(|_| {
                draw(
                    &TokenDist::Lognormal {
                        median: 4.0,
                        sigma: 0.5,
                    },
                    &mut rng,
                )
            })
            .collect();
        v.sort_unstable();
        let median = to_tokens(v[n / 2]);
        assert!((median - 4.0).abs() < 0.1, "lognormal median {median}");
    }
}
