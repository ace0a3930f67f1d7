//! Validation of the agents of `[[agents]]`: each kind's fields, the torrents and strategies
//! they name, and the layers they need (credit for lenders and sybils). Every check names
//! the field and what is allowed.

use super::validate::{ConfigError, err};
use super::validate_economy::token_amount;
use super::validate_world::{
    capacities, finite, interest_rate, positive, share, validate_selection,
};
use super::{AgentConfig, Scenario};

/// Most agents of one `[[agents]]` entry (each owns a host and wakes up on its own).
pub const MAX_AGENTS: u32 = 10_000;

/// Most identities one sybil uses.
pub const MAX_SYBIL_IDENTITIES: u32 = 100_000;

impl Scenario {
    pub(super) fn validate_agent(
        &self,
        i: usize,
        a: &AgentConfig,
        sites: &[super::SiteConfig],
        known_sites: &str,
    ) -> Result<(), ConfigError> {
        let f = |name: &str| format!("agents[{i}].{name}");
        if a.count() > MAX_AGENTS {
            return Err(err(
                f("count"),
                format!("must be within [0, {MAX_AGENTS}], got {}", a.count()),
            ));
        }
        match a {
            AgentConfig::Seedbox {
                upload,
                download,
                cost_per_hour,
                capital,
                strategy,
                sites: wanted,
                selection,
                reselect,
                idle,
                ..
            } => {
                capacities(&f(""), upload.0, download.0)?;
                token_amount(f("cost_per_hour"), *cost_per_hour)?;
                token_amount(f("capital"), *capital)?;
                self.validate_agent_strategy(&f("strategy"), strategy.as_deref())?;
                for (k, name) in wanted.iter().enumerate() {
                    if !sites.iter().any(|s| &s.name == name) {
                        return Err(err(
                            f(&format!("sites[{k}]")),
                            format!("no site is named \"{name}\"; sites: {known_sites}"),
                        ));
                    }
                }
                validate_selection(&f("selection"), selection)?;
                positive(f("reselect"), *reselect)?;
                positive(f("idle"), *idle)?;
            }
            AgentConfig::Uploader {
                torrents,
                fake_appeal,
                upload,
                seed_for,
                min_reward,
                ..
            } => {
                if let Some(m) = min_reward {
                    token_amount(f("min_reward"), *m)?;
                    if self.economy.as_ref().is_none_or(|e| e.bounties.is_none()) {
                        return Err(err(
                            f("min_reward"),
                            "a bounty hunter needs bounties: add [economy.bounties] (and [economy])",
                        ));
                    }
                }
                if torrents.is_empty() {
                    return Err(err(
                        f("torrents"),
                        "name at least one torrent it can publish",
                    ));
                }
                self.on_demand_torrents(
                    &f("torrents"),
                    torrents,
                    "an uploader publishes only content with publish = \"on_demand\"",
                )?;
                share(f("fake_appeal"), *fake_appeal)?;
                if upload.0 == 0 {
                    return Err(err(f("upload"), "must be larger than 0 B/s"));
                }
                if let Some(d) = seed_for {
                    positive(f("seed_for"), *d)?;
                }
            }
            AgentConfig::Lender {
                capital,
                interest,
                max_loan,
                min_reputation,
                ..
            } => {
                self.needs_lending(&f("kind"), "a lender")?;
                token_amount(f("capital"), *capital)?;
                interest_rate(f("interest"), *interest)?;
                token_amount(f("max_loan"), *max_loan)?;
                finite(f("min_reputation"), *min_reputation)?;
            }
            AgentConfig::Arbitrageur {
                upload,
                download,
                capital,
                strategy,
                from,
                to,
                selection,
                reselect,
                seed_for,
                ..
            } => {
                if self.economy.is_none() {
                    return Err(err(
                        f("kind"),
                        "an arbitrageur earns from the target sites' audiences: add [economy]",
                    ));
                }
                capacities(&f(""), upload.0, download.0)?;
                token_amount(f("capital"), *capital)?;
                self.validate_agent_strategy(&f("strategy"), strategy.as_deref())?;
                if !sites.iter().any(|s| &s.name == from) {
                    return Err(err(
                        f("from"),
                        format!("no site is named \"{from}\"; sites: {known_sites}"),
                    ));
                }
                if to.is_empty() {
                    return Err(err(f("to"), "name at least one target site"));
                }
                for (k, name) in to.iter().enumerate() {
                    if !sites.iter().any(|s| &s.name == name) {
                        return Err(err(
                            f(&format!("to[{k}]")),
                            format!("no site is named \"{name}\"; sites: {known_sites}"),
                        ));
                    }
                    if name == from {
                        return Err(err(
                            f(&format!("to[{k}]")),
                            format!(
                                "\"{name}\" is its source site (`from`); a target must be another site"
                            ),
                        ));
                    }
                }
                validate_selection(&f("selection"), selection)?;
                positive(f("reselect"), *reselect)?;
                if let Some(d) = seed_for {
                    positive(f("seed_for"), *d)?;
                }
            }
            AgentConfig::PoolMember {
                pool,
                upload,
                download,
                strategy,
                selection,
                epoch,
                hopper,
                ..
            } => {
                capacities(&f(""), upload.0, download.0)?;
                self.validate_agent_strategy(&f("strategy"), strategy.as_deref())?;
                positive(f("epoch"), *epoch)?;
                match pool {
                    Some(name) => {
                        let pools = self.economy.as_ref().map_or(&[][..], |e| &e.pools[..]);
                        if !pools.iter().any(|p| &p.name == name) {
                            let known: Vec<String> =
                                pools.iter().map(|p| format!("\"{}\"", p.name)).collect();
                            return Err(err(
                                f("pool"),
                                if known.is_empty() {
                                    format!(
                                        "no pool is named \"{name}\": add an [[economy.pools]] entry with name = \"{name}\" (and [economy])"
                                    )
                                } else {
                                    format!(
                                        "no pool is named \"{name}\"; pools: {}",
                                        known.join(", ")
                                    )
                                },
                            ));
                        }
                        if selection.is_some() {
                            return Err(err(
                                f("selection"),
                                "a pool member joins the torrents its pool selects: remove `selection` (or `pool` to seed solo)",
                            ));
                        }
                    }
                    None => {
                        if *hopper {
                            return Err(err(
                                f("hopper"),
                                "a hopper hops in and out of a pool: name its `pool`",
                            ));
                        }
                        if self.economy.is_none() {
                            return Err(err(
                                f("kind"),
                                "a solo seeder is measured by its earnings: add [economy]",
                            ));
                        }
                        match selection {
                            Some(sel) => validate_selection(&f("selection"), sel)?,
                            None => {
                                return Err(err(
                                    f("selection"),
                                    "a solo seeder (no `pool`) needs a selection policy, e.g. selection = { policy = \"newest\", within = \"1d\" }",
                                ));
                            }
                        }
                    }
                }
            }
            AgentConfig::Speculator {
                upload,
                download,
                capital,
                strategy,
                window,
                max_holdings,
                reselect,
                seed_for,
                give_up_after,
                ..
            } => {
                if self.economy.as_ref().is_none_or(|e| e.storage.is_none()) {
                    return Err(err(
                        f("kind"),
                        "a speculator keeps content in cold storage: add [economy.storage] (and [economy])",
                    ));
                }
                capacities(&f(""), upload.0, download.0)?;
                token_amount(f("capital"), *capital)?;
                self.validate_agent_strategy(&f("strategy"), strategy.as_deref())?;
                positive(f("window"), *window)?;
                if *max_holdings == 0 {
                    return Err(err(f("max_holdings"), "must be at least 1"));
                }
                positive(f("reselect"), *reselect)?;
                positive(f("seed_for"), *seed_for)?;
                positive(f("give_up_after"), *give_up_after)?;
            }
            AgentConfig::Requester {
                torrents,
                reward,
                capital,
                post_at,
                deadline,
                ..
            } => {
                if self.economy.as_ref().is_none_or(|e| e.bounties.is_none()) {
                    return Err(err(
                        f("kind"),
                        "a requester posts bounties: add [economy.bounties] (and [economy])",
                    ));
                }
                if torrents.is_empty() {
                    return Err(err(f("torrents"), "name at least one torrent it wants"));
                }
                self.on_demand_torrents(
                    &f("torrents"),
                    torrents,
                    "a bounty is for content nobody has shared yet (publish = \"on_demand\")",
                )?;
                token_amount(f("reward"), *reward)?;
                if *reward <= 0.0 {
                    return Err(err(f("reward"), "must be more than 0 tokens"));
                }
                token_amount(f("capital"), *capital)?;
                let needed = reward * torrents.len() as f64;
                if *capital < needed {
                    return Err(err(
                        f("capital"),
                        format!(
                            "must be at least the reward times the torrents ({needed}), got {capital}"
                        ),
                    ));
                }
                if deadline <= post_at {
                    return Err(err(
                        f("deadline"),
                        format!("must be after post_at ({post_at}), got {deadline}"),
                    ));
                }
            }
            AgentConfig::Sybil {
                identities,
                identity_cost,
                upload,
                download,
                capital,
                strategy,
                vanish,
                ..
            } => {
                self.needs_lending(&f("kind"), "a sybil")?;
                if *identities == 0 || *identities > MAX_SYBIL_IDENTITIES {
                    return Err(err(
                        f("identities"),
                        format!(
                            "must be within [1, {MAX_SYBIL_IDENTITIES}] (the identities it uses one after the other), got {identities}"
                        ),
                    ));
                }
                token_amount(f("identity_cost"), *identity_cost)?;
                token_amount(f("capital"), *capital)?;
                capacities(&f(""), upload.0, download.0)?;
                self.validate_agent_strategy(&f("strategy"), strategy.as_deref())?;
                positive(f("vanish"), *vanish)?;
            }
        }
        Ok(())
    }

    /// `torrents` (the list at `field`) names torrents of the scenario published on demand;
    /// `why` says why in the error.
    fn on_demand_torrents(
        &self,
        field: &str,
        torrents: &[String],
        why: &str,
    ) -> Result<(), ConfigError> {
        for (k, name) in torrents.iter().enumerate() {
            let Some(t) = self.torrents.iter().find(|t| &t.name == name) else {
                let names: Vec<String> = self
                    .torrents
                    .iter()
                    .map(|t| format!("\"{}\"", t.name))
                    .collect();
                return Err(err(
                    format!("{field}[{k}]"),
                    format!(
                        "no torrent is named \"{name}\"; torrents: {}",
                        names.join(", ")
                    ),
                ));
            };
            if t.publish != super::Publish::OnDemand {
                return Err(err(
                    format!("{field}[{k}]"),
                    format!("\"{name}\" is published at release; {why}"),
                ));
            }
        }
        Ok(())
    }

    /// Lenders and sybils act on the credit system: it must exist.
    fn needs_lending(&self, field: &str, what: &str) -> Result<(), ConfigError> {
        if self.economy.as_ref().is_some_and(|e| e.lending.is_some()) {
            Ok(())
        } else {
            Err(err(
                field,
                format!("{what} needs credit: add [economy.lending] (and [economy])"),
            ))
        }
    }

    /// An agent's `strategy`, if given, names a strategy of `[economy]`.
    fn validate_agent_strategy(&self, field: &str, name: Option<&str>) -> Result<(), ConfigError> {
        let Some(name) = name else { return Ok(()) };
        let Some(e) = &self.economy else {
            return Err(err(
                field,
                "names an economy strategy, but the scenario has no [economy]",
            ));
        };
        if !e.strategies.iter().any(|s| s.name == name) {
            let names: Vec<String> = e
                .strategies
                .iter()
                .map(|s| format!("\"{}\"", s.name))
                .collect();
            return Err(err(
                field,
                format!(
                    "no strategy is named \"{name}\"; strategies: {}",
                    names.join(", ")
                ),
            ));
        }
        Ok(())
    }
}
