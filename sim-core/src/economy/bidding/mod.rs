//! Buyer bidding policies: what a leecher offers per MiB for a paid upload slot.
//!
//! A bid is the most the buyer will pay per MiB; the auction's clearing rule decides what it
//! actually pays (never more than its bid). A bid of 0 means "no bid": the peer only barters.

mod fixed;
mod speed;

pub use fixed::FixedBid;
pub use speed::SpeedBid;

use crate::config::BiddingConfig;
use crate::economy::tokens::draw;
use crate::rng::SimRng;

/// What a buyer knows when it bids.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BidContext {
    /// Its download rate so far in this torrent, bytes/s.
    pub download_rate: u64,
    /// Bytes it still lacks.
    pub bytes_left: u64,
    /// µT of its budget for this torrent not yet spent or promised.
    pub budget_left: u64,
}

/// A buyer's bidding policy. One instance per buying peer.
pub trait Bidding: std::fmt::Debug {
    /// The bid in µT per MiB (0 = no bid). Cost O(1).
    fn bid_per_mib(&self, ctx: &BidContext) -> u64;
}

/// Never bids (barter only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoBid;

impl Bidding for NoBid {
    fn bid_per_mib(&self, _ctx: &BidContext) -> u64 {
        0
    }
}

/// A peer's bidding policy, stored inline: every seller's rechoke asks each interested
/// neighbour for a bid (tens of millions of bids in a 10,000-peer run), and a boxed policy
/// would cost a scattered pointer chase per bid. Each variant is one of the policies above;
/// a new policy gets its own file, implements [`Bidding`] and becomes a variant here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BidPolicy {
    None(NoBid),
    Fixed(FixedBid),
    Speed(SpeedBid),
}

impl Bidding for BidPolicy {
    #[inline]
    fn bid_per_mib(&self, ctx: &BidContext) -> u64 {
        match self {
            BidPolicy::None(p) => p.bid_per_mib(ctx),
            BidPolicy::Fixed(p) => p.bid_per_mib(ctx),
            BidPolicy::Speed(p) => p.bid_per_mib(ctx),
        }
    }
}

/// The policy a strategy configures, with its per-host draws (value of time) taken from `rng`.
pub fn bidding_for(config: &BiddingConfig, rng: &mut SimRng) -> BidPolicy {
    match *config {
        BiddingConfig::None => BidPolicy::None(NoBid),
        BiddingConfig::Fixed { tokens_per_mib, .. } => {
            BidPolicy::Fixed(FixedBid::new(tokens_per_mib))
        }
        BiddingConfig::Speed {
            value_of_time_per_hour,
            ..
        } => BidPolicy::Speed(SpeedBid::new(draw(&value_of_time_per_hour, rng))),
    }
}

/// The share of its balance a buyer budgets for one torrent.
pub fn budget_share(config: &BiddingConfig) -> f64 {
    match *config {
        BiddingConfig::None => 0.0,
        BiddingConfig::Fixed { budget_share, .. } | BiddingConfig::Speed { budget_share, .. } => {
            budget_share
        }
    }
}
