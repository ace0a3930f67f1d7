//! The time-series recorder: per torrent, at every sample, the swarm's size and availability.
//!
//! Invariant: samples are appended in time order, one row per (time, torrent, metric).

use crate::time::SimTime;
use serde::Serialize;
use std::borrow::Cow;

crate::documented! {
    /// One sampled value, in tidy (long) form.
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct SeriesRow {
        /// Sample time, seconds from the start.
        pub time_s: f64,
        /// The torrent (listing), or `*` for run-wide metrics.
        pub torrent: String,
        /// The metric's name (`seeds`, `leechers`, `distributed_copies`, … ; `tokenswarm metrics` lists them).
        pub metric: Cow<'static, str>,
        /// Its value at that time.
        pub value: f64,
    }
}

/// Metric names of the time series, with their meaning.
pub const SERIES_METRICS: &[(&str, &str)] = &[
    (
        "seeds",
        "online peers holding every piece (publishers included)",
    ),
    ("leechers", "online peers still downloading"),
    (
        "distributed_copies",
        "copies of the rarest piece plus the fraction of pieces with more (libtorrent's measure)",
    ),
    (
        "rarest_piece_copies",
        "copies of the rarest piece among online peers",
    ),
    ("pieces_without_copy", "pieces no online peer holds"),
];

/// Run-wide economic metrics of the time series (torrent column `*`), with their meaning.
/// Balances also appear per group as `balance_mean_tokens.class.<class>` and
/// `balance_mean_tokens.strategy.<strategy>` (mean gross holdings of the group's hosts).
pub const ECONOMY_SERIES_METRICS: &[(&str, &str)] = &[
    ("token_supply", "tokens minted minus burned"),
    ("escrow_tokens", "tokens held in channel escrows"),
    ("treasury_tokens", "tokens held by the treasury"),
    (
        "traded_volume_tokens",
        "tokens paid for delivered pieces so far",
    ),
    ("paid_pieces", "pieces paid for so far"),
    (
        "price_per_mib",
        "mean price per MiB of the pieces paid for since the previous sample (absent if none)",
    ),
];

/// What a sample reads of one torrent's swarm.
#[derive(Clone, Copy, Debug)]
pub struct SwarmCounts<'a> {
    pub seeds: u32,
    pub leechers: u32,
    /// Copies of each piece among online peers.
    pub copies: &'a [u32],
    pub pieces_without_copy: u32,
}

/// Collects time-series samples during a run.
#[derive(Debug)]
pub struct Recorder {
    names: Vec<String>,
    rows: Vec<SeriesRow>,
    last: Option<SimTime>,
}

impl Recorder {
    /// A recorder of the listings named `names` (in id order).
    pub fn new(names: Vec<String>) -> Self {
        Recorder {
            names,
            rows: Vec::new(),
            last: None,
        }
    }

    /// A listing created during the run (its rows start at the next sample).
    pub fn add_torrent(&mut self, name: String) {
        self.names.push(name);
    }

    /// Appends one sample of every torrent (in scenario order). Cost O(total pieces).
    pub fn sample<'a>(&mut self, now: SimTime, torrents: impl Iterator<Item = SwarmCounts<'a>>) {
        self.last = Some(now);
        let time_s = now.as_secs_f64();
        for (name, t) in self.names.iter().zip(torrents) {
            let copies = t.copies;
            let min = copies.iter().copied().min().unwrap_or(0);
            let above = copies.iter().filter(|&&c| c > min).count();
            let distributed = min as f64 + above as f64 / copies.len().max(1) as f64;
            let values = [
                ("seeds", t.seeds as f64),
                ("leechers", t.leechers as f64),
                ("distributed_copies", distributed),
                ("rarest_piece_copies", min as f64),
                ("pieces_without_copy", t.pieces_without_copy as f64),
            ];
            for (metric, value) in values {
                self.rows.push(SeriesRow {
                    time_s,
                    torrent: name.clone(),
                    metric: Cow::Borrowed(metric),
                    value,
                });
            }
        }
    }

    /// Appends one run-wide value (torrent column `*`), e.g. an economic metric.
    pub fn push_global(&mut self, now: SimTime, metric: Cow<'static, str>, value: f64) {
        self.rows.push(SeriesRow {
            time_s: now.as_secs_f64(),
            torrent: "*".to_string(),
            metric,
            value,
        });
    }

    pub fn last_sample(&self) -> Option<SimTime> {
        self.last
    }

    pub fn into_rows(self) -> Vec<SeriesRow> {
        self.rows
    }
}
