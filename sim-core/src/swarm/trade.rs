//! Paid slots and per-piece payments: the seller's auction at each rechoke, channel opening,
//! and the commit / release / refund of each paid piece.
//!
//! Invariant: a direction carries a commitment only while it carries a transfer; an award
//! only while it is unchoked (a choke clears it); the engine's `Direction::paid` is set
//! exactly while it holds either (every change here keeps it in step). Nothing here runs
//! without `[economy]`.

use super::Sim;
use crate::choker::Candidate;
use crate::economy::auction::{self, Award, Bid};
use crate::economy::bidding::{BidContext, Bidding};
use crate::economy::channel::{Channel, ChannelState};
use crate::economy::ledger::{Account, Reason};
use crate::economy::pricing::{AuctionRound, PriceContext};
use crate::economy::tokens::charge;
use crate::ids::{ChannelId, ConnId, PeerId};
use crate::time::SimTime;
use rand::RngExt;

/// A paid slot won at a rechoke whose channel can carry payments now.
#[derive(Clone, Copy, Debug)]
pub(super) struct PaidSlot {
    pub conn: ConnId,
    pub side: usize,
    pub buyer: PeerId,
}

/// One bidder while an auction is built (see `Sim::auction`).
#[derive(Clone, Copy, Debug)]
pub(super) struct BidRow {
    conn: ConnId,
    /// The seller's side of `conn`.
    side: u8,
    buyer: PeerId,
    /// The buyer's channel to the seller, if any.
    channel: Option<ChannelId>,
}

/// Buffers an auction reuses (one auction per seller rechoke would otherwise allocate them).
#[derive(Debug, Default)]
pub(super) struct AuctionScratch {
    rows: Vec<BidRow>,
    bids: Vec<Bid>,
}

impl Sim {
    /// What the tracker tells anyone about `peer`'s torrent, and a piece's copies.
    fn price_context(&self, peer: PeerId, rate: u64, piece: Option<u32>) -> PriceContext {
        let tor = &self.torrents[self.peers[peer.index()].torrent.index()];
        PriceContext {
            rate_bytes_per_s: rate,
            piece_copies: piece.map(|p| tor.copies[p as usize]),
            online: tor.seeds + tor.leechers,
            seeds: tor.seeds,
            leechers: tor.leechers,
        }
    }

    /// The seller's effective ask (its policy's ask, at least its reserve), µT per MiB.
    fn ask(&self, seller: PeerId, ctx: &PriceContext) -> u64 {
        let Some(econ) = &self.econ else { return 0 };
        let host = self.peers[seller.index()].host;
        let reserve = econ.hosts[host.index()].reserve_per_mib;
        econ.peers[seller.index()]
            .pricing
            .as_ref()
            .map_or(u64::MAX, |p| p.ask_per_mib(ctx))
            .max(reserve)
    }

    /// µT `buyer` could still pay through channel `channel` (if any) and its balance.
    fn payable(&self, buyer: PeerId, channel: Option<ChannelId>) -> u64 {
        let Some(econ) = &self.econ else { return 0 };
        let host = self.peers[buyer.index()].host;
        let in_channel = channel.map_or(0, |id| {
            let escrow = econ.ledger.balance(Account::Escrow(id));
            econ.channels[id.index()].available(escrow)
        });
        let balance = econ.ledger.balance(Account::Host(host));
        in_channel + balance.saturating_sub(econ.fee)
    }

    /// `buyer`'s bid to a seller through `channel`, µT per MiB (0: no bid).
    fn bid(&self, now: SimTime, buyer: PeerId, channel: Option<ChannelId>) -> u64 {
        let Some(econ) = &self.econ else { return 0 };
        let be = &econ.peers[buyer.index()];
        let Some(bidding) = &be.bidding else { return 0 };
        let p = &self.peers[buyer.index()];
        let cfg = &self.scenario.torrents[p.torrent.index()];
        let elapsed = now.since(p.joined_at).as_micros();
        // (64-bit arithmetic while exact: a 128-bit division is a slow library call.)
        let rate = match p.bytes_downloaded.checked_mul(1_000_000) {
            _ if elapsed == 0 => 0,
            Some(scaled) => scaled / elapsed,
            None => (p.bytes_downloaded as u128 * 1_000_000 / elapsed as u128) as u64,
        };
        let ctx = BidContext {
            download_rate: rate,
            bytes_left: u64::from(p.pieces.missing()) * cfg.piece_size.0,
            budget_left: be.budget_left().min(self.payable(buyer, channel)),
        };
        bidding.bid_per_mib(&ctx)
    }

    /// `seller`'s paid-slot auction over the candidates of its rechoke (listed in connection
    /// order). Records each outbound direction's award (or clears it), opens channels for
    /// winners that have none, and fills `usable` with the winners whose channel is usable
    /// now, in connection order: those take paid slots this round, the others wait for their
    /// channel to confirm.
    ///
    /// Built in passes of independent loads, like a choke view (at 10,000 peers each
    /// bidder's records are cache misses): prefetch each bidder's trade state and records,
    /// then read its channel and host and prefetch their balances, then bid.
    pub(super) fn auction(
        &mut self,
        now: SimTime,
        seller: PeerId,
        candidates: &[Candidate],
        usable: &mut Vec<PaidSlot>,
    ) {
        usable.clear();
        let Some(econ) = &self.econ else { return };
        let slots = econ.peers[seller.index()].paid_slots;
        if slots == 0 || econ.peers[seller.index()].pricing.is_none() {
            return;
        }
        let mut scratch = std::mem::take(&mut self.scratch_auction);
        let AuctionScratch { rows, bids } = &mut scratch;
        rows.clear();
        bids.clear();
        let conns = &self.peers[seller.index()].conns;
        debug_assert_eq!(
            conns.len(),
            candidates.len(),
            "one candidate per connection"
        );
        // Pass 0: the interested neighbours bid; prefetch what their bids read.
        for (cand, &c) in candidates.iter().zip(conns) {
            if !cand.interested {
                continue;
            }
            let side = self.conns[c.index()].side_of(seller);
            econ.warm_dir(c, side);
            econ.warm_bidder(cand.peer);
            self.peers[cand.peer.index()].warm_bidder();
            rows.push(BidRow {
                conn: c,
                side: side as u8,
                buyer: cand.peer,
                channel: None,
            });
        }
        // Pass 1: each bidder's channel to the seller; prefetch it and both balances.
        for row in rows.iter_mut() {
            row.channel = econ.dir(row.conn, row.side as usize).channel;
            let host = self.peers[row.buyer.index()].host;
            econ.ledger.warm(Account::Host(host));
            if let Some(id) = row.channel {
                econ.ledger.warm(Account::Escrow(id));
                econ.warm_channel(id);
            }
        }
        let host = self.peers[seller.index()].host;
        let (up, _) = self.net.capacity(host);
        let expected_rate = up / (u64::from(self.net.active_up(host)) + 1);
        let ask = self.ask(seller, &self.price_context(seller, expected_rate, None));
        // Pass 2: the bids (a tie-break drawn per bid, in connection order).
        for row in rows.iter() {
            let per_mib = self.bid(now, row.buyer, row.channel);
            if per_mib > 0 {
                let econ = self.econ.as_mut().expect("checked above");
                bids.push(Bid {
                    peer: row.buyer,
                    per_mib,
                    tiebreak: econ.auction_rng.random(),
                });
            }
        }
        let rule = self
            .scenario
            .economy
            .as_ref()
            .map(|e| e.clearing)
            .unwrap_or_default();
        let outcome = auction::clear(bids, ask, slots as usize, rule);
        let econ = self.econ.as_mut().expect("checked above");
        if let Some(pricing) = econ.peers[seller.index()].pricing.as_mut() {
            pricing.after_auction(&AuctionRound {
                slots,
                filled: outcome.awards.len() as u32,
                demand: outcome.demand,
            });
        }
        // Last round's awards end (only an unchoked, paid direction can hold one) ...
        for (i, cand) in candidates.iter().enumerate() {
            if !cand.unchoked {
                continue;
            }
            let c = self.peers[seller.index()].conns[i];
            let side = self.conns[c.index()].side_of(seller);
            if self.conns[c.index()].dirs[side].paid {
                self.set_award(c, side, None);
            }
        }
        // ... and the winners, in connection order, take theirs if their channel can pay now.
        for row in rows.iter() {
            let Some(&award) = outcome.awards.iter().find(|a| a.peer == row.buyer) else {
                continue;
            };
            let (c, side) = (row.conn, row.side as usize);
            let econ = self.econ.as_mut().expect("checked above");
            match econ.dir(c, side).channel {
                Some(id) if econ.channels[id.index()].usable(now) => {
                    self.set_award(c, side, Some(award));
                    usable.push(PaidSlot {
                        conn: c,
                        side,
                        buyer: award.peer,
                    });
                }
                Some(_) => {} // still confirming
                None => self.open_channel(now, c, side, &award),
            }
        }
        self.scratch_auction = scratch;
    }

    /// Sets the award of direction `side` of `c` and keeps its paid flag in step.
    fn set_award(&mut self, c: ConnId, side: usize, award: Option<Award>) {
        if let Some(econ) = self.econ.as_mut() {
            econ.dir_mut(c, side).award = award;
            self.sync_paid(c, side);
        }
    }

    /// Brings the paid flag of direction `side` of `c` in step with its trade state.
    fn sync_paid(&mut self, c: ConnId, side: usize) {
        let trade = self
            .econ
            .as_ref()
            .map(|e| e.dir(c, side))
            .unwrap_or_default();
        self.conns[c.index()].dirs[side].paid = trade.award.is_some() || trade.commit > 0;
    }

    /// The buyer of direction `side` of `c` opens a channel to pay its seller: a deposit (up
    /// to the configured one, within its budget and balance) moves to escrow and the buyer
    /// pays the fee. Nothing happens if it cannot pay the fee and one piece at its bid.
    fn open_channel(&mut self, now: SimTime, c: ConnId, side: usize, award: &Award) {
        let (seller, buyer) = (
            self.conns[c.index()].peers[side],
            self.conns[c.index()].peers[1 - side],
        );
        let piece = self.scenario.torrents[self.peers[buyer.index()].torrent.index()]
            .piece_size
            .0;
        let host = Account::Host(self.peers[buyer.index()].host);
        let latency = self
            .scenario
            .economy
            .as_ref()
            .map(|e| e.channel.open_latency.0)
            .unwrap_or_default();
        let Some(econ) = self.econ.as_mut() else {
            return;
        };
        let balance = econ.ledger.balance(host);
        let budget = econ.peers[buyer.index()].budget_left();
        let deposit = econ
            .deposit
            .min(budget)
            .min(balance.saturating_sub(econ.fee));
        if balance < econ.fee || deposit < charge(award.bid, piece).max(1) {
            return;
        }
        let id = econ.ledger.open_escrow();
        econ.channels
            .push(Channel::new(buyer, seller, now + latency));
        econ.ledger
            .transfer(now, host, Account::Escrow(id), deposit, Reason::ChannelOpen)
            .expect("deposit within the balance");
        let fee = econ.fee;
        econ.pay_fee(now, host, fee);
        econ.stats.channels_opened += 1;
        econ.dir_mut(c, side).channel = Some(id);
    }

    /// Commits the price of the `bytes` of `piece` about to flow on direction `side` of `c`
    /// at `rate`, if the downloader holds a paid slot there. Returns false if it cannot pay:
    /// its award is dropped and the caller must not start the transfer (the uploader chokes).
    pub(super) fn commit_piece(
        &mut self,
        c: ConnId,
        side: usize,
        piece: u32,
        bytes: u64,
        rate: u64,
        now: SimTime,
    ) -> bool {
        if !self.conns[c.index()].dirs[side].paid {
            return true;
        }
        let Some(econ) = &self.econ else { return true };
        let trade = econ.dir(c, side);
        let (Some(award), Some(id)) = (trade.award, trade.channel) else {
            return true;
        };
        let (seller, buyer) = (
            self.conns[c.index()].peers[side],
            self.conns[c.index()].peers[1 - side],
        );
        let ask = self.ask(seller, &self.price_context(seller, rate, Some(piece)));
        let per_mib = auction::price_per_mib(&award, ask);
        let amount = charge(per_mib, bytes);
        let host = Account::Host(self.peers[buyer.index()].host);
        let econ = self.econ.as_mut().expect("checked above");
        let within_budget = econ.peers[buyer.index()].budget_left() >= amount;
        let mut ok = within_budget && econ.channels[id.index()].usable(now);
        if ok {
            let escrow = econ.ledger.balance(Account::Escrow(id));
            if econ.channels[id.index()].available(escrow) < amount {
                // Top up: another deposit, if the balance covers it and the fee.
                // Capped by the balance and the budget, but at least what this piece lacks.
                let balance = econ.ledger.balance(host);
                let lacking = amount - econ.channels[id.index()].available(escrow);
                let budget = econ.peers[buyer.index()].budget_left();
                let top_up = econ
                    .deposit
                    .min(budget)
                    .max(lacking)
                    .min(balance.saturating_sub(econ.fee));
                if balance >= econ.fee
                    && econ.channels[id.index()].available(escrow) + top_up >= amount
                {
                    econ.ledger
                        .transfer(now, host, Account::Escrow(id), top_up, Reason::ChannelTopUp)
                        .expect("top-up within the balance");
                    let fee = econ.fee;
                    econ.pay_fee(now, host, fee);
                }
            }
            let escrow = econ.ledger.balance(Account::Escrow(id));
            ok = econ.channels[id.index()].commit(escrow, amount);
        }
        if !ok {
            self.set_award(c, side, None);
            return false;
        }
        econ.peers[buyer.index()].pending += amount;
        let d = econ.dir_mut(c, side);
        d.commit = amount;
        d.commit_per_mib = per_mib;
        self.sync_paid(c, side);
        true
    }

    /// The paid transfer on direction `side` of `c` delivered its piece: the whole
    /// commitment becomes the seller's claim.
    pub(super) fn release_piece(&mut self, c: ConnId, side: usize, bytes: u64) {
        self.settle_commit(c, side, bytes, true);
    }

    /// The transfer on direction `side` of `c` stopped after `delivered` bytes (choke,
    /// disconnect, endgame cancel): the delivered bytes are paid at the committed price, the
    /// rest of the commitment is refunded.
    pub(super) fn settle_stopped_piece(&mut self, c: ConnId, side: usize, delivered: u64) {
        self.settle_commit(c, side, delivered, false);
    }

    fn settle_commit(&mut self, c: ConnId, side: usize, bytes: u64, complete: bool) {
        if !self.conns[c.index()].dirs[side].paid {
            return;
        }
        let Some(econ) = self.econ.as_mut() else {
            return;
        };
        let trade = econ.dir(c, side);
        if trade.commit == 0 {
            return;
        }
        let id = trade.channel.expect("a commitment has a channel");
        let (seller, buyer) = (
            self.conns[c.index()].peers[side],
            self.conns[c.index()].peers[1 - side],
        );
        let paid = if complete {
            trade.commit
        } else {
            charge(trade.commit_per_mib, bytes).min(trade.commit)
        };
        let ch = &mut econ.channels[id.index()];
        ch.release(paid);
        ch.refund(trade.commit - paid);
        let b = &mut econ.peers[buyer.index()];
        b.pending -= trade.commit;
        b.spent += paid;
        let s = &mut econ.peers[seller.index()];
        s.earned += paid;
        if self.peers[seller.index()].completed_at.is_some() {
            s.earned_seeding += paid;
        }
        let stats = &mut econ.stats;
        stats.paid_bytes += bytes;
        stats.volume += paid as u128;
        stats.interval_volume += paid as u128;
        stats.interval_bytes += bytes as u128;
        if complete {
            econ.peers[buyer.index()].pieces_bought += 1;
            econ.peers[seller.index()].pieces_sold += 1;
            econ.stats.paid_pieces += 1;
            econ.stats.prices.push(trade.commit_per_mib);
        }
        let d = econ.dir_mut(c, side);
        d.commit = 0;
        d.commit_per_mib = 0;
        self.sync_paid(c, side);
    }

    /// A choke ends a paid slot.
    pub(super) fn drop_award(&mut self, c: ConnId, side: usize) {
        if self.conns[c.index()].dirs[side].paid {
            self.set_award(c, side, None);
        }
    }

    /// A connection closed: both directions' channels close and pay out after the
    /// settlement latency. Transfers (and their commitments) were stopped before.
    pub(super) fn close_channels(&mut self, now: SimTime, c: ConnId) {
        let Some(econ) = self.econ.as_mut() else {
            return;
        };
        let latency = econ.config.channel.settle_latency.0;
        for side in 0..2 {
            let d = econ.dir_mut(c, side);
            d.award = None;
            debug_assert_eq!(d.commit, 0, "transfers stop before a connection closes");
            self.conns[c.index()].dirs[side].paid = false;
            let Some(id) = d.channel.take() else { continue };
            let ch = &mut econ.channels[id.index()];
            debug_assert_eq!(ch.pending, 0, "transfers stop before a channel closes");
            ch.state = ChannelState::Closing;
            ch.begin_settlement();
            self.queue.schedule(
                now + latency,
                super::Event::ChannelPayout {
                    channel: id,
                    close: true,
                },
            );
        }
    }
}
