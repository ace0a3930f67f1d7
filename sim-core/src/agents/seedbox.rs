//! A seedbox: one rented high-bandwidth host that joins new torrents early and seeds them.
//!
//! Life: at the start it rents its host (`CreateHost`). Every `reselect` it wakes: it pays the
//! rent of the elapsed interval (with an economy: collects its host's settled earnings into
//! its account first, then pays from there; without one the rent is only counted), drops the
//! torrents it uploaded less than `min_upload` to over the last `idle`, stops renting when
//! its earnings over the last `idle` (sales, settled or not) fell short of the rent over that
//! time (economy runs, `stop_when_unprofitable`) or it cannot pay, and otherwise joins the
//! best listings its selection offers up to `max_torrents`. A newly listed torrent also triggers a selection
//! at once, so a `newest` seedbox is among the first peers.
//!
//! Invariant: it never joins a listing twice, never rejoins one it dropped, and issues no
//! command after it stopped renting.

use super::{Agent, Selection, selection_for};
use crate::boundary::{Command, Fact, ListingView, WorldView};
use crate::config::{AgentConfig, Scenario};
use crate::economy::tokens::from_tokens;
use crate::ids::{AgentId, HostId, PeerId, SiteId, TorrentId};
use crate::time::{SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// A snapshot taken at a wake-up: the time, bytes uploaded per peer and the host's earnings so
/// far (µT, claims settled or not).
#[derive(Debug, Clone)]
struct Snapshot {
    at: SimTime,
    uploaded: BTreeMap<PeerId, u64>,
    earned: u64,
}

#[derive(Debug)]
pub struct Seedbox {
    id: AgentId,
    upload: u64,
    download: u64,
    /// Rent, µT per hour.
    rent_per_hour: u64,
    strategy: Option<usize>,
    sites: Vec<SiteId>,
    selection: Box<dyn Selection>,
    max_torrents: usize,
    reselect: SimDuration,
    idle: SimDuration,
    min_upload: u64,
    stop_when_unprofitable: bool,
    host: Option<HostId>,
    renting_since: Option<SimTime>,
    stopped_at: Option<SimTime>,
    /// When rent was last billed.
    billed_until: SimTime,
    joined: BTreeSet<TorrentId>,
    dropped: BTreeSet<TorrentId>,
    /// Listings it is in or has asked to join, and not dropped: at most `max_torrents`.
    active: BTreeSet<TorrentId>,
    history: VecDeque<Snapshot>,
    /// Rent owed in a run without an economy (µT), to the last billing.
    unbooked: u64,
    hosts: Vec<HostId>,
}

impl Seedbox {
    pub fn new(id: AgentId, cfg: &AgentConfig, scenario: &Scenario) -> Seedbox {
        let AgentConfig::Seedbox {
            upload,
            download,
            cost_per_hour,
            strategy,
            sites,
            selection,
            reselect,
            idle,
            min_upload,
            stop_when_unprofitable,
            ..
        } = cfg
        else {
            unreachable!("a seedbox is built from a seedbox entry")
        };
        let all = scenario.sites();
        let sites = if sites.is_empty() {
            (0..all.len()).map(|i| SiteId(i as u32)).collect()
        } else {
            sites
                .iter()
                .filter_map(|n| all.iter().position(|s| &s.name == n))
                .map(|i| SiteId(i as u32))
                .collect()
        };
        let strategy = strategy.as_ref().and_then(|n| {
            scenario
                .economy
                .as_ref()?
                .strategies
                .iter()
                .position(|s| &s.name == n)
        });
        Seedbox {
            id,
            upload: upload.0,
            download: download.0,
            rent_per_hour: from_tokens(*cost_per_hour),
            strategy,
            sites,
            selection: selection_for(selection, scenario.seed, id),
            max_torrents: selection.max_torrents() as usize,
            reselect: reselect.0,
            idle: idle.0,
            min_upload: min_upload.0,
            stop_when_unprofitable: *stop_when_unprofitable,
            host: None,
            renting_since: None,
            stopped_at: None,
            billed_until: SimTime::ZERO,
            joined: BTreeSet::new(),
            dropped: BTreeSet::new(),
            active: BTreeSet::new(),
            history: VecDeque::new(),
            unbooked: 0,
            hosts: Vec::new(),
        }
    }

    /// Rent for `span`, µT (rounded down to whole µT).
    fn rent_for(&self, span: SimDuration) -> u64 {
        (u128::from(self.rent_per_hour) * u128::from(span.as_micros())
            / u128::from(SimDuration::from_secs(3600).as_micros())) as u64
    }

    fn renting(&self) -> bool {
        self.host.is_some() && self.stopped_at.is_none()
    }

    /// Joins the best listings it is not in, up to `max_torrents`.
    fn select(&mut self, view: &dyn WorldView, out: &mut Vec<Command>) {
        let Some(host) = self.host else { return };
        if !self.renting() {
            return;
        }
        // Joins asked for but not applied yet count: several listings may appear at once.
        let room = self.max_torrents.saturating_sub(self.active.len());
        if room == 0 {
            return;
        }
        let candidates: Vec<ListingView> = view
            .listings()
            .into_iter()
            .filter(|l| {
                l.published
                    && !l.fake
                    && l.listed_at.is_some()
                    && self.sites.contains(&l.site)
                    && !self.joined.contains(&l.listing)
                    && !self.dropped.contains(&l.listing)
            })
            .collect();
        for listing in self.selection.pick(view, &candidates, room) {
            self.joined.insert(listing);
            self.active.insert(listing);
            out.push(Command::Join { host, listing });
        }
    }

    fn wake(&mut self, view: &dyn WorldView, out: &mut Vec<Command>) {
        let Some(host) = self.host else { return };
        if !self.renting() {
            return;
        }
        let now = view.now();
        let rent = self.bill(view, host, out);
        let peers = view.host_peers(host);
        // Trailing window: the oldest snapshot at least `idle` old.
        let snapshot = Snapshot {
            at: now,
            uploaded: peers.iter().map(|p| (p.peer, p.bytes_uploaded)).collect(),
            earned: view.host_earnings(host),
        };
        while self.history.len() > 1 && now.since(self.history[1].at) >= self.idle {
            self.history.pop_front();
        }
        let base = self
            .history
            .front()
            .filter(|s| now.since(s.at) >= self.idle)
            .cloned();
        self.history.push_back(snapshot);
        if let Some(base) = &base {
            for p in &peers {
                let old_enough = now.since(p.joined_at) >= self.idle;
                let before = base.uploaded.get(&p.peer).copied().unwrap_or(0);
                if old_enough && p.bytes_uploaded - before < self.min_upload {
                    self.dropped.insert(p.listing);
                    self.active.remove(&p.listing);
                    out.push(Command::Leave {
                        host,
                        listing: p.listing,
                    });
                }
            }
            if view.has_economy() && self.stop_when_unprofitable {
                let earned = view.host_earnings(host) - base.earned;
                let owed = self.rent_for(now.since(base.at));
                if earned < owed {
                    self.stop(now, host, out);
                    return;
                }
            }
        }
        // It must be able to pay this interval's rent and the next one's.
        let next = self.rent_for(self.reselect);
        if view.has_economy() && view.agent_balance(self.id) + view.host_balance(host) < rent + next
        {
            self.stop(now, host, out);
            return;
        }
        self.select(view, out);
        out.push(Command::WakeAt {
            agent: self.id,
            at: now + self.reselect,
        });
    }

    /// At the end of the run: bill the rent since the last wake-up and collect what its host
    /// earned, so the P&L covers the whole run.
    fn settle_at_end(&mut self, view: &dyn WorldView, out: &mut Vec<Command>) {
        let Some(host) = self.host else { return };
        if self.renting() {
            self.bill(view, host, out);
        } else if view.has_economy() {
            out.push(Command::Collect {
                agent: self.id,
                host,
            });
        }
    }

    /// Bills the rent since the last billing: with an economy, collects the host's earnings
    /// and pays from the agent's account; without one, counts it. Returns the rent.
    fn bill(&mut self, view: &dyn WorldView, host: HostId, out: &mut Vec<Command>) -> u64 {
        let now = view.now();
        let rent = self.rent_for(now.since(self.billed_until));
        self.billed_until = now;
        if view.has_economy() {
            out.push(Command::Collect {
                agent: self.id,
                host,
            });
            out.push(Command::PayRent {
                agent: self.id,
                amount: rent,
            });
        } else {
            self.unbooked += rent;
        }
        rent
    }

    fn stop(&mut self, now: SimTime, host: HostId, out: &mut Vec<Command>) {
        self.stopped_at = Some(now);
        out.push(Command::GoOffline {
            host,
            keep_content: false,
        });
    }
}

impl Agent for Seedbox {
    fn start(&mut self, _view: &dyn WorldView, out: &mut Vec<Command>) {
        out.push(Command::own_host(
            self.id,
            self.upload,
            self.download,
            self.strategy,
        ));
    }

    fn on_fact(&mut self, fact: &Fact, view: &dyn WorldView, out: &mut Vec<Command>) {
        match *fact {
            Fact::HostCreated { host, .. } => {
                self.host = Some(host);
                self.hosts.push(host);
                self.renting_since = Some(view.now());
                self.billed_until = view.now();
                self.select(view, out);
                out.push(Command::WakeAt {
                    agent: self.id,
                    at: view.now() + self.reselect,
                });
            }
            Fact::Wake { .. } => self.wake(view, out),
            Fact::RunEnds => self.settle_at_end(view, out),
            Fact::ContentListed { .. } => self.select(view, out),
            _ => {}
        }
    }

    fn hosts(&self) -> &[HostId] {
        &self.hosts
    }

    fn unbooked_cost(&self, _now: SimTime) -> u64 {
        self.unbooked
    }
}
