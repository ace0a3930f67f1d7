//! Applying the choker: building its view of a peer's neighbours (rates over the window,
//! snubbing, optimistic history) and carrying out its decisions.

use super::state::{PeerState, rate_over, rate_window_samples};
use super::{Event, Sim};
use crate::choker::{Candidate, ChokeView};
use crate::ids::{ConnId, FlowId, PeerId};
use crate::time::SimTime;

impl Sim {
    /// The choker's view of `peer`'s neighbours. With `sample` (periodic rechokes) every
    /// neighbour is listed and the rate rings advance, so windows span whole rechoke
    /// intervals, and candidates are in the order of the peer's connections. Without (filling
    /// free slots) only interested neighbours are listed: the
    /// others can neither take a slot nor hold one that counts, and skipping them saves
    /// loading their connections. The returned vector is the reusable `scratch_candidates`
    /// buffer: hand it back with [`Self::recycle_candidates`].
    ///
    /// Built in passes, each a short loop of independent loads: prefetches, interest (the
    /// neighbours' bitfields), the connections, the flows in progress, the peer's own links.
    /// At 10,000 peers each of those loads is a cache miss; in one long loop body the
    /// processor could overlap only two or three neighbours' misses, in short ones it overlaps
    /// many.
    fn choke_candidates(&mut self, now: SimTime, peer: PeerId, sample: bool) -> Vec<Candidate> {
        let mut rows = std::mem::take(&mut self.scratch_view_rows);
        rows.clear();
        let p = &self.peers[peer.index()];
        let seed = p.pieces.is_seed();
        // Pass 0: prefetch the leeching neighbours' bitfields (for interest) and, when every
        // neighbour is listed, the connections, so that the passes below find them in flight.
        if !seed {
            for &r in &p.leeching_remotes {
                self.peers[r.index()].pieces.have().warm_all();
            }
        }
        if sample {
            for &c in &p.conns {
                self.conns[c.index()].warm();
            }
        }
        // Pass 1: who is listed, and interest. Only leeching neighbours can be interested (a
        // seed holds everything), and they are listed in connection order: walking that list
        // beside the connections spares loading the bitfields of seed neighbours, and a seed,
        // which interests exactly its leeching neighbours, loads none.
        let mut next_leecher = 0;
        for (i, &remote) in p.remotes.iter().enumerate() {
            let listed = p.leeching_remotes.get(next_leecher) == Some(&remote);
            next_leecher += usize::from(listed);
            let interested = listed && (seed || self.interested(peer, remote));
            debug_assert_eq!(interested, self.interested(peer, remote), "interest");
            if sample || interested {
                rows.push(ViewRow::new(i as u32, interested));
            }
        }
        // Pass 2: each listed neighbour's connection.
        for row in &mut rows {
            let conn = &self.conns[p.conns[row.index as usize].index()];
            let s = conn.side_of(peer);
            let (out, inb) = (&conn.dirs[s], &conn.dirs[1 - s]);
            row.unchoked = !out.choked;
            row.sent = out.delivered;
            row.recv = inb.delivered;
            row.sent_flow = out.flow;
            row.recv_flow = inb.flow;
            row.last_data_at = inb.last_data_at;
        }
        // Pass 3: progress of the transfers in flight.
        for row in &mut rows {
            if let Some(f) = row.sent_flow {
                row.sent += self.net.delivered(now, f);
            }
            if let Some(f) = row.recv_flow {
                row.recv += self.net.delivered(now, f);
            }
        }
        // Pass 4: rates over the window from the peer's own links (sequential memory).
        let p = &mut self.peers[peer.index()];
        let params = p.choker_params;
        let k = rate_window_samples(&params);
        let slot = (p.rechokes % k as u64) as usize;
        let window_start = p.rate_sample_times[slot];
        let leeching = p.state == PeerState::Leeching;
        let mut out = std::mem::take(&mut self.scratch_candidates);
        out.clear();
        for row in &rows {
            let i = row.index as usize;
            let snubbed = leeching
                && row.recv_flow.is_none()
                && now.since(row.last_data_at) >= params.snub_time;
            let link = &mut p.links[i];
            let span = now.since(window_start.max(link.connected_at));
            let (sent, recv) = (row.sent as u32, row.recv as u32);
            let upload_rate = rate_over(sent.wrapping_sub(link.sent_samples[slot]) as u64, span);
            let download_rate = rate_over(recv.wrapping_sub(link.recv_samples[slot]) as u64, span);
            if sample {
                link.sent_samples[slot] = sent;
                link.recv_samples[slot] = recv;
            }
            out.push(Candidate {
                peer: p.remotes[i],
                interested: row.interested,
                unchoked: row.unchoked,
                connected_at: link.connected_at,
                download_rate,
                upload_rate,
                snubbed,
                last_optimistic: Some(link.last_optimistic).filter(|&t| t != SimTime::NEVER),
                last_unchoked: Some(link.unchoked_at).filter(|&t| t != SimTime::NEVER),
                sent_since_unchoked: if row.unchoked {
                    u64::from(sent.wrapping_sub(link.sent_at_unchoke))
                } else {
                    0
                },
            });
        }
        if sample {
            p.rate_sample_times[slot] = now;
            p.rechokes += 1;
        }
        self.scratch_view_rows = rows;
        out
    }

    /// The piece length of `peer`'s torrent, in bytes.
    fn piece_size_of(&self, peer: PeerId) -> u64 {
        self.torrents[self.peers[peer.index()].torrent.index()].piece_size
    }

    /// Returns the buffer of [`Self::choke_candidates`] for reuse (no allocation per view).
    fn recycle_candidates(&mut self, candidates: Vec<Candidate>) {
        self.scratch_candidates = candidates;
    }

    /// The connection from `peer` to `remote` (a scan of `peer`'s neighbour ids, which are
    /// contiguous, instead of its connections).
    fn conn_to(&self, peer: PeerId, remote: PeerId) -> Option<ConnId> {
        let p = &self.peers[peer.index()];
        p.remotes
            .iter()
            .position(|&r| r == remote)
            .map(|i| p.conns[i])
    }

    /// `peer` chokes its neighbour `remote` (if still connected).
    fn choke_remote(&mut self, now: SimTime, peer: PeerId, remote: PeerId) {
        if let Some(c) = self.conn_to(peer, remote) {
            let side = self.conns[c.index()].side_of(peer);
            self.choke(now, c, side);
        }
    }

    /// `peer` unchokes its neighbour `remote` (if still connected).
    fn unchoke_remote(&mut self, now: SimTime, peer: PeerId, remote: PeerId, optimistic: bool) {
        if let Some(c) = self.conn_to(peer, remote) {
            let side = self.conns[c.index()].side_of(peer);
            self.unchoke(now, c, side, optimistic);
        }
    }

    pub(super) fn on_rechoke(&mut self, now: SimTime, peer: PeerId) {
        if !self.peers[peer.index()].is_online() {
            return;
        }
        let candidates = self.choke_candidates(now, peer, true);
        let seeding = self.peers[peer.index()].state != PeerState::Leeching;
        // Paid slots first (token sellers only); the choker fills the remaining slots by
        // tit-for-tat and optimistic unchoking from everybody else.
        let mut paid = std::mem::take(&mut self.scratch_paid);
        self.auction(now, peer, &candidates, &mut paid);
        // Without an auction the view is every candidate; with one, everybody but the buyers.
        let mut unpaid = std::mem::take(&mut self.scratch_unpaid);
        unpaid.clear();
        let view_candidates: &[Candidate] = if paid.is_empty() {
            &candidates
        } else {
            unpaid.extend(
                candidates
                    .iter()
                    .filter(|c| !paid.iter().any(|p| p.buyer == c.peer))
                    .copied(),
            );
            &unpaid
        };
        let view = ChokeView {
            now,
            seeding,
            candidates: view_candidates,
            reserved_slots: paid.len() as u32,
            piece_bytes: self.piece_size_of(peer),
        };
        let decision = self.peers[peer.index()]
            .choker
            .rechoke(&view, &mut self.rngs.choker);
        // Choke first so that freed bandwidth is shared by the transfers started next.
        for cand in &candidates {
            let keep = decision.contains(cand.peer) || paid.iter().any(|p| p.buyer == cand.peer);
            if cand.unchoked && !keep {
                self.choke_remote(now, peer, cand.peer);
            }
        }
        for slot in &paid {
            self.unchoke(now, slot.conn, slot.side, false);
        }
        for (remote, optimistic) in decision
            .regular
            .iter()
            .map(|&r| (r, false))
            .chain(decision.optimistic.iter().map(|&r| (r, true)))
        {
            self.unchoke_remote(now, peer, remote, optimistic);
        }
        self.recycle_candidates(candidates);
        self.scratch_paid = paid;
        self.scratch_unpaid = unpaid;
        // Unchoked neighbours whose last pick found nothing get another chance each round.
        self.retry_idle_uploads(now, peer);
        self.upkeep(now, peer);
        let next = now + self.rechoke_interval(peer);
        self.queue.schedule(next, Event::Rechoke { peer });
    }

    pub(super) fn on_fill_slots(&mut self, now: SimTime, peer: PeerId) {
        self.peers[peer.index()].fill_pending = false;
        if !self.peers[peer.index()].is_online() {
            return;
        }
        // Most fills find every regular slot taken (a vacant optimistic slot or an idle
        // unchoked neighbour requested them): decide that from the few unchoked neighbours
        // before building a view of all of them.
        let mut busy = std::mem::take(&mut self.scratch_peers);
        busy.clear();
        let p = &self.peers[peer.index()];
        busy.extend(
            p.unchoked
                .iter()
                .copied()
                .filter(|&r| self.interested(peer, r)),
        );
        let free = p.choker.free_regular_slots(&busy);
        self.scratch_peers = busy;
        if free == 0 {
            return;
        }
        let candidates = self.choke_candidates(now, peer, false);
        let seeding = self.peers[peer.index()].state != PeerState::Leeching;
        let view = ChokeView {
            now,
            seeding,
            candidates: &candidates,
            reserved_slots: 0,
            piece_bytes: self.piece_size_of(peer),
        };
        let fill = self.peers[peer.index()]
            .choker
            .fill_free_slots(&view, &mut self.rngs.choker);
        self.recycle_candidates(candidates);
        for remote in fill {
            self.unchoke_remote(now, peer, remote, false);
        }
    }
}

/// One neighbour's facts while a choke view is built (see `Sim::choke_candidates`): its
/// position among the peer's connections, interest, and what the connection says.
#[derive(Clone, Copy, Debug)]
pub(super) struct ViewRow {
    index: u32,
    interested: bool,
    /// The peer does not choke the neighbour.
    unchoked: bool,
    /// Bytes sent to / received from the neighbour, in-flight progress included after pass 3.
    sent: u64,
    recv: u64,
    sent_flow: Option<FlowId>,
    recv_flow: Option<FlowId>,
    /// When the peer last received data from the neighbour.
    last_data_at: SimTime,
}

impl ViewRow {
    fn new(index: u32, interested: bool) -> Self {
        ViewRow {
            index,
            interested,
            unchoked: false,
            sent: 0,
            recv: 0,
            sent_flow: None,
            recv_flow: None,
            last_data_at: SimTime::ZERO,
        }
    }
}
