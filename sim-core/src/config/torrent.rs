//! One torrent of the catalog: its content, its publishers, its arrivals and its peers'
//! seeding behaviour.

use super::tagged::tagged_enum;
use crate::units::{Bytes, BytesPerSec, Duration};
use serde::{Deserialize, Serialize};

/// A torrent and the behaviour of its swarm.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TorrentConfig {
    pub name: String,
    /// Content size; the last piece may be shorter.
    pub size: Bytes,
    #[serde(default = "default_piece_size")]
    pub piece_size: Bytes,
    /// When the publishers come online, from the start of the run.
    #[serde(default)]
    pub release: Duration,
    /// The initial seeds.
    #[serde(default)]
    pub publishers: PublisherConfig,
    /// When leechers arrive (times are relative to `release`).
    pub arrivals: ArrivalConfig,
    /// How long a peer keeps seeding after it completes.
    pub seeding: SeedingTime,
    /// Leechers that give up before completing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abort: Option<AbortConfig>,
    /// Sites listing it at release (one swarm per site); default: the first site.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub listed_on: Vec<String>,
    /// When its content first appears: with its publishers at release, or on demand (an
    /// uploader agent publishes it).
    #[serde(default, skip_serializing_if = "is_at_release")]
    pub publish: super::Publish,
    /// An existing swarm online at release besides the publishers (seeds and partial
    /// leechers); absent: the swarm starts with its publishers only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm_start: Option<super::WarmStart>,
}

fn is_at_release(p: &super::Publish) -> bool {
    *p == super::Publish::AtRelease
}

fn default_piece_size() -> Bytes {
    Bytes(256 * 1024)
}

impl TorrentConfig {
    /// Number of pieces, `ceil(size / piece_size)`.
    pub fn num_pieces(&self) -> u32 {
        self.size.0.div_ceil(self.piece_size.0.max(1)) as u32
    }

    /// Size of `piece` in bytes (the last one may be shorter).
    pub fn piece_bytes(&self, piece: u32) -> u64 {
        let start = piece as u64 * self.piece_size.0;
        self.piece_size.0.min(self.size.0 - start)
    }
}

/// The torrent's initial seeds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublisherConfig {
    #[serde(default = "default_publishers")]
    pub count: u32,
    #[serde(default = "default_publisher_upload")]
    pub upload: BytesPerSec,
    #[serde(default = "default_publisher_download")]
    pub download: BytesPerSec,
    /// Time after release at which publishers go offline; absent = they stay to the horizon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leave_after: Option<Duration>,
}

fn default_publishers() -> u32 {
    1
}
fn default_publisher_upload() -> BytesPerSec {
    BytesPerSec(1_250_000) // 10 Mbit/s
}
fn default_publisher_download() -> BytesPerSec {
    BytesPerSec(1_250_000)
}

impl Default for PublisherConfig {
    fn default() -> Self {
        PublisherConfig {
            count: default_publishers(),
            upload: default_publisher_upload(),
            download: default_publisher_download(),
            leave_after: None,
        }
    }
}

tagged_enum! {
/// Arrival process of a torrent's leechers. Times are relative to the torrent's release.
#[derive(Clone, Debug, PartialEq)]
pub enum ArrivalConfig as "an arrival process" {
    /// `count` arrivals spread uniformly over `[0, window]` (all at once when `window` is 0).
    FlashCrowd {
        count: u32,
        #[serde(default)]
        window: Duration,
    },
    /// Poisson arrivals at `rate_per_s` until `until` (default: the horizon).
    Poisson {
        rate_per_s: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<Duration>,
    },
    /// Non-homogeneous Poisson arrivals with rate `lambda0_per_s · e^(−t/tau)` (Guo et al.);
    /// on average `lambda0_per_s · tau` arrivals in all.
    ExponentialDecay { lambda0_per_s: f64, tau: Duration },
    /// A decay with a long tail: rate `lambda0_per_s · e^(−t/tau) + tail_per_s` (the tail
    /// until `until`, default the horizon): the release's crowd dies down, and rare late
    /// requests keep coming for months (the superposition of a decay and a Poisson tail).
    LongTail {
        lambda0_per_s: f64,
        tau: Duration,
        tail_per_s: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<Duration>,
    },
    /// Join times read from a CSV file (one time in seconds per line, optional header
    /// `time_s`), sorted and non-negative. The path is relative to the scenario file.
    Trace {
        file: String,
        /// Filled in by the loader from `file`; not written in scenario files.
        #[serde(default, skip_serializing, skip_deserializing)]
        times: Vec<Duration>,
    },
}
}

impl ArrivalConfig {
    /// The process of a listing on a site with `audience` (a multiplier of arrivals): a flash
    /// crowd's count (rounded), a Poisson or decay rate scaled; a trace is kept as it is
    /// (validation refuses an audience other than 1 for it). Audience 1 is the process itself.
    pub fn scaled(&self, audience: f64) -> ArrivalConfig {
        if audience == 1.0 {
            return self.clone();
        }
        match self {
            ArrivalConfig::FlashCrowd { count, window } => ArrivalConfig::FlashCrowd {
                count: (f64::from(*count) * audience).round() as u32,
                window: *window,
            },
            ArrivalConfig::Poisson { rate_per_s, until } => ArrivalConfig::Poisson {
                rate_per_s: rate_per_s * audience,
                until: *until,
            },
            ArrivalConfig::ExponentialDecay { lambda0_per_s, tau } => {
                ArrivalConfig::ExponentialDecay {
                    lambda0_per_s: lambda0_per_s * audience,
                    tau: *tau,
                }
            }
            ArrivalConfig::LongTail {
                lambda0_per_s,
                tau,
                tail_per_s,
                until,
            } => ArrivalConfig::LongTail {
                lambda0_per_s: lambda0_per_s * audience,
                tau: *tau,
                tail_per_s: tail_per_s * audience,
                until: *until,
            },
            ArrivalConfig::Trace { .. } => self.clone(),
        }
    }
}

tagged_enum! {
/// Seeding time after completion.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SeedingTime as "a seeding time" {
    /// Leave as soon as the download completes.
    LeaveAtOnce,
    /// Seed for exactly `time`.
    Fixed { time: Duration },
    /// Exponentially distributed with mean `mean`.
    Exponential { mean: Duration },
    /// Log-normal with median `median` and shape `sigma` (of the underlying normal).
    Lognormal { median: Duration, sigma: f64 },
    /// Seed until the horizon.
    Forever,
    /// Economic departure: after `min_time`, every `window` the peer compares the tokens it
    /// earned over the last `window` with its cost of staying (drawn per peer from
    /// `cost_per_hour`) and leaves when earnings fall short; it leaves at `max_time` anyway.
    /// Peers that earn nothing (barter only) therefore seed for `min_time`.
    Economic {
        cost_per_hour: crate::config::TokenDist,
        min_time: Duration,
        max_time: Duration,
        #[serde(default = "default_earnings_window")]
        window: Duration,
    },
    /// Seed until the identity's ratio on the listing's site (uploaded / downloaded there,
    /// over every torrent, this one's bytes so far included) reaches `ratio`: checked from
    /// `min_time` on, every `window`; it leaves at `max_time` anyway. The private-tracker
    /// user's answer to ratio enforcement.
    UntilRatio {
        ratio: f64,
        #[serde(default)]
        min_time: Duration,
        max_time: Duration,
        #[serde(default = "default_earnings_window")]
        window: Duration,
    },
    /// Seed until the identity owes nothing (its loans repaid from its sales, see
    /// `[economy.lending]`): checked from `min_time` on, every `window`; it leaves at
    /// `max_time` anyway. A peer that owes nothing seeds `min_time`. The seed document's
    /// borrower, who seeds what it downloaded until its debt is paid.
    UntilRepaid {
        #[serde(default)]
        min_time: Duration,
        max_time: Duration,
        #[serde(default = "default_earnings_window")]
        window: Duration,
    },
}
}

fn default_earnings_window() -> Duration {
    Duration::from_secs(600)
}

/// Leechers abort after an exponentially distributed time with mean `mean` unless they
/// complete first (θ = 1/mean in the fluid model).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AbortConfig {
    pub mean: Duration,
}
