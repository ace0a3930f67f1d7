//! Who joins: listing releases (publishers come online, content is listed), the arrival
//! process of each listing, the host an arrival runs on (new, an online host reused, or a
//! returning user's), and the creation of hosts, identities and peers.

use super::state::{Host, LeaveReason, Peer, PeerState};
use super::{Event, Sim};
use crate::boundary::Fact;
use crate::choker::choker_for;
use crate::config::{ClientConfig, IpPlan, Publish};
use crate::ids::{AgentId, ClassId, HostId, IpId, PeerId, TorrentId};
use crate::picker::PeerPieces;
use crate::rng::pick_by_share;
use crate::time::{SimDuration, SimTime};
use rand::RngExt;
use rand_distr::{Distribution, Exp};

impl Sim {
    pub(super) fn on_release(&mut self, now: SimTime, t: TorrentId) {
        let content = self.torrents[t.index()].content;
        let tor = &mut self.torrents[t.index()];
        tor.released = true;
        tor.listed_at = Some(now);
        let cfg = &self.scenario.torrents[content.index()];
        let publishers = cfg.publishers;
        if cfg.publish == Publish::AtRelease {
            // Content published at release exists from then on, even without a publisher
            // (then it is lost at once).
            tor.published = true;
            tor.ever_available = true;
            for _ in 0..publishers.count {
                let host =
                    self.add_host(now, None, publishers.upload.0, publishers.download.0, None);
                if self.world.is_some() {
                    self.hosts[host.index()].held.push(content);
                }
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
            self.start_warm(now, t);
        }
        let tor = &mut self.torrents[t.index()];
        if tor.ever_available && tor.pieces_without_copy == 0 {
            tor.first_available_at = Some(now);
        }
        self.note_piece_loss(now, t);
        if self.world.is_some() {
            let site = self.torrents[t.index()].site;
            self.tell(
                now,
                Fact::ContentListed {
                    listing: t,
                    content,
                    site,
                },
            );
        }
        self.schedule_next_arrival(now, t);
    }

    /// Schedules the listing's next arrival, or marks its process exhausted.
    pub(super) fn schedule_next_arrival(&mut self, now: SimTime, t: TorrentId) {
        let release = self.torrents[t.index()].arrival_base;
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

    pub(super) fn on_arrival(&mut self, now: SimTime, listing: TorrentId) {
        // A fake copy of unpublished content may take this arrival.
        let t = self.route_arrival(listing);
        self.torrents[t.index()].arrivals += 1;
        self.note_arrival(now, t);
        if let Some(host) = self.host_for_arrival(now, t)
            && self.admit(now, host, t)
        {
            let class = self.hosts[host.index()].class.map_or(0, |c| c.index());
            let client = self.scenario.client_of_class(class).clone();
            let peer = self.add_peer(now, host, t, false, &client);
            let content = self.torrents[t.index()].content;
            if let Some(abort) = self.scenario.torrents[content.index()].abort {
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
        }
        self.schedule_next_arrival(now, listing);
    }

    /// The host an arrival at `t` runs on: an online host reused (with probability
    /// `multi_torrent_share`), else a returning user's (finite populations) or a new one.
    /// `None` when a finite population offers nobody who still wants `t`.
    fn host_for_arrival(&mut self, now: SimTime, t: TorrentId) -> Option<HostId> {
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
                if !self.wants_no_more(h, t) {
                    return Some(h);
                }
            }
        }
        if !self.users.is_empty() {
            return self.returning_user(now, t);
        }
        Some(self.new_user_host(now))
    }

    /// A new host of a class drawn by share.
    fn new_user_host(&mut self, now: SimTime) -> HostId {
        let u: f64 = self.rngs.population.random();
        let classes = &self.scenario.classes;
        let class = pick_by_share(u, classes.iter().map(|c| c.share));
        let (up, down) = (classes[class].upload.0, classes[class].download.0);
        self.add_host(now, Some(ClassId(class as u32)), up, down, None)
    }

    /// One of the finite population's users who wants `t` (not in it, not holding its
    /// content): drawn uniformly, at most 8 draws. A user's first arrival creates its host; a
    /// later one brings it back online (when its peer is added).
    fn returning_user(&mut self, now: SimTime, t: TorrentId) -> Option<HostId> {
        for _ in 0..8 {
            let u = self.rngs.users.random_range(0..self.users.len());
            let Some(h) = self.users[u] else {
                let h = self.new_user_host(now);
                self.users[u] = Some(h);
                return Some(h);
            };
            if !self.wants_no_more(h, t) {
                return Some(h);
            }
        }
        self.torrents[t.index()].arrivals_without_user += 1;
        None
    }

    /// Whether host `h` does not want listing `t`: it holds its content, or runs a peer in a
    /// listing of the same content (on any site).
    fn wants_no_more(&self, h: HostId, t: TorrentId) -> bool {
        let content = self.torrents[t.index()].content;
        let host = &self.hosts[h.index()];
        host.held.contains(&content)
            || host
                .peers
                .iter()
                .any(|p| self.torrents[self.peers[p.index()].torrent.index()].content == content)
    }

    /// Creates a host: an ordinary user's (`class`), a publisher (`None`, no owner) or an
    /// agent's (`owner`: the agent and the economy strategy it trades with). Every host gets
    /// an IP address and an identity.
    pub(super) fn add_host(
        &mut self,
        now: SimTime,
        class: Option<ClassId>,
        up: u64,
        down: u64,
        owner: Option<(AgentId, Option<usize>)>,
    ) -> HostId {
        let id = self.net.add_host(up, down);
        debug_assert_eq!(
            id.index(),
            self.hosts.len(),
            "host ids of engine and network agree"
        );
        let online_pos = (class.is_some() && owner.is_none()).then(|| {
            self.online_hosts.push(id);
            self.online_hosts.len() - 1
        });
        let ip = self.next_ip(class.is_some() && owner.is_none());
        let identity = self.new_identity(now, id, ip);
        self.hosts.push(Host {
            class,
            peers: Vec::new(),
            online_pos,
            ip,
            identity,
            owner: owner.map(|(a, _)| a),
            held: Vec::new(),
            uploaded_by_departed: 0,
        });
        match owner {
            Some((_, strategy)) => {
                if let Some(econ) = self.econ.as_mut() {
                    econ.add_agent_host(id, strategy);
                }
            }
            None => self.econ_add_host(now, id),
        }
        self.econ_identity(now, id);
        id
    }

    /// The IP address of a new host: ordinary users' hosts fill shared addresses in creation
    /// order (`hosts_per_ip` each); publishers' and agents' hosts, and every host under
    /// `per_host`, get one of their own.
    fn next_ip(&mut self, ordinary: bool) -> IpId {
        let per = match self.scenario.population.ips {
            IpPlan::PerHost => 1,
            IpPlan::Shared { hosts_per_ip } => hosts_per_ip.max(1),
        };
        match self.shared_ip {
            Some((ip, used)) if ordinary && used < per => {
                self.shared_ip = Some((ip, used + 1));
                ip
            }
            _ => {
                let ip = IpId(self.ips);
                self.ips += 1;
                if ordinary {
                    self.shared_ip = Some((ip, 1));
                }
                ip
            }
        }
    }

    /// Adds a peer of `host` to listing `t`, as a seed (a publisher, or a host holding the
    /// content) or as a leecher.
    pub(super) fn add_peer(
        &mut self,
        now: SimTime,
        host: HostId,
        t: TorrentId,
        publisher: bool,
        client: &ClientConfig,
    ) -> PeerId {
        let start = if publisher {
            Start::Publisher
        } else {
            Start::Empty
        };
        self.add_peer_with(now, host, t, start, client)
    }

    /// Adds a peer of `host` to listing `t` holding what `start` says.
    pub(super) fn add_peer_with(
        &mut self,
        now: SimTime,
        host: HostId,
        t: TorrentId,
        start: Start,
        client: &ClientConfig,
    ) -> PeerId {
        let id = PeerId(self.peers.len() as u32);
        let n = self.torrents[t.index()].num_pieces;
        let params = client.choker.params();
        let tracker_turnover_interval = self.torrents[t.index()].tracker.peer_turnover_interval.0;
        let publisher = matches!(start, Start::Publisher);
        let pieces = match &start {
            Start::Publisher => PeerPieces::new_seed(n),
            Start::Empty => PeerPieces::new(n),
            Start::Warm(held) => {
                let mut p = PeerPieces::new(n);
                for &piece in held {
                    p.grant(piece);
                }
                p
            }
        };
        let seed = pieces.is_seed();
        self.peers.push(Peer {
            host,
            torrent: t,
            publisher,
            warm: matches!(start, Start::Warm(_)),
            state: if seed {
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
            next_turnover: now + tracker_turnover_interval,
            member_pos: u32::MAX,
            last_announce: None,
            rechokes: 0,
            rate_sample_times: Default::default(),
            joined_at: now,
            completed_at: seed.then_some(now),
            left_at: None,
            leave_reason: None,
            bytes_downloaded: 0,
            bytes_uploaded: 0,
            bytes_wasted: 0,
            identity: self.hosts[host.index()].identity,
        });
        let h = &mut self.hosts[host.index()];
        h.peers.push(id);
        // A returning user's host is online again (and may be reused by other arrivals).
        if h.online_pos.is_none() && h.class.is_some() && h.owner.is_none() {
            self.online_hosts.push(host);
            h.online_pos = Some(self.online_hosts.len() - 1);
        }
        self.econ_add_peer(now, id);
        self.bounty_pledge(now, id);
        let tor = &mut self.torrents[t.index()];
        self.peers[id.index()].member_pos = tor.members.len() as u32;
        tor.members.push(id);
        for piece in self.peers[id.index()].pieces.have().iter() {
            let c = &mut tor.copies[piece as usize];
            if *c == 0 {
                tor.pieces_without_copy -= 1;
            }
            *c += 1;
        }
        if seed {
            tor.seeds += 1;
        } else {
            tor.leechers += 1;
            self.leechers_online += 1;
        }
        self.queue
            .schedule(now + params.rechoke_interval, Event::Rechoke { peer: id });
        self.announce(now, id);
        if self.world.is_some() {
            if seed {
                self.note_restoration(now, t);
            }
            self.tell(
                now,
                Fact::PeerJoined {
                    peer: id,
                    host,
                    listing: t,
                    seed,
                },
            );
        }
        id
    }
}

/// What a new peer holds when it joins.
pub(super) enum Start {
    /// Nothing: an arriving leecher.
    Empty,
    /// Everything, as a publisher.
    Publisher,
    /// These pieces (every piece: a seed), as a peer of a warm start.
    Warm(Vec<u32>),
}
