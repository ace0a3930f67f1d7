//! Seller pricing policies: what a seller asks per MiB. One file per policy.
//!
//! The ask is the lowest price at which a seller sells a paid slot (together with its reserve
//! price: the effective ask is the higher of the two). At each rechoke the seller's ask for
//! a typical piece decides which bids may enter its auction; when a paid transfer starts, the
//! ask for that piece at the flow's rate sets the charge (capped by the buyer's bid).

mod adaptive;
mod fixed;
mod rate_quote;
mod scarcity;

pub use adaptive::Adaptive;
pub use fixed::Fixed;
pub use rate_quote::RateQuote;
pub use scarcity::Scarcity;

use crate::config::PricingConfig;

/// What a seller knows when it quotes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PriceContext {
    /// Bytes/s the transfer runs (or is expected to run) at.
    pub rate_bytes_per_s: u64,
    /// Copies of the piece among the torrent's online peers; `None` when quoting for a
    /// typical piece (before the buyer has picked one).
    pub piece_copies: Option<u32>,
    /// Online peers of the torrent (seeds + leechers).
    pub online: u32,
    pub seeds: u32,
    pub leechers: u32,
}

/// The outcome of one paid-slot auction, for policies that learn from demand.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AuctionRound {
    pub slots: u32,
    /// Slots sold.
    pub filled: u32,
    /// Bids at or above the ask.
    pub demand: u32,
}

/// A seller's pricing policy. One instance per selling peer.
pub trait Pricing: std::fmt::Debug {
    /// The ask in µT per MiB. Cost O(1).
    fn ask_per_mib(&self, ctx: &PriceContext) -> u64;

    /// Called after each of the seller's auctions (whether or not anybody bid).
    fn after_auction(&mut self, _round: &AuctionRound) {}
}

/// The policy a strategy configures.
pub fn pricing_for(config: &PricingConfig) -> Box<dyn Pricing> {
    match *config {
        PricingConfig::RateQuote {
            tokens_per_mbit_per_100kbps,
        } => Box::new(RateQuote::new(tokens_per_mbit_per_100kbps)),
        PricingConfig::Fixed { tokens_per_mib } => Box::new(Fixed::new(tokens_per_mib)),
        PricingConfig::Scarcity {
            base_per_mib,
            premium,
            measure,
        } => Box::new(Scarcity::new(base_per_mib, premium, measure)),
        PricingConfig::Adaptive {
            initial_per_mib,
            step,
            target,
            min_per_mib,
            max_per_mib,
        } => Box::new(Adaptive::new(
            initial_per_mib,
            step,
            target,
            min_per_mib,
            max_per_mib,
        )),
    }
}
