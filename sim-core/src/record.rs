//! The plain record of a finished run that reports are built from: what happened to every
//! host, peer and torrent, in plain data. The engine fills it once, at the end; the report
//! and every layer above the engine read it without knowing the engine's types.
//!
//! Invariant: indexed like the engine's entities (`peers[p]` is peer `p`), in creation order.

use crate::config::Scenario;
use crate::ids::{AgentId, ClassId, ContentId, HostId, IdentityId, IpId, SiteId, TorrentId};
use crate::time::SimTime;

/// Why a peer left its swarm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeaveReason {
    /// Its seeding time after completion ran out.
    SeedingOver,
    /// It gave up while leeching.
    Abort,
    /// A publisher going offline at its scheduled time.
    PublisherOff,
    /// Economic seeding: its recent earnings fell short of its cost of staying.
    Unprofitable,
    /// Its owner (an agent) dropped the torrent.
    Dropped,
    /// Its host went offline.
    Offline,
    /// The site banned its identity.
    Banned,
    /// It completed a fake copy and found out.
    Fake,
}

impl LeaveReason {
    /// The name in tables.
    pub fn name(self) -> &'static str {
        match self {
            LeaveReason::SeedingOver => "seeding_over",
            LeaveReason::Abort => "abort",
            LeaveReason::PublisherOff => "publisher_off",
            LeaveReason::Unprofitable => "unprofitable",
            LeaveReason::Dropped => "dropped",
            LeaveReason::Offline => "offline",
            LeaveReason::Banned => "banned",
            LeaveReason::Fake => "fake",
        }
    }
}

/// One host.
#[derive(Clone, Debug, PartialEq)]
pub struct HostRecord {
    /// Bandwidth class; `None` for publishers and agents' hosts.
    pub class: Option<ClassId>,
    pub ip: IpId,
    /// Its identity at the end.
    pub identity: IdentityId,
    /// The agent that owns it, and that agent's kind.
    pub owner: Option<(AgentId, &'static str)>,
}

/// One identity.
#[derive(Clone, Debug, PartialEq)]
pub struct IdentityRecord {
    pub host: HostId,
    pub ip: IpId,
    pub created_at: SimTime,
}

/// One peer: a host in one torrent.
#[derive(Clone, Debug, PartialEq)]
pub struct PeerRecord {
    pub host: HostId,
    pub torrent: TorrentId,
    /// The identity it joined under.
    pub identity: IdentityId,
    pub publisher: bool,
    /// Online at release as part of a warm start (not an arrival).
    pub warm: bool,
    pub joined_at: SimTime,
    pub completed_at: Option<SimTime>,
    pub left_at: Option<SimTime>,
    pub leave_reason: Option<LeaveReason>,
    pub bytes_downloaded: u64,
    pub bytes_uploaded: u64,
    pub bytes_wasted: u64,
}

/// One listing's swarm at the end.
#[derive(Clone, Debug, PartialEq)]
pub struct TorrentRecord {
    /// Its name in tables: the content's name, with `@site` when the scenario has sites.
    pub name: String,
    pub content: ContentId,
    pub site: SiteId,
    /// When it appeared (release, or a command); `None` if never.
    pub listed_at: Option<SimTime>,
    pub fake: bool,
    /// Leechers that completed it and found it fake.
    pub fake_downloads: u32,
    /// Arrivals a finite user population could not serve.
    pub arrivals_without_user: u32,
    /// When every piece was first online at once (on-demand content: its publication).
    pub first_available_at: Option<SimTime>,
    pub num_pieces: u32,
    /// First time after release at which some piece had no copy online.
    pub lost_at: Option<SimTime>,
    /// Periods without a full copy online: (lost at, restored at).
    pub episodes: Vec<(SimTime, Option<SimTime>)>,
    pub seeds: u32,
    pub leechers: u32,
    pub arrivals: u32,
    /// The agent whose command (and listing fee) created it, if any.
    pub listed_by: Option<crate::ids::AgentId>,
}

/// Everything the engine tells the report about a finished run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRecord {
    /// When the run ended (the horizon or the early stop).
    pub end: SimTime,
    pub events_processed: u64,
    pub piece_transfers: u64,
    pub hosts: Vec<HostRecord>,
    pub peers: Vec<PeerRecord>,
    pub torrents: Vec<TorrentRecord>,
    pub identities: Vec<IdentityRecord>,
}

/// Class name of a host (`publisher` for publishers, the agent's kind for agents' hosts).
pub fn class_name(scenario: &Scenario, host: &HostRecord) -> String {
    match (host.class, host.owner) {
        (Some(c), _) => scenario.classes[c.index()].name.clone(),
        (None, Some((_, kind))) => kind.to_string(),
        (None, None) => "publisher".to_string(),
    }
}
