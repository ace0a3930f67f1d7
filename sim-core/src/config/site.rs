//! Sites (trackers) and their rules: an audience that scales the arrivals of their listings,
//! optional tracker settings, admission rules (private-tracker ratio enforcement) and the
//! cost and limits of identities.

use super::TrackerConfig;
use super::names::names_enum;
use super::tagged::tagged_enum;
use crate::units::{Bytes, Duration};
use serde::{Deserialize, Serialize};

/// Name of the site of a scenario without `[[sites]]`.
pub const IMPLICIT_SITE: &str = "default";

/// A tracker listing content, with its audience and rules.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    pub name: String,
    /// Multiplier of the arrivals of every listing on this site (a flash crowd's count, a
    /// Poisson or decay rate); 1 = the torrent's own arrivals.
    #[serde(default = "one")]
    pub audience: f64,
    /// Tracker settings of this site's listings instead of the scenario's `[tracker]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracker: Option<TrackerConfig>,
    /// Admission rules; absent = anybody may join.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<SiteRules>,
    /// What identities cost and how many one IP may hold here.
    #[serde(default)]
    pub identity: IdentityRules,
    /// Tokens an agent pays (to the treasury) to list content here during a run (an
    /// arbitrageur's mirror); 0 = free.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub listing_fee: f64,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

fn one() -> f64 {
    1.0
}

impl SiteConfig {
    /// The implicit site of a scenario without `[[sites]]`.
    pub fn implicit() -> SiteConfig {
        SiteConfig {
            name: IMPLICIT_SITE.to_string(),
            audience: 1.0,
            tracker: None,
            rules: None,
            identity: IdentityRules::default(),
            listing_fee: 0.0,
        }
    }
}

/// One step of a required-ratio table: from `downloaded` on, the required ratio is `ratio`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatioStep {
    pub downloaded: Bytes,
    pub ratio: f64,
}

tagged_enum! {
/// A site's admission rule.
#[derive(Clone, Debug, PartialEq)]
pub enum SiteRules as "a site rule" {
    /// Private-tracker ratio enforcement (Gazelle-style): an identity that has downloaded more
    /// than `grace` and whose ratio (uploaded / downloaded on this site) is below the
    /// required ratio goes on ratio watch; still below it `watch` later, it is banned. The
    /// required ratio is `min_ratio`, or the `table` row of the identity's downloaded amount.
    /// Checked every `check_every`.
    Ratio {
        min_ratio: f64,
        grace: Bytes,
        watch: Duration,
        #[serde(default = "default_check_every")]
        check_every: Duration,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        table: Vec<RatioStep>,
        /// Probability that a banned user comes back under a fresh identity (paying the
        /// site's `identity.fresh_cost`) when it next wants something from the site.
        #[serde(default)]
        comeback: f64,
    },
}
}

fn default_check_every() -> Duration {
    Duration::from_secs(3600)
}

impl SiteRules {
    /// The required ratio after downloading `downloaded` bytes.
    pub fn required_ratio(&self, downloaded: u64) -> f64 {
        let SiteRules::Ratio {
            min_ratio, table, ..
        } = self;
        table
            .iter()
            .rev()
            .find(|s| downloaded >= s.downloaded.0)
            .map_or(*min_ratio, |s| s.ratio)
    }
}

/// Identities on a site.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityRules {
    /// Tokens a fresh identity costs (paid to the treasury; without `[economy]` only counted).
    #[serde(default)]
    pub fresh_cost: f64,
    /// Most identities one IP address may have had on this site (0 = no limit).
    #[serde(default)]
    pub per_ip: u32,
}

/// When a torrent's content first appears.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Publish {
    /// Its publishers come online at `release`.
    #[default]
    AtRelease,
    /// Nobody shares it until an agent publishes it (leechers arrive from `release` on and
    /// wait).
    OnDemand,
}

names_enum!(Publish {
    "at_release" => AtRelease,
    "on_demand" => OnDemand,
});
