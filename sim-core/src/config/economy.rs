//! The token economy of a scenario: who speaks the token extension, what they start with, how
//! sellers price, how buyers bid, how payment channels behave and where fees go.
//!
//! Token amounts in scenario files are decimal numbers of tokens (`2.5`); the engine keeps
//! them as integer micro-tokens (1 token = 1,000,000 µT), see [`crate::economy::tokens`].

use super::names::names_enum;
use super::tagged::tagged_enum;
use crate::units::Duration;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `[economy]`: absent means a barter-only run (no ledger activity at all).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EconomyConfig {
    /// Share of arriving hosts, in every class without an override, that speak the token
    /// extension. The others run plain tit-for-tat (and still barter with everybody).
    #[serde(default = "one")]
    pub participation: f64,
    /// Per-class overrides of `participation`, by class name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub participation_by_class: BTreeMap<String, f64>,
    /// Publishers (initial seeds) speak the token extension and sell with `publisher_strategy`.
    #[serde(default = "yes")]
    pub publishers_participate: bool,
    /// Strategy of participating publishers (a name from `strategies`; default: the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher_strategy: Option<String>,
    /// Tokens minted to each participating host when it is created.
    #[serde(default = "default_endowment")]
    pub endowment: TokenDist,
    /// Periodic minting to every online participating host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faucet: Option<FaucetConfig>,
    /// Auction clearing rule for paid slots.
    #[serde(default)]
    pub clearing: Clearing,
    /// Where on-chain fees go.
    #[serde(default)]
    pub fees_to: FeeSink,
    /// Payment-channel behaviour.
    #[serde(default)]
    pub channel: ChannelConfig,
    /// Strategies of participating hosts, drawn by `share` (shares sum to 1).
    #[serde(default = "default_strategies")]
    pub strategies: Vec<StrategyConfig>,
    /// Loans: repayment, defaults, credit limits, reputation (absent: no credit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lending: Option<super::LendingConfig>,
    /// The bounty board: tax, verification, pledges (absent: no bounties).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bounties: Option<super::BountyConfig>,
    /// Seed pools (absent: none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pools: Vec<super::PoolConfig>,
    /// Cold storage of content held offline (absent: holding content costs nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<super::StorageConfig>,
}

fn one() -> f64 {
    1.0
}
fn yes() -> bool {
    true
}
fn default_endowment() -> TokenDist {
    TokenDist::Fixed { tokens: 100.0 }
}
fn default_strategies() -> Vec<StrategyConfig> {
    vec![StrategyConfig {
        name: "token".into(),
        share: 1.0,
        paid_slots: default_paid_slots(),
        reserve_per_mib: TokenDist::Fixed { tokens: 0.0 },
        pricing: PricingConfig::Fixed {
            tokens_per_mib: 0.1,
        },
        bidding: BiddingConfig::Speed {
            value_of_time_per_hour: TokenDist::Fixed { tokens: 10.0 },
            budget_share: 1.0,
        },
        lend: None,
        borrow: None,
    }]
}

/// How paid slots are charged once the best bids have won them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Clearing {
    /// Each winner pays its own bid.
    FirstPrice,
    /// Each winner pays the best losing bid (or the seller's ask if higher; never more than
    /// its own bid): a uniform (k+1)-th price auction.
    #[default]
    SecondPrice,
}

names_enum!(Clearing {
    "first_price" => FirstPrice,
    "second_price" => SecondPrice,
});

/// Destination of on-chain fees.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeSink {
    /// Fees are destroyed (supply shrinks).
    #[default]
    Burn,
    /// Fees go to the treasury account.
    Treasury,
}

names_enum!(FeeSink {
    "burn" => Burn,
    "treasury" => Treasury,
});

tagged_enum! {
/// A distribution of token amounts (per host draws: endowments, reserves, values of time).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TokenDist as "a token distribution" {
    Fixed {
        tokens: f64,
    },
    /// Uniform on `[min, max]`.
    Uniform {
        min: f64,
        max: f64,
    },
    Exponential {
        mean: f64,
    },
    /// Log-normal with median `median` and shape `sigma` (of the underlying normal).
    Lognormal {
        median: f64,
        sigma: f64,
    },
}
}

/// Periodic minting ("faucet").
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaucetConfig {
    /// Tokens minted to each online participating host per interval.
    pub tokens: f64,
    pub interval: Duration,
}

/// Payment channels between a buyer and a seller peer.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelConfig {
    /// Tokens the buyer moves into escrow when it opens (or tops up) a channel; capped by its
    /// remaining budget.
    #[serde(default = "default_deposit")]
    pub deposit: f64,
    /// On-chain fee of each open, top-up, batch settlement and close, in tokens.
    #[serde(default = "default_fee")]
    pub fee: f64,
    /// Time from opening until the channel can carry payments (on-chain confirmation).
    #[serde(default = "default_latency")]
    pub open_latency: Duration,
    /// Time from a settlement or close until the seller (and buyer, on close) are credited.
    #[serde(default = "default_latency")]
    pub settle_latency: Duration,
    /// Every open channel with unsettled payments is settled on this interval.
    #[serde(default = "default_settle_interval")]
    pub settle_interval: Duration,
}

fn default_deposit() -> f64 {
    10.0
}
fn default_fee() -> f64 {
    0.01
}
fn default_latency() -> Duration {
    Duration::from_secs(15)
}
fn default_settle_interval() -> Duration {
    Duration::from_secs(3600)
}

impl Default for ChannelConfig {
    fn default() -> Self {
        ChannelConfig {
            deposit: default_deposit(),
            fee: default_fee(),
            open_latency: default_latency(),
            settle_latency: default_latency(),
            settle_interval: default_settle_interval(),
        }
    }
}

/// What a participating host does as a seller and as a buyer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrategyConfig {
    pub name: String,
    /// Probability that a participating host uses this strategy; shares sum to 1.
    pub share: f64,
    /// Regular upload slots sold to the best bids at each rechoke (the rest stay tit-for-tat);
    /// at most the client's `regular_slots`.
    #[serde(default = "default_paid_slots")]
    pub paid_slots: u32,
    /// The lowest price per MiB this seller accepts, drawn per host.
    #[serde(default = "zero_reserve")]
    pub reserve_per_mib: TokenDist,
    pub pricing: PricingConfig,
    pub bidding: BiddingConfig,
    /// Lends to newcomers of its torrents that need tokens (with `[economy.lending]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lend: Option<super::LendPolicy>,
    /// Borrows on joining a torrent without enough tokens (with `[economy.lending]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub borrow: Option<super::BorrowPolicy>,
}

fn default_paid_slots() -> u32 {
    2
}
fn zero_reserve() -> TokenDist {
    TokenDist::Fixed { tokens: 0.0 }
}

tagged_enum! {
/// Seller pricing policies (see `economy::pricing`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PricingConfig as "a pricing policy" {
    /// Price per Mbit proportional to the delivered rate: `tokens_per_mbit_per_100kbps`
    /// tokens per Mbit for every 100 kbit/s (1 ⇒ 50 Mbit at 500 kbit/s costs 250 tokens).
    RateQuote { tokens_per_mbit_per_100kbps: f64 },
    /// A flat price per MiB.
    Fixed { tokens_per_mib: f64 },
    /// `base_per_mib · (1 + premium · s)`, with scarcity `s` in [0, 1] measured per `measure`.
    Scarcity {
        base_per_mib: f64,
        premium: f64,
        #[serde(default)]
        measure: ScarcityMeasure,
    },
    /// Starts at `initial_per_mib`; after each auction the price moves by
    /// `step · (utilisation − target)` (relative), clamped to `[min_per_mib, max_per_mib]`.
    Adaptive {
        initial_per_mib: f64,
        #[serde(default = "default_step")]
        step: f64,
        #[serde(default = "default_target")]
        target: f64,
        #[serde(default)]
        min_per_mib: f64,
        max_per_mib: f64,
    },
}
}

fn default_step() -> f64 {
    0.2
}
fn default_target() -> f64 {
    0.8
}

/// What "scarce" means for [`PricingConfig::Scarcity`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScarcityMeasure {
    /// Share of the swarm that are leechers: `leechers / (seeds + leechers)` (the premium rises
    /// as the seed-to-leecher ratio falls).
    #[default]
    SeedRatio,
    /// Share of the online peers that lack the piece: `1 − copies / online`.
    PieceRarity,
}

names_enum!(ScarcityMeasure {
    "seed_ratio" => SeedRatio,
    "piece_rarity" => PieceRarity,
});

tagged_enum! {
/// Buyer bidding policies (see `economy::bidding`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BiddingConfig as "a bidding policy" {
    /// Never bids: barter only.
    None,
    /// Bids `tokens_per_mib` while its budget lasts.
    Fixed {
        tokens_per_mib: f64,
        #[serde(default = "one")]
        budget_share: f64,
    },
    /// BitTorrent-Speed-style automated bidding: the value of the time one MiB takes at the
    /// current download rate, capped by the budget spread over what is left to download.
    Speed {
        /// What an hour of waiting is worth to the host, drawn per host.
        value_of_time_per_hour: TokenDist,
        /// Share of the host's balance at joining that it will spend on this torrent.
        #[serde(default = "one")]
        budget_share: f64,
    },
}
}

impl EconomyConfig {
    /// The share of `class` hosts that speak the token extension.
    pub fn participation_of(&self, class: &str) -> f64 {
        self.participation_by_class
            .get(class)
            .copied()
            .unwrap_or(self.participation)
    }
}
