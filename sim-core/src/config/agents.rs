//! `[[agents]]`: strategic actors above the swarm, one entry per group of agents of a kind.
//! Each kind's behaviour lives in `crate::agents`; here only its parameters.

use super::tagged::tagged_enum;
use crate::units::{BytesPerSec, Duration};

tagged_enum! {
/// Which torrents an agent wants to be in.
#[derive(Clone, Debug, PartialEq)]
pub enum SelectionConfig as "a selection policy" {
    /// Listings released (or listed) at most `within` ago, newest first.
    Newest {
        within: Duration,
        #[serde(default = "default_max_torrents")]
        max_torrents: u32,
    },
    /// The listings with the most arrivals over the last `window`, most first.
    Popular {
        #[serde(default = "default_window")]
        window: Duration,
        #[serde(default = "default_max_torrents")]
        max_torrents: u32,
    },
    /// A lottery ticket: up to `max_torrents` of the listings listed at most `within` ago,
    /// drawn at random for each agent (and replicate), so identical agents bet on different
    /// releases.
    Random {
        within: Duration,
        #[serde(default = "default_max_torrents")]
        max_torrents: u32,
    },
    /// A predictor of popularity from early demand: listings at least `first` and at most
    /// `within` old, ranked by their arrivals in their first `first` (under a decaying
    /// arrival rate those predict the total), most first.
    Predicted {
        #[serde(default = "default_window")]
        first: Duration,
        within: Duration,
        #[serde(default = "default_max_torrents")]
        max_torrents: u32,
    },
}
}

fn default_max_torrents() -> u32 {
    5
}
fn default_window() -> Duration {
    Duration::from_secs(3600)
}
fn default_reselect() -> Duration {
    Duration::from_secs(600)
}
fn default_idle() -> Duration {
    Duration::from_secs(3600)
}
fn one() -> u32 {
    1
}

impl SelectionConfig {
    pub fn max_torrents(&self) -> u32 {
        match self {
            SelectionConfig::Newest { max_torrents, .. }
            | SelectionConfig::Popular { max_torrents, .. }
            | SelectionConfig::Random { max_torrents, .. }
            | SelectionConfig::Predicted { max_torrents, .. } => *max_torrents,
        }
    }
}

tagged_enum! {
/// A group of agents of one kind.
#[derive(Clone, Debug, PartialEq)]
pub enum AgentConfig as "an agent" {
    /// Rented high-bandwidth hosts that join new torrents early and seed them. Each agent
    /// rents one host, pays `cost_per_hour` tokens while renting, joins the torrents its
    /// `selection` picks (re-selected every `reselect`), drops a torrent it uploaded less
    /// than `min_upload` to over the last `idle`, and stops renting when its earnings over
    /// the last `idle` do not cover the rent (with an `[economy]`).
    Seedbox {
        #[serde(default = "one")]
        count: u32,
        upload: BytesPerSec,
        download: BytesPerSec,
        /// Rent, tokens per hour (billed every `reselect`).
        cost_per_hour: f64,
        /// Tokens the agent starts with (minted into its account).
        #[serde(default)]
        capital: f64,
        /// The economy strategy its host sells and buys with (default: the first).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        strategy: Option<String>,
        /// Sites whose listings it considers (default: every site).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        sites: Vec<String>,
        selection: SelectionConfig,
        #[serde(default = "default_reselect")]
        reselect: Duration,
        #[serde(default = "default_idle")]
        idle: Duration,
        /// Bytes per `idle` below which a torrent is dropped.
        #[serde(default)]
        min_upload: crate::units::Bytes,
        /// Stop renting when earnings over `idle` fall below the rent (economy runs only).
        #[serde(default = "yes")]
        stop_when_unprofitable: bool,
    },
    /// Publishes content listed `publish = "on_demand"` once somebody wants it: after
    /// `preparation` from the first arrival of a listed torrent among `torrents`, it brings
    /// its own host online as a seed of the content (or, with `fake`, of a fake copy that
    /// leechers recognise as fake only once they complete it).
    Uploader {
        #[serde(default = "one")]
        count: u32,
        /// Contents (torrent names) it holds a copy of.
        torrents: Vec<String>,
        #[serde(default)]
        preparation: Duration,
        #[serde(default)]
        fake: bool,
        /// With `fake`: the share of later arrivals that pick the fake listing while the real
        /// content is not published.
        #[serde(default = "half")]
        fake_appeal: f64,
        upload: BytesPerSec,
        /// How long it seeds once published (absent: to the horizon).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seed_for: Option<Duration>,
        /// A bounty hunter: it publishes only content with a bounty of at least this many
        /// tokens posted on it (demand alone does not move it); absent: demand or any bounty.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_reward: Option<f64>,
    },
    /// Lends its capital to leechers that join a listing with too few tokens (those whose
    /// strategy has a `borrow` policy): up to `max_loan` tokens at `interest`, to identities
    /// of at least `min_reputation` (with `[economy.lending]`). Repayments come back to its
    /// account; defaults are its losses.
    Lender {
        #[serde(default = "one")]
        count: u32,
        /// Tokens it starts with (minted into its account).
        capital: f64,
        interest: f64,
        max_loan: f64,
        #[serde(default)]
        min_reputation: f64,
    },
    /// An arbitrageur: one host that mirrors content from the site `from` to the sites `to`.
    /// Every `reselect` its `selection` ranks the listings on `from` whose content it has not
    /// mirrored yet; it downloads the best (at most `max_torrents` at once) there and, once
    /// complete, lists the content on each target site that lacks it (paying the site's
    /// `listing_fee`) and seeds it there, or joins as a seed where a competitor listed it
    /// first. It collects its host's earnings at every wake-up.
    Arbitrageur {
        #[serde(default = "one")]
        count: u32,
        upload: BytesPerSec,
        download: BytesPerSec,
        /// Tokens it starts with (to pay listing fees).
        #[serde(default)]
        capital: f64,
        /// The economy strategy its host sells with (default: the first).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        strategy: Option<String>,
        from: String,
        to: Vec<String>,
        selection: SelectionConfig,
        #[serde(default = "default_reselect")]
        reselect: Duration,
        /// How long it seeds a mirror (absent: to the horizon).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seed_for: Option<Duration>,
    },
    /// A requester: at `post_at` it posts a bounty of `reward` tokens (from its account, held
    /// in escrow) on each content of `torrents`, content nobody has shared yet (torrents with
    /// `publish = "on_demand"`), open until `deadline`. The first claim verified genuine is
    /// paid the reward (less the board's tax); when the deadline passes unfilled, every
    /// funder gets its share back.
    Requester {
        #[serde(default = "one")]
        count: u32,
        /// The contents wanted (torrent names), one bounty each.
        torrents: Vec<String>,
        /// Tokens per bounty.
        reward: f64,
        /// Tokens it starts with (at least the reward times the number of torrents).
        capital: f64,
        #[serde(default)]
        post_at: Duration,
        deadline: Duration,
    },
    /// A seed pool's member, or (without `pool`) a solo seeder run the same way: one host
    /// that joins the torrents its pool selects (or its own `selection` picks) and seeds them.
    /// In a pool its earnings go to the pool, which pays it per epoch; solo, it collects its
    /// own. With `hopper`, it stays in its pool only while the pool's last epoch paid at
    /// least its average per byte, and seeds solo otherwise.
    PoolMember {
        #[serde(default = "one")]
        count: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pool: Option<String>,
        upload: BytesPerSec,
        download: BytesPerSec,
        /// The economy strategy its host sells with (default: the first).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        strategy: Option<String>,
        /// Solo: which torrents it joins (in a pool the pool's selection is used).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        selection: Option<SelectionConfig>,
        /// Solo: how often it selects again and counts its earnings (in a pool, the pool's
        /// `reselect` and `epoch`).
        #[serde(default = "default_hour")]
        epoch: Duration,
        #[serde(default)]
        hopper: bool,
    },
    /// A speculator: it keeps obscure but wanted content in cold storage and sells it dear
    /// when it is wanted again. Every `reselect` it downloads (as any leecher) content whose
    /// listing has at most `max_seeds` seeds online and has had at least `min_demand`
    /// arrivals over the last `window`, listed at least `min_age` ago (up to `max_holdings`
    /// held), then takes it offline into cold storage (`[economy.storage]` rent). When a
    /// leecher arrives at a listing of held content that is lost (or has at most `max_seeds`
    /// seeds), it retrieves it (`retrieval_delay`) and seeds it for `seed_for` (longer while
    /// leechers remain), selling with its `strategy`, then stores it again. It gives up
    /// (releases) a holding that has had no arrival for `give_up_after`.
    Speculator {
        #[serde(default = "one")]
        count: u32,
        upload: BytesPerSec,
        download: BytesPerSec,
        #[serde(default)]
        capital: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        strategy: Option<String>,
        #[serde(default = "default_max_seeds")]
        max_seeds: u32,
        #[serde(default = "one")]
        min_demand: u32,
        #[serde(default = "default_window_week")]
        window: Duration,
        /// It buys only content listed at least this long ago.
        #[serde(default = "default_window_week")]
        min_age: Duration,
        #[serde(default = "default_max_holdings")]
        max_holdings: u32,
        #[serde(default = "default_day")]
        reselect: Duration,
        #[serde(default = "default_day")]
        seed_for: Duration,
        #[serde(default = "default_give_up")]
        give_up_after: Duration,
    },
    /// A whitewasher: for each of `identities` identities it buys one (`identity_cost`
    /// tokens from its account), brings up a host under it, joins the newest listing it has
    /// not downloaded (else the newest), borrows what it can, takes what is left of the loan (collects its
    /// host's balance) as soon as it completes and vanishes, then comes back after `vanish`
    /// under the next identity. With `same_ip` all its identities share one IP address
    /// (cheap, but a default there stains them all); otherwise each has its own.
    Sybil {
        #[serde(default = "one")]
        count: u32,
        identities: u32,
        #[serde(default)]
        identity_cost: f64,
        #[serde(default = "yes")]
        same_ip: bool,
        upload: BytesPerSec,
        download: BytesPerSec,
        /// Tokens it starts with (to pay for identities).
        #[serde(default)]
        capital: f64,
        /// The economy strategy of its hosts (it needs a `borrow` policy; default: the first).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        strategy: Option<String>,
        /// From vanishing until the next identity appears.
        #[serde(default = "default_vanish")]
        vanish: Duration,
        /// When its first identity appears.
        #[serde(default)]
        start: Duration,
    },
}
}

fn default_hour() -> Duration {
    Duration::from_secs(3600)
}
fn default_day() -> Duration {
    Duration::from_secs(86_400)
}
fn default_window_week() -> Duration {
    Duration::from_secs(7 * 86_400)
}
fn default_give_up() -> Duration {
    Duration::from_secs(30 * 86_400)
}
fn default_max_seeds() -> u32 {
    1
}
fn default_max_holdings() -> u32 {
    10
}

fn default_vanish() -> Duration {
    Duration::from_secs(3600)
}

fn yes() -> bool {
    true
}
fn half() -> f64 {
    0.5
}

impl AgentConfig {
    /// The kind's name, as written in `kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            AgentConfig::Seedbox { .. } => "seedbox",
            AgentConfig::Uploader { .. } => "uploader",
            AgentConfig::Lender { .. } => "lender",
            AgentConfig::Arbitrageur { .. } => "arbitrageur",
            AgentConfig::Requester { .. } => "requester",
            AgentConfig::PoolMember { .. } => "pool_member",
            AgentConfig::Speculator { .. } => "speculator",
            AgentConfig::Sybil { .. } => "sybil",
        }
    }

    /// Tokens the agent starts with.
    pub fn capital(&self) -> f64 {
        match self {
            AgentConfig::Seedbox { capital, .. }
            | AgentConfig::Lender { capital, .. }
            | AgentConfig::Arbitrageur { capital, .. }
            | AgentConfig::Requester { capital, .. }
            | AgentConfig::Speculator { capital, .. }
            | AgentConfig::Sybil { capital, .. } => *capital,
            AgentConfig::Uploader { .. } | AgentConfig::PoolMember { .. } => 0.0,
        }
    }

    /// How many agents this entry makes.
    pub fn count(&self) -> u32 {
        match self {
            AgentConfig::Seedbox { count, .. }
            | AgentConfig::Uploader { count, .. }
            | AgentConfig::Lender { count, .. }
            | AgentConfig::Arbitrageur { count, .. }
            | AgentConfig::Requester { count, .. }
            | AgentConfig::PoolMember { count, .. }
            | AgentConfig::Speculator { count, .. }
            | AgentConfig::Sybil { count, .. } => *count,
        }
    }
}
