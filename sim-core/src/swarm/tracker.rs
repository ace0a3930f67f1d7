//! The tracker: announces, replies of random members (whatever the swarm's size), and early
//! re-announces of peers with too few neighbours.

use super::state::PeerState;
use super::{Event, Sim};
use crate::ids::PeerId;
use crate::time::SimTime;
use rand::RngExt;

impl Sim {
    pub(super) fn on_announce(&mut self, now: SimTime, peer: PeerId, generation: u32) {
        let p = &self.peers[peer.index()];
        if !p.is_online() || p.announce_gen != generation {
            return;
        }
        self.announce(now, peer);
    }

    /// Asks the tracker for up to `numwant` random members and connects to those with room.
    /// Then schedules the next periodic announce. Cost O(numwant · connections).
    pub(super) fn announce(&mut self, now: SimTime, peer: PeerId) {
        let t = self.peers[peer.index()].torrent;
        let tracker = self.torrents[t.index()].tracker;
        let members = &self.torrents[t.index()].members;
        // A reply never holds more than the other members, whatever `numwant` says.
        let mut reply: Vec<PeerId> =
            Vec::with_capacity((tracker.numwant as usize).min(members.len()));
        if members.len() <= tracker.numwant as usize + 1 {
            // Every other member, in random order (Fisher–Yates, pinned here rather than
            // left to a library's shuffle): a reply in join order would have every newcomer
            // connect to the oldest members first.
            reply.extend(members.iter().copied().filter(|&m| m != peer));
            for i in (1..reply.len()).rev() {
                let j = self.rngs.tracker.random_range(0..=i);
                reply.swap(i, j);
            }
        } else {
            while reply.len() < tracker.numwant as usize {
                let m = members[self.rngs.tracker.random_range(0..members.len())];
                if m != peer && !reply.contains(&m) {
                    reply.push(m);
                }
            }
        }
        let max = tracker.max_connections as usize;
        // Mainline stops initiating once it holds `max_initiate` connections in all; the rest
        // of `max_connections` is for peers connecting to it.
        let initiate_up_to = (tracker.max_initiate as usize).min(max);
        for m in reply {
            if self.peers[peer.index()].conns.len() >= initiate_up_to {
                break;
            }
            let (me, them) = (&self.peers[peer.index()], &self.peers[m.index()]);
            let both_seeds = me.state == PeerState::Seeding && them.state == PeerState::Seeding;
            if them.conns.len() >= max || both_seeds || self.connected(peer, m) {
                continue;
            }
            self.connect(now, peer, m);
        }
        let p = &mut self.peers[peer.index()];
        p.last_announce = Some(now);
        p.announce_gen += 1;
        // A peer still short of `min_peers` asks again as soon as it may.
        let lonely = p.conns.len() < tracker.min_peers as usize;
        let wait = if lonely {
            tracker.min_announce_interval.0
        } else {
            tracker.announce_interval.0
        };
        p.next_announce = now + wait;
        let event = Event::Announce {
            peer,
            generation: p.announce_gen,
        };
        self.queue.schedule(p.next_announce, event);
    }

    /// Brings the next announce forward when a peer has too few neighbours (rate-limited by
    /// `min_announce_interval`).
    pub(super) fn announce_soon_if_lonely(&mut self, now: SimTime, peer: PeerId) {
        let tracker = self.torrents[self.peers[peer.index()].torrent.index()].tracker;
        let p = &mut self.peers[peer.index()];
        if !p.is_online() || p.conns.len() >= tracker.min_peers as usize {
            return;
        }
        let earliest = p
            .last_announce
            .map_or(now, |t| t + tracker.min_announce_interval.0)
            .max(now);
        if earliest < p.next_announce {
            p.announce_gen += 1;
            p.next_announce = earliest;
            let event = Event::Announce {
                peer,
                generation: p.announce_gen,
            };
            self.queue.schedule(earliest, event);
        }
    }
}
