//! An arbitrageur: one host that mirrors content from a source site to target sites and earns
//! from the targets' audiences. Every `reselect` (and whenever content is listed on the
//! source) it ranks, by its selection policy, the source's listings whose content it has not
//! taken yet, and downloads the best there (at most `max_torrents` at once). When a download
//! completes it leaves the source and, on every target site, lists the content (paying the
//! site's listing fee) and seeds it — or, where a competitor listed it first, joins that
//! listing as a seed. It collects its host's earnings at each wake-up and at the end; with
//! `seed_for` it leaves a mirror that long after joining it.
//!
//! Invariant: it takes each content at most once, lists on a target only content it holds,
//! and never has more than `max_torrents` downloads in progress.

use super::{Agent, Selection, selection_for};
use crate::boundary::{Command, Fact, ListingView, WorldView};
use crate::config::{AgentConfig, Scenario};
use crate::ids::{AgentId, ContentId, HostId, SiteId, TorrentId};
use crate::time::{SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

#[derive(Debug)]
pub struct Arbitrageur {
    id: AgentId,
    upload: u64,
    download: u64,
    strategy: Option<usize>,
    from: SiteId,
    to: Vec<SiteId>,
    selection: Box<dyn Selection>,
    max_torrents: usize,
    reselect: SimDuration,
    seed_for: Option<SimDuration>,
    host: Option<HostId>,
    /// Contents it took (downloading or mirrored).
    taken: BTreeSet<ContentId>,
    /// Source listings it is downloading, with their content.
    downloading: BTreeMap<TorrentId, ContentId>,
    /// Mirrors to leave, and when.
    leave: VecDeque<(SimTime, ContentId)>,
    hosts: Vec<HostId>,
}

impl Arbitrageur {
    pub fn new(id: AgentId, cfg: &AgentConfig, scenario: &Scenario) -> Arbitrageur {
        let AgentConfig::Arbitrageur {
            upload,
            download,
            strategy,
            from,
            to,
            selection,
            reselect,
            seed_for,
            ..
        } = cfg
        else {
            unreachable!("an arbitrageur is built from an arbitrageur entry")
        };
        let sites = scenario.sites();
        let site = |name: &String| {
            SiteId(
                sites
                    .iter()
                    .position(|s| &s.name == name)
                    .expect("validated: a known site") as u32,
            )
        };
        let strategy = strategy.as_ref().and_then(|n| {
            scenario
                .economy
                .as_ref()?
                .strategies
                .iter()
                .position(|s| &s.name == n)
        });
        Arbitrageur {
            id,
            upload: upload.0,
            download: download.0,
            strategy,
            from: site(from),
            to: to.iter().map(site).collect(),
            selection: selection_for(selection, scenario.seed, id),
            max_torrents: selection.max_torrents() as usize,
            reselect: reselect.0,
            seed_for: seed_for.map(|d| d.0),
            host: None,
            taken: BTreeSet::new(),
            downloading: BTreeMap::new(),
            leave: VecDeque::new(),
            hosts: Vec::new(),
        }
    }

    /// Downloads the best untaken source listings, up to `max_torrents` at once.
    fn select(&mut self, view: &dyn WorldView, out: &mut Vec<Command>) {
        let Some(host) = self.host else { return };
        let room = self.max_torrents.saturating_sub(self.downloading.len());
        if room == 0 {
            return;
        }
        let candidates: Vec<ListingView> = view
            .listings()
            .into_iter()
            .filter(|l| l.site == self.from && l.published && !l.fake && l.available)
            .filter(|l| !self.taken.contains(&l.content))
            .collect();
        for listing in self.selection.pick(view, &candidates, room) {
            let Some(l) = candidates.iter().find(|l| l.listing == listing) else {
                continue;
            };
            self.taken.insert(l.content);
            self.downloading.insert(listing, l.content);
            out.push(Command::Join { host, listing });
        }
    }

    fn wake(&mut self, view: &dyn WorldView, out: &mut Vec<Command>) {
        let now = view.now();
        if let Some(host) = self.host {
            if view.has_economy() {
                out.push(Command::Collect {
                    agent: self.id,
                    host,
                });
            }
            while let Some(&(due, content)) = self.leave.front() {
                if due > now {
                    break;
                }
                self.leave.pop_front();
                for &site in &self.to {
                    if let Some(listing) = view.listing_of(content, site) {
                        out.push(Command::Leave { host, listing });
                    }
                }
            }
        }
        self.select(view, out);
        out.push(Command::WakeAt {
            agent: self.id,
            at: now + self.reselect,
        });
    }
}

impl Agent for Arbitrageur {
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
                self.select(view, out);
            }
            Fact::Wake { .. } => self.wake(view, out),
            Fact::ContentListed { site, .. } if site == self.from => self.select(view, out),
            Fact::PeerCompleted {
                host,
                listing,
                fake,
                ..
            } if Some(host) == self.host => {
                let Some(content) = self.downloading.remove(&listing) else {
                    return;
                };
                out.push(Command::Leave { host, listing });
                if !fake {
                    for &site in &self.to {
                        out.push(Command::List {
                            content,
                            site,
                            host: Some(host),
                            payer: Some(self.id),
                        });
                    }
                    if let Some(d) = self.seed_for {
                        self.leave.push_back((view.now() + d, content));
                    }
                }
                self.select(view, out);
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
