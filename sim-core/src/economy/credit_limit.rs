//! Credit-limit policies: how much an identity may owe at once, from the tokens it has
//! repaid so far. One function per policy of `config::CreditLimit`, in integer µT.
//!
//! Invariant: a limit never falls as the history grows (monotone in `repaid`), and a
//! defaulted identity's limit is 0 (the caller's rule, see `credit`).

use super::tokens::{MICRO_PER_TOKEN, from_tokens};
use crate::config::CreditLimit;

/// The limit, µT, of an identity that has repaid `repaid` µT.
pub fn limit(policy: &CreditLimit, repaid: u64) -> u64 {
    match *policy {
        CreditLimit::Fixed { tokens } => from_tokens(tokens),
        CreditLimit::Linear {
            initial,
            per_token_repaid,
        } => {
            let grown = (repaid as f64 * per_token_repaid).floor() as u64;
            from_tokens(initial).saturating_add(grown)
        }
        CreditLimit::History {
            initial,
            growth_per_100_repaid,
            cap,
        } => history(
            from_tokens(initial),
            from_tokens(growth_per_100_repaid),
            from_tokens(cap),
            repaid,
        ),
    }
}

/// Swarm-style history: `initial + growth` per whole 100 tokens repaid, up to `cap`; past the
/// cap, `cap × 2^k` where `k` counts the doublings of the repaid amount since it first
/// reached the cap.
fn history(initial: u64, growth: u64, cap: u64, repaid: u64) -> u64 {
    let hundreds = repaid / (100 * MICRO_PER_TOKEN);
    let linear = initial.saturating_add(growth.saturating_mul(hundreds));
    if linear < cap || growth == 0 {
        return linear.min(cap.max(initial));
    }
    // Repaid (in whole hundreds) when the limit first reached the cap.
    let steps_to_cap = (cap.saturating_sub(initial)).div_ceil(growth).max(1);
    let mut k = 0u32;
    while k < 40 && hundreds >= steps_to_cap << (k + 1) {
        k += 1;
    }
    cap.saturating_mul(1u64 << k)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: u64 = MICRO_PER_TOKEN;

    #[test]
    fn the_history_policy_against_a_hand_computed_table() {
        // initial 2, +1 per 100 repaid, cap 10: linear from 2 to 10 over 800 tokens repaid,
        // then 20 at 1,600, 40 at 3,200, ...
        let p = CreditLimit::History {
            initial: 2.0,
            growth_per_100_repaid: 1.0,
            cap: 10.0,
        };
        let table = [
            (0, 2),
            (99, 2),
            (100, 3),
            (250, 4),
            (799, 9),
            (800, 10),
            (1_599, 10),
            (1_600, 20),
            (3_199, 20),
            (3_200, 40),
            (6_400, 80),
        ];
        for (repaid, want) in table {
            assert_eq!(limit(&p, repaid * T), want * T, "repaid {repaid}");
        }
    }

    #[test]
    fn fixed_and_linear_limits_and_monotony() {
        assert_eq!(limit(&CreditLimit::Fixed { tokens: 5.0 }, 1_000 * T), 5 * T);
        let lin = CreditLimit::Linear {
            initial: 1.0,
            per_token_repaid: 0.5,
        };
        assert_eq!(limit(&lin, 10 * T), 6 * T);
        let h = CreditLimit::History {
            initial: 3.0,
            growth_per_100_repaid: 2.0,
            cap: 9.0,
        };
        let mut last = 0;
        for r in (0..20_000).step_by(37) {
            let l = limit(&h, r * T);
            assert!(l >= last, "limit fell at {r}");
            last = l;
        }
    }
}
