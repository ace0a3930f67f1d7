//! Who is in which swarm: releases, arrivals, tracker announces, connections and departures.

use super::state::{Conn, Direction, Host, LeaveReason, Link, Peer, PeerState};
use super::{Event, Sim, pair_mut};
use crate::choker::choker_for;
use crate::config::{ClientConfig, SeedingTime};
use crate::ids::{ClassId, ConnId, HostId, PeerId, TorrentId};
use crate::picker::PeerPieces;
use crate::rng::pick_by_share;
use crate::time::{SimDuration, SimTime};
use rand::RngExt;
use rand_distr::{Distribution, Exp, LogNormal};

impl Sim {
    pub(super) fn on_release(&mut self, now: SimTime, t: TorrentId) {
        self.torrents[t.index()].released = true;
        let publishers = self.scenario.torrents[t.index()].publishers;
        for _ in 0..publishers.count {
            let host = self.add_host(now, None, publishers.upload.0, publishers.download.0);
            let client = self.scenario.client.clone();
            let peer = self.add_peer(now, host, t, true, &client);
            if let Some(after) = publishers.leave_after {
                self.queue.schedule(
                    now + after.0,
                    Event::Leave {
                        peer,
                        reason: LeaveReason::PublisherOff,
                    },
                );
            }
        }
        self.note_piece_loss(now, t);
        self.schedule_next_arrival(now, t);
    }

    /// Schedules the torrent's next arrival, or marks its process exhausted.
    fn schedule_next_arrival(&mut self, now: SimTime, t: TorrentId) {
        let release = SimTime::ZERO + self.scenario.torrents[t.index()].release.0;
        let next = match &mut self.arrivals[t.index()] {
            Some(process) => process.next_offset(&mut self.rngs.arrivals[t.index()]),
            None => None,
        };
        match next.map(|offset| release + offset) {
            Some(at) if at <= self.horizon => {
                self.queue
                    .schedule(at.max(now), Event::Arrival { torrent: t });
            }
            _ => {
                self.arrivals[t.index()] = None;
                self.torrents[t.index()].arrivals_pending = false;
                self.unfinished_torrents -= 1;
            }
        }
    }

    pub(super) fn on_arrival(&mut self, now: SimTime, t: TorrentId) {
        self.torrents[t.index()].arrivals += 1;
        let host = self.host_for_arrival(now, t);
        let class = self.hosts[host.index()].class.map_or(0, |c| c.index());
        let client = self.scenario.client_of_class(class).clone();
        let peer = self.add_peer(now, host, t, false, &client);
        if let Some(abort) = self.scenario.torrents[t.index()].abort {
            let mean = abort.mean.as_secs_f64();
            let after = Exp::new(1.0 / mean)
                .map(|d| d.sample(&mut self.rngs.departures))
                .unwrap_or(f64::INFINITY);
            if after.is_finite() {
                self.queue.schedule(
                    now + SimDuration::from_secs_f64(after),
                    Event::Leave {
                        peer,
                        reason: LeaveReason::Abort,
                    },
                );
            }
        }
        self.schedule_next_arrival(now, t);
    }

    /// An online host to reuse (with probability `multi_torrent_share`) or a new one.
    fn host_for_arrival(&mut self, now: SimTime, t: TorrentId) -> HostId {
        let share = self.scenario.population.multi_torrent_share;
        if share > 0.0
            && !self.online_hosts.is_empty()
            && self.rngs.host_reuse.random::<f64>() < share
        {
            // A few draws find a host not yet in this torrent unless nearly all are in it.
            for _ in 0..8 {
                let i = self
                    .rngs
                    .host_reuse
                    .random_range(0..self.online_hosts.len());
                let h = self.online_hosts[i];
                if !self.hosts[h.index()]
                    .peers
                    .iter()
                    .any(|p| self.peers[p.index()].torrent == t)
                {
                    return h;
                }
            }
        }
        let u: f64 = self.rngs.population.random();
        let classes = &self.scenario.classes;
        let class = pick_by_share(u, classes.iter().map(|c| c.share));
        let (up, down) = (classes[class].upload.0, classes[class].download.0);
        self.add_host(now, Some(ClassId(class as u32)), up, down)
    }

    fn add_host(&mut self, now: SimTime, class: Option<ClassId>, up: u64, down: u64) -> HostId {
        let id = self.net.add_host(up, down);
        debug_assert_eq!(
            id.index(),
            self.hosts.len(),
            "host ids of engine and network agree"
        );
        let online_pos = class.map(|_| {
            self.online_hosts.push(id);
            self.online_hosts.len() - 1
        });
        self.hosts.push(Host {
            class,
            peers: Vec::new(),
            online_pos,
        });
        self.econ_add_host(now, id, class);
        id
    }

    fn add_peer(
        &mut self,
        now: SimTime,
        host: HostId,
        t: TorrentId,
        publisher: bool,
        client: &ClientConfig,
    ) -> PeerId {
        let id = PeerId(self.peers.len() as u32);
        let n = self.torrents[t.index()].num_pieces;
        let params = client.choker.params();
        let pieces = if publisher {
            PeerPieces::new_seed(n)
        } else {
            PeerPieces::new(n)
        };
        self.peers.push(Peer {
            host,
            torrent: t,
            publisher,
            state: if publisher {
                PeerState::Seeding
            } else {
                PeerState::Leeching
            },
            pieces,
            conns: Vec::new(),
            remotes: Vec::new(),
            leeching_remotes: Vec::new(),
            links: Vec::new(),
            uploads: 0,
            choker: choker_for(&params),
            choker_params: params,
            picker: client.picker,
            unchoked: Vec::new(),
            fill_pending: false,
            announce_gen: 0,
            next_announce: now,
            last_announce: None,
            rechokes: 0,
            rate_sample_times: Default::default(),
            joined_at: now,
            completed_at: if publisher { Some(now) } else { None },
            left_at: None,
            leave_reason: None,
            bytes_downloaded: 0,
            bytes_uploaded: 0,
            bytes_wasted: 0,
        });
        self.hosts[host.index()].peers.push(id);
        self.econ_add_peer(id);
        let tor = &mut self.torrents[t.index()];
        tor.members.push(id);
        if publisher {
            tor.seeds += 1;
            for c in tor.copies.iter_mut() {
                if *c == 0 {
                    tor.pieces_without_copy -= 1;
                }
                *c += 1;
            }
        } else {
            tor.leechers += 1;
            self.leechers_online += 1;
        }
        self.queue
            .schedule(now + params.rechoke_interval, Event::Rechoke { peer: id });
        self.announce(now, id);
        id
    }

    pub(super) fn on_announce(&mut self, now: SimTime, peer: PeerId, generation: u32) {
        let p = &self.peers[peer.index()];
        if !p.is_online() || p.announce_gen != generation {
            return;
        }
        self.announce(now, peer);
    }

    /// Asks the tracker for up to `numwant` random members and connects to those with room.
    /// Then schedules the next periodic announce. Cost O(numwant · connections).
    fn announce(&mut self, now: SimTime, peer: PeerId) {
        let tracker = self.scenario.tracker;
        let t = self.peers[peer.index()].torrent;
        let members = &self.torrents[t.index()].members;
        // A reply never holds more than the other members, whatever `numwant` says.
        let mut reply: Vec<PeerId> =
            Vec::with_capacity((tracker.numwant as usize).min(members.len()));
        if members.len() <= tracker.numwant as usize + 1 {
            reply.extend(members.iter().copied().filter(|&m| m != peer));
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
        let tracker = self.scenario.tracker;
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

    fn connected(&self, a: PeerId, b: PeerId) -> bool {
        self.peers[a.index()]
            .conns
            .iter()
            .any(|c| self.conns[c.index()].other(a) == b)
    }

    /// Opens a connection and exchanges bitfields. Cost O(pieces held by either side).
    fn connect(&mut self, now: SimTime, a: PeerId, b: PeerId) {
        let id = ConnId(self.conns.len() as u32);
        let max = self.scenario.tracker.max_connections as usize;
        let (pa, pb) = pair_mut(&mut self.peers, a.index(), b.index());
        let conn = Conn {
            peers: [a, b],
            open: true,
            dirs: [Direction::new(now), Direction::new(now)],
        };
        pa.pieces.add_neighbour(pb.pieces.have());
        pb.pieces.add_neighbour(pa.pieces.have());
        pa.conns.push(id);
        pa.remotes.push(b);
        push_link(&mut pa.links, Link::new(now), max);
        if pb.state == PeerState::Leeching {
            pa.leeching_remotes.push(b);
        }
        pb.conns.push(id);
        pb.remotes.push(a);
        push_link(&mut pb.links, Link::new(now), max);
        if pa.state == PeerState::Leeching {
            pb.leeching_remotes.push(a);
        }
        self.conns.push(conn);
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
    }

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

/// Removes `remote` from a peer's unchoked list (order is not kept). Panics if absent: the
/// list and the connections' choke flags disagree, a bug.
pub(super) fn remove_unchoked(unchoked: &mut Vec<PeerId>, remote: PeerId) {
    let i = unchoked
        .iter()
        .position(|&r| r == remote)
        .expect("an unchoked neighbour is in the unchoked list");
    unchoked.swap_remove(i);
}

/// Appends `link`, growing the list by doubling but never past `max` entries (a peer holds at
/// most `max_connections`): 80 links would otherwise reserve room for 128.
fn push_link(links: &mut Vec<Link>, link: Link, max: usize) {
    if links.len() == links.capacity() {
        // At least 4 entries, at most `max` (any `max` ≥ 1, also below 4).
        let want = (2 * links.len()).max(4).min(max.max(links.len() + 1));
        links.reserve_exact(want - links.len());
    }
    links.push(link);
}
