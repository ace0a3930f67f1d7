//! What a run reports: the summary (golden-comparable, no wall-clock figures) and the tables
//! of peers, torrents and the time series, built from the plain record of the run
//! ([`RunRecord`]) and each layer's own summary and tables (the economy's).
//!
//! Invariant: a report is a pure function of the scenario and seed. **It does not know the
//! engine**: nothing here imports `swarm`.

pub use crate::economy::lending_summary as economy_lending;
pub use crate::economy::summary as economy;
pub use crate::stats::Stats;
pub mod world;

use crate::config::Scenario;
use crate::economy::Economy;
use crate::economy::tokens::to_tokens;
use crate::ids::PeerId;
use crate::metrics::SeriesRow;
use crate::record::{LeaveReason, RunRecord, class_name};
use crate::time::SimTime;
use serde::Serialize;

crate::documented! {
    /// Per-torrent results.
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct TorrentSummary {
        /// The listing's name (the torrent's name; `content@site` for a content listed on several sites).
        pub name: String,
        /// Pieces of the torrent.
        pub pieces: u32,
        /// Size of the content, bytes.
        pub size_bytes: u64,
        /// Leechers that arrived (joined the swarm) during the run.
        pub arrivals: u32,
        /// Arrivals that held every piece before the end (publishers and agents' hosts not counted).
        pub completed_downloads: usize,
        /// Arrivals that left before completing (aborts).
        pub aborted: usize,
        /// From joining to holding every piece, over peers that completed.
        pub download_time_s: Stats,
        /// Mean over completed peers of size / download time.
        pub mean_download_rate_bytes_per_s: Option<f64>,
        /// From release until the online peers no longer held every piece; `None` if never lost
        /// before the end of the run (then censored).
        pub longevity_s: Option<f64>,
        /// Censoring of `longevity_s`: the time observed without a loss (from release to the end
        /// of the run) when it was never lost, else `None`.
        pub longevity_censored_at_s: Option<f64>,
        /// Seeding time after completion of peers that completed and then left (publishers
        /// excluded; peers still seeding at the end are censored: counted below, their observed
        /// seeding time in `peers.csv`).
        pub seeding_time_s: Stats,
        /// Completed peers still seeding at the end (censored seeding times).
        pub seeding_time_censored: usize,
        /// Leechers still downloading at the end (censored download times).
        pub download_time_censored: usize,
        /// Online peers holding every piece at the end.
        pub seeds_at_end: u32,
        /// Online peers still downloading at the end.
        pub leechers_at_end: u32,
        /// Bytes received twice in endgame (duplicates cancelled or overtaken).
        pub bytes_wasted: u64,
        /// With a world above the swarm: where the listing is, and its content over time.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub listing: Option<world::ListingSummary>,
    }
}

crate::documented! {
    /// The golden-comparable summary of a run.
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct Summary {
        /// The scenario's name.
        pub scenario: String,
        /// The run's seed (identifies the run; not a metric).
        pub seed: u64,
        /// Events handled. Flow completions superseded by a re-timing or a stop are dropped by
        /// the queue unhandled and are not counted.
        pub events_processed: u64,
        /// Whole pieces delivered, every torrent.
        pub piece_transfers: u64,
        /// Simulated time at the end of the run (the horizon, or earlier when the run stops once every download is done).
        pub sim_time_s: f64,
        /// Hosts created (users' machines, publishers, agents' hosts).
        pub hosts: usize,
        /// Peers created: a host's membership in one torrent.
        pub peers: usize,
        /// Per torrent (listing) results, keyed by name.
        pub torrents: Vec<TorrentSummary>,
        /// Token economy results; absent for barter-only scenarios.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub economy: Option<economy::EconomySummary>,
        /// Sites: listings, bans, ratios; only with a world above the swarm.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub sites: Option<Vec<crate::sites::SiteSummary>>,
        /// Agents by kind: count, cost, revenue, net, return on cost; only with agents.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub agents: Option<std::collections::BTreeMap<String, world::AgentGroup>>,
        /// Identities, IPs and defaults; only with `[economy.lending]`.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub identity: Option<economy_lending::IdentitySummary>,
    }
}

crate::documented! {
    /// One row per peer (a host's membership in a torrent).
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct PeerRow {
        /// The peer's id.
        pub peer: u32,
        /// Its host's id.
        pub host: u32,
        /// The torrent (listing) it is in.
        pub torrent: String,
        /// Bandwidth class name, or `publisher`.
        pub class: String,
        /// When it joined, seconds from the start.
        pub joined_s: f64,
        /// When it held every piece; empty if never.
        pub completed_s: Option<f64>,
        /// When it left; empty if online at the end.
        pub left_s: Option<f64>,
        /// `seeding_over`, `unprofitable`, `abort`, `publisher_off`, or empty while still online
        /// at the end.
        pub leave_reason: &'static str,
        /// From joining to completion; empty for publishers and for leechers that never completed.
        pub download_time_s: Option<f64>,
        /// A leecher still downloading at the end: the time it had been downloading (its download
        /// time is censored there), else empty.
        pub download_time_censored_at_s: Option<f64>,
        /// From completion to leaving; empty if it never completed, never left, or is a publisher.
        pub seeding_time_s: Option<f64>,
        /// A completed peer still seeding at the end (publishers excluded): the time it had been
        /// seeding (censored), else empty.
        pub seeding_time_censored_at_s: Option<f64>,
        /// Online at release as part of the torrent's warm start, not an arrival (its
        /// times count from the release; the torrent's download and seeding statistics leave it
        /// out).
        pub warm_start: bool,
        /// Bytes received, duplicates included.
        pub bytes_downloaded: u64,
        /// Bytes sent.
        pub bytes_uploaded: u64,
        /// Bytes received twice in endgame.
        pub bytes_wasted: u64,
        /// Token strategy of its host (`barter` without the token extension or economy).
        pub strategy: String,
        /// Tokens earned selling pieces in this torrent.
        pub tokens_earned: f64,
        /// Tokens spent buying pieces in this torrent.
        pub tokens_spent: f64,
        /// Pieces it paid for.
        pub pieces_bought: u64,
        /// Pieces it was paid for.
        pub pieces_sold: u64,
        /// The identity it joined under (with a world above the swarm).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub identity: Option<u32>,
    }
}

/// Everything a run produces.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub summary: Summary,
    pub peers: Vec<PeerRow>,
    pub series: Vec<SeriesRow>,
    /// Balances and ledger journal, when the scenario has an economy.
    pub economy: Option<economy::EconomyTables>,
    /// One row per agent, when the scenario has agents.
    pub agents: Option<Vec<world::AgentRow>>,
}

impl Report {
    /// The report of a finished run: its record, time series and economy (if any).
    pub fn build(
        scenario: &Scenario,
        record: &RunRecord,
        series: Vec<SeriesRow>,
        econ: Option<&Economy>,
        world: Option<(&crate::sites::Sites, &crate::agents::Agents)>,
    ) -> Report {
        let secs = |t: SimTime| t.as_secs_f64();
        let (peers, hosts, torrents) = (&record.peers, &record.hosts, &record.torrents);
        let rows: Vec<PeerRow> = peers
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let class = class_name(scenario, &hosts[p.host.index()]);
                let seeding_time = match (p.publisher, p.completed_at, p.left_at) {
                    (false, Some(c), Some(l)) => Some(secs(l) - secs(c)),
                    _ => None,
                };
                let (earned, spent, bought, sold) =
                    econ.map_or((0, 0, 0, 0), |e| e.peer_trade(PeerId(i as u32)));
                PeerRow {
                    peer: i as u32,
                    host: p.host.0,
                    torrent: torrents[p.torrent.index()].name.clone(),
                    class,
                    joined_s: secs(p.joined_at),
                    completed_s: p.completed_at.map(secs),
                    left_s: p.left_at.map(secs),
                    leave_reason: p.leave_reason.map_or("", LeaveReason::name),
                    download_time_s: if p.publisher {
                        None
                    } else {
                        p.completed_at.map(|c| secs(c) - secs(p.joined_at))
                    },
                    seeding_time_s: seeding_time,
                    download_time_censored_at_s: (!p.publisher
                        && p.completed_at.is_none()
                        && p.left_at.is_none())
                    .then(|| secs(record.end) - secs(p.joined_at)),
                    seeding_time_censored_at_s: match (p.publisher, p.completed_at, p.left_at) {
                        (false, Some(c), None) => Some(secs(record.end) - secs(c)),
                        _ => None,
                    },
                    warm_start: p.warm,
                    bytes_downloaded: p.bytes_downloaded,
                    bytes_uploaded: p.bytes_uploaded,
                    bytes_wasted: p.bytes_wasted,
                    strategy: econ.map_or("barter".to_string(), |e| e.strategy_name(p.host)),
                    tokens_earned: to_tokens(earned),
                    tokens_spent: to_tokens(spent),
                    pieces_bought: bought,
                    pieces_sold: sold,
                    identity: world.map(|_| p.identity.0),
                }
            })
            .collect();
        // From listing (the release for the catalog's listings).
        let since = |state: &crate::record::TorrentRecord| {
            state.listed_at.map_or_else(
                || {
                    scenario.torrents[state.content.index()]
                        .release
                        .as_secs_f64()
                },
                secs,
            )
        };
        let summaries = torrents
            .iter()
            .enumerate()
            .map(|(t, state)| {
                let cfg = &scenario.torrents[state.content.index()];
                // The listing's users: not its publishers, not its warm start, not agents' hosts.
                let mine = || {
                    peers.iter().zip(&rows).filter(move |(p, _)| {
                        p.torrent.index() == t
                            && !p.publisher
                            && !p.warm
                            && hosts[p.host.index()].owner.is_none()
                    })
                };
                let times: Vec<f64> = mine().filter_map(|(_, r)| r.download_time_s).collect();
                let rates: Vec<f64> = times
                    .iter()
                    .filter(|&&d| d > 0.0)
                    .map(|d| cfg.size.0 as f64 / d)
                    .collect();
                TorrentSummary {
                    name: state.name.clone(),
                    pieces: state.num_pieces,
                    size_bytes: cfg.size.0,
                    arrivals: state.arrivals,
                    completed_downloads: times.len(),
                    aborted: mine()
                        .filter(|(p, _)| p.leave_reason == Some(LeaveReason::Abort))
                        .count(),
                    mean_download_rate_bytes_per_s: (!rates.is_empty())
                        .then(|| rates.iter().sum::<f64>() / rates.len() as f64),
                    download_time_s: Stats::of(times),
                    // From listing (the release for the catalog's listings) to first loss.
                    longevity_s: state.lost_at.map(|l| secs(l) - since(state)),
                    longevity_censored_at_s: (state.lost_at.is_none() && state.listed_at.is_some())
                        .then(|| secs(record.end) - since(state)),
                    seeding_time_s: Stats::of(
                        mine().filter_map(|(_, r)| r.seeding_time_s).collect(),
                    ),
                    seeding_time_censored: mine()
                        .filter(|(_, r)| r.seeding_time_censored_at_s.is_some())
                        .count(),
                    download_time_censored: mine()
                        .filter(|(_, r)| r.download_time_censored_at_s.is_some())
                        .count(),
                    seeds_at_end: state.seeds,
                    leechers_at_end: state.leechers,
                    bytes_wasted: mine().map(|(p, _)| p.bytes_wasted).sum(),
                    listing: world.map(|_| world::ListingSummary::of(scenario, state, record.end)),
                }
            })
            .collect();
        let economy = econ.map(|e| economy::build(scenario, e, record));
        let (economy_summary, mut economy_tables) = match economy {
            Some((s, t)) => (Some(s), Some(t)),
            None => (None, None),
        };
        let identity = economy_tables.as_mut().and_then(|t| t.identity.take());
        let (sites, agents, agent_rows) = match world {
            Some((sites, agents)) => {
                let (groups, rows) = world::agents(scenario, record, econ, agents);
                (
                    Some(world::sites(scenario, record, sites)),
                    (!agents.is_empty()).then_some(groups),
                    (!agents.is_empty()).then_some(rows),
                )
            }
            None => (None, None, None),
        };
        Report {
            summary: Summary {
                scenario: scenario.name.clone(),
                seed: scenario.seed,
                events_processed: record.events_processed,
                piece_transfers: record.piece_transfers,
                sim_time_s: secs(record.end),
                hosts: hosts.len(),
                peers: peers.len(),
                torrents: summaries,
                economy: economy_summary,
                sites,
                agents,
                identity,
            },
            peers: rows,
            series,
            economy: economy_tables,
            agents: agent_rows,
        }
    }
}
