//! The plain record of a finished run that reports are built from: what happened to every
//! host, peer and torrent, in plain data. The engine fills it once, at the end; the report
//! and every layer above the engine read it without knowing the engine's types.
//!
//! Invariant: indexed like the engine's entities (`peers[p]` is peer `p`), in creation order.

use crate::config::Scenario;
use crate::ids::{ClassId, HostId, TorrentId};
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
}

impl LeaveReason {
    /// The name in tables.
    pub fn name(self) -> &'static str {
        match self {
            LeaveReason::SeedingOver => "seeding_over",
            LeaveReason::Abort => "abort",
            LeaveReason::PublisherOff => "publisher_off",
            LeaveReason::Unprofitable => "unprofitable",
        }
    }
}

/// One host.
#[derive(Clone, Debug, PartialEq)]
pub struct HostRecord {
    /// Bandwidth class; `None` for publishers.
    pub class: Option<ClassId>,
}

/// One peer: a host in one torrent.
#[derive(Clone, Debug, PartialEq)]
pub struct PeerRecord {
    pub host: HostId,
    pub torrent: TorrentId,
    pub publisher: bool,
    pub joined_at: SimTime,
    pub completed_at: Option<SimTime>,
    pub left_at: Option<SimTime>,
    pub leave_reason: Option<LeaveReason>,
    pub bytes_downloaded: u64,
    pub bytes_uploaded: u64,
    pub bytes_wasted: u64,
}

/// One torrent's swarm at the end.
#[derive(Clone, Debug, PartialEq)]
pub struct TorrentRecord {
    pub num_pieces: u32,
    /// First time after release at which some piece had no copy online.
    pub lost_at: Option<SimTime>,
    pub seeds: u32,
    pub leechers: u32,
    pub arrivals: u32,
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
}

/// Class name of a host (`publisher` for publishers).
pub fn class_name(scenario: &Scenario, host: &HostRecord) -> String {
    host.class.map_or("publisher".to_string(), |c| {
        scenario.classes[c.index()].name.clone()
    })
}
