//! Validation of `[economy]` and of economic seeding: every check names the field and what is
//! allowed.

use super::validate::{ConfigError, err};
use super::{
    BiddingConfig, CreditLimit, EconomyConfig, PricingConfig, Scenario, SeedingTime,
    StrategyConfig, TokenDist,
};

/// Largest token amount a scenario may name (1e12 tokens = 1e18 µT, far below `u64::MAX`, so
/// sums of a few thousand such amounts are computed in `u128`).
pub const MAX_TOKENS: f64 = 1e12;

/// A token amount: finite, non-negative and below the ledger's limit.
pub(super) fn token_amount(field: String, x: f64) -> Result<(), ConfigError> {
    if x.is_finite() && (0.0..=MAX_TOKENS).contains(&x) {
        Ok(())
    } else {
        Err(err(
            field,
            format!("must be a number of tokens within [0, {MAX_TOKENS:e}], got {x}"),
        ))
    }
}

fn share(field: String, x: f64) -> Result<(), ConfigError> {
    if x.is_finite() && (0.0..=1.0).contains(&x) {
        Ok(())
    } else {
        Err(err(field, format!("must be within [0, 1], got {x}")))
    }
}

pub(super) fn token_dist(field: &str, d: &TokenDist) -> Result<(), ConfigError> {
    match *d {
        TokenDist::Fixed { tokens } => token_amount(format!("{field}.tokens"), tokens),
        TokenDist::Uniform { min, max } => {
            token_amount(format!("{field}.min"), min)?;
            token_amount(format!("{field}.max"), max)?;
            if min > max {
                return Err(err(
                    format!("{field}.max"),
                    format!("must be at least min ({min}), got {max}"),
                ));
            }
            Ok(())
        }
        TokenDist::Exponential { mean } => token_amount(format!("{field}.mean"), mean),
        TokenDist::Lognormal { median, sigma } => {
            token_amount(format!("{field}.median"), median)?;
            if sigma.is_finite() && (0.0..=10.0).contains(&sigma) {
                Ok(())
            } else {
                Err(err(
                    format!("{field}.sigma"),
                    format!("must be within [0, 10], got {sigma}"),
                ))
            }
        }
    }
}

impl Scenario {
    /// Checks `[economy]` (if present) against the classes and clients it refers to.
    pub(super) fn validate_economy(&self) -> Result<(), ConfigError> {
        let lending = self.economy.as_ref().is_some_and(|e| e.lending.is_some());
        for (i, t) in self.torrents.iter().enumerate() {
            if matches!(t.seeding, SeedingTime::UntilRepaid { .. }) && !lending {
                return Err(err(
                    format!("torrents[{i}].seeding.kind"),
                    "\"until_repaid\" needs credit: add [economy.lending] (and [economy])",
                ));
            }
        }
        let Some(e) = &self.economy else {
            return Ok(());
        };
        share("economy.participation".into(), e.participation)?;
        for (class, &p) in &e.participation_by_class {
            let field = format!("economy.participation_by_class.{class}");
            if !self.classes.iter().any(|c| &c.name == class) {
                let known: Vec<&str> = self.classes.iter().map(|c| c.name.as_str()).collect();
                return Err(err(
                    field,
                    format!(
                        "no class is named \"{class}\"; classes: {}",
                        known.join(", ")
                    ),
                ));
            }
            share(field, p)?;
        }
        token_dist("economy.endowment", &e.endowment)?;
        if let Some(f) = &e.faucet {
            token_amount("economy.faucet.tokens".into(), f.tokens)?;
            if f.interval.0.as_micros() == 0 {
                return Err(err("economy.faucet.interval", "must be longer than 0s"));
            }
        }
        let c = &e.channel;
        token_amount("economy.channel.deposit".into(), c.deposit)?;
        if c.deposit <= 0.0 {
            return Err(err("economy.channel.deposit", "must be more than 0 tokens"));
        }
        token_amount("economy.channel.fee".into(), c.fee)?;
        if c.settle_interval.0.as_micros() == 0 {
            return Err(err(
                "economy.channel.settle_interval",
                "must be longer than 0s",
            ));
        }
        self.validate_strategies(e)?;
        self.validate_lending(e)?;
        super::validate_capital::validate_capital(e)?;
        if let Some(b) = &e.bounties {
            if !(b.tax.is_finite() && (0.0..1.0).contains(&b.tax)) {
                return Err(err(
                    "economy.bounties.tax",
                    format!(
                        "must be within [0, 1) (the share of a reward kept), got {}",
                        b.tax
                    ),
                ));
            }
            token_amount(
                "economy.bounties.pledge_per_arrival".into(),
                b.pledge_per_arrival,
            )?;
        }
        Ok(())
    }

    /// `[economy.lending]`, and that what needs it (a `lend` or `borrow` policy, seeding
    /// `until_repaid`) has it.
    fn validate_lending(&self, e: &EconomyConfig) -> Result<(), ConfigError> {
        let Some(l) = &e.lending else {
            for (i, s) in e.strategies.iter().enumerate() {
                for (what, set) in [("lend", s.lend.is_some()), ("borrow", s.borrow.is_some())] {
                    if set {
                        return Err(err(
                            format!("economy.strategies[{i}].{what}"),
                            "needs credit: add [economy.lending]",
                        ));
                    }
                }
            }
            return Ok(());
        };
        let f = |name: &str| format!("economy.lending.{name}");
        if !(l.repay_share.is_finite() && l.repay_share > 0.0 && l.repay_share <= 1.0) {
            return Err(err(
                f("repay_share"),
                format!(
                    "must be within (0, 1] (the share of each settlement routed to lenders), got {}",
                    l.repay_share
                ),
            ));
        }
        if l.default_after.0.as_micros() == 0 {
            return Err(err(f("default_after"), "must be longer than 0s"));
        }
        match l.credit_limit {
            CreditLimit::Fixed { tokens } => token_amount(f("credit_limit.tokens"), tokens)?,
            CreditLimit::Linear {
                initial,
                per_token_repaid,
            } => {
                token_amount(f("credit_limit.initial"), initial)?;
                if !(per_token_repaid.is_finite() && (0.0..=1000.0).contains(&per_token_repaid)) {
                    return Err(err(
                        f("credit_limit.per_token_repaid"),
                        format!("must be within [0, 1000], got {per_token_repaid}"),
                    ));
                }
            }
            CreditLimit::History {
                initial,
                growth_per_100_repaid,
                cap,
            } => {
                token_amount(f("credit_limit.initial"), initial)?;
                token_amount(
                    f("credit_limit.growth_per_100_repaid"),
                    growth_per_100_repaid,
                )?;
                token_amount(f("credit_limit.cap"), cap)?;
                if cap < initial {
                    return Err(err(
                        f("credit_limit.cap"),
                        format!("must be at least initial ({initial}), got {cap}"),
                    ));
                }
            }
        }
        for (name, w) in [
            ("reputation.default_weight", l.reputation.default_weight),
            ("reputation.ip_weight", l.reputation.ip_weight),
        ] {
            if !(w.is_finite() && (0.0..=1000.0).contains(&w)) {
                return Err(err(f(name), format!("must be within [0, 1000], got {w}")));
            }
        }
        for (i, s) in e.strategies.iter().enumerate() {
            let g = |name: &str| format!("economy.strategies[{i}].{name}");
            if let Some(lend) = &s.lend {
                super::validate_world::interest_rate(g("lend.interest"), lend.interest)?;
                token_amount(g("lend.max_loan"), lend.max_loan)?;
                share(g("lend.max_share_of_balance"), lend.max_share_of_balance)?;
                if !lend.min_reputation.is_finite() {
                    return Err(err(
                        g("lend.min_reputation"),
                        format!("must be a finite number, got {}", lend.min_reputation),
                    ));
                }
            }
            if let Some(b) = &s.borrow {
                token_amount(g("borrow.below"), b.below)?;
                token_amount(g("borrow.amount"), b.amount)?;
            }
        }
        Ok(())
    }

    fn validate_strategies(&self, e: &EconomyConfig) -> Result<(), ConfigError> {
        if e.strategies.is_empty() {
            return Err(err(
                "economy.strategies",
                "at least one strategy is required",
            ));
        }
        let mut total = 0.0;
        for (i, s) in e.strategies.iter().enumerate() {
            let f = |name: &str| format!("economy.strategies[{i}].{name}");
            if s.name.trim().is_empty() || s.name == "barter" {
                return Err(err(
                    f("name"),
                    "must be a non-empty name other than \"barter\" (reserved for non-participants)",
                ));
            }
            if e.strategies[..i].iter().any(|o| o.name == s.name) {
                return Err(err(
                    f("name"),
                    format!("\"{}\" is used twice; names must be unique", s.name),
                ));
            }
            share(f("share"), s.share)?;
            total += s.share;
            self.validate_paid_slots(&f("paid_slots"), s)?;
            token_dist(&f("reserve_per_mib"), &s.reserve_per_mib)?;
            validate_pricing(&f("pricing"), &s.pricing)?;
            validate_bidding(&f("bidding"), &s.bidding)?;
        }
        if (total - 1.0).abs() > 1e-9 {
            return Err(err(
                "economy.strategies",
                format!("shares must sum to 1, they sum to {total}"),
            ));
        }
        if let Some(name) = &e.publisher_strategy
            && !e.strategies.iter().any(|s| &s.name == name)
        {
            let known: Vec<&str> = e.strategies.iter().map(|s| s.name.as_str()).collect();
            return Err(err(
                "economy.publisher_strategy",
                format!(
                    "no strategy is named \"{name}\"; strategies: {}",
                    known.join(", ")
                ),
            ));
        }
        Ok(())
    }

    /// Paid slots are carved out of the regular slots of every client that may use them.
    fn validate_paid_slots(&self, field: &str, s: &StrategyConfig) -> Result<(), ConfigError> {
        let mut clients = vec![("client", &self.client)];
        for c in &self.classes {
            if let Some(client) = &c.client {
                clients.push((c.name.as_str(), client));
            }
        }
        for (who, client) in clients {
            let regular = client.choker.params().regular_slots;
            if s.paid_slots > regular {
                return Err(err(
                    field,
                    format!(
                        "must be at most the regular upload slots ({regular}, of {who}), got {}",
                        s.paid_slots
                    ),
                ));
            }
        }
        Ok(())
    }
}

fn validate_pricing(field: &str, p: &PricingConfig) -> Result<(), ConfigError> {
    let f = |name: &str| format!("{field}.{name}");
    match *p {
        PricingConfig::RateQuote {
            tokens_per_mbit_per_100kbps,
        } => token_amount(
            f("tokens_per_mbit_per_100kbps"),
            tokens_per_mbit_per_100kbps,
        ),
        PricingConfig::Fixed { tokens_per_mib } => {
            token_amount(f("tokens_per_mib"), tokens_per_mib)
        }
        PricingConfig::Scarcity {
            base_per_mib,
            premium,
            ..
        } => {
            token_amount(f("base_per_mib"), base_per_mib)?;
            if premium.is_finite() && (0.0..=1000.0).contains(&premium) {
                Ok(())
            } else {
                Err(err(
                    f("premium"),
                    format!("must be within [0, 1000], got {premium}"),
                ))
            }
        }
        PricingConfig::Adaptive {
            initial_per_mib,
            step,
            target,
            min_per_mib,
            max_per_mib,
        } => {
            token_amount(f("min_per_mib"), min_per_mib)?;
            token_amount(f("max_per_mib"), max_per_mib)?;
            token_amount(f("initial_per_mib"), initial_per_mib)?;
            if !(min_per_mib..=max_per_mib).contains(&initial_per_mib) {
                return Err(err(
                    f("initial_per_mib"),
                    format!(
                        "must be within [min_per_mib, max_per_mib] = [{min_per_mib}, {max_per_mib}], got {initial_per_mib}"
                    ),
                ));
            }
            if !(step.is_finite() && step > 0.0 && step < 1.0) {
                return Err(err(f("step"), format!("must be within (0, 1), got {step}")));
            }
            share(f("target"), target)
        }
    }
}

fn validate_bidding(field: &str, b: &BiddingConfig) -> Result<(), ConfigError> {
    let f = |name: &str| format!("{field}.{name}");
    match *b {
        BiddingConfig::None => Ok(()),
        BiddingConfig::Fixed {
            tokens_per_mib,
            budget_share,
        } => {
            token_amount(f("tokens_per_mib"), tokens_per_mib)?;
            share(f("budget_share"), budget_share)
        }
        BiddingConfig::Speed {
            value_of_time_per_hour,
            budget_share,
        } => {
            token_dist(&f("value_of_time_per_hour"), &value_of_time_per_hour)?;
            share(f("budget_share"), budget_share)
        }
    }
}

/// Economic seeding: a cost distribution and `0 < window`, `min_time <= max_time`.
pub(super) fn validate_economic_seeding(field: &str, s: &SeedingTime) -> Result<(), ConfigError> {
    let SeedingTime::Economic {
        cost_per_hour,
        min_time,
        max_time,
        window,
    } = s
    else {
        return Ok(());
    };
    token_dist(&format!("{field}.cost_per_hour"), cost_per_hour)?;
    if window.0.as_micros() == 0 {
        return Err(err(format!("{field}.window"), "must be longer than 0s"));
    }
    if min_time > max_time {
        return Err(err(
            format!("{field}.max_time"),
            format!("must be at least min_time ({min_time}), got {max_time}"),
        ));
    }
    Ok(())
}
