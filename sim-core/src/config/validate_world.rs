//! Validation of the world above the swarm: sites and their rules, listings, the user
//! population and IPs (the agents: `validate_agents.rs`). Every check names the field and what
//! is allowed.

use super::validate::{ConfigError, err, validate_file_name};
use super::validate_economy::token_amount;
use super::{AgentConfig, IpPlan, Scenario, SelectionConfig, SiteRules};
use crate::units::Duration;

pub(super) fn positive(field: String, d: Duration) -> Result<(), ConfigError> {
    if d.0.as_micros() == 0 {
        Err(err(field, "must be longer than 0s"))
    } else {
        Ok(())
    }
}

pub(super) fn share(field: String, x: f64) -> Result<(), ConfigError> {
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
pub(super) fn capacities(prefix: &str, upload: u64, download: u64) -> Result<(), ConfigError> {
    for (name, v) in [("upload", upload), ("download", download)] {
        if v == 0 {
            return Err(err(format!("{prefix}{name}"), "must be larger than 0 B/s"));
        }
    }
    Ok(())
}

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

pub(super) fn finite(field: String, x: f64) -> Result<(), ConfigError> {
    if x.is_finite() {
        Ok(())
    } else {
        Err(err(field, format!("must be a finite number, got {x}")))
    }
}
