//! Validation of capital: `[[economy.pools]]` (unique names, fee, epoch, payout scheme,
//! selection) and `[economy.storage]` (rent, retrieval delay, billing period). Every check
//! names the field and what is allowed.

use super::validate::{ConfigError, err};
use super::validate_economy::token_amount;
use super::validate_world::{positive, validate_selection};
use super::{EconomyConfig, PayoutScheme};

/// Most pools a scenario may define.
pub const MAX_POOLS: usize = 1_000;

/// `[[economy.pools]]` and `[economy.storage]` of `e`.
pub(super) fn validate_capital(e: &EconomyConfig) -> Result<(), ConfigError> {
    if e.pools.len() > MAX_POOLS {
        return Err(err(
            "economy.pools",
            format!(
                "at most {MAX_POOLS} pools are allowed, got {}",
                e.pools.len()
            ),
        ));
    }
    for (i, p) in e.pools.iter().enumerate() {
        let f = |name: &str| format!("economy.pools[{i}].{name}");
        if p.name.trim().is_empty() {
            return Err(err(f("name"), "must not be empty"));
        }
        if e.pools[..i].iter().any(|q| q.name == p.name) {
            return Err(err(
                f("name"),
                format!(
                    "\"{}\" names another pool already; names are unique",
                    p.name
                ),
            ));
        }
        if !(p.fee.is_finite() && (0.0..1.0).contains(&p.fee)) {
            return Err(err(
                f("fee"),
                format!(
                    "must be within [0, 1) (the operator's share of the income), got {}",
                    p.fee
                ),
            ));
        }
        positive(f("epoch"), p.epoch)?;
        positive(f("reselect"), p.reselect)?;
        validate_selection(&f("selection"), &p.selection)?;
        match p.payout {
            PayoutScheme::Proportional => {}
            PayoutScheme::Pplns { window } => {
                if window.0 == 0 {
                    return Err(err(
                        f("payout.window"),
                        "must be more than 0 B: PPLNS pays for the last `window` bytes uploaded",
                    ));
                }
            }
            PayoutScheme::Pps {
                tokens_per_mib,
                reserve,
            } => {
                token_amount(f("payout.tokens_per_mib"), tokens_per_mib)?;
                token_amount(f("payout.reserve"), reserve)?;
            }
        }
    }
    if let Some(s) = &e.storage {
        token_amount(
            "economy.storage.rent_per_gb_month".into(),
            s.rent_per_gb_month,
        )?;
        positive("economy.storage.bill_every".into(), s.bill_every)?;
    }
    Ok(())
}
