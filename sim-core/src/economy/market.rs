//! The market's rules: a seller's ask, a buyer's bid, the paid-slot auction, channel opening,
//! and the commit / release / refund of each paid piece.
//!
//! Invariant: a direction carries a commitment only while the engine says it carries a
//! transfer (`commit_piece` before, `settle_piece` after); every method that changes a
//! direction's award or commitment returns its new paid flag, which the engine mirrors.

use super::Economy;
use super::auction::{self, Award, Bid, Outcome};
use super::bidding::{BidContext, Bidding};
use super::channel::{Channel, ChannelState};
use super::ledger::{Account, Reason};
use super::pricing::{AuctionRound, PriceContext};
use super::tokens::charge;
use crate::ids::{ChannelId, ConnId, HostId, PeerId};
use crate::time::SimTime;
use rand::RngExt;

/// What a buyer's bid depends on besides its budget: what the engine knows of its download.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BidInputs {
    /// Its average download rate since joining, bytes/s.
    pub download_rate: u64,
    /// Bytes it still lacks.
    pub bytes_left: u64,
}

/// The result of committing a piece's price before its transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommitOutcome {
    /// The transfer may start; the direction's new paid flag.
    Start { paid: bool },
    /// The buyer cannot pay: its award is dropped (paid flag now false) and the transfer
    /// must not start.
    Refused,
}

impl Economy {
    /// Paid slots `seller` sells at its rechokes (0: it runs no auction).
    pub fn paid_slots(&self, seller: PeerId) -> u32 {
        let p = &self.peers[seller.index()];
        if p.pricing.is_none() { 0 } else { p.paid_slots }
    }

    /// The seller's effective ask (its policy's ask, at least its host's reserve), µT per MiB.
    pub fn ask(&self, seller: PeerId, seller_host: HostId, ctx: &PriceContext) -> u64 {
        let reserve = self.hosts[seller_host.index()].reserve_per_mib;
        self.peers[seller.index()]
            .pricing
            .as_ref()
            .map_or(u64::MAX, |p| p.ask_per_mib(ctx))
            .max(reserve)
    }

    /// µT `buyer_host` could still pay through channel `channel` (if any) and its balance.
    fn payable(&self, buyer_host: HostId, channel: Option<ChannelId>) -> u64 {
        let in_channel = channel.map_or(0, |id| {
            let escrow = self.ledger.balance(Account::Escrow(id));
            self.channels[id.index()].available(escrow)
        });
        let balance = self.ledger.balance(Account::Host(buyer_host));
        in_channel + balance.saturating_sub(self.fee)
    }

    /// `buyer`'s bid to a seller through `channel`, µT per MiB (0: no bid).
    pub fn bid(
        &self,
        buyer: PeerId,
        buyer_host: HostId,
        channel: Option<ChannelId>,
        inputs: BidInputs,
    ) -> u64 {
        let be = &self.peers[buyer.index()];
        let Some(bidding) = &be.bidding else { return 0 };
        let ctx = BidContext {
            download_rate: inputs.download_rate,
            bytes_left: inputs.bytes_left,
            budget_left: be.budget_left().min(self.payable(buyer_host, channel)),
        };
        bidding.bid_per_mib(&ctx)
    }

    /// A random tie-break key for one bid (drawn per bid, in the order bids are made).
    pub fn draw_tiebreak(&mut self) -> u64 {
        self.auction_rng.random()
    }

    /// Clears `seller`'s auction of `slots` slots at `ask` over `bids` and lets its pricing
    /// policy learn from the round.
    pub fn clear_auction(
        &mut self,
        seller: PeerId,
        bids: &mut Vec<Bid>,
        ask: u64,
        slots: u32,
    ) -> Outcome {
        let outcome = auction::clear(bids, ask, slots as usize, self.config.clearing);
        if let Some(pricing) = self.peers[seller.index()].pricing.as_mut() {
            pricing.after_auction(&AuctionRound {
                slots,
                filled: outcome.awards.len() as u32,
                demand: outcome.demand,
            });
        }
        outcome
    }

    /// Sets the award of direction `side` of `c`; returns its paid flag.
    pub fn set_award(&mut self, c: ConnId, side: usize, award: Option<Award>) -> bool {
        let d = self.dir_mut(c, side);
        d.award = award;
        d.paid()
    }

    /// Whether channel `id` can carry a payment at `now`.
    pub fn channel_usable(&self, id: ChannelId, now: SimTime) -> bool {
        self.channels[id.index()].usable(now)
    }

    /// The buyer of direction `side` of `c` opens a channel to pay its seller: a deposit (up
    /// to the configured one, within its budget and balance) moves to escrow and the buyer
    /// pays the fee. Nothing happens if it cannot pay the fee and one piece of `piece_bytes`
    /// at its bid.
    #[allow(clippy::too_many_arguments)]
    pub fn open_channel(
        &mut self,
        now: SimTime,
        c: ConnId,
        side: usize,
        (buyer, buyer_host): (PeerId, HostId),
        (seller, seller_host): (PeerId, HostId),
        piece_bytes: u64,
        award: &Award,
    ) {
        let host = Account::Host(buyer_host);
        let balance = self.ledger.balance(host);
        let budget = self.peers[buyer.index()].budget_left();
        let deposit = self
            .deposit
            .min(budget)
            .min(balance.saturating_sub(self.fee));
        if balance < self.fee || deposit < charge(award.bid, piece_bytes).max(1) {
            return;
        }
        let id = self.ledger.open_escrow();
        let latency = self.config.channel.open_latency.0;
        self.channels.push(Channel::new(
            (buyer, buyer_host),
            (seller, seller_host),
            now + latency,
        ));
        self.ledger
            .transfer(now, host, Account::Escrow(id), deposit, Reason::ChannelOpen)
            .expect("deposit within the balance");
        let fee = self.fee;
        self.pay_fee(now, host, fee);
        self.stats.channels_opened += 1;
        self.dir_mut(c, side).channel = Some(id);
    }

    /// Commits the price of the `bytes` about to flow on direction `side` of `c` at `ask`
    /// (the seller's ask for this piece at this rate), if the downloader `buyer` holds a
    /// paid slot there (tops up the channel if needed).
    pub fn commit_piece(
        &mut self,
        now: SimTime,
        c: ConnId,
        side: usize,
        (buyer, buyer_host): (PeerId, HostId),
        ask: u64,
        bytes: u64,
    ) -> CommitOutcome {
        let trade = self.dir(c, side);
        let (Some(award), Some(id)) = (trade.award, trade.channel) else {
            return CommitOutcome::Start { paid: trade.paid() };
        };
        let per_mib = auction::price_per_mib(&award, ask);
        let amount = charge(per_mib, bytes);
        let host = Account::Host(buyer_host);
        let within_budget = self.peers[buyer.index()].budget_left() >= amount;
        let mut ok = within_budget && self.channels[id.index()].usable(now);
        if ok {
            let escrow = self.ledger.balance(Account::Escrow(id));
            if self.channels[id.index()].available(escrow) < amount {
                // Top up: another deposit, if the balance covers it and the fee.
                // Capped by the balance and the budget, but at least what this piece lacks.
                let balance = self.ledger.balance(host);
                let lacking = amount - self.channels[id.index()].available(escrow);
                let budget = self.peers[buyer.index()].budget_left();
                let top_up = self
                    .deposit
                    .min(budget)
                    .max(lacking)
                    .min(balance.saturating_sub(self.fee));
                if balance >= self.fee
                    && self.channels[id.index()].available(escrow) + top_up >= amount
                {
                    self.ledger
                        .transfer(now, host, Account::Escrow(id), top_up, Reason::ChannelTopUp)
                        .expect("top-up within the balance");
                    let fee = self.fee;
                    self.pay_fee(now, host, fee);
                }
            }
            let escrow = self.ledger.balance(Account::Escrow(id));
            ok = self.channels[id.index()].commit(escrow, amount);
        }
        if !ok {
            self.set_award(c, side, None);
            return CommitOutcome::Refused;
        }
        self.peers[buyer.index()].pending += amount;
        let d = self.dir_mut(c, side);
        d.commit = amount;
        d.commit_per_mib = per_mib;
        CommitOutcome::Start { paid: d.paid() }
    }

    /// The paid transfer on direction `side` of `c` (from `seller` to `buyer`) ended after
    /// `bytes`: delivered (`complete`: the whole commitment becomes the seller's claim) or
    /// stopped (choke, disconnect, endgame cancel: the delivered bytes are paid at the
    /// committed price, the rest refunded). `seller_seeding`: the seller had completed.
    /// Returns the direction's paid flag.
    pub fn settle_piece(
        &mut self,
        c: ConnId,
        side: usize,
        (seller, buyer): (PeerId, PeerId),
        bytes: u64,
        complete: bool,
        seller_seeding: bool,
    ) -> bool {
        let trade = self.dir(c, side);
        if trade.commit == 0 {
            return trade.paid();
        }
        let id = trade.channel.expect("a commitment has a channel");
        let paid = if complete {
            trade.commit
        } else {
            charge(trade.commit_per_mib, bytes).min(trade.commit)
        };
        let pool = self.hosts[self.channels[id.index()].seller_host.index()].pool;
        let ch = &mut self.channels[id.index()];
        ch.release(paid);
        ch.refund(trade.commit - paid);
        if let Some(pool) = pool {
            ch.pooled += paid;
            ch.pool = Some(pool);
        }
        let b = &mut self.peers[buyer.index()];
        b.pending -= trade.commit;
        b.spent += paid;
        let s = &mut self.peers[seller.index()];
        s.earned += paid;
        s.bytes_sold += bytes;
        if seller_seeding {
            s.earned_seeding += paid;
        }
        let stats = &mut self.stats;
        stats.paid_bytes += bytes;
        stats.volume += paid as u128;
        stats.interval_volume += paid as u128;
        stats.interval_bytes += bytes as u128;
        if complete {
            self.peers[buyer.index()].pieces_bought += 1;
            self.peers[seller.index()].pieces_sold += 1;
            self.stats.paid_pieces += 1;
            self.stats.prices.push(trade.commit_per_mib);
        }
        let d = self.dir_mut(c, side);
        d.commit = 0;
        d.commit_per_mib = 0;
        d.paid()
    }

    /// Connection `c` closed: both directions lose their awards and their channels start
    /// closing; returns the channels whose close payout the engine must schedule after
    /// `settle_latency`. Transfers (and their commitments) were stopped before.
    pub fn close_channels(&mut self, c: ConnId) -> [Option<ChannelId>; 2] {
        let mut closing = [None, None];
        for (side, slot) in closing.iter_mut().enumerate() {
            let d = self.dir_mut(c, side);
            d.award = None;
            debug_assert_eq!(d.commit, 0, "transfers stop before a connection closes");
            let Some(id) = d.channel.take() else { continue };
            let ch = &mut self.channels[id.index()];
            debug_assert_eq!(ch.pending, 0, "transfers stop before a channel closes");
            ch.state = ChannelState::Closing;
            ch.begin_settlement();
            *slot = Some(id);
        }
        closing
    }
}
