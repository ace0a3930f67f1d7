//! Validation of the world above the swarm: sites and their rules, listings, the user
//! population and IPs, agents. Every check names the field and what is allowed.

use super::validate::{ConfigError, err, validate_file_name};
use super::validate_economy::token_amount;
use super::{AgentConfig, IpPlan, Scenario, SelectionConfig, SiteRules};
use crate::units::Duration;

/// Most agents of one `[[agents]]` entry (each owns a host and wakes up on its own).
pub const MAX_AGENTS: u32 = 10_000;

pub(super) fn positive(field: String, d: Duration) -> Result<(), ConfigError> {
    if d.0.as_micros() == 0 {
        Err(err(field, "must be longer than 0s"))
    } else {
        Ok(())
    }
}

fn share(field: String, x: f64) -> Result<(), ConfigError> {
    if x.is_finite() && (0.0..=1.0).contains(&x) {
        Ok(())
    } else {
        Err(err(field, format!("must be within [0, 1], got {x}")))
    }
}

impl Scenario {
    /// Checks `[[sites]]`, `listed_on`, `[population]`'s users and IPs, and `[[agents]]`.
    pub(super) fn validate_world(&self) -> Result<(), ConfigError> {
        for (i, s) in self.sites.iter().enumerate() {
            let f = |name: &str| format!("sites[{i}].{name}");
            validate_file_name(&f("name"), &s.name)?;
            if self.sites[..i].iter().any(|o| o.name == s.name) {
                return Err(err(
                    f("name"),
                    format!("\"{}\" is used by two sites; names must be unique", s.name),
                ));
            }
            if !(s.audience.is_finite() && s.audience > 0.0 && s.audience <= 1e6) {
                return Err(err(
                    f("audience"),
                    format!("must be a number within (0, 1000000], got {}", s.audience),
                ));
            }
            if let Some(t) = &s.tracker {
                super::validate::validate_tracker(&f("tracker"), t)?;
            }
            token_amount(f("identity.fresh_cost"), s.identity.fresh_cost)?;
            token_amount(f("listing_fee"), s.listing_fee)?;
            if let Some(SiteRules::Ratio {
                min_ratio,
                grace,
                watch,
                check_every,
                table,
                comeback,
            }) = &s.rules
            {
                let r = |name: &str| f(&format!("rules.{name}"));
                if !(min_ratio.is_finite() && (0.0..=100.0).contains(min_ratio)) {
                    return Err(err(
                        r("min_ratio"),
                        format!("must be within [0, 100], got {min_ratio}"),
                    ));
                }
                if grace.0 == 0 {
                    return Err(err(
                        r("grace"),
                        "must be larger than 0 B: without a free amount every newcomer is below any ratio at its first check",
                    ));
                }
                positive(r("watch"), *watch)?;
                positive(r("check_every"), *check_every)?;
                share(r("comeback"), *comeback)?;
                for (k, step) in table.iter().enumerate() {
                    if !(step.ratio.is_finite() && (0.0..=100.0).contains(&step.ratio)) {
                        return Err(err(
                            r(&format!("table[{k}].ratio")),
                            format!("must be within [0, 100], got {}", step.ratio),
                        ));
                    }
                    if k > 0 && step.downloaded <= table[k - 1].downloaded {
                        return Err(err(
                            r(&format!("table[{k}].downloaded")),
                            "rows must be sorted by `downloaded`, increasing",
                        ));
                    }
                }
            }
        }
        let sites = self.sites();
        let known = || {
            sites
                .iter()
                .map(|s| format!("\"{}\"", s.name))
                .collect::<Vec<_>>()
                .join(", ")
        };
        for (i, t) in self.torrents.iter().enumerate() {
            let window_s = self.horizon.as_secs_f64() - t.release.as_secs_f64();
            for s in self.listing_sites(i) {
                let audience = sites[s].audience;
                if audience != 1.0 && matches!(t.arrivals, super::ArrivalConfig::Trace { .. }) {
                    return Err(err(
                        format!("sites[{s}].audience"),
                        format!(
                            "is {audience}, but torrents[{i}] arrives by a trace, which cannot be scaled; list it on a site of audience 1"
                        ),
                    ));
                }
                let expected =
                    super::validate::expected_arrivals(&t.arrivals.scaled(audience), window_s);
                if expected > f64::from(super::validate::MAX_ARRIVALS) {
                    return Err(err(
                        format!("sites[{s}].audience"),
                        format!(
                            "makes torrents[{i}] expect about {expected:.3e} arrivals there; at most {} per listing are allowed",
                            super::validate::MAX_ARRIVALS
                        ),
                    ));
                }
            }
            for (k, name) in t.listed_on.iter().enumerate() {
                let field = format!("torrents[{i}].listed_on[{k}]");
                if !sites.iter().any(|s| &s.name == name) {
                    return Err(err(
                        field,
                        format!("no site is named \"{name}\"; sites: {}", known()),
                    ));
                }
                if t.listed_on[..k].contains(name) {
                    return Err(err(field, format!("\"{name}\" is listed twice")));
                }
            }
        }
        if let Some(users) = self.population.users
            && !(1..=super::validate::MAX_ARRIVALS).contains(&users)
        {
            return Err(err(
                "population.users",
                format!(
                    "must be within [1, {}], got {users}",
                    super::validate::MAX_ARRIVALS
                ),
            ));
        }
        if let IpPlan::Shared { hosts_per_ip } = self.population.ips
            && hosts_per_ip == 0
        {
            return Err(err("population.ips.hosts_per_ip", "must be at least 1"));
        }
        for (i, a) in self.agents.iter().enumerate() {
            self.validate_agent(i, a, &sites, &known())?;
        }
        // On-demand content nobody can publish would keep its leechers waiting forever.
        for (i, t) in self.torrents.iter().enumerate() {
            let held = self.agents.iter().any(|a| {
                matches!(a, AgentConfig::Uploader { torrents, .. } if torrents.contains(&t.name))
                    && a.count() > 0
            });
            if t.publish == super::Publish::OnDemand && !held {
                return Err(err(
                    format!("torrents[{i}].publish"),
                    format!(
                        "\"{}\" is on_demand but no uploader agent holds it: add an [[agents]] entry with kind = \"uploader\" and torrents = [\"{}\"]",
                        t.name, t.name
                    ),
                ));
            }
        }
        Ok(())
    }

    fn validate_agent(
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

/// A selection policy: at least one torrent, a positive window.
pub(super) fn validate_selection(
    field: &str,
    selection: &SelectionConfig,
) -> Result<(), ConfigError> {
    if selection.max_torrents() == 0 {
        return Err(err(format!("{field}.max_torrents"), "must be at least 1"));
    }
    match selection {
        SelectionConfig::Newest { within, .. } | SelectionConfig::Random { within, .. } => {
            positive(format!("{field}.within"), *within)
        }
        SelectionConfig::Popular { window, .. } => positive(format!("{field}.window"), *window),
        SelectionConfig::Predicted { first, within, .. } => {
            positive(format!("{field}.first"), *first)?;
            if within.0 < first.0 {
                return Err(err(
                    format!("{field}.within"),
                    format!(
                        "must be at least `first` ({first}): a listing is ranked once it is `first` old"
                    ),
                ));
            }
            Ok(())
        }
    }
}

/// An agent's host capacities (`prefix` is its field path ending in `.`): both above 0.
fn capacities(prefix: &str, upload: u64, download: u64) -> Result<(), ConfigError> {
    for (name, v) in [("upload", upload), ("download", download)] {
        if v == 0 {
            return Err(err(format!("{prefix}{name}"), "must be larger than 0 B/s"));
        }
    }
    Ok(())
}

/// Most identities one sybil uses.
pub const MAX_SYBIL_IDENTITIES: u32 = 100_000;

/// An interest rate: a finite fraction within [0, 100] (0.1 = 10%).
pub(super) fn interest_rate(field: String, x: f64) -> Result<(), ConfigError> {
    if x.is_finite() && (0.0..=100.0).contains(&x) {
        Ok(())
    } else {
        Err(err(
            field,
            format!("must be an interest rate within [0, 100] (0.1 = 10%), got {x}"),
        ))
    }
}

fn finite(field: String, x: f64) -> Result<(), ConfigError> {
    if x.is_finite() {
        Ok(())
    } else {
        Err(err(field, format!("must be a finite number, got {x}")))
    }
}
