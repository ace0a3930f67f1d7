//! The scenario: everything a run needs, as read from a scenario file and then resolved.
//!
//! Parsing is strict (`deny_unknown_fields`) and parse-only; `Scenario::resolve` fills every
//! default (so `show-config` can print it) and `Scenario::validate` checks every value, naming
//! the field and what is allowed. The engine trusts a validated scenario.

mod agents;
mod client;
mod economy;
mod lending;
pub mod names;
mod pools;
mod population;
mod site;
pub mod tagged;
mod torrent;
mod validate;
mod validate_agents;
mod validate_capital;
mod validate_economy;
mod validate_world;
mod warm_start;
mod workload;

pub use agents::{AgentConfig, SelectionConfig};
pub use client::{
    ChokerConfig, ChokerParams, ClientConfig, ClientProfile, OptimisticRule, PickerConfig,
    PickerKind, SeedRanking, TrackerConfig,
};
pub use economy::{
    BiddingConfig, ChannelConfig, Clearing, EconomyConfig, FaucetConfig, FeeSink, PricingConfig,
    ScarcityMeasure, StrategyConfig, TokenDist,
};
pub use lending::{
    BorrowPolicy, BountyConfig, CreditLimit, LendPolicy, LendingConfig, RepayOrder,
    ReputationConfig,
};
pub use pools::{PayoutScheme, PoolConfig, StorageConfig};
pub use population::{BandwidthClass, IpPlan, PopulationConfig};
pub use site::{IMPLICIT_SITE, IdentityRules, Publish, RatioStep, SiteConfig, SiteRules};
pub use torrent::{AbortConfig, ArrivalConfig, PublisherConfig, SeedingTime, TorrentConfig};
pub use validate::{
    ConfigError, MAX_CONNECTIONS, MAX_PIECES, MAX_RATE_WINDOW_RECHOKES, validate_file_name,
};
pub use validate_economy::MAX_TOKENS;
pub use warm_start::{MAX_WARM_PEERS, Progress, Spread, WarmStart};
pub use workload::{WorkEstimate, WorkTerm};

use crate::units::Duration;
use serde::{Deserialize, Serialize};

/// A whole scenario. Field docs give the unit each value resolves to.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name; the default output directory is `outputs/<name>`.
    pub name: String,
    /// The run's only source of randomness.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Simulated time at which the run stops.
    pub horizon: Duration,
    /// Interval of the time-series samples.
    #[serde(default = "default_sample_interval")]
    pub sample_interval: Duration,
    /// Stop before the horizon once every torrent has released, no arrival is pending and no
    /// leecher is left (seeds may remain). Longevity then counts only up to that stop.
    #[serde(default)]
    pub stop_when_done: bool,
    /// Client behaviour of every peer unless its bandwidth class overrides it.
    #[serde(default)]
    pub client: ClientConfig,
    /// Tracker and connection management.
    #[serde(default)]
    pub tracker: TrackerConfig,
    /// How hosts are shared between torrents.
    #[serde(default)]
    pub population: PopulationConfig,
    /// Bandwidth classes of arriving hosts; their shares sum to 1.
    pub classes: Vec<BandwidthClass>,
    /// The catalog: one swarm per torrent.
    pub torrents: Vec<TorrentConfig>,
    /// The token economy; absent = barter only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub economy: Option<EconomyConfig>,
    /// Sites (trackers); absent = one implicit site, `default`, without rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sites: Vec<SiteConfig>,
    /// Strategic agents above the swarm.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agents: Vec<AgentConfig>,
}

fn default_seed() -> u64 {
    1
}

fn default_sample_interval() -> Duration {
    Duration::from_secs(10)
}

impl Scenario {
    /// Fills in every default that depends on other fields (client profile knobs), so that the
    /// serialized form shows exactly what the engine will use. Idempotent.
    pub fn resolve(&mut self) {
        self.client.resolve();
        for class in &mut self.classes {
            if let Some(client) = &mut class.client {
                client.resolve();
            }
        }
    }

    /// The sites: those of the scenario, or the implicit one.
    pub fn sites(&self) -> std::borrow::Cow<'_, [SiteConfig]> {
        if self.sites.is_empty() {
            std::borrow::Cow::Owned(vec![SiteConfig::implicit()])
        } else {
            std::borrow::Cow::Borrowed(&self.sites)
        }
    }

    /// The sites torrent `t` is listed on at release, as indices into [`Scenario::sites`].
    pub fn listing_sites(&self, t: usize) -> Vec<usize> {
        let names = &self.torrents[t].listed_on;
        if names.is_empty() {
            return vec![0];
        }
        let sites = self.sites();
        names
            .iter()
            .filter_map(|n| sites.iter().position(|s| &s.name == n))
            .collect()
    }

    /// Whether the scenario uses anything of the world above the swarm (sites, users, agents,
    /// shared IPs, on-demand content): only then do outputs carry its columns.
    pub fn has_world(&self) -> bool {
        !self.sites.is_empty()
            || !self.agents.is_empty()
            || self.population.users.is_some()
            || !self.population.ips.is_per_host()
            || self.torrents.iter().any(|t| {
                t.publish != Publish::AtRelease
                    || matches!(t.seeding, SeedingTime::UntilRatio { .. })
            })
    }

    /// The client configuration of hosts in `class`.
    pub fn client_of_class(&self, class: usize) -> &ClientConfig {
        self.classes[class].client.as_ref().unwrap_or(&self.client)
    }
}
