//! The token economy: ledger, payment channels, seller pricing, buyer bidding and the paid-slot
//! auction, plus the per-host and per-peer economic state of a run whose scenario has an
//! `[economy]` section.
//!
//! [`Economy`] keeps its state private. The engine calls it at a handful of points through
//! its bridge (`swarm::economy_bridge`): host and peer creation, each seller's rechoke
//! (`ask`, `bid`, `clear_auction`, `set_award`, `open_channel`), each paid transfer's start
//! (`commit_piece`) and end (`settle_piece`), connection close (`close_channels`), and its
//! own periodic events (`begin_settlements`, `payout`, `faucet`, economic seeding). Each call
//! takes ids and amounts and returns an outcome the engine applies; nothing here reads the
//! engine's state or schedules its events.
//!
//! Invariants: token conservation ([`ledger::Ledger::check`]); every channel's promises fit in
//! its escrow ([`channel::Channel::check`]); buyers' pending amounts equal the channels'
//! commitments; a direction holds a commitment only while it carries a transfer, and an award
//! only while unchoked (checked with the engine's state by `Sim::check_invariants`).

mod agents;
pub mod auction;
pub mod bidding;
pub mod bounties;
pub mod bounty_summary;
pub mod capital_summary;
pub mod channel;
pub mod credit;
pub mod credit_limit;
pub mod ledger;
mod lending;
pub mod lending_summary;
mod market;
pub mod pools;
pub mod pricing;
mod seeding;
mod settlement;
pub mod storage;
pub mod summary;
pub mod tokens;

pub use agents::AgentMoney;
pub use market::{BidInputs, CommitOutcome};
pub use seeding::SeedVerdict;

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
struct HostEcon {
    /// Index into `EconomyConfig::strategies`; `None` = does not speak the token extension.
    strategy: Option<usize>,
    /// µT minted to it (endowment and faucet).
    minted: u64,
    /// Lowest price per MiB it sells at, µT.
    reserve_per_mib: u64,
    /// The seed pool it is an active member of: what it sells goes to the pool.
    pool: Option<crate::ids::PoolId>,
}

/// Economic state of one peer (a host in one torrent).
#[derive(Debug, Default)]
struct PeerEcon {
    pricing: Option<Box<dyn Pricing>>,
    bidding: Option<BidPolicy>,
    /// Regular slots it sells.
    paid_slots: u32,
    /// µT it may spend in this torrent.
    budget: u64,
    /// µT paid for delivered pieces.
    spent: u64,
    /// µT committed to transfers in progress.
    pending: u64,
    /// µT earned by delivered pieces (claims, whether settled yet or not).
    earned: u64,
    /// Part of `earned` earned after completing (while seeding).
    earned_seeding: u64,
    /// Bytes it delivered for pay (the price it got: `earned` per byte).
    bytes_sold: u64,
    /// Pieces it bought / sold.
    pieces_bought: u64,
    pieces_sold: u64,
    /// Economic seeding: cost of staying (µT per hour), earnings at the last check and when
    /// that was, and when it leaves regardless.
    cost_per_hour: u64,
    earned_at_check: u64,
    last_check: SimTime,
    seeding_deadline: SimTime,
    check_window: SimDuration,
}

impl PeerEcon {
    /// µT of its budget not yet spent or promised.
    fn budget_left(&self) -> u64 {
        self.budget.saturating_sub(self.spent + self.pending)
    }
}

/// Trade state of one connection direction (indexed like the engine's connection directions).
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

impl DirTrade {
    /// Whether the direction holds a paid slot or a commitment (the engine's paid flag).
    pub fn paid(&self) -> bool {
        self.award.is_some() || self.commit > 0
    }
}

/// Running totals for the report and the time series.
#[derive(Debug, Default)]
struct TradeStats {
    paid_pieces: u64,
    paid_bytes: u64,
    /// µT released for delivered pieces.
    volume: u128,
    fees: u128,
    channels_opened: u64,
    /// Price per MiB (µT) of every paid piece, in delivery order.
    prices: Vec<u64>,
    /// Since the last time-series sample: µT and MiB-weighted price sums.
    interval_volume: u128,
    interval_bytes: u128,
    /// Sum of supply over samples and their count (for velocity).
    supply_samples: u128,
    samples: u64,
}

/// The economy of one run.
#[derive(Debug)]
pub struct Economy {
    config: EconomyConfig,
    /// Channel fee and deposit, µT.
    fee: u64,
    deposit: u64,
    ledger: Ledger,
    channels: Vec<Channel>,
    hosts: Vec<HostEcon>,
    peers: Vec<PeerEcon>,
    dirs: Vec<[DirTrade; 2]>,
    /// Agents' money (capital, rent, collected earnings).
    agents: Vec<AgentMoney>,
    stats: TradeStats,
    /// The loan book, with `[economy.lending]`.
    credit: Option<credit::CreditBook>,
    /// The bounty board, with `[economy.bounties]`.
    bounties: Option<bounties::BountyBoard>,
    /// Seed pools (`[[economy.pools]]`), opened with the agents.
    pools: Vec<pools::Pool>,
    /// Cold storage, with `[economy.storage]`.
    storage: Option<storage::StorageBook>,
    /// Auction tie-breaks (per-host and per-peer draws use their own substreams).
    auction_rng: SimRng,
    seed: u64,
}

impl Economy {
    pub fn new(config: &EconomyConfig, seed: u64) -> Self {
        let mut econ = Economy::empty(config, seed);
        econ.open_pools(SimTime::ZERO);
        econ
    }

    fn empty(config: &EconomyConfig, seed: u64) -> Self {
        Economy {
            fee: from_tokens(config.channel.fee),
            deposit: from_tokens(config.channel.deposit),
            config: config.clone(),
            ledger: Ledger::default(),
            channels: Vec::new(),
            hosts: Vec::new(),
            peers: Vec::new(),
            dirs: Vec::new(),
            agents: Vec::new(),
            stats: TradeStats::default(),
            credit: config.lending.as_ref().map(credit::CreditBook::new),
            bounties: config.bounties.map(|_| bounties::BountyBoard::default()),
            pools: Vec::new(),
            storage: config
                .storage
                .map(|s| storage::StorageBook::new(s.rent_per_gb_month)),
            auction_rng: stream(seed, Stream::Auction),
            seed,
        }
    }

    pub fn config(&self) -> &EconomyConfig {
        &self.config
    }

    /// The ledger (balances and journal), read-only.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The random stream of `host`'s economic attributes.
    fn host_rng(&self, host: HostId) -> SimRng {
        substream(self.seed, Stream::Economy as u64, host.0 as u64)
    }

    /// The random stream of `peer`'s economic attributes.
    fn peer_rng(&self, peer: PeerId) -> SimRng {
        substream(self.seed, Stream::EconomyPeers as u64, peer.0 as u64)
    }

    /// A new host: whether it speaks the token extension (drawn with probability
    /// `participation` of its class, `class = None` for publishers), with which strategy, its
    /// endowment (minted) and reserve price. Host ids are dense.
    pub fn add_host(&mut self, now: SimTime, host: HostId, class: Option<&str>) {
        use rand::RngExt;
        let mut rng = self.host_rng(host);
        let cfg = &self.config;
        let participates = match class {
            Some(c) => {
                let share = cfg.participation_of(c);
                rng.random::<f64>() < share
            }
            None => cfg.publishers_participate,
        };
        let strategy = if !participates {
            None
        } else if class.is_none() {
            let name = cfg.publisher_strategy.as_ref();
            Some(
                name.and_then(|n| cfg.strategies.iter().position(|s| &s.name == n))
                    .unwrap_or(0),
            )
        } else {
            let u: f64 = rng.random();
            Some(crate::rng::pick_by_share(
                u,
                cfg.strategies.iter().map(|s| s.share),
            ))
        };
        self.ledger.open_host(host);
        let mut h = HostEcon {
            strategy,
            ..HostEcon::default()
        };
        if let Some(s) = strategy {
            let endowment = tokens::draw(&self.config.endowment, &mut rng);
            h.reserve_per_mib = tokens::draw(&self.config.strategies[s].reserve_per_mib, &mut rng);
            h.minted = self
                .ledger
                .mint(now, Account::Host(host), endowment, Reason::Endowment);
        }
        debug_assert_eq!(self.hosts.len(), host.index(), "host ids are dense");
        self.hosts.push(h);
    }

    /// A new peer of `host`: its pricing and bidding policies and its budget for this
    /// torrent (a share of the host's balance now). Peer ids are dense.
    pub fn add_peer(&mut self, peer: PeerId, host: HostId) {
        let mut pe = PeerEcon::default();
        if let Some(s) = self.hosts[host.index()].strategy {
            let strategy = self.config.strategies[s].clone();
            pe.pricing = Some(pricing::pricing_for(&strategy.pricing));
            let mut rng = self.peer_rng(peer);
            pe.bidding = Some(bidding::bidding_for(&strategy.bidding, &mut rng));
            pe.paid_slots = strategy.paid_slots;
            let balance = self.ledger.balance(Account::Host(host));
            pe.budget = (balance as f64 * bidding::budget_share(&strategy.bidding)).floor() as u64;
        }
        debug_assert_eq!(self.peers.len(), peer.index(), "peer ids are dense");
        self.peers.push(pe);
    }

    /// Whether `host` speaks the token extension.
    pub fn participates(&self, host: HostId) -> bool {
        self.hosts[host.index()].strategy.is_some()
    }

    /// Strategy name of `host`, or `barter` for hosts without the token extension.
    pub fn strategy_name(&self, host: HostId) -> String {
        match self.hosts[host.index()].strategy {
            Some(s) => self.config.strategies[s].name.clone(),
            None => "barter".to_string(),
        }
    }

    /// Trade state of direction `side` of `c` (default when never traded).
    pub fn dir(&self, c: ConnId, side: usize) -> DirTrade {
        self.dirs
            .get(c.index())
            .map(|d| d[side])
            .unwrap_or_default()
    }

    /// Connection slot `c` is reused by a new connection: it starts with no trade state.
    pub fn reset_connection(&mut self, c: ConnId) {
        if let Some(d) = self.dirs.get_mut(c.index()) {
            *d = Default::default();
        }
    }

    fn dir_mut(&mut self, c: ConnId, side: usize) -> &mut DirTrade {
        if self.dirs.len() <= c.index() {
            self.dirs.resize(c.index() + 1, Default::default());
        }
        &mut self.dirs[c.index()][side]
    }

    /// Pays an on-chain fee of up to `fee` µT from `from`; returns what was paid.
    fn pay_fee(&mut self, now: SimTime, from: Account, fee: u64) -> u64 {
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

    /// The O(1) conservation check: running totals agree (debug builds, every event).
    pub fn totals_balance(&self) -> bool {
        self.ledger.totals_balance()
    }

    /// Every economic invariant of the economy's own state (see the module docs). Cost
    /// O(accounts + channels + peers).
    pub fn check(&self) -> Result<(), String> {
        self.ledger.check()?;
        if let Some(book) = &self.credit {
            book.check()?;
        }
        if let Some(board) = &self.bounties {
            board.check(|id| self.ledger.balance(Account::Bounty(id)))?;
        }
        self.check_pools()?;
        if let Some(book) = &self.storage {
            book.check()?;
        }
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

    /// Tokens earned, tokens spent, pieces bought and sold by `peer` (for the peers table).
    pub fn peer_trade(&self, peer: PeerId) -> (u64, u64, u64, u64) {
        let p = &self.peers[peer.index()];
        (p.earned, p.spent, p.pieces_bought, p.pieces_sold)
    }

    /// µT `peer` earned and the bytes it was paid for (its mean price is their ratio).
    pub fn peer_sales(&self, peer: PeerId) -> (u64, u64) {
        let p = &self.peers[peer.index()];
        (p.earned, p.bytes_sold)
    }
}

/// Cache hints for the engine's prefetch pipeline: what a paid transfer and a bid read. They
/// change nothing but timing (see `swarm::warm`).
impl Economy {
    /// Prefetches the trade state of direction `side` of `c`.
    #[inline]
    pub fn warm_dir(&self, c: ConnId, side: usize) {
        if let Some(d) = self.dirs.get(c.index()) {
            crate::prefetch::prefetch_write(&d[side]);
        }
    }

    /// Prefetches what a bid reads of `peer`'s economic state: its policy and budget (the
    /// record spans more than one cache line).
    #[inline]
    pub fn warm_bidder(&self, peer: PeerId) {
        if let Some(p) = self.peers.get(peer.index()) {
            crate::prefetch::prefetch(&p.bidding);
            crate::prefetch::prefetch(&p.budget);
            crate::prefetch::prefetch(&p.spent);
            crate::prefetch::prefetch(&p.pending);
        }
    }

    /// Prefetches channel `id`.
    #[inline]
    pub fn warm_channel(&self, id: ChannelId) {
        if let Some(ch) = self.channels.get(id.index()) {
            crate::prefetch::prefetch_write(ch);
        }
    }

    /// Prefetches `account`'s balance.
    #[inline]
    pub fn warm_account(&self, account: Account) {
        self.ledger.warm(account);
    }
}
