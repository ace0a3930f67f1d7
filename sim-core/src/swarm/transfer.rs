//! Moving pieces: starting and stopping transfers on unchoked directions, piece completion,
//! endgame cancels, HAVE broadcasts, and the choke that follows a loss of interest.
//!
//! Invariant: a direction has a flow only while it is unchoked and its downloader lacks the
//! piece in flight; every byte a flow delivers is counted once, when it stops or completes;
//! `Peer::uploads` counts the peer's outbound directions that carry a flow.
//!
//! Interest is not kept as a counter per connection (that would cost a scattered update per
//! neighbour on every HAVE); it is computed when needed as "the uploader holds a piece the
//! downloader lacks" with an early-exit bitfield test.

use super::connections::remove_unchoked;
use super::state::{PeerState, direction_of_tag, direction_tag};
use super::{Event, Sim, pair_mut};
use crate::ids::{ConnId, FlowId, PeerId};
use crate::time::SimTime;

impl Sim {
    /// Bytes of `piece` of the torrent `peer` is in.
    fn piece_bytes(&self, peer: PeerId, piece: u32) -> u64 {
        let t = self.peers[peer.index()].torrent;
        self.torrents[t.index()].piece_bytes(piece)
    }

    /// Whether `down` wants something `up` holds. O(1) typically (early exit).
    pub(super) fn interested(&self, up: PeerId, down: PeerId) -> bool {
        self.peers[up.index()]
            .pieces
            .have()
            .has_any_missing_from(self.peers[down.index()].pieces.have())
    }

    /// Starts a transfer on direction `side` of `c` if it is unchoked and idle and the
    /// downloader's picker finds a piece. An unchoked downloader that wants nothing more is
    /// choked, freeing the slot. Returns whether a transfer started.
    pub(super) fn try_start(&mut self, now: SimTime, c: ConnId, side: usize) -> bool {
        let conn = &self.conns[c.index()];
        let dir = &conn.dirs[side];
        if !conn.open || dir.choked || dir.flow.is_some() {
            return false;
        }
        let (up, down) = (conn.peers[side], conn.peers[1 - side]);
        let Some(piece) = self.pick(up, down) else {
            if !self.interested(up, down) {
                self.choke(now, c, side);
            }
            return false;
        };
        let from = self.peers[up.index()].host;
        let to = self.peers[down.index()].host;
        if self.conns[c.index()].dirs[side].paid {
            let bytes = self.piece_bytes(down, piece)
                - self.peers[down.index()].pieces.partial_bytes(piece);
            let rate = self.net.rate_if_started(from, to);
            if !self.commit_piece(c, side, piece, bytes, rate, now) {
                // A paid slot the buyer cannot pay for: the seller takes it back.
                self.choke(now, c, side);
                return false;
            }
        }
        let offset = self.begin_piece(down, piece);
        let bytes = self.piece_bytes(down, piece) - offset;
        let flow = self.net.start(now, from, to, bytes);
        self.own_flow(flow, c, side);
        self.peers[up.index()].uploads += 1;
        let dir = &mut self.conns[c.index()].dirs[side];
        dir.flow = Some(flow);
        dir.piece = piece;
        dir.piece_offset = offset;
        true
    }

    /// The downloader's next piece from `up` (an endgame duplicate or not).
    fn pick(&mut self, up: PeerId, down: PeerId) -> Option<u32> {
        let (u, d) = pair_mut(&mut self.peers, up.index(), down.index());
        let pick = d.pieces.pick(
            &d.picker,
            u.pieces.have(),
            u.pieces.short_have_list(),
            &mut self.rngs.picker,
        )?;
        Some(pick.piece)
    }

    /// Marks `piece` in flight at `down`; returns the bytes it already holds of it.
    fn begin_piece(&mut self, down: PeerId, piece: u32) -> u64 {
        let d = &mut self.peers[down.index()];
        d.pieces.begin(piece);
        d.pieces.partial_bytes(piece)
    }

    fn own_flow(&mut self, flow: FlowId, c: ConnId, side: usize) {
        self.net.set_owner(flow, direction_tag(c, side));
    }

    /// Stops the transfer on direction `side` of `c`, if any, counting its delivered bytes.
    /// With `keep_partial` the downloader keeps what it got (choke, disconnect); without, the
    /// bytes were an endgame duplicate of a piece that arrived elsewhere.
    pub(super) fn stop_transfer(
        &mut self,
        now: SimTime,
        c: ConnId,
        side: usize,
        keep_partial: bool,
    ) {
        let conn = &mut self.conns[c.index()];
        let dir = &mut conn.dirs[side];
        let Some(flow) = dir.flow.take() else { return };
        let delivered = self.net.stop(now, flow);
        self.settle_stopped_piece(c, side, delivered);
        let dir = &mut self.conns[c.index()].dirs[side];
        dir.delivered += delivered;
        if delivered > 0 {
            dir.last_data_at = now;
        }
        let (piece, offset) = (dir.piece, dir.piece_offset);
        let conn = &self.conns[c.index()];
        let (up, down) = (conn.peers[side], conn.peers[1 - side]);
        let u = &mut self.peers[up.index()];
        u.bytes_uploaded += delivered;
        u.uploads -= 1;
        let d = &mut self.peers[down.index()];
        d.bytes_downloaded += delivered;
        if keep_partial {
            d.pieces.abort(piece, offset + delivered);
            // The interrupted piece is free again: an idle connection that unchoked us may
            // fetch it now (as a client refills its request queue at once).
            self.retry_idle_downloads(now, down);
        } else {
            d.pieces.cancel(piece);
            d.bytes_wasted += delivered;
        }
    }

    /// Starts transfers on `up`'s outbound directions that are unchoked but idle (the
    /// downloader's last pick found nothing from `up`), in connection order. Only the
    /// unchoked neighbours' connections are loaded: they are found by scanning the peer's
    /// own neighbour ids (sequential memory) instead of every connection (a scattered load
    /// each).
    pub(super) fn retry_idle_uploads(&mut self, now: SimTime, up: PeerId) {
        let mut unchoked = std::mem::take(&mut self.scratch_conns);
        unchoked.clear();
        let p = &self.peers[up.index()];
        if !p.unchoked.is_empty() {
            unchoked.extend(
                p.remotes
                    .iter()
                    .zip(&p.conns)
                    .filter(|(r, _)| p.unchoked.contains(r))
                    .map(|(_, &c)| c),
            );
        }
        // A start touches only its own direction, so the others' state is as listed.
        for &c in &unchoked {
            let outbound = self.conns[c.index()].side_of(up);
            let dir = &self.conns[c.index()].dirs[outbound];
            if !dir.choked && dir.flow.is_none() {
                self.try_start(now, c, outbound);
            }
        }
        self.scratch_conns = unchoked;
    }

    /// Starts transfers on `down`'s inbound directions that are unchoked but idle (their
    /// last pick found nothing, e.g. every wanted piece was in flight elsewhere).
    pub(super) fn retry_idle_downloads(&mut self, now: SimTime, down: PeerId) {
        if self.peers[down.index()].state != PeerState::Leeching {
            return;
        }
        for i in 0..self.peers[down.index()].conns.len() {
            let Some(&c) = self.peers[down.index()].conns.get(i) else {
                break;
            };
            let inbound = 1 - self.conns[c.index()].side_of(down);
            let dir = &self.conns[c.index()].dirs[inbound];
            if !dir.choked && dir.flow.is_none() {
                self.try_start(now, c, inbound);
            }
        }
    }

    /// A transfer's piece completes (the queue drops superseded completions). `owner` is the
    /// flow's direction tag (carried by the event, so that the connection loads without
    /// waiting for the flow's record).
    pub(super) fn on_flow_done(&mut self, now: SimTime, flow: FlowId, generation: u32, owner: u32) {
        debug_assert!(
            self.net.is_current(flow, generation),
            "a superseded completion reached its handler (the queue drops them)"
        );
        self.piece_transfers += 1;
        let (c, side) = direction_of_tag(owner);
        debug_assert_eq!(
            owner,
            self.net.owner(flow),
            "the event's owner is the flow's"
        );
        let conn = &mut self.conns[c.index()];
        let (up, down) = (conn.peers[side], conn.peers[1 - side]);
        let dir = &mut conn.dirs[side];
        let (piece, offset) = (dir.piece, dir.piece_offset);
        let bytes = self.net.delivered(now, flow);
        debug_assert_eq!(dir.flow, Some(flow), "flow owner and direction agree");
        // The flow stays allocated in the network (and counted in `uploads`) while this
        // handler decides whether the connection continues with another piece.
        dir.flow = None;
        dir.delivered += bytes;
        dir.last_data_at = now;
        self.release_piece(c, side, bytes);
        self.peers[up.index()].bytes_uploaded += bytes;
        let d = &mut self.peers[down.index()];
        d.bytes_downloaded += bytes;
        // Bytes kept from an interrupted copy beyond what this copy started from were fetched
        // twice (an endgame duplicate, or a restart before the partial was kept).
        d.bytes_wasted += d.pieces.partial_bytes(piece).saturating_sub(offset);
        // Other connections download the same piece only in endgame; look for them only then.
        let duplicated = d.pieces.downloaders(piece) > 1;
        let newly = d.pieces.complete(piece);
        assert!(
            newly,
            "a completing transfer always brings a new piece (duplicates are cancelled)"
        );

        let mut retry: Vec<ConnId> = Vec::new();
        if duplicated {
            for &other in &self.peers[down.index()].conns {
                let oc = &self.conns[other.index()];
                let oside = 1 - oc.side_of(down);
                if other != c && oc.dirs[oside].flow.is_some() && oc.dirs[oside].piece == piece {
                    retry.push(other);
                }
            }
        }
        for &other in &retry {
            let oside = 1 - self.conns[other.index()].side_of(down);
            self.stop_transfer(now, other, oside, false);
        }

        self.on_piece_acquired(now, down, piece);

        // Keep the connection busy with the next piece without touching the flow counts, so
        // no other transfer needs re-timing.
        let conn = &self.conns[c.index()];
        let can_continue = conn.open && !conn.dirs[side].choked;
        let mut next = if can_continue {
            self.pick(up, down)
        } else {
            None
        };
        let mut unpaid = false;
        if let Some(next_piece) = next
            && self.conns[c.index()].dirs[side].paid
        {
            let bytes = self.piece_bytes(down, next_piece)
                - self.peers[down.index()].pieces.partial_bytes(next_piece);
            let rate = self.net.rate(flow);
            if !self.commit_piece(c, side, next_piece, bytes, rate, now) {
                next = None;
                unpaid = true;
            }
        }
        match next {
            Some(next_piece) => {
                let offset = self.begin_piece(down, next_piece);
                let bytes = self.piece_bytes(down, next_piece) - offset;
                self.net.restart(now, flow, bytes);
                let dir = &mut self.conns[c.index()].dirs[side];
                dir.flow = Some(flow);
                dir.piece = next_piece;
                dir.piece_offset = offset;
            }
            None => {
                self.net.stop(now, flow);
                self.peers[up.index()].uploads -= 1;
                if can_continue && (unpaid || !self.interested(up, down)) {
                    // Not interested any more, or cannot pay for its paid slot: the uploader
                    // takes the slot back.
                    self.choke(now, c, side);
                }
            }
        }
        for other in retry {
            let oside = 1 - self.conns[other.index()].side_of(down);
            self.try_start(now, other, oside);
        }
    }

    /// `peer` now holds `piece`: update the torrent's copies and every neighbour's
    /// availability (HAVE), offer the piece to idle unchoked neighbours and free slots; a peer
    /// that completes becomes a seed.
    fn on_piece_acquired(&mut self, now: SimTime, peer: PeerId, piece: u32) {
        let t = self.peers[peer.index()].torrent;
        let tor = &mut self.torrents[t.index()];
        let copies = &mut tor.copies[piece as usize];
        if *copies == 0 {
            tor.pieces_without_copy -= 1;
        }
        *copies += 1;

        let leeching = std::mem::take(&mut self.peers[peer.index()].leeching_remotes);
        for &r in &leeching {
            self.peers[r.index()].pieces.neighbour_has(piece);
        }
        self.peers[peer.index()].leeching_remotes = leeching;

        // Neighbours may want the new piece: idle unchoked ones can start at once, choked ones
        // can take a free slot. When every neighbour already holds it, nothing changes.
        let p = &self.peers[peer.index()];
        let everyone_has_it =
            !p.pieces.is_seed() && p.pieces.availability(piece) as usize == p.conns.len();
        if !everyone_has_it {
            if p.unchoked.len() as u32 > p.uploads {
                self.retry_idle_uploads(now, peer);
            }
            self.request_fill(now, peer);
        }

        if self.peers[peer.index()].state == PeerState::Leeching
            && self.peers[peer.index()].pieces.is_seed()
        {
            self.become_seed(now, peer);
        }
    }

    /// The uploader of direction `side` of `c` unchokes its downloader and starts sending if
    /// the downloader wants something.
    pub(super) fn unchoke(&mut self, now: SimTime, c: ConnId, side: usize, optimistic: bool) {
        let conn = &mut self.conns[c.index()];
        let (up, down) = (conn.peers[side], conn.peers[1 - side]);
        let dir = &mut conn.dirs[side];
        let newly = dir.choked;
        dir.choked = false;
        let u = &mut self.peers[up.index()];
        let i = u
            .conns
            .iter()
            .position(|&x| x == c)
            .expect("an open connection is listed by both ends");
        let link = &mut u.links[i];
        if optimistic {
            link.last_optimistic = now;
        }
        if !newly {
            return;
        }
        link.unchoked_at = now;
        // Newly unchoked, so no transfer runs in this direction: `delivered` is exact.
        link.sent_at_unchoke = dir.delivered as u32;
        u.unchoked.push(down);
        self.try_start(now, c, side);
    }

    /// The uploader of direction `side` of `c` chokes its downloader; a transfer in progress
    /// stops and the downloader keeps the partial piece. Frees a slot.
    pub(super) fn choke(&mut self, now: SimTime, c: ConnId, side: usize) {
        let dir = &mut self.conns[c.index()].dirs[side];
        if dir.choked {
            return;
        }
        dir.choked = true;
        self.drop_award(c, side);
        let conn = &self.conns[c.index()];
        let (up, down) = (conn.peers[side], conn.peers[1 - side]);
        remove_unchoked(&mut self.peers[up.index()].unchoked, down);
        self.stop_transfer(now, c, side, true);
        self.request_fill(now, up);
    }

    /// Schedules a `FillSlots` for `peer` (once) if it has fewer unchoked neighbours than slots.
    pub(super) fn request_fill(&mut self, now: SimTime, peer: PeerId) {
        let p = &mut self.peers[peer.index()];
        let slots =
            u64::from(p.choker_params.regular_slots) + u64::from(p.choker_params.optimistic_slots);
        if p.fill_pending || !p.is_online() || p.unchoked.len() as u64 >= slots {
            return;
        }
        p.fill_pending = true;
        self.queue.schedule(now, Event::FillSlots { peer });
    }
}
