//! An estimate of a run's work (events) and peak memory from its scenario alone, so that a
//! valid but absurd scenario (a 1 µs rechoke, 2²⁰ pieces, a faucet every microsecond, a
//! horizon of a million days with stranded leechers) can be refused before it starts instead
//! of running for days or aborting out of memory.
//!
//! The estimate is deliberately coarse and errs high: leechers that arrive after the
//! publishers leave are assumed stranded (no copy of some piece online) until the horizon
//! unless they abort, a download never beats what the publishers can send, and every peer is
//! assumed to announce at the shorter of `announce_interval` and `min_announce_interval`
//! (small swarms never reach `min_peers`). Each term names the scenario field that drives it, so a
//! refusal can say what to change. On the shipped and regression scenarios it is within
//! 0.7–10 × the events they process (`estimated_events` in each run's manifest).
//!
//! Invariant: a pure function of the scenario; it never allocates in proportion to the run.

use super::{ArrivalConfig, Scenario, SeedingTime, validate::expected_arrivals};

/// Events a piece transfer costs (start, completion, HAVEs, slot refills), measured.
const EVENTS_PER_TRANSFER: f64 = 1.5;
/// A rarest-first pick scans the pieces in blocks of 64 at ~2 instructions per piece; an
/// event costs ~3,000 instructions. So one pick costs `pieces / 1,500` events of work.
const PIECES_PER_EVENT_OF_PICKING: f64 = 1_500.0;
/// Bytes per peer besides its per-piece state (records, links, connections at the default
/// 80 neighbours, timers, trade state): peak RSS per peer measured 28 KB at `flash-2k` and
/// 37 KB at `flash-10k-tokens`, with ~1.3 KB of it per-piece state.
const PEER_BYTES: f64 = 32_000.0;
/// Bytes per journal row in memory and in the written tables (CSV and Parquet).
const JOURNAL_ROW_BYTES: f64 = 200.0;
/// Bytes per series row in memory and in the written tables.
const SERIES_ROW_BYTES: f64 = 120.0;
/// Metrics per torrent and sample in the series (swarm and availability rows).
const SERIES_ROWS_PER_SAMPLE: f64 = 8.0;
/// Bytes per pending event in the queue.
const EVENT_BYTES: f64 = 32.0;

/// One term of the estimate and the field that drives it.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkTerm {
    /// What the term counts ("piece transfers", "rechokes", …).
    pub what: &'static str,
    /// The dotted scenario field that drives it.
    pub field: String,
    /// Events of work (a pick over many pieces counts as several events).
    pub events: f64,
    /// Bytes it holds at the peak.
    pub bytes: f64,
}

/// The estimate of one run: every term, largest first.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkEstimate {
    pub terms: Vec<WorkTerm>,
}

impl WorkEstimate {
    pub fn events(&self) -> f64 {
        self.terms.iter().map(|t| t.events).sum()
    }

    pub fn bytes(&self) -> f64 {
        self.terms.iter().map(|t| t.bytes).sum()
    }

    /// The term with the most events.
    pub fn largest_by_events(&self) -> Option<&WorkTerm> {
        self.terms
            .iter()
            .max_by(|a, b| a.events.total_cmp(&b.events))
    }

    /// The term with the most bytes.
    pub fn largest_by_bytes(&self) -> Option<&WorkTerm> {
        self.terms.iter().max_by(|a, b| a.bytes.total_cmp(&b.bytes))
    }
}

impl Scenario {
    /// Estimates the run's events and peak memory (see the module doc). Cost O(torrents +
    /// classes + trace rows).
    pub fn estimate_work(&self) -> WorkEstimate {
        let horizon_s = self.horizon.as_secs_f64();
        let mut terms = Vec::new();
        let mean_upload = self
            .classes
            .iter()
            .map(|c| c.share * c.upload.0 as f64)
            .sum::<f64>()
            .max(1.0);
        let min_download = self
            .classes
            .iter()
            .map(|c| c.download.0 as f64)
            .fold(f64::INFINITY, f64::min)
            .max(1.0);
        // Each class rechokes at its own client's interval; publishers at the scenario's.
        let rechoke_of =
            |c: &super::ClientConfig| c.choker.params().rechoke_interval.as_secs_f64().max(1e-6);
        let top_rechoke_s = rechoke_of(&self.client);
        // (1 / interval weighted by class share, and the field of the fastest class).
        let mut leecher_rechokes_per_s = 0.0;
        let mut rechoke_field = "client.choker.rechoke_interval".to_string();
        let mut fastest = top_rechoke_s;
        for (k, c) in self.classes.iter().enumerate() {
            let r = c.client.as_ref().map_or(top_rechoke_s, rechoke_of);
            leecher_rechokes_per_s += c.share / r;
            if c.client.is_some() && r < fastest {
                fastest = r;
                rechoke_field = format!("classes[{k}].client.choker.rechoke_interval");
            }
        }
        // Peers with enough neighbours announce every `announce_interval`, lonely ones every
        // `min_announce_interval`: count the shorter.
        let (announce_s, announce_field) = {
            let t = &self.tracker;
            let (every, min) = (
                t.announce_interval.as_secs_f64(),
                t.min_announce_interval.as_secs_f64(),
            );
            if every < min {
                (every.max(1e-6), "tracker.announce_interval")
            } else {
                (min.max(1e-6), "tracker.min_announce_interval")
            }
        };
        let mut online_peers = 0.0;
        for (i, t) in self.torrents.iter().enumerate() {
            let field = |name: &str| format!("torrents[{i}].{name}");
            let window_s = (horizon_s - t.release.as_secs_f64()).max(0.0);
            let leechers = expected_arrivals(&t.arrivals, window_s);
            let publishers = f64::from(t.publishers.count);
            let pieces = f64::from(t.num_pieces());
            // Per-piece state of every peer (availability counts, bitfield, in-flight marks).
            terms.push(WorkTerm {
                what: "per-piece state of every peer",
                field: field("piece_size"),
                events: 0.0,
                bytes: (leechers + publishers) * (pieces * 1.25 + PEER_BYTES),
            });
            // Every leecher fetches every piece once; each fetch starts with a pick.
            let transfers = leechers * pieces;
            terms.push(WorkTerm {
                what: "piece transfers",
                field: field("piece_size"),
                events: transfers * (EVENTS_PER_TRANSFER + pieces / PIECES_PER_EVENT_OF_PICKING),
                bytes: 0.0,
            });
            // Time online: download (at the swarm's mean upload, the slowest download, and
            // never faster than the publishers can send one copy), then seeding.
            let size = t.size.0 as f64;
            let publisher_upload = publishers * t.publishers.upload.0 as f64;
            let mut download_s = (size / mean_upload).max(size / min_download);
            if publishers > 0.0 {
                download_s = download_s.max(size / publisher_upload.max(1e-9));
            }
            // Leechers that arrive once the publishers are gone may be stranded (no copy of
            // some piece online) until the horizon, unless they abort.
            let gone_at_s = match (t.publishers.count, t.publishers.leave_after) {
                (0, _) => Some(0.0),
                (_, Some(l)) => Some(l.as_secs_f64().min(window_s)),
                (_, None) => None,
            };
            // If the publishers leave before they could send one copy, every leecher may be.
            let (stranded_share, stranded_s) = match gone_at_s {
                Some(gone) if leechers > 0.0 && size / publisher_upload.max(1e-9) > gone => {
                    (1.0, window_s)
                }
                Some(gone) if leechers > 0.0 => (
                    1.0 - expected_arrivals(&t.arrivals, gone) / leechers,
                    window_s - gone,
                ),
                _ => (0.0, 0.0),
            };
            let abort_s = t.abort.map_or(f64::INFINITY, |a| a.mean.as_secs_f64());
            let leech_s = (1.0 - stranded_share) * download_s.min(abort_s)
                + stranded_share * stranded_s.min(abort_s);
            let seed_s = seeding_estimate_s(&t.seeding, window_s);
            let stay_s = (leech_s + seed_s).min(window_s);
            let publisher_s = gone_at_s.unwrap_or(window_s);
            let leecher_seconds = leechers * stay_s;
            let peer_seconds = leecher_seconds + publishers * publisher_s;
            online_peers += peer_seconds / horizon_s.max(1e-6);
            terms.push(WorkTerm {
                what: "rechokes",
                field: rechoke_field.clone(),
                events: leecher_seconds * leecher_rechokes_per_s
                    + publishers * publisher_s / top_rechoke_s,
                bytes: 0.0,
            });
            terms.push(WorkTerm {
                what: "announces",
                field: announce_field.into(),
                events: peer_seconds / announce_s,
                bytes: 0.0,
            });
            if let ArrivalConfig::FlashCrowd { count, .. } = t.arrivals {
                terms.push(WorkTerm {
                    what: "join times drawn up front",
                    field: field("arrivals.count"),
                    events: 0.0,
                    bytes: f64::from(count) * 8.0,
                });
            }
        }
        let samples = horizon_s / self.sample_interval.as_secs_f64().max(1e-6);
        let series_rows = samples * self.torrents.len() as f64 * SERIES_ROWS_PER_SAMPLE;
        terms.push(WorkTerm {
            what: "time-series samples",
            field: "sample_interval".into(),
            events: samples,
            bytes: series_rows * SERIES_ROW_BYTES,
        });
        if let Some(e) = &self.economy {
            let settlements = horizon_s / e.channel.settle_interval.as_secs_f64().max(1e-6);
            // Each settlement pays out the channels with unsettled payments: at most one per
            // online peer and neighbour slot; count one row per online peer.
            let rows = settlements * online_peers.max(1.0);
            terms.push(WorkTerm {
                what: "channel settlements",
                field: "economy.channel.settle_interval".into(),
                events: settlements + rows,
                bytes: rows * JOURNAL_ROW_BYTES,
            });
            if let Some(f) = &e.faucet {
                let mints = horizon_s / f.interval.as_secs_f64().max(1e-6);
                let rows = mints * online_peers.max(1.0);
                terms.push(WorkTerm {
                    what: "faucet mints",
                    field: "economy.faucet.interval".into(),
                    events: mints + rows,
                    bytes: rows * JOURNAL_ROW_BYTES,
                });
            }
            for (i, t) in self.torrents.iter().enumerate() {
                if let SeedingTime::Economic { window, .. } = t.seeding {
                    let checks = online_peers * horizon_s / window.as_secs_f64().max(1e-6);
                    terms.push(WorkTerm {
                        what: "economic seeding checks",
                        field: format!("torrents[{i}].seeding.window"),
                        events: checks,
                        bytes: 0.0,
                    });
                }
            }
        }
        let events: f64 = terms.iter().map(|t| t.events).sum();
        terms.push(WorkTerm {
            what: "pending events",
            field: "horizon".into(),
            events: 0.0,
            bytes: (online_peers * 4.0).min(events) * EVENT_BYTES,
        });
        terms.sort_by(|a, b| {
            (b.events + b.bytes)
                .total_cmp(&(a.events + a.bytes))
                .then_with(|| a.what.cmp(b.what))
        });
        WorkEstimate { terms }
    }
}

/// Mean seeding time after completion, bounded by the window.
fn seeding_estimate_s(s: &SeedingTime, window_s: f64) -> f64 {
    let mean = match *s {
        SeedingTime::LeaveAtOnce => 0.0,
        SeedingTime::Fixed { time } => time.as_secs_f64(),
        SeedingTime::Exponential { mean } => mean.as_secs_f64(),
        SeedingTime::Lognormal { median, sigma } => {
            median.as_secs_f64() * (sigma * sigma / 2.0).exp()
        }
        SeedingTime::Forever => window_s,
        SeedingTime::Economic { max_time, .. }
        | SeedingTime::UntilRatio { max_time, .. }
        | SeedingTime::UntilRepaid { max_time, .. } => max_time.as_secs_f64(),
    };
    mean.min(window_s)
}
