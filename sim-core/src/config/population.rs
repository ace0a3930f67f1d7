//! Who arrives: bandwidth classes and how hosts are shared between torrents.

use super::ClientConfig;
use super::tagged::tagged_enum;
use crate::units::BytesPerSec;
use serde::{Deserialize, Serialize};

/// A class of hosts with the same access link.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandwidthClass {
    pub name: String,
    /// Probability that a new host belongs to this class; shares sum to 1.
    pub share: f64,
    /// Upload capacity shared by all the host's uploads in every torrent.
    pub upload: BytesPerSec,
    /// Download capacity shared by all the host's downloads in every torrent.
    pub download: BytesPerSec,
    /// A client for this class instead of the scenario's `[client]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<ClientConfig>,
}

/// How hosts relate to torrents.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationConfig {
    /// Probability that an arrival in a torrent is an already-online host (chosen uniformly
    /// among online hosts not yet in that torrent) rather than a new one. Such hosts share
    /// their bandwidth across all their torrents. 0 = every arrival is a new host.
    #[serde(default)]
    pub multi_torrent_share: f64,
    /// A finite population of users who come back: every arrival (not reusing an online
    /// host) is one of `users` users drawn uniformly, each with one host and one identity
    /// kept across visits (so a site's records of it accumulate). Absent = every arrival is
    /// a new user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<u32>,
    /// How IP addresses are given to hosts.
    #[serde(default, skip_serializing_if = "IpPlan::is_per_host")]
    pub ips: IpPlan,
}

tagged_enum! {
/// IP addresses of hosts (identities on one IP share its reputation and per-IP limits).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum IpPlan as "an IP plan" {
    /// Every host has its own address.
    #[default]
    PerHost,
    /// Hosts share addresses in creation order, `hosts_per_ip` per address (a proxy, a
    /// carrier-grade NAT).
    Shared { hosts_per_ip: u32 },
}
}

impl IpPlan {
    pub fn is_per_host(&self) -> bool {
        *self == IpPlan::PerHost
    }
}
