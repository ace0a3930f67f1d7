//! Connections between peers: opening one (bitfield exchange), closing one (transfers
//! stopped, availability and choking state updated on both ends, the slot freed for reuse).

use super::state::{Conn, Direction, Link, PeerState};
use super::warm::push_capped;
use super::{Sim, pair_mut};
use crate::ids::{ConnId, PeerId};
use crate::time::SimTime;

impl Sim {
    pub(super) fn connected(&self, a: PeerId, b: PeerId) -> bool {
        self.peers[a.index()]
            .conns
            .iter()
            .any(|c| self.conns[c.index()].other(a) == b)
    }

    /// Opens a connection and exchanges bitfields. Cost O(pieces held by either side).
    pub(super) fn connect(&mut self, now: SimTime, a: PeerId, b: PeerId) {
        let id = self
            .free_conns
            .pop()
            .unwrap_or(ConnId(self.conns.len() as u32));
        let t = self.peers[a.index()].torrent;
        let max = self.torrents[t.index()].tracker.max_connections as usize;
        let (pa, pb) = pair_mut(&mut self.peers, a.index(), b.index());
        let conn = Conn {
            peers: [a, b],
            open: true,
            dirs: [Direction::new(now), Direction::new(now)],
        };
        pa.pieces.add_neighbour(pb.pieces.have());
        pb.pieces.add_neighbour(pa.pieces.have());
        push_capped(&mut pa.conns, id, max);
        push_capped(&mut pa.remotes, b, max);
        push_capped(&mut pa.links, Link::new(now), max);
        if pb.state == PeerState::Leeching {
            push_capped(&mut pa.leeching_remotes, b, max);
        }
        push_capped(&mut pb.conns, id, max);
        push_capped(&mut pb.remotes, a, max);
        push_capped(&mut pb.links, Link::new(now), max);
        if pa.state == PeerState::Leeching {
            push_capped(&mut pb.leeching_remotes, a, max);
        }
        match self.conns.get_mut(id.index()) {
            Some(slot) => {
                debug_assert!(!slot.open, "a reused connection slot is closed");
                *slot = conn;
                if let Some(econ) = &mut self.econ {
                    econ.reset_connection(id);
                }
            }
            None => self.conns.push(conn),
        }
        self.conns_opened += 1;
        if self.interested(a, b) {
            self.request_fill(now, a);
        }
        if self.interested(b, a) {
            self.request_fill(now, b);
        }
    }

    /// Closes a connection: stops both transfers (the downloaders keep partial pieces),
    /// updates availability, slots and choker state on both sides.
    pub(super) fn disconnect(&mut self, now: SimTime, c: ConnId) {
        // Closed first: stopping a transfer lets the downloader retry its idle connections,
        // which must not include this one.
        self.conns[c.index()].open = false;
        self.stop_transfer(now, c, 0, true);
        self.stop_transfer(now, c, 1, true);
        self.close_channels(now, c);
        let conn = &self.conns[c.index()];
        let peers = conn.peers;
        let was_unchoked = [!conn.dirs[0].choked, !conn.dirs[1].choked];
        let (pa, pb) = pair_mut(&mut self.peers, peers[0].index(), peers[1].index());
        pa.pieces.remove_neighbour(pb.pieces.have());
        pb.pieces.remove_neighbour(pa.pieces.have());
        for (side, p) in [(0, pa), (1, pb)] {
            let i = p
                .conns
                .iter()
                .position(|&x| x == c)
                .expect("an open connection is listed by both ends");
            p.conns.remove(i);
            p.remotes.remove(i);
            p.links.remove(i);
            let other = peers[1 - side];
            if let Some(j) = p.leeching_remotes.iter().position(|&r| r == other) {
                p.leeching_remotes.remove(j);
            }
            p.choker.forget(peers[1 - side]);
            if was_unchoked[side] {
                remove_unchoked(&mut p.unchoked, other);
            }
        }
        for side in 0..2 {
            if was_unchoked[side] {
                self.request_fill(now, peers[side]);
            }
            self.announce_soon_if_lonely(now, peers[side]);
        }
        self.free_conns.push(c);
    }
}

/// Removes `remote` from a peer's unchoked list (order is not kept). Panics if absent: the
/// list and the connections' choke flags disagree, a bug.
pub(super) fn remove_unchoked(unchoked: &mut Vec<PeerId>, remote: PeerId) {
    let i = unchoked
        .iter()
        .position(|&r| r == remote)
        .expect("an unchoked neighbour is in the unchoked list");
    unchoked.swap_remove(i);
}
