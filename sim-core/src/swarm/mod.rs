//! The swarm engine: one event loop over [`Event`], applying the models' decisions to hosts,
//! peers, connections and the bandwidth model.
//!
//! Invariants (checked by [`Sim::check_invariants`], after every sample in debug builds and
//! after every event in the invariant tests): each leecher's availability equals the number
//! of its open neighbours holding each piece; a direction carries a flow only while unchoked,
//! for a piece its downloader lacks; per-peer counters of outbound transfers and lists of
//! unchoked neighbours match the connections; each torrent's copy counts equal the online
//! peers holding each piece; the flow network's rates equal the slow reference; time never
//! goes back.

mod bounty_bridge;
mod choking;
mod connections;
mod credit_bridge;
mod departure;
mod economy_bridge;
mod event;
mod invariants;
mod join;
mod pool_bridge;
mod site_rules;
mod state;
mod storage_bridge;
mod tracker;
mod transfer;
mod upkeep;
mod warm;
mod warm_start;
mod world;
mod world_view;

pub use crate::record::LeaveReason;
pub use event::Event;
pub use invariants::LeecherProgress;
pub use state::PeerState;
use state::{Host, Peer, TorrentState};

use crate::arrivals::ArrivalProcess;
use crate::bandwidth::FlowNetwork;
use crate::config::Scenario;
use crate::economy::Economy;
use crate::ids::{ConnId, ContentId, HostId, PeerId, SiteId, TorrentId};
use crate::metrics::{Recorder, SwarmCounts};
use crate::queue::EventQueue;
use crate::record::RunRecord;
use crate::report::Report;
use crate::rng::{SimRng, Stream, stream, substream};
use crate::time::{SimDuration, SimTime};
use state::Conn;

/// The random streams of one run, one per purpose.
#[derive(Debug)]
struct Rngs {
    /// One arrival stream per torrent, so adding a torrent never shifts another's arrivals.
    arrivals: Vec<SimRng>,
    population: SimRng,
    departures: SimRng,
    tracker: SimRng,
    picker: SimRng,
    choker: SimRng,
    host_reuse: SimRng,
    /// Which user an arrival is (finite populations).
    users: SimRng,
    /// Admission come-backs and fake-listing routing.
    world: SimRng,
    /// Warm starts' hosts and pieces.
    warm_start: SimRng,
}

/// A simulation run in progress. Build with [`Sim::new`], then [`Sim::run`].
pub struct Sim {
    scenario: Scenario,
    horizon: SimTime,
    queue: EventQueue<Event>,
    net: FlowNetwork,
    hosts: Vec<Host>,
    peers: Vec<Peer>,
    /// Connections by id; a closed one's slot is reused by a later connection.
    conns: Vec<Conn>,
    /// Ids of closed connections, reused last closed first (deterministic; nothing decides by
    /// a connection's id, so results do not depend on the reuse). Keeps the table at the
    /// connections open at once: 5.4 million connections are opened over a 100,000-peer flash
    /// crowd, far fewer are ever open together.
    free_conns: Vec<ConnId>,
    /// Connections opened so far (closed ones included).
    conns_opened: u64,
    torrents: Vec<TorrentState>,
    arrivals: Vec<Option<ArrivalProcess>>,
    /// Online non-publisher hosts, for multi-torrent reuse.
    online_hosts: Vec<HostId>,
    rngs: Rngs,
    recorder: Recorder,
    /// Events handled (superseded completions dropped by the queue are not counted).
    events_processed: u64,
    piece_transfers: u64,
    /// Torrents not yet released, or still with arrivals to come.
    unfinished_torrents: usize,
    leechers_online: u64,
    stopped_early: Option<SimTime>,
    /// Scratch list of peers for handlers (kept to avoid allocating per event).
    scratch_peers: Vec<PeerId>,
    /// Scratch buffer of choke views (see `choke_candidates`).
    scratch_candidates: Vec<crate::choker::Candidate>,
    /// Scratch buffers of a seller's auction (see `auction`), of its paid slots and of the
    /// choke view without the buyers (see `on_rechoke`).
    scratch_auction: economy_bridge::AuctionScratch,
    scratch_paid: Vec<economy_bridge::PaidSlot>,
    scratch_unpaid: Vec<crate::choker::Candidate>,
    /// Scratch list of connections (see `retry_idle_uploads`).
    scratch_conns: Vec<ConnId>,
    /// Scratch rows of a choke view under construction (see `choke_candidates`).
    scratch_view_rows: Vec<choking::ViewRow>,
    /// The token economy, when the scenario has one.
    econ: Option<Economy>,
    /// Sites and agents, when the scenario has a world above the swarm.
    world: Option<world::World>,
    /// Every identity (one per host unless a host took a fresh one).
    identities: Vec<crate::record::IdentityRecord>,
    /// The host of each user of a finite population, once it first arrived.
    users: Vec<Option<HostId>>,
    /// The listings of each content on each site (`listings[content][site]`).
    listings: Vec<Vec<Option<TorrentId>>>,
    /// IP addresses given so far, and the shared one being filled (and its hosts).
    ips: u32,
    shared_ip: Option<(crate::ids::IpId, u32)>,
    /// Set once the run has ended (the layers above then see this as the time).
    ended_at: Option<SimTime>,
    /// Event count at which a debug build next runs the full invariant check.
    #[cfg_attr(not(debug_assertions), allow(dead_code))]
    next_full_check: u64,
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim")
            .field("now", &self.queue.now())
            .field("events_processed", &self.events_processed)
            .field("peers", &self.peers.len())
            .finish_non_exhaustive()
    }
}

impl Sim {
    /// Prepares a run of a validated, resolved scenario. Cost O(torrents + arrivals listed).
    pub fn new(scenario: &Scenario) -> Sim {
        let seed = scenario.seed;
        let horizon = SimTime::ZERO + scenario.horizon.0;
        let mut rngs = Rngs {
            arrivals: Vec::new(),
            population: stream(seed, Stream::Population),
            departures: stream(seed, Stream::Departures),
            tracker: stream(seed, Stream::Tracker),
            picker: stream(seed, Stream::Picker),
            choker: stream(seed, Stream::Choker),
            host_reuse: stream(seed, Stream::HostReuse),
            users: stream(seed, Stream::Users),
            world: stream(seed, Stream::World),
            warm_start: stream(seed, Stream::WarmStart),
        };
        let mut queue = EventQueue::default();
        let mut torrents = Vec::new();
        let mut arrivals = Vec::new();
        let sites = scenario.sites();
        let named_by_site = !scenario.sites.is_empty();
        let mut listings = vec![vec![None; sites.len()]; scenario.torrents.len()];
        // One listing per (content, site it is listed on at release), in content order: a
        // scenario without sites has exactly its catalog, in order.
        for (c, t) in scenario.torrents.iter().enumerate() {
            for s in scenario.listing_sites(c) {
                let id = TorrentId(torrents.len() as u32);
                listings[c][s] = Some(id);
                let name = if named_by_site {
                    format!("{}@{}", t.name, sites[s].name)
                } else {
                    t.name.clone()
                };
                let tracker = sites[s].tracker.unwrap_or(scenario.tracker);
                torrents.push(TorrentState::new(
                    t,
                    ContentId(c as u32),
                    (SiteId(s as u32), tracker),
                    name,
                ));
                let mut rng = substream(seed, Stream::Arrivals as u64, u64::from(id.0));
                let span = horizon.since(SimTime::ZERO + t.release.0);
                let process = t.arrivals.scaled(sites[s].audience);
                arrivals.push(Some(ArrivalProcess::new(&process, span, &mut rng)));
                rngs.arrivals.push(rng);
                queue.schedule(SimTime::ZERO + t.release.0, Event::Release { torrent: id });
            }
        }
        queue.schedule(SimTime::ZERO, Event::Sample);
        let econ = scenario.economy.as_ref().map(|e| Economy::new(e, seed));
        let world = scenario
            .has_world()
            .then(|| world::World::new(scenario, seed));
        if world.is_some() {
            queue.schedule(SimTime::ZERO, Event::WorldStart);
        }
        let mut sim = Sim {
            recorder: Recorder::new(torrents.iter().map(|t| t.name.clone()).collect()),
            scenario: scenario.clone(),
            horizon,
            queue,
            net: FlowNetwork::new(),
            hosts: Vec::new(),
            peers: Vec::new(),
            conns: Vec::new(),
            free_conns: Vec::new(),
            conns_opened: 0,
            unfinished_torrents: torrents.len(),
            torrents,
            arrivals,
            online_hosts: Vec::new(),
            rngs,
            events_processed: 0,
            piece_transfers: 0,
            leechers_online: 0,
            stopped_early: None,
            scratch_peers: Vec::new(),
            scratch_candidates: Vec::new(),
            scratch_view_rows: Vec::new(),
            scratch_auction: Default::default(),
            scratch_paid: Vec::new(),
            scratch_unpaid: Vec::new(),
            scratch_conns: Vec::new(),
            econ,
            world,
            identities: Vec::new(),
            users: vec![None; scenario.population.users.unwrap_or(0) as usize],
            listings,
            ips: 0,
            shared_ip: None,
            ended_at: None,
            next_full_check: 0,
        };
        sim.schedule_economy();
        sim.schedule_site_checks();
        sim
    }

    /// Runs to the horizon (or until done with `stop_when_done`) and reports.
    pub fn run(mut self) -> Report {
        while self.step() {}
        self.finish()
    }

    /// Processes one event; returns false when the run is over. Cost: one handler.
    pub fn step(&mut self) -> bool {
        if self.stopped_early.is_some() {
            return false;
        }
        // Superseded flow completions (a third of all scheduled events at 10,000 peers) are
        // dropped by the queue, unseen and uncounted.
        let net = &self.net;
        let live = |e: &Event| match *e {
            Event::FlowDone {
                flow, generation, ..
            } => net.is_current(flow, generation),
            _ => true,
        };
        let Some((now, event)) = self.queue.pop_until_live(self.horizon, live) else {
            return false;
        };
        self.events_processed += 1;
        self.warm_next();
        self.handle(now, event);
        self.schedule_retimed_flows();
        #[cfg(debug_assertions)]
        if let Some(econ) = &self.econ {
            debug_assert!(
                econ.totals_balance(),
                "token conservation broken at {now} after {event:?}"
            );
        }
        if self.scenario.stop_when_done
            && self.unfinished_torrents == 0
            && self.leechers_online == 0
        {
            self.stopped_early = Some(now);
        }
        true
    }

    fn handle(&mut self, now: SimTime, event: Event) {
        match event {
            Event::Release { torrent } => self.on_release(now, torrent),
            Event::Arrival { torrent } => self.on_arrival(now, torrent),
            Event::FlowDone {
                flow,
                generation,
                owner,
            } => self.on_flow_done(now, flow, generation, owner),
            Event::Rechoke { peer } => self.on_rechoke(now, peer),
            Event::FillSlots { peer } => self.on_fill_slots(now, peer),
            Event::Announce { peer, generation } => self.on_announce(now, peer, generation),
            Event::Leave { peer, reason } => self.on_leave(now, peer, reason),
            Event::Sample => self.on_sample(now),
            Event::SettleChannels => self.on_settle_channels(now),
            Event::ChannelPayout { channel, close } => self.on_channel_payout(now, channel, close),
            Event::Faucet => self.on_faucet(now),
            Event::SeedCheck { peer } => self.on_seed_check(now, peer),
            Event::WorldStart => self.on_world_start(now),
            Event::Command { slot } => self.on_command(now, slot),
            Event::AgentWake { agent } => self.on_agent_wake(now, agent),
            Event::SiteCheck { site } => self.on_site_check(now, site),
            Event::RatioCheck { peer } => self.on_ratio_check(now, peer),
            Event::CreditCheck { identity } => self.on_credit_check(now, identity),
            Event::RepayCheck { peer } => self.on_repay_check(now, peer),
            Event::BountyPay { bounty, claim } => self.on_bounty_pay(now, bounty, claim),
            Event::BountyDeadline { bounty } => self.on_bounty_deadline(now, bounty),
            Event::PoolEpoch { pool } => self.on_pool_epoch(now, pool),
            Event::StorageBill => self.on_storage_bill(now),
            Event::Retrieved { retrieval } => self.on_retrieved(now, retrieval),
        }
    }

    /// Schedules completion events for every flow the bandwidth model re-timed.
    fn schedule_retimed_flows(&mut self) {
        for (flow, generation, at, owner) in self.net.drain_retimed() {
            self.queue.schedule(
                at,
                Event::FlowDone {
                    flow,
                    generation,
                    owner,
                },
            );
        }
    }

    /// What a time-series sample reads of every torrent, in scenario order.
    fn swarm_counts(torrents: &[TorrentState]) -> impl Iterator<Item = SwarmCounts<'_>> {
        torrents.iter().map(|t| SwarmCounts {
            seeds: t.seeds,
            leechers: t.leechers,
            copies: &t.copies,
            pieces_without_copy: t.pieces_without_copy,
        })
    }

    fn on_sample(&mut self, now: SimTime) {
        self.recorder
            .sample(now, Self::swarm_counts(&self.torrents));
        self.sample_economy(now);
        // A full check costs O(peers · neighbours · pieces); debug builds run it at doubling
        // event counts (1k, 2k, 4k, …) so long runs stay usable. The invariant tests check
        // after every event.
        #[cfg(debug_assertions)]
        if self.events_processed >= self.next_full_check {
            self.next_full_check = self.events_processed.max(1_000) * 2;
            if let Err(e) = self.check_invariants() {
                panic!("invariant broken at {now}: {e}");
            }
        }
        let next = now + self.scenario.sample_interval.0;
        if next <= self.horizon {
            self.queue.schedule(next, Event::Sample);
        }
    }

    /// Current simulated time.
    pub fn now(&self) -> SimTime {
        self.queue.now()
    }

    /// Events handled so far.
    pub fn events_processed(&self) -> u64 {
        self.events_processed
    }

    /// The economy of the run so far (read-only; for tests and inspection), if it has one.
    pub fn economy(&self) -> Option<&crate::economy::Economy> {
        self.econ.as_ref()
    }

    /// Superseded flow completions dropped by the queue so far (never handled, not counted
    /// in [`Self::events_processed`]).
    pub fn events_dropped(&self) -> u64 {
        self.queue.dropped()
    }

    /// Connections opened so far, closed ones included (the connection table holds only
    /// those open at once, see `free_conns`).
    pub fn connections_opened(&self) -> u64 {
        self.conns_opened
    }

    /// Ends the run at the horizon (or at the early stop) and builds the report. Call after
    /// [`Sim::step`] returned false; [`Sim::run`] does both.
    pub fn finish(mut self) -> Report {
        let end = self.stopped_early.unwrap_or(self.horizon);
        // Transfers still running at the end have moved bytes that no completion counted.
        for conn in self.conns.iter().filter(|c| c.open) {
            for side in 0..2 {
                if let Some(flow) = conn.dirs[side].flow {
                    let moved = self.net.delivered(end, flow);
                    self.peers[conn.peers[side].index()].bytes_uploaded += moved;
                    self.peers[conn.peers[1 - side].index()].bytes_downloaded += moved;
                }
            }
        }
        self.end_world(end);
        if self.recorder.last_sample() != Some(end) {
            self.recorder
                .sample(end, Self::swarm_counts(&self.torrents));
            self.sample_economy(end);
        }
        let record = RunRecord {
            end,
            events_processed: self.events_processed,
            piece_transfers: self.piece_transfers,
            hosts: self
                .hosts
                .iter()
                .map(|h| h.record(h.owner.and_then(|a| self.agent_kind(a))))
                .collect(),
            peers: self.peers.iter().map(Peer::record).collect(),
            torrents: self.torrents.iter().map(TorrentState::record).collect(),
            identities: std::mem::take(&mut self.identities),
        };
        Report::build(
            &self.scenario,
            &record,
            self.recorder.into_rows(),
            self.econ.as_ref(),
            self.world.as_ref().map(|w| w.report_parts()),
        )
    }

    fn rechoke_interval(&self, peer: PeerId) -> SimDuration {
        self.peers[peer.index()].choker_params.rechoke_interval
    }
}

/// Two distinct elements of a slice, both mutable.
fn pair_mut<T>(v: &mut [T], a: usize, b: usize) -> (&mut T, &mut T) {
    assert_ne!(a, b, "pair_mut needs two distinct indices");
    if a < b {
        let (lo, hi) = v.split_at_mut(b);
        (&mut lo[a], &mut hi[0])
    } else {
        let (lo, hi) = v.split_at_mut(a);
        (&mut hi[0], &mut lo[b])
    }
}
