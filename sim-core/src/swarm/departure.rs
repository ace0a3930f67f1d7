//! Who leaves: departures (seeding over, aborts, publishers going offline, economic
//! departure), becoming a seed, and the first loss of a torrent's content.

use super::state::{LeaveReason, PeerState};
use super::{Event, Sim};
use crate::config::SeedingTime;
use crate::ids::{PeerId, TorrentId};
use crate::time::{SimDuration, SimTime};
use rand_distr::{Distribution, Exp, LogNormal};

impl Sim {
    pub(super) fn on_leave(&mut self, now: SimTime, peer: PeerId, reason: LeaveReason) {
        let state = self.peers[peer.index()].state;
        let applies = match reason {
            LeaveReason::Abort => state == PeerState::Leeching,
            LeaveReason::SeedingOver | LeaveReason::Unprofitable => state == PeerState::Seeding,
            LeaveReason::PublisherOff => state != PeerState::Gone,
        };
        if !applies {
            return;
        }
        // Gone before disconnecting, so no handler restarts anything for a departing peer.
        self.peers[peer.index()].state = PeerState::Gone;
        for c in self.peers[peer.index()].conns.clone() {
            self.disconnect(now, c);
        }
        let p = &mut self.peers[peer.index()];
        // The peer stays as a tombstone: give back its (now empty) neighbour lists.
        p.conns = Vec::new();
        p.remotes = Vec::new();
        p.leeching_remotes = Vec::new();
        p.links = Vec::new();
        p.unchoked = Vec::new();
        p.left_at = Some(now);
        p.leave_reason = Some(reason);
        let (t, host) = (p.torrent, p.host);
        let tor = &mut self.torrents[t.index()];
        if let Some(i) = tor.members.iter().position(|&m| m == peer) {
            tor.members.swap_remove(i);
        }
        for piece in self.peers[peer.index()].pieces.have().iter() {
            let c = &mut tor.copies[piece as usize];
            *c -= 1;
            if *c == 0 {
                tor.pieces_without_copy += 1;
            }
        }
        if state == PeerState::Leeching {
            tor.leechers -= 1;
            self.leechers_online -= 1;
        } else {
            tor.seeds -= 1;
        }
        self.note_piece_loss(now, t);
        let h = &mut self.hosts[host.index()];
        h.peers.retain(|&x| x != peer);
        if h.peers.is_empty()
            && let Some(pos) = h.online_pos.take()
        {
            self.online_hosts.swap_remove(pos);
            if let Some(&moved) = self.online_hosts.get(pos) {
                self.hosts[moved.index()].online_pos = Some(pos);
            }
        }
    }

    /// Records the first moment after release at which the online peers miss some piece.
    pub(super) fn note_piece_loss(&mut self, now: SimTime, t: TorrentId) {
        let tor = &mut self.torrents[t.index()];
        if tor.released && tor.lost_at.is_none() && tor.pieces_without_copy > 0 {
            tor.lost_at = Some(now);
        }
    }

    /// A leecher just completed: it becomes a seed, drops seed–seed connections and schedules
    /// its departure from its seeding-time distribution.
    pub(super) fn become_seed(&mut self, now: SimTime, peer: PeerId) {
        let p = &mut self.peers[peer.index()];
        p.state = PeerState::Seeding;
        p.completed_at = Some(now);
        let t = p.torrent;
        let tor = &mut self.torrents[t.index()];
        tor.leechers -= 1;
        tor.seeds += 1;
        self.leechers_online -= 1;
        // Neighbours stop sending us HAVEs' worth of work: we keep no counts any more.
        for r in self.peers[peer.index()].remotes.clone() {
            let list = &mut self.peers[r.index()].leeching_remotes;
            if let Some(j) = list.iter().position(|&x| x == peer) {
                list.remove(j);
            }
        }
        // Seeds have nothing to trade with seeds; every other neighbour that unchoked us gets
        // its slot back at once (we want nothing more).
        let conns = self.peers[peer.index()].conns.clone();
        for c in conns {
            let other = self.conns[c.index()].other(peer);
            if self.peers[other.index()].state == PeerState::Seeding {
                self.disconnect(now, c);
            } else {
                let inbound = 1 - self.conns[c.index()].side_of(peer);
                self.choke(now, c, inbound);
            }
        }
        let seeding = self.scenario.torrents[t.index()].seeding;
        if matches!(seeding, SeedingTime::Economic { .. }) {
            self.start_economic_seeding(now, peer, &seeding);
        } else if let Some(after) = draw_seeding_time(&seeding, &mut self.rngs.departures) {
            self.queue.schedule(
                now + after,
                Event::Leave {
                    peer,
                    reason: LeaveReason::SeedingOver,
                },
            );
        }
    }
}

/// How long a completed peer seeds; `None` = until the horizon.
fn draw_seeding_time(s: &SeedingTime, rng: &mut crate::rng::SimRng) -> Option<SimDuration> {
    match s {
        SeedingTime::LeaveAtOnce => Some(SimDuration::ZERO),
        SeedingTime::Fixed { time } => Some(time.0),
        SeedingTime::Exponential { mean } => {
            let d = Exp::new(1.0 / mean.as_secs_f64()).expect("validated: mean > 0");
            Some(SimDuration::from_secs_f64(d.sample(rng)))
        }
        SeedingTime::Lognormal { median, sigma } => {
            let d =
                LogNormal::new(median.as_secs_f64().ln(), *sigma).expect("validated: sigma >= 0");
            Some(SimDuration::from_secs_f64(d.sample(rng)))
        }
        SeedingTime::Forever => None,
        SeedingTime::Economic { .. } => unreachable!("economic seeding is handled by checks"),
    }
}
