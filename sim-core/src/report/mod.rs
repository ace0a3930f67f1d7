//! What a run reports: the summary (golden-comparable, no wall-clock figures) and the tables
//! of peers, torrents and the time series.
//!
//! Invariant: a report is a pure function of the scenario and seed.

pub mod economy;

use crate::config::Scenario;
use crate::economy::Economy;
use crate::economy::tokens::to_tokens;
use crate::metrics::{Recorder, SeriesRow};
use crate::swarm::{Host, LeaveReason, Peer, TorrentState};
use crate::time::SimTime;
use serde::Serialize;

/// Mean and nearest-rank percentiles of a sample; `None` fields when the sample is empty.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Stats {
    pub count: usize,
    pub mean: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p99: Option<f64>,
}

impl Stats {
    /// Summarises `values` (any order). Percentile `q` is the nearest-rank value
    /// `sorted[ceil(q·n) − 1]`. Cost O(n log n).
    pub fn of(mut values: Vec<f64>) -> Stats {
        if values.is_empty() {
            return Stats::default();
        }
        values.sort_by(f64::total_cmp);
        let n = values.len();
        let rank = |q: f64| values[((q * n as f64).ceil() as usize).clamp(1, n) - 1];
        Stats {
            count: n,
            mean: Some(values.iter().sum::<f64>() / n as f64),
            p50: Some(rank(0.5)),
            p90: Some(rank(0.9)),
            p99: Some(rank(0.99)),
        }
    }
}

/// Per-torrent results.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TorrentSummary {
    pub name: String,
    pub pieces: u32,
    pub size_bytes: u64,
    pub arrivals: u32,
    pub completed_downloads: usize,
    pub aborted: usize,
    /// From joining to holding every piece, over peers that completed.
    pub download_time_s: Stats,
    /// Mean over completed peers of size / download time.
    pub mean_download_rate_bytes_per_s: Option<f64>,
    /// From release until the online peers no longer held every piece; `None` if never lost
    /// before the end of the run.
    pub longevity_s: Option<f64>,
    /// Seeding time after completion of peers that completed and then left (publishers
    /// excluded; peers still seeding at the end are not counted).
    pub seeding_time_s: Stats,
    pub seeds_at_end: u32,
    pub leechers_at_end: u32,
    /// Bytes received twice in endgame (duplicates cancelled or overtaken).
    pub bytes_wasted: u64,
}

/// The golden-comparable summary of a run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub scenario: String,
    pub seed: u64,
    /// Events handled. Flow completions superseded by a re-timing or a stop are dropped by
    /// the queue unhandled and are not counted.
    pub events_processed: u64,
    pub piece_transfers: u64,
    pub sim_time_s: f64,
    pub hosts: usize,
    pub peers: usize,
    pub torrents: Vec<TorrentSummary>,
    /// Token economy results; absent for barter-only scenarios.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub economy: Option<economy::EconomySummary>,
}

/// One row per peer (a host's membership in a torrent).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PeerRow {
    pub peer: u32,
    pub host: u32,
    pub torrent: String,
    /// Bandwidth class name, or `publisher`.
    pub class: String,
    pub joined_s: f64,
    pub completed_s: Option<f64>,
    pub left_s: Option<f64>,
    /// `seeding_over`, `unprofitable`, `abort`, `publisher_off`, or empty while still online
    /// at the end.
    pub leave_reason: &'static str,
    pub download_time_s: Option<f64>,
    pub seeding_time_s: Option<f64>,
    pub bytes_downloaded: u64,
    pub bytes_uploaded: u64,
    pub bytes_wasted: u64,
    /// Token strategy of its host (`barter` without the token extension or economy).
    pub strategy: String,
    pub tokens_earned: f64,
    pub tokens_spent: f64,
    pub pieces_bought: u64,
    pub pieces_sold: u64,
}

/// Class name of a host (`publisher` for publishers).
pub(crate) fn class_name(scenario: &Scenario, host: &Host) -> String {
    host.class.map_or("publisher".to_string(), |c| {
        scenario.classes[c.index()].name.clone()
    })
}

/// Everything a run produces.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub summary: Summary,
    pub peers: Vec<PeerRow>,
    pub series: Vec<SeriesRow>,
    /// Balances and ledger journal, when the scenario has an economy.
    pub economy: Option<economy::EconomyTables>,
}

impl Report {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn build(
        scenario: &Scenario,
        end: SimTime,
        events_processed: u64,
        piece_transfers: u64,
        peers: &[Peer],
        hosts: &[Host],
        torrents: &[TorrentState],
        recorder: Recorder,
        econ: Option<&Economy>,
    ) -> Report {
        let secs = |t: SimTime| t.as_secs_f64();
        let rows: Vec<PeerRow> = peers
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let class = class_name(scenario, &hosts[p.host.index()]);
                let seeding_time = match (p.publisher, p.completed_at, p.left_at) {
                    (false, Some(c), Some(l)) => Some(secs(l) - secs(c)),
                    _ => None,
                };
                PeerRow {
                    peer: i as u32,
                    host: p.host.0,
                    torrent: scenario.torrents[p.torrent.index()].name.clone(),
                    class,
                    joined_s: secs(p.joined_at),
                    completed_s: p.completed_at.map(secs),
                    left_s: p.left_at.map(secs),
                    leave_reason: match p.leave_reason {
                        Some(LeaveReason::SeedingOver) => "seeding_over",
                        Some(LeaveReason::Abort) => "abort",
                        Some(LeaveReason::PublisherOff) => "publisher_off",
                        Some(LeaveReason::Unprofitable) => "unprofitable",
                        None => "",
                    },
                    download_time_s: if p.publisher {
                        None
                    } else {
                        p.completed_at.map(|c| secs(c) - secs(p.joined_at))
                    },
                    seeding_time_s: seeding_time,
                    bytes_downloaded: p.bytes_downloaded,
                    bytes_uploaded: p.bytes_uploaded,
                    bytes_wasted: p.bytes_wasted,
                    strategy: econ
                        .map_or("barter".to_string(), |e| economy::strategy_name(e, p.host)),
                    tokens_earned: econ.map_or(0.0, |e| to_tokens(e.peers[i].earned)),
                    tokens_spent: econ.map_or(0.0, |e| to_tokens(e.peers[i].spent)),
                    pieces_bought: econ.map_or(0, |e| e.peers[i].pieces_bought),
                    pieces_sold: econ.map_or(0, |e| e.peers[i].pieces_sold),
                }
            })
            .collect();
        let summaries = scenario
            .torrents
            .iter()
            .zip(torrents)
            .enumerate()
            .map(|(t, (cfg, state))| {
                let mine = || {
                    peers
                        .iter()
                        .zip(&rows)
                        .filter(move |(p, _)| p.torrent.index() == t && !p.publisher)
                };
                let times: Vec<f64> = mine().filter_map(|(_, r)| r.download_time_s).collect();
                let rates: Vec<f64> = times
                    .iter()
                    .filter(|&&d| d > 0.0)
                    .map(|d| cfg.size.0 as f64 / d)
                    .collect();
                TorrentSummary {
                    name: cfg.name.clone(),
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
                    longevity_s: state.lost_at.map(|l| secs(l) - cfg.release.as_secs_f64()),
                    seeding_time_s: Stats::of(
                        mine().filter_map(|(_, r)| r.seeding_time_s).collect(),
                    ),
                    seeds_at_end: state.seeds,
                    leechers_at_end: state.leechers,
                    bytes_wasted: mine().map(|(p, _)| p.bytes_wasted).sum(),
                }
            })
            .collect();
        let economy = econ.map(|e| economy::build(scenario, e, hosts, peers, piece_transfers));
        let (economy_summary, economy_tables) = match economy {
            Some((s, t)) => (Some(s), Some(t)),
            None => (None, None),
        };
        Report {
            summary: Summary {
                scenario: scenario.name.clone(),
                seed: scenario.seed,
                events_processed,
                piece_transfers,
                sim_time_s: secs(end),
                hosts: hosts.len(),
                peers: peers.len(),
                torrents: summaries,
                economy: economy_summary,
            },
            peers: rows,
            series: recorder.into_rows(),
            economy: economy_tables,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let s = Stats::of((1..=100).map(f64::from).rev().collect());
        assert_eq!(
            (s.count, s.mean, s.p50, s.p90, s.p99),
            (100, Some(50.5), Some(50.0), Some(90.0), Some(99.0))
        );
        let one = Stats::of(vec![7.0]);
        assert_eq!((one.p50, one.p99), (Some(7.0), Some(7.0)));
        assert_eq!(Stats::of(vec![]).mean, None);
    }
}
