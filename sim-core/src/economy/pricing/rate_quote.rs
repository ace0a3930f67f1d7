//! `rate_quote`: a price per Mbit that scales with the delivered rate — "k tokens per Mbit per
//! 100 kbit/s". With k = 1, 50 Mbit delivered at 500 kbit/s cost 5 tokens per Mbit, 250 in all.

use super::{PriceContext, Pricing};
use crate::economy::tokens::{MIB, from_tokens};

/// µT per Mbit per 100 kbit/s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateQuote {
    micro_per_mbit_per_100kbps: u64,
}

impl RateQuote {
    pub fn new(tokens_per_mbit_per_100kbps: f64) -> Self {
        RateQuote {
            micro_per_mbit_per_100kbps: from_tokens(tokens_per_mbit_per_100kbps),
        }
    }

    /// µT for `bytes` delivered at `rate` bytes/s: k · (8·bytes / 10⁶ Mbit) · (8·rate / 10⁵),
    /// exact in integers (rounded down to whole µT).
    pub fn price(&self, bytes: u64, rate_bytes_per_s: u64) -> u64 {
        let num =
            self.micro_per_mbit_per_100kbps as u128 * bytes as u128 * rate_bytes_per_s as u128 * 64;
        (num / 100_000_000_000).min(u64::MAX as u128) as u64
    }
}

impl Pricing for RateQuote {
    fn ask_per_mib(&self, ctx: &PriceContext) -> u64 {
        self.price(MIB, ctx.rate_bytes_per_s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::economy::tokens::{MICRO_PER_TOKEN, charge};

    /// The seed document's example: 1 token per Mbit per 100 kbit/s; 50 Mbit at 500 kbit/s
    /// cost 250 tokens.
    #[test]
    fn fifty_mbit_at_500_kbit_per_s_cost_250_tokens() {
        let q = RateQuote::new(1.0);
        let bytes = 50_000_000 / 8; // 50 Mbit
        let rate = 500_000 / 8; // 500 kbit/s
        assert_eq!(q.price(bytes, rate), 250 * MICRO_PER_TOKEN);
        // The same through the per-MiB ask the engine charges with.
        let ctx = PriceContext {
            rate_bytes_per_s: rate,
            ..PriceContext::default()
        };
        assert_eq!(charge(q.ask_per_mib(&ctx), bytes), 250 * MICRO_PER_TOKEN);
    }

    #[test]
    fn price_is_linear_in_rate_and_size() {
        let q = RateQuote::new(0.5);
        let base = q.price(1_000_000, 12_500);
        assert_eq!(q.price(2_000_000, 12_500), 2 * base);
        assert_eq!(q.price(1_000_000, 25_000), 2 * base);
        // 8 Mbit at 100 kbit/s with k = 0.5: 4 tokens.
        assert_eq!(base, 4 * MICRO_PER_TOKEN);
    }
}
