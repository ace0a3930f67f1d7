//! A speculator: one host that buys obscure but wanted content, keeps it in cold storage and
//! sells it dear when it is wanted again.
//!
//! Life: every `reselect` it collects its host's earnings, ends seeding sessions that are
//! over (stores the content again, unless leechers are still there), gives up holdings that
//! had no arrival for `give_up_after` (releases them), and downloads — as any leecher — the
//! listings with at most `max_seeds` seeds online, at least `min_demand` arrivals over the
//! last `window` and listed at least `min_age` ago, most wanted first, up to `max_holdings`
//! (downloads included). A completed download goes into cold storage at once. When a leecher
//! arrives at a listing of content it holds in storage while that listing is unavailable
//! or has at most `max_seeds` seeds (or the listing is lost while leechers wait), it
//! retrieves the content; once retrieved its host joins as a seed and sells with its
//! strategy (a scarcity price) for at least `seed_for`.
//!
//! Invariant: it buys each content at most once; a content is in exactly one of
//! downloading, cold, retrieving or seeding.

use super::Agent;
use crate::boundary::{Command, Fact, ListingView, WorldView};
use crate::config::{AgentConfig, Scenario};
use crate::ids::{AgentId, ContentId, HostId, TorrentId};
use crate::time::{SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet};

/// Where a held content is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    Cold,
    Retrieving,
    /// Seeding until then at least.
    Seeding(SimTime),
}

#[derive(Clone, Copy, Debug)]
struct Held {
    content: ContentId,
    place: Place,
    /// The last arrival at its listing (or when it was stored).
    last_demand: SimTime,
}

#[derive(Debug)]
pub struct Speculator {
    id: AgentId,
    upload: u64,
    download: u64,
    strategy: Option<usize>,
    max_seeds: u32,
    min_demand: u32,
    window: SimDuration,
    min_age: SimDuration,
    max_holdings: usize,
    reselect: SimDuration,
    seed_for: SimDuration,
    give_up_after: SimDuration,
    host: Option<HostId>,
    /// Contents it bought (held, downloading or given up).
    taken: BTreeSet<ContentId>,
    /// Listings it is downloading, with their content.
    downloading: BTreeMap<TorrentId, ContentId>,
    /// What it holds, by the listing it sells on.
    held: BTreeMap<TorrentId, Held>,
    hosts: Vec<HostId>,
}

impl Speculator {
    pub fn new(id: AgentId, cfg: &AgentConfig, scenario: &Scenario) -> Speculator {
        let AgentConfig::Speculator {
            upload,
            download,
            strategy,
            max_seeds,
            min_demand,
            window,
            min_age,
            max_holdings,
            reselect,
            seed_for,
            give_up_after,
            ..
        } = cfg
        else {
            unreachable!("a speculator is built from a speculator entry")
        };
        let strategy = strategy.as_ref().and_then(|n| {
            scenario
                .economy
                .as_ref()?
                .strategies
                .iter()
                .position(|s| &s.name == n)
        });
        Speculator {
            id,
            upload: upload.0,
            download: download.0,
            strategy,
            max_seeds: *max_seeds,
            min_demand: *min_demand,
            window: window.0,
            min_age: min_age.0,
            max_holdings: *max_holdings as usize,
            reselect: reselect.0,
            seed_for: seed_for.0,
            give_up_after: give_up_after.0,
            host: None,
            taken: BTreeSet::new(),
            downloading: BTreeMap::new(),
            held: BTreeMap::new(),
            hosts: Vec::new(),
        }
    }

    /// Whether `l` is scarce: unavailable, or with at most `max_seeds` seeds.
    fn scarce(&self, l: &ListingView) -> bool {
        !l.available || l.seeds <= self.max_seeds
    }

    /// Downloads the most wanted obscure listings, up to `max_holdings`.
    fn buy(&mut self, view: &dyn WorldView, host: HostId, out: &mut Vec<Command>) {
        let room = self
            .max_holdings
            .saturating_sub(self.held.len() + self.downloading.len());
        if room == 0 {
            return;
        }
        let now = view.now();
        let since = now.before(self.window);
        let mut ranked: Vec<(u32, TorrentId, ContentId)> = view
            .listings()
            .into_iter()
            .filter(|l| l.published && !l.fake && l.available && l.seeds <= self.max_seeds)
            .filter(|l| l.listed_at.is_some_and(|at| now.since(at) >= self.min_age))
            .filter(|l| !self.taken.contains(&l.content))
            .map(|l| (view.arrivals_since(l.listing, since), l.listing, l.content))
            .filter(|&(demand, ..)| demand >= self.min_demand)
            .collect();
        ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, listing, content) in ranked.into_iter().take(room) {
            self.taken.insert(content);
            self.downloading.insert(listing, content);
            out.push(Command::Join { host, listing });
        }
    }

    fn wake(&mut self, view: &dyn WorldView, out: &mut Vec<Command>) {
        let Some(host) = self.host else { return };
        let now = view.now();
        if view.has_economy() {
            out.push(Command::Collect {
                agent: self.id,
                host,
            });
        }
        let listings = view.listings();
        let mut released = Vec::new();
        for (&listing, h) in self.held.iter_mut() {
            match h.place {
                Place::Seeding(until) if until <= now => {
                    if listings[listing.index()].leechers > 0 {
                        h.place = Place::Seeding(now + self.seed_for);
                    } else {
                        h.place = Place::Cold;
                        h.last_demand = h.last_demand.max(now);
                        out.push(Command::Store {
                            agent: self.id,
                            host,
                            listing,
                        });
                    }
                }
                Place::Cold if now.since(h.last_demand) >= self.give_up_after => {
                    out.push(Command::Release {
                        host,
                        content: h.content,
                    });
                    released.push(listing);
                }
                _ => {}
            }
        }
        for listing in released {
            self.held.remove(&listing);
        }
        self.buy(view, host, out);
        out.push(Command::WakeAt {
            agent: self.id,
            at: now + self.reselect,
        });
    }

    /// Retrieves `listing`'s content if it is cold and the listing is scarce.
    fn maybe_retrieve(&mut self, view: &dyn WorldView, listing: TorrentId, out: &mut Vec<Command>) {
        let Some(host) = self.host else { return };
        let Some(h) = self.held.get(&listing) else {
            return;
        };
        if h.place != Place::Cold {
            return;
        }
        let listings = view.listings();
        let l = &listings[listing.index()];
        if l.leechers > 0 && self.scarce(l) {
            self.held.get_mut(&listing).expect("held").place = Place::Retrieving;
            out.push(Command::Retrieve { host, listing });
        }
    }
}

impl Agent for Speculator {
    fn start(&mut self, view: &dyn WorldView, out: &mut Vec<Command>) {
        out.push(Command::own_host(
            self.id,
            self.upload,
            self.download,
            self.strategy,
        ));
        out.push(Command::WakeAt {
            agent: self.id,
            at: view.now() + self.reselect,
        });
    }

    fn on_fact(&mut self, fact: &Fact, view: &dyn WorldView, out: &mut Vec<Command>) {
        match *fact {
            Fact::HostCreated { host, .. } => {
                self.host = Some(host);
                self.hosts.push(host);
            }
            Fact::Wake { .. } => self.wake(view, out),
            Fact::PeerCompleted {
                host,
                listing,
                fake,
                ..
            } if Some(host) == self.host => {
                let Some(content) = self.downloading.remove(&listing) else {
                    return;
                };
                if fake {
                    out.push(Command::Leave { host, listing });
                    return;
                }
                self.held.insert(
                    listing,
                    Held {
                        content,
                        place: Place::Cold,
                        last_demand: view.now(),
                    },
                );
                out.push(Command::Store {
                    agent: self.id,
                    host,
                    listing,
                });
            }
            Fact::PeerJoined {
                host,
                listing,
                seed,
                ..
            } => {
                if Some(host) == self.host {
                    if let (true, Some(h)) = (seed, self.held.get_mut(&listing)) {
                        let until = view.now() + self.seed_for;
                        h.place = Place::Seeding(until);
                        out.push(Command::WakeAt {
                            agent: self.id,
                            at: until,
                        });
                    }
                    return;
                }
                if seed {
                    return;
                }
                if let Some(h) = self.held.get_mut(&listing) {
                    h.last_demand = view.now();
                    self.maybe_retrieve(view, listing, out);
                }
            }
            Fact::ContentLost { listing } if self.held.contains_key(&listing) => {
                self.maybe_retrieve(view, listing, out)
            }
            Fact::RunEnds => {
                if let (Some(host), true) = (self.host, view.has_economy()) {
                    out.push(Command::Collect {
                        agent: self.id,
                        host,
                    });
                }
            }
            _ => {}
        }
    }

    fn hosts(&self) -> &[HostId] {
        &self.hosts
    }

    fn unbooked_cost(&self, _now: SimTime) -> u64 {
        0
    }
}
