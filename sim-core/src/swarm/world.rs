//! The engine's bridge to the world above the swarm (sites and agents, `boundary`): it
//! delivers facts from the engine's cold points, applies the commands they return as events,
//! and answers the layers' questions through [`WorldView`] (the sites' checks, admission and
//! bans are applied in `site_rules.rs`).
//!
//! Invariant: facts reach the sites first, then the agents in id order; a command is applied
//! by its own `Command` event at the time it was returned, after the handler that returned
//! it; nothing here runs from a flow completion, a rechoke or a slot fill, and nothing here
//! runs for a scenario without a world.

use super::state::{LeaveReason, PeerState};
use super::{Event, Sim, TorrentState};
use crate::agents::Agents;
use crate::boundary::{Command, Fact};
use crate::config::{Scenario, SiteRules};
use crate::ids::{AgentId, ContentId, HostId, PeerId, SiteId, TorrentId};
use crate::sites::Sites;
use crate::time::SimTime;

/// The layers above the swarm and the commands they returned.
#[derive(Debug)]
pub(super) struct World {
    pub sites: Sites,
    pub agents: Agents,
    /// Commands waiting for their `Command` event (taken when applied), and the slots free
    /// for reuse (so the list holds only what is pending).
    commands: Vec<Option<Command>>,
    free: Vec<u32>,
    /// Whether agents may ask for arrivals over time (then listings keep arrival times).
    pub track_arrivals: bool,
}

impl World {
    pub fn new(scenario: &Scenario, seed: u64) -> World {
        let agents = Agents::new(scenario, seed);
        World {
            sites: Sites::new(&scenario.sites()),
            track_arrivals: !agents.is_empty(),
            agents,
            commands: Vec::new(),
            free: Vec::new(),
        }
    }

    /// What the report needs of the world: the sites and the agents.
    pub fn report_parts(&self) -> (&Sites, &Agents) {
        (&self.sites, &self.agents)
    }
}

impl Sim {
    /// The kind of agent `agent`, if the run has agents.
    pub(super) fn agent_kind(&self, agent: AgentId) -> Option<&'static str> {
        self.world.as_ref().map(|w| w.agents.kind(agent))
    }

    /// Schedules the first check of every site with a rule.
    pub(super) fn schedule_site_checks(&mut self) {
        let Some(world) = &self.world else { return };
        for s in 0..world.sites.len() {
            let site = SiteId(s as u32);
            if let Some(SiteRules::Ratio { check_every, .. }) = &world.sites.config(site).rules {
                let at = SimTime::ZERO + check_every.0;
                if at <= self.horizon {
                    self.queue.schedule(at, Event::SiteCheck { site });
                }
            }
        }
    }

    /// Delivers `fact` to the sites, then to the agents (id order); schedules what they
    /// return. A no-op without a world.
    pub(super) fn tell(&mut self, now: SimTime, fact: Fact) {
        let Some(mut world) = self.world.take() else {
            return;
        };
        if let Fact::PeerLeft {
            identity,
            listing,
            downloaded,
            uploaded,
            ..
        } = fact
        {
            let site = self.torrents[listing.index()].site;
            world.sites.peer_left(site, identity, downloaded, uploaded);
        }
        let mut out = Vec::new();
        world.agents.deliver(&fact, self, &mut out);
        self.world = Some(world);
        self.enqueue(now, out);
    }

    /// Schedules each command as its own event at `now`, in order.
    pub(super) fn enqueue(&mut self, now: SimTime, commands: Vec<Command>) {
        let Some(world) = self.world.as_mut() else {
            return;
        };
        for c in commands {
            let slot = match world.free.pop() {
                Some(slot) => {
                    world.commands[slot as usize] = Some(c);
                    slot
                }
                None => {
                    world.commands.push(Some(c));
                    (world.commands.len() - 1) as u32
                }
            };
            self.queue.schedule(now, Event::Command { slot });
        }
    }

    pub(super) fn on_world_start(&mut self, now: SimTime) {
        let Some(mut world) = self.world.take() else {
            return;
        };
        if let Some(econ) = self.econ.as_mut() {
            for a in 0..world.agents.len() {
                let id = AgentId(a as u32);
                let capital = self.scenario.agents[world.agents.entry(id)].capital();
                econ.add_agent(now, id, capital);
            }
        }
        let mut out = Vec::new();
        world.agents.start(self, &mut out);
        self.world = Some(world);
        self.enqueue(now, out);
    }

    pub(super) fn on_agent_wake(&mut self, now: SimTime, agent: AgentId) {
        self.tell(now, Fact::Wake { agent });
    }

    /// Applies one command.
    pub(super) fn on_command(&mut self, now: SimTime, slot: u32) {
        let Some(world) = self.world.as_mut() else {
            return;
        };
        let Some(command) = world.commands.get_mut(slot as usize).and_then(Option::take) else {
            return;
        };
        world.free.push(slot);
        self.apply(now, command);
    }

    /// The run ends at `end`: the agents' last word (final billing), applied at once.
    pub(super) fn end_world(&mut self, end: SimTime) {
        let Some(mut world) = self.world.take() else {
            return;
        };
        self.ended_at = Some(end);
        let mut out = Vec::new();
        world.agents.deliver(&Fact::RunEnds, self, &mut out);
        self.world = Some(world);
        for command in out {
            self.apply(end, command);
        }
        self.close_pools(end);
        self.close_storage(end);
    }

    /// Applies one command now.
    fn apply(&mut self, now: SimTime, command: Command) {
        match command {
            Command::CreateHost {
                agent,
                upload,
                download,
                strategy,
                ip_of,
            } => {
                let host = self.add_host(now, None, upload, download, Some((agent, strategy)));
                if let Some(other) = ip_of.filter(|h| h.index() < self.hosts.len()) {
                    self.share_ip(now, host, other);
                }
                self.tell(now, Fact::HostCreated { agent, host });
            }
            Command::Join { host, listing } => self.join(now, host, listing),
            Command::Leave { host, listing } => {
                if let Some(peer) = self.peer_of(host, listing) {
                    self.on_leave(now, peer, LeaveReason::Dropped);
                }
            }
            Command::GoOffline { host, keep_content } => self.go_offline(now, host, keep_content),
            Command::Publish {
                host,
                listing,
                fake,
                appeal,
            } => self.publish(now, host, listing, fake, appeal),
            Command::List {
                content,
                site,
                host,
                payer,
            } => self.list(now, content, site, host, payer),
            Command::Ban { site, identity } => self.ban(now, site, identity),
            Command::FreshIdentity { host } => {
                let (old, ip) = (
                    self.hosts[host.index()].identity,
                    self.hosts[host.index()].ip,
                );
                let fresh = self.new_identity(now, host, ip);
                self.hosts[host.index()].identity = fresh;
                if let Some(world) = self.world.as_mut() {
                    world.sites.retire(old);
                }
                self.econ_identity(now, host);
            }
            Command::WakeAt { agent, at } => {
                self.queue.schedule(at.max(now), Event::AgentWake { agent });
            }
            Command::PayRent { agent, amount } => {
                if let Some(econ) = self.econ.as_mut() {
                    econ.pay_rent(now, agent, amount);
                }
            }
            Command::Collect { agent, host } => {
                if let Some(econ) = self.econ.as_mut() {
                    econ.collect(now, agent, host);
                }
            }
            Command::PostBounty {
                agent,
                content,
                reward,
                deadline,
            } => self.post_bounty(now, agent, content, reward, deadline),
            Command::PayIdentity { agent, amount } => {
                if let Some(econ) = self.econ.as_mut() {
                    econ.pay_identity(now, agent, amount);
                }
            }
            Command::Lend {
                agent,
                peer,
                host,
                amount,
                interest,
                min_reputation,
            } => {
                self.lend_from_agent(now, agent, (peer, host), amount, (interest, min_reputation));
            }
            Command::JoinPool {
                agent,
                pool,
                host,
                hopper,
            } => self.join_pool(pool, (agent, host), hopper),
            Command::LeavePool { agent, pool } => {
                if let Some(econ) = self.econ.as_mut() {
                    econ.leave_pool(pool, agent);
                }
            }
            Command::Store {
                agent,
                host,
                listing,
            } => self.store(now, agent, host, listing),
            Command::Retrieve { host, listing } => self.retrieve(now, host, listing),
            Command::Release { host, content } => self.release(now, host, content),
        }
    }

    /// Every peer `host` ever ran (agents' hosts only are looked up this way; O(peers)).
    pub(super) fn host_peers_ever(&self, host: HostId) -> impl Iterator<Item = PeerId> + '_ {
        self.peers
            .iter()
            .enumerate()
            .filter(move |(_, p)| p.host == host)
            .map(|(i, _)| PeerId(i as u32))
    }

    /// `host`'s online peer in `listing`, if any.
    pub(super) fn peer_of(&self, host: HostId, listing: TorrentId) -> Option<PeerId> {
        self.hosts[host.index()]
            .peers
            .iter()
            .copied()
            .find(|p| self.peers[p.index()].torrent == listing)
    }

    /// `host` joins `listing`: as a seed if it holds the content, else as a leecher (if the
    /// site admits its identity). Nothing if it is already there.
    pub(super) fn join(&mut self, now: SimTime, host: HostId, listing: TorrentId) {
        if self.peer_of(host, listing).is_some() || !self.torrents[listing.index()].released {
            return;
        }
        let content = self.torrents[listing.index()].content;
        let seed = self.hosts[host.index()].held.contains(&content);
        if !self.admit(now, host, listing) {
            return;
        }
        let client = self.scenario.client.clone();
        self.add_peer(now, host, listing, seed, &client);
        self.note_pool_listing(host, listing);
    }

    /// Takes `host` offline: every peer leaves; with `keep_content` it keeps what it holds
    /// in full.
    fn go_offline(&mut self, now: SimTime, host: HostId, keep_content: bool) {
        for peer in self.hosts[host.index()].peers.clone() {
            let p = &self.peers[peer.index()];
            if keep_content && p.state == PeerState::Seeding {
                let content = self.torrents[p.torrent.index()].content;
                if !self.torrents[p.torrent.index()].fake
                    && !self.hosts[host.index()].held.contains(&content)
                {
                    self.hosts[host.index()].held.push(content);
                }
            }
            self.on_leave(now, peer, LeaveReason::Offline);
        }
        self.tell(now, Fact::HostOffline { host });
    }

    /// Publishes on-demand `listing` from `host` (see [`Command::Publish`]).
    fn publish(&mut self, now: SimTime, host: HostId, listing: TorrentId, fake: bool, appeal: f64) {
        let content = self.torrents[listing.index()].content;
        if !fake {
            if !self.hosts[host.index()].held.contains(&content) {
                self.hosts[host.index()].held.push(content);
            }
            self.join(now, host, listing);
            if self.peer_of(host, listing).is_some() {
                self.torrents[listing.index()].published = true;
                self.bounty_claim(now, host, listing, false);
            }
            return;
        }
        // A fake copy: its own listing on the same site, taking `appeal` of the arrivals
        // (the newest fake takes them all), if the site admits the uploader.
        if !self.admit(now, host, listing) {
            return;
        }
        let real = &self.torrents[listing.index()];
        let site = real.site;
        let cfg = &self.scenario.torrents[content.index()];
        let name = format!("{} (fake {})", real.name, self.torrents.len());
        let id = TorrentId(self.torrents.len() as u32);
        let tracker = self.torrents[listing.index()].tracker;
        let mut fake_listing = TorrentState::new(cfg, content, (site, tracker), name);
        fake_listing.fake = true;
        fake_listing.published = true;
        fake_listing.released = true;
        fake_listing.listed_at = Some(now);
        fake_listing.arrivals_pending = false;
        self.add_listing(fake_listing, None, None);
        self.torrents[listing.index()].fake_alternative = Some((id, appeal));
        let client = self.scenario.client.clone();
        self.add_peer(now, host, id, true, &client);
        self.bounty_claim(now, host, id, true);
        self.tell(
            now,
            Fact::ContentListed {
                listing: id,
                content,
                site,
            },
        );
    }

    /// Registers a listing created during the run (with its arrival process and stream, if
    /// any): its swarm, its time series.
    fn add_listing(
        &mut self,
        listing: TorrentState,
        process: Option<crate::arrivals::ArrivalProcess>,
        rng: Option<crate::rng::SimRng>,
    ) -> TorrentId {
        let id = TorrentId(self.torrents.len() as u32);
        self.recorder.add_torrent(listing.name.clone());
        self.torrents.push(listing);
        self.arrivals.push(process);
        if let Some(rng) = rng {
            // Arrival streams are indexed like listings (fake listings have no arrivals, and
            // come after every stream used so far only when they are the newest).
            while self.rngs.arrivals.len() < id.index() {
                self.rngs.arrivals.push(crate::rng::substream(
                    self.scenario.seed,
                    crate::rng::Stream::Arrivals as u64,
                    self.rngs.arrivals.len() as u64,
                ));
            }
            self.rngs.arrivals.push(rng);
        }
        id
    }

    /// Lists `content` on `site` during the run: a new listing whose arrivals (the content's
    /// process scaled by the site's audience) count from now.
    fn list(
        &mut self,
        now: SimTime,
        content: ContentId,
        site: SiteId,
        host: Option<HostId>,
        payer: Option<AgentId>,
    ) {
        if let Some(existing) = self.listing(content, site) {
            // Listed already (a competitor was first): the host joins it as a seed.
            if let Some(host) = host {
                self.join(now, host, existing);
            }
            return;
        }
        let fee = self.scenario.sites()[site.index()].listing_fee;
        if let (Some(agent), Some(econ)) = (payer, self.econ.as_mut())
            && !econ.pay_listing_fee(now, agent, fee)
        {
            return;
        }
        let cfg = &self.scenario.torrents[content.index()];
        let sites = self.scenario.sites();
        let (audience, tracker) = (
            sites[site.index()].audience,
            sites[site.index()].tracker.unwrap_or(self.scenario.tracker),
        );
        let name = format!("{}@{}", cfg.name, sites[site.index()].name);
        let id = TorrentId(self.torrents.len() as u32);
        let mut listing = TorrentState::new(cfg, content, (site, tracker), name);
        listing.released = true;
        listing.published = true;
        listing.listed_at = Some(now);
        listing.arrival_base = now;
        let mut rng = crate::rng::substream(
            self.scenario.seed,
            crate::rng::Stream::Arrivals as u64,
            u64::from(id.0),
        );
        let process = crate::arrivals::ArrivalProcess::new(
            &cfg.arrivals.scaled(audience),
            self.horizon.since(now),
            &mut rng,
        );
        self.add_listing(listing, Some(process), Some(rng));
        self.torrents[id.index()].listed_by = payer;
        self.listings[content.index()][site.index()] = Some(id);
        self.unfinished_torrents += 1;
        if let Some(host) = host {
            self.join(now, host, id);
        }
        self.note_piece_loss(now, id);
        self.tell(
            now,
            Fact::ContentListed {
                listing: id,
                content,
                site,
            },
        );
        self.schedule_next_arrival(now, id);
    }

    /// Records the first arrival-time information agents may ask for.
    pub(super) fn note_arrival(&mut self, now: SimTime, listing: TorrentId) {
        if self.world.as_ref().is_some_and(|w| w.track_arrivals) {
            self.torrents[listing.index()].arrival_times.push(now);
        }
    }

    /// The listing an arrival for `listing` goes to: a fake alternative takes its share
    /// while the real content is unpublished.
    pub(super) fn route_arrival(&mut self, listing: TorrentId) -> TorrentId {
        use rand::RngExt;
        let t = &self.torrents[listing.index()];
        match t.fake_alternative {
            Some((fake, appeal)) if !t.published => {
                let u: f64 = self.rngs.world.random();
                if u < appeal { fake } else { listing }
            }
            _ => listing,
        }
    }

    /// The listing of `content` on `site`, if any.
    pub(super) fn listing(&self, content: ContentId, site: SiteId) -> Option<TorrentId> {
        self.listings
            .get(content.index())
            .and_then(|l| l.get(site.index()).copied().flatten())
    }
}

impl Sim {
    /// Applies `command` as if a layer above had returned it now (after the events already
    /// scheduled for now). For tools and tests that drive the world directly.
    pub fn issue(&mut self, command: Command) {
        let now = self.queue.now();
        self.enqueue(now, vec![command]);
    }
}
