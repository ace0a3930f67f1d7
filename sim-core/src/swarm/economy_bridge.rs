//! The engine's one bridge to the token economy: at its fixed points it gathers what the
//! economy's rules need from the swarm (ids, amounts, rates, tracker counts), calls them, and
//! applies what they return (a direction's paid flag, events to schedule, a departure).
//!
//! Invariant: the engine's `Direction::paid` mirrors the economy's trade state of that
//! direction (award or commitment); every call here that can change it copies it back.
//! Nothing here runs without `[economy]`, and no money rule lives here: they are methods of
//! `economy::Economy`.

use super::state::{LeaveReason, PeerState};
use super::{Event, Sim};
use crate::choker::Candidate;
use crate::config::SeedingTime;
use crate::economy::auction::{Award, Bid};
use crate::economy::ledger::Account;
use crate::economy::pricing::PriceContext;
use crate::economy::tokens::draw;
use crate::economy::{BidInputs, CommitOutcome, SeedVerdict};
use crate::ids::{ChannelId, ConnId, HostId, PeerId};
use crate::record::class_name;
use crate::time::SimTime;
use std::borrow::Cow;

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
    /// Schedules the economy's periodic events (first batch settlement and faucet).
    pub(super) fn schedule_economy(&mut self) {
        let Some(e) = &self.scenario.economy else {
            return;
        };
        let settle = SimTime::ZERO + e.channel.settle_interval.0;
        self.queue.schedule(settle, Event::SettleChannels);
        if let Some(f) = e.faucet {
            self.queue
                .schedule(SimTime::ZERO + f.interval.0, Event::Faucet);
        }
        self.schedule_pools();
        self.schedule_storage();
    }

    /// A new host (`class` = None for publishers) gets its economic attributes.
    pub(super) fn econ_add_host(&mut self, now: SimTime, host: HostId) {
        let Some(econ) = self.econ.as_mut() else {
            return;
        };
        let class = self.hosts[host.index()]
            .class
            .map(|c| self.scenario.classes[c.index()].name.as_str());
        econ.add_host(now, host, class);
    }

    /// A new peer gets its pricing and bidding policies and budget.
    pub(super) fn econ_add_peer(&mut self, now: SimTime, peer: PeerId) {
        self.econ_borrow_at_join(now, peer);
        let host = self.peers[peer.index()].host;
        if let Some(econ) = self.econ.as_mut() {
            econ.add_peer(peer, host);
        }
    }

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

    /// `buyer`'s bid to a seller through `channel`, µT per MiB (0: no bid).
    fn bid(&self, now: SimTime, buyer: PeerId, channel: Option<ChannelId>) -> u64 {
        let Some(econ) = &self.econ else { return 0 };
        let p = &self.peers[buyer.index()];
        let piece_size = self.torrents[p.torrent.index()].piece_size;
        let elapsed = now.since(p.joined_at).as_micros();
        // (64-bit arithmetic while exact: a 128-bit division is a slow library call.)
        let rate = match p.bytes_downloaded.checked_mul(1_000_000) {
            _ if elapsed == 0 => 0,
            Some(scaled) => scaled / elapsed,
            None => (p.bytes_downloaded as u128 * 1_000_000 / elapsed as u128) as u64,
        };
        let inputs = BidInputs {
            download_rate: rate,
            bytes_left: u64::from(p.pieces.missing()) * piece_size,
        };
        econ.bid(buyer, p.host, channel, inputs)
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
        let slots = econ.paid_slots(seller);
        if slots == 0 {
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
            econ.warm_account(Account::Host(host));
            if let Some(id) = row.channel {
                econ.warm_account(Account::Escrow(id));
                econ.warm_channel(id);
            }
        }
        let host = self.peers[seller.index()].host;
        let (up, _) = self.net.capacity(host);
        let expected_rate = up / (u64::from(self.net.active_up(host)) + 1);
        let ask = econ.ask(
            seller,
            host,
            &self.price_context(seller, expected_rate, None),
        );
        // Pass 2: the bids (a tie-break drawn per bid, in connection order).
        for row in rows.iter() {
            let per_mib = self.bid(now, row.buyer, row.channel);
            if per_mib > 0 {
                let econ = self.econ.as_mut().expect("checked above");
                bids.push(Bid {
                    peer: row.buyer,
                    per_mib,
                    tiebreak: econ.draw_tiebreak(),
                });
            }
        }
        let econ = self.econ.as_mut().expect("checked above");
        let outcome = econ.clear_auction(seller, bids, ask, slots);
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
            let econ = self.econ.as_ref().expect("checked above");
            match econ.dir(c, side).channel {
                Some(id) if econ.channel_usable(id, now) => {
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

    /// Sets the award of direction `side` of `c` and mirrors its paid flag.
    fn set_award(&mut self, c: ConnId, side: usize, award: Option<Award>) {
        if let Some(econ) = self.econ.as_mut() {
            self.conns[c.index()].dirs[side].paid = econ.set_award(c, side, award);
        }
    }

    /// The buyer of direction `side` of `c` opens a channel to pay its seller.
    fn open_channel(&mut self, now: SimTime, c: ConnId, side: usize, award: &Award) {
        let (seller, buyer) = (
            self.conns[c.index()].peers[side],
            self.conns[c.index()].peers[1 - side],
        );
        let piece = self.torrents[self.peers[buyer.index()].torrent.index()].piece_size;
        let buyer_host = self.peers[buyer.index()].host;
        let seller_host = self.peers[seller.index()].host;
        if let Some(econ) = self.econ.as_mut() {
            econ.open_channel(
                now,
                c,
                side,
                (buyer, buyer_host),
                (seller, seller_host),
                piece,
                award,
            );
        }
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
        let (seller, buyer) = (
            self.conns[c.index()].peers[side],
            self.conns[c.index()].peers[1 - side],
        );
        let seller_host = self.peers[seller.index()].host;
        let ask = econ.ask(
            seller,
            seller_host,
            &self.price_context(seller, rate, Some(piece)),
        );
        let buyer_host = self.peers[buyer.index()].host;
        let econ = self.econ.as_mut().expect("checked above");
        let outcome = econ.commit_piece(now, c, side, (buyer, buyer_host), ask, bytes);
        self.conns[c.index()].dirs[side].paid = econ.dir(c, side).paid();
        matches!(outcome, CommitOutcome::Start { .. })
    }

    /// The paid transfer on direction `side` of `c` delivered its piece.
    pub(super) fn release_piece(&mut self, c: ConnId, side: usize, bytes: u64) {
        self.settle_piece(c, side, bytes, true);
    }

    /// The transfer on direction `side` of `c` stopped after `delivered` bytes.
    pub(super) fn settle_stopped_piece(&mut self, c: ConnId, side: usize, delivered: u64) {
        self.settle_piece(c, side, delivered, false);
    }

    fn settle_piece(&mut self, c: ConnId, side: usize, bytes: u64, complete: bool) {
        if !self.conns[c.index()].dirs[side].paid {
            return;
        }
        let (seller, buyer) = (
            self.conns[c.index()].peers[side],
            self.conns[c.index()].peers[1 - side],
        );
        let seeding = self.peers[seller.index()].completed_at.is_some();
        if let Some(econ) = self.econ.as_mut() {
            self.conns[c.index()].dirs[side].paid =
                econ.settle_piece(c, side, (seller, buyer), bytes, complete, seeding);
        }
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
        let latency = econ.config().channel.settle_latency.0;
        let closing = econ.close_channels(c);
        for side in 0..2 {
            self.conns[c.index()].dirs[side].paid = false;
        }
        for id in closing.into_iter().flatten() {
            self.queue.schedule(
                now + latency,
                Event::ChannelPayout {
                    channel: id,
                    close: true,
                },
            );
        }
    }

    /// Batch settlement: every open channel with released payments settles after the
    /// latency. Repeats every `settle_interval`.
    pub(super) fn on_settle_channels(&mut self, now: SimTime) {
        let Some(econ) = self.econ.as_mut() else {
            return;
        };
        let latency = econ.config().channel.settle_latency.0;
        let interval = econ.config().channel.settle_interval.0;
        for id in econ.begin_settlements() {
            self.queue.schedule(
                now + latency,
                Event::ChannelPayout {
                    channel: id,
                    close: false,
                },
            );
        }
        if now + interval <= self.horizon {
            self.queue.schedule(now + interval, Event::SettleChannels);
        }
    }

    pub(super) fn on_channel_payout(&mut self, now: SimTime, id: ChannelId, close: bool) {
        if let Some(econ) = self.econ.as_mut() {
            econ.payout(now, id, close);
        }
    }

    /// Mints the faucet amount to every online participating host; repeats every interval.
    pub(super) fn on_faucet(&mut self, now: SimTime) {
        let Some(econ) = self.econ.as_mut() else {
            return;
        };
        let Some(f) = econ.config().faucet else {
            return;
        };
        let online = self
            .hosts
            .iter()
            .enumerate()
            .filter(|(_, h)| !h.peers.is_empty())
            .map(|(i, _)| HostId(i as u32));
        econ.faucet(now, online);
        if now + f.interval.0 <= self.horizon {
            self.queue.schedule(now + f.interval.0, Event::Faucet);
        }
    }

    /// A peer just completed under economic seeding: draw its cost of staying and schedule
    /// its first check after `min_time` (without an economy nobody earns, so it leaves then).
    pub(super) fn start_economic_seeding(&mut self, now: SimTime, peer: PeerId, law: &SeedingTime) {
        let SeedingTime::Economic {
            cost_per_hour,
            min_time,
            max_time,
            window,
        } = *law
        else {
            return;
        };
        let cost = draw(&cost_per_hour, &mut self.rngs.departures);
        let first = now + min_time.0;
        match self.econ.as_mut() {
            Some(econ) => {
                econ.start_seeding(peer, now, cost, max_time.0, window.0);
                self.queue.schedule(first, Event::SeedCheck { peer });
            }
            None => {
                let reason = if cost == 0 {
                    LeaveReason::SeedingOver
                } else {
                    LeaveReason::Unprofitable
                };
                let at = if cost == 0 { now + max_time.0 } else { first };
                self.queue.schedule(at, Event::Leave { peer, reason });
            }
        }
    }

    /// Economic seeding check (see `Economy::seed_check`).
    pub(super) fn on_seed_check(&mut self, now: SimTime, peer: PeerId) {
        if self.peers[peer.index()].state != PeerState::Seeding {
            return;
        }
        let Some(econ) = self.econ.as_mut() else {
            return;
        };
        let event = match econ.seed_check(peer, now) {
            SeedVerdict::Deadline => (
                now,
                Event::Leave {
                    peer,
                    reason: LeaveReason::SeedingOver,
                },
            ),
            SeedVerdict::Unprofitable => (
                now,
                Event::Leave {
                    peer,
                    reason: LeaveReason::Unprofitable,
                },
            ),
            SeedVerdict::CheckAt(at) => (at, Event::SeedCheck { peer }),
        };
        self.queue.schedule(event.0, event.1);
    }

    /// Appends the economy's run-wide time-series values.
    pub(super) fn sample_economy(&mut self, now: SimTime) {
        let world = self.world.as_ref();
        let Some(econ) = self.econ.as_mut() else {
            return;
        };
        let scenario = &self.scenario;
        let online = self
            .hosts
            .iter()
            .enumerate()
            .filter(|(_, h)| !h.peers.is_empty())
            .map(|(i, h)| {
                (
                    HostId(i as u32),
                    Cow::Owned(class_name(
                        scenario,
                        &h.record(h.owner.and_then(|a| world.map(|w| w.agents.kind(a)))),
                    )),
                )
            });
        let values = econ.sample(self.hosts.len(), online);
        for (metric, value) in values {
            self.recorder.push_global(now, metric, value);
        }
    }

    /// Economic invariants: the economy's own, and its trade state against the connections
    /// (commitments only on live transfers, the paid flag in step, awards only unchoked).
    pub(super) fn check_economy(&self) -> Result<(), String> {
        let Some(econ) = &self.econ else {
            return Ok(());
        };
        econ.check().map_err(|e| format!("economy: {e}"))?;
        for (i, conn) in self.conns.iter().enumerate() {
            for side in 0..2 {
                let t = econ.dir(ConnId(i as u32), side);
                if t.commit > 0 && conn.dirs[side].flow.is_none() {
                    return Err(format!(
                        "economy: connection {i} side {side} holds a commitment without a transfer"
                    ));
                }
                if conn.dirs[side].paid != t.paid() {
                    return Err(format!(
                        "economy: connection {i} side {side}: the paid flag disagrees with its \
                         trade state"
                    ));
                }
                if t.award.is_some() && (conn.dirs[side].choked || !conn.open) {
                    return Err(format!(
                        "economy: connection {i} side {side} holds a paid slot while choked"
                    ));
                }
            }
        }
        Ok(())
    }
}
