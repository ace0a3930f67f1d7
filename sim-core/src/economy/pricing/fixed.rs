//! `fixed`: a flat price per MiB, whatever the rate or the piece.

use super::{PriceContext, Pricing};
use crate::economy::tokens::from_tokens;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fixed {
    per_mib: u64,
}

impl Fixed {
    pub fn new(tokens_per_mib: f64) -> Self {
        Fixed {
            per_mib: from_tokens(tokens_per_mib),
        }
    }
}

impl Pricing for Fixed {
    fn ask_per_mib(&self, _ctx: &PriceContext) -> u64 {
        self.per_mib
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignores_the_context() {
        let f = Fixed::new(0.25);
        let a = f.ask_per_mib(&PriceContext::default());
        let b = f.ask_per_mib(&PriceContext {
            rate_bytes_per_s: 1 << 30,
            piece_copies: Some(1),
            online: 100,
            seeds: 1,
            leechers: 99,
        });
        assert_eq!((a, b), (250_000, 250_000));
    }
}
