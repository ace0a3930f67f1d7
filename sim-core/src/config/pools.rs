//! Capital in a scenario: `[[economy.pools]]` (seed pools: a selection of torrents for their
//! members, an operator fee, an epoch and a payout scheme) and `[economy.storage]` (cold
//! storage: rent per GB-month and a retrieval delay). Token amounts are decimal tokens.

use super::agents::SelectionConfig;
use super::tagged::tagged_enum;
use crate::units::{Bytes, Duration};
use serde::{Deserialize, Serialize};

/// One seed pool.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolConfig {
    /// Unique; members name it.
    pub name: String,
    /// Share of the pool's income the operator keeps (to the treasury), in [0, 1).
    #[serde(default = "default_fee")]
    pub fee: f64,
    /// How members are paid at the end of every epoch.
    pub payout: PayoutScheme,
    /// Which torrents its members join (the pool picks for all of them).
    pub selection: SelectionConfig,
    /// How often the selection is made again.
    #[serde(default = "hour")]
    pub reselect: Duration,
    /// The accounting period: contributions are counted and members paid at its end.
    #[serde(default = "hour")]
    pub epoch: Duration,
}

fn default_fee() -> f64 {
    0.02
}
fn hour() -> Duration {
    Duration::from_secs(3600)
}

tagged_enum! {
/// How a pool pays its members (Rosenfeld 2011).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PayoutScheme as "a payout scheme" {
    /// The epoch's income, less the fee, split in proportion to the bytes each member
    /// uploaded in the epoch (hopping-prone: a member present only in rich epochs gains).
    Proportional,
    /// Pay per last N bytes: the epoch's income, less the fee, split in proportion to each
    /// member's share of the last `window` bytes uploaded for the pool, whatever epoch they
    /// fell in (hopping-resistant).
    Pplns { window: Bytes },
    /// Pay per share: `tokens_per_mib` for every MiB a member uploaded in the epoch, paid from
    /// the pool's reserve and income (the operator bears the variance); what the pool cannot
    /// pay is recorded as a shortfall.
    Pps {
        tokens_per_mib: f64,
        /// Tokens minted into the pool's account at the start (the operator's capital).
        #[serde(default)]
        reserve: f64,
    },
}
}

/// `[economy.storage]`: cold storage of content held offline.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageConfig {
    /// Rent, tokens per GB (10⁹ bytes) per month (30 days) of content held (Glacier's
    /// $0.004/GB-month is the seed document's anchor).
    pub rent_per_gb_month: f64,
    /// From asking for held content until the host can seed it.
    #[serde(default = "default_retrieval")]
    pub retrieval_delay: Duration,
    /// Rent is billed this often (and when a holding ends, and at the run's end).
    #[serde(default = "day")]
    pub bill_every: Duration,
}

fn default_retrieval() -> Duration {
    Duration::from_secs(4 * 3600)
}
fn day() -> Duration {
    Duration::from_secs(86_400)
}
