//! Who joins: torrent releases (publishers come online), the arrival process of each
//! torrent, the host an arrival runs on (new, or an online host reused), and the creation of
//! hosts and peers.

use super::state::{Host, LeaveReason, Peer, PeerState};
use super::{Event, Sim};
use crate::choker::choker_for;
use crate::config::ClientConfig;
use crate::ids::{ClassId, HostId, PeerId, TorrentId};
use crate::picker::PeerPieces;
use crate::rng::pick_by_share;
use crate::time::{SimDuration, SimTime};
use rand::RngExt;
use rand_distr::{Distribution, Exp};

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
        self.econ_add_host(now, id);
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
}
