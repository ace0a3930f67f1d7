//! The token economy: ledger, payment channels, seller pricing, buyer bidding and the paid-slot
//! auction, plus the per-host and per-peer economic state the engine keeps when a scenario has
//! an `[economy]` section.
//!
//! The engine (`swarm::trade`) calls into this state at a handful of points: host and peer
//! creation, each seller's rechoke (auction), each paid transfer's start (commit), delivery
//! (release) and failure (refund), connection close (channel close), and its own periodic
//! events (batch settlement, faucet, economic seeding checks).
//!
//! Invariants: token conservation ([`ledger::Ledger::check`]); every channel's promises fit in
//! its escrow ([`channel::Channel::check`]); a direction holds a commitment only while it
//! carries a transfer, and an award only while unchoked.

pub mod auction;
pub mod bidding;
pub mod channel;
pub mod ledger;
pub mod pricing;
pub mod tokens;

use crate::config::{EconomyConfig, FeeSink};
use crate::ids::{ChannelId, ConnId, HostId, PeerId};
use crate::rng::{SimRng, Stream, stream, substream};
use crate::time::{SimDuration, SimTime};
use auction::Award;
use bidding::BidPolicy;
use channel::Channel;
use ledger::{Account, Ledger, Reason};
use pricing::Pricing;
use tokens::from_tokens;

/// Economic state of one host.
#[derive(Debug, Default)]
pub struct HostEcon {
    /// Index into `EconomyConfig::strategies`; `None` = does not speak the token extension.
    pub strategy: Option<usize>,
    /// µT minted to it (endowment and faucet).
    pub minted: u64,
    /// Lowest price per MiB it sells at, µT.
    pub reserve_per_mib: u64,
}

/// Economic state of one peer (a host in one torrent).
#[derive(Debug, Default)]
pub struct PeerEcon {
    pub pricing: Option<Box<dyn Pricing>>,
    pub bidding: Option<BidPolicy>,
    /// Regular slots it sells.
    pub paid_slots: u32,
    /// µT it may spend in this torrent.
    pub budget: u64,
    /// µT paid for delivered pieces.
    pub spent: u64,
    /// µT committed to transfers in progress.
    pub pending: u64,
    /// µT earned by delivered pieces (claims, whether settled yet or not).
    pub earned: u64,
    /// Part of `earned` earned after completing (while seeding).
    pub earned_seeding: u64,
    /// Pieces it bought / sold.
    pub pieces_bought: u64,
    pub pieces_sold: u64,
    /// Economic seeding: cost of staying (µT per hour), earnings at the last check and when
    /// that was, and when it leaves regardless.
    pub cost_per_hour: u64,
    pub earned_at_check: u64,
    pub last_check: SimTime,
    pub seeding_deadline: SimTime,
    pub check_window: SimDuration,
}

impl PeerEcon {
    /// µT of its budget not yet spent or promised.
    pub fn budget_left(&self) -> u64 {
        self.budget.saturating_sub(self.spent + self.pending)
    }
}

/// Trade state of one connection direction (indexed like `Conn::dirs`).
#[derive(Clone, Copy, Debug, Default)]
pub struct DirTrade {
    /// The downloader won a paid slot of the uploader at the last auction.
    pub award: Option<Award>,
    /// The channel the downloader pays the uploader through.
    pub channel: Option<ChannelId>,
    /// µT committed to the transfer in progress (0: unpaid).
    pub commit: u64,
    /// Its price, µT per MiB.
    pub commit_per_mib: u64,
}

/// Running totals for the report and the time series.
#[derive(Debug, Default)]
pub struct TradeStats {
    pub paid_pieces: u64,
    pub paid_bytes: u64,
    /// µT released for delivered pieces.
    pub volume: u128,
    pub fees: u128,
    pub channels_opened: u64,
    /// Price per MiB (µT) of every paid piece, in delivery order.
    pub prices: Vec<u64>,
    /// Since the last time-series sample: µT and MiB-weighted price sums.
    pub interval_volume: u128,
    pub interval_bytes: u128,
    /// Sum of supply over samples and their count (for velocity).
    pub supply_samples: u128,
    pub samples: u64,
}

/// The economy of one run.
#[derive(Debug)]
pub struct Economy {
    pub config: EconomyConfig,
    /// Channel fee and deposit, µT.
    pub fee: u64,
    pub deposit: u64,
    pub ledger: Ledger,
    pub channels: Vec<Channel>,
    pub hosts: Vec<HostEcon>,
    pub peers: Vec<PeerEcon>,
    dirs: Vec<[DirTrade; 2]>,
    pub stats: TradeStats,
    /// Auction tie-breaks (per-host and per-peer draws use their own substreams).
    pub auction_rng: SimRng,
    seed: u64,
}

impl Economy {
    pub fn new(config: &EconomyConfig, seed: u64) -> Self {
        Economy {
            fee: from_tokens(config.channel.fee),
            deposit: from_tokens(config.channel.deposit),
            config: config.clone(),
            ledger: Ledger::default(),
            channels: Vec::new(),
            hosts: Vec::new(),
            peers: Vec::new(),
            dirs: Vec::new(),
            stats: TradeStats::default(),
            auction_rng: stream(seed, Stream::Auction),
            seed,
        }
    }

    /// The random stream of `host`'s economic attributes.
    pub fn host_rng(&self, host: HostId) -> SimRng {
        substream(self.seed, Stream::Economy as u64, host.0 as u64)
    }

    /// The random stream of `peer`'s economic attributes.
    pub fn peer_rng(&self, peer: PeerId) -> SimRng {
        substream(self.seed, Stream::EconomyPeers as u64, peer.0 as u64)
    }

    /// Trade state of direction `side` of `c` (default when never traded).
    pub fn dir(&self, c: ConnId, side: usize) -> DirTrade {
        self.dirs
            .get(c.index())
            .map(|d| d[side])
            .unwrap_or_default()
    }

    /// Prefetches the trade state of direction `side` of `c` (a hint).
    #[inline]
    pub fn warm_dir(&self, c: ConnId, side: usize) {
        if let Some(d) = self.dirs.get(c.index()) {
            crate::prefetch::prefetch_write(&d[side]);
        }
    }

    /// Prefetches what a bid reads of `peer`'s economic state: its policy and budget (a
    /// hint; the record spans more than one cache line).
    #[inline]
    pub fn warm_bidder(&self, peer: PeerId) {
        if let Some(p) = self.peers.get(peer.index()) {
            crate::prefetch::prefetch(&p.bidding);
            crate::prefetch::prefetch(&p.budget);
            crate::prefetch::prefetch(&p.spent);
            crate::prefetch::prefetch(&p.pending);
        }
    }

    /// Prefetches channel `id` (a hint).
    #[inline]
    pub fn warm_channel(&self, id: ChannelId) {
        if let Some(ch) = self.channels.get(id.index()) {
            crate::prefetch::prefetch_write(ch);
        }
    }

    pub fn dir_mut(&mut self, c: ConnId, side: usize) -> &mut DirTrade {
        if self.dirs.len() <= c.index() {
            self.dirs.resize(c.index() + 1, Default::default());
        }
        &mut self.dirs[c.index()][side]
    }

    /// Pays an on-chain fee of up to `fee` µT from `from`; returns what was paid.
    pub fn pay_fee(&mut self, now: SimTime, from: Account, fee: u64) -> u64 {
        let fee = fee.min(self.ledger.balance(from));
        let paid = match self.config.fees_to {
            FeeSink::Burn => self.ledger.burn(now, from, fee, Reason::Fee),
            FeeSink::Treasury => {
                self.ledger
                    .transfer(now, from, Account::Treasury, fee, Reason::Fee)
            }
        };
        debug_assert!(paid.is_ok(), "fee capped by the balance");
        self.stats.fees += fee as u128;
        fee
    }

    /// Every economic invariant (see the module docs). Cost O(accounts + channels + conns).
    pub fn check(&self) -> Result<(), String> {
        self.ledger.check()?;
        for (i, ch) in self.channels.iter().enumerate() {
            let escrow = self.ledger.balance(Account::Escrow(ChannelId(i as u32)));
            ch.check(escrow).map_err(|e| format!("channel {i}: {e}"))?;
        }
        let pending: u64 = self.peers.iter().map(|p| p.pending).sum();
        let committed: u64 = self.channels.iter().map(|c| c.pending).sum();
        if pending != committed {
            return Err(format!(
                "buyers count {pending} µT pending but channels hold {committed} µT of commitments"
            ));
        }
        Ok(())
    }
}
