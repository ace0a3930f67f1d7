//! A sybil (whitewasher): it buys an identity, brings up a host under it, joins the newest
//! listing it has not downloaded yet (else the newest), borrows what the credit system lets a newcomer borrow,
//! and the moment it completes takes what is left on its host (the unspent loan) and
//! vanishes; after `vanish` it comes back under its next identity. Its borrowings default
//! once each identity has been offline `default_after` — the lenders' loss, its gain.
//!
//! Life per identity: `PayIdentity` (its cost), `CreateHost` (sharing the first host's IP
//! with `same_ip`), `Join`; on completion `Collect` and `GoOffline`, then a wake-up after
//! `vanish`. A host that never gets into a listing (refused by a site's identities-per-IP
//! limit, or nothing to download) is abandoned at the next wake-up, its identity spent.
//!
//! It gives up once an identity gained less than it cost (the debt it walks away from is
//! below `identity_cost`).
//!
//! Invariant: at most one host of it is online at a time; it uses at most `identities`
//! identities and never pays for one it cannot afford.

use super::Agent;
use crate::boundary::{Command, Fact, WorldView};
use crate::config::{AgentConfig, Scenario};
use crate::economy::tokens::from_tokens;
use crate::ids::{AgentId, ContentId, HostId};
use crate::time::{SimDuration, SimTime};
use std::collections::BTreeSet;

#[derive(Debug)]
pub struct Sybil {
    id: AgentId,
    identities: u32,
    used: u32,
    cost: u64,
    same_ip: bool,
    upload: u64,
    download: u64,
    strategy: Option<usize>,
    vanish: SimDuration,
    start: SimDuration,
    /// Its current host and whether it has joined a listing with it.
    current: Option<HostId>,
    joined: bool,
    /// Waiting for the host it asked for.
    requested: bool,
    hosts: Vec<HostId>,
    downloaded: BTreeSet<ContentId>,
}

impl Sybil {
    pub fn new(id: AgentId, cfg: &AgentConfig, scenario: &Scenario) -> Sybil {
        let AgentConfig::Sybil {
            identities,
            identity_cost,
            same_ip,
            upload,
            download,
            strategy,
            vanish,
            start,
            ..
        } = cfg
        else {
            unreachable!("a sybil is built from a sybil entry")
        };
        let strategy = strategy.as_ref().and_then(|n| {
            scenario
                .economy
                .as_ref()?
                .strategies
                .iter()
                .position(|s| &s.name == n)
        });
        Sybil {
            id,
            identities: *identities,
            used: 0,
            cost: from_tokens(*identity_cost),
            same_ip: *same_ip,
            upload: upload.0,
            download: download.0,
            strategy,
            vanish: vanish.0,
            start: start.0,
            current: None,
            joined: false,
            requested: false,
            hosts: Vec::new(),
            downloaded: BTreeSet::new(),
        }
    }

    fn wake_later(&self, view: &dyn WorldView, out: &mut Vec<Command>) {
        out.push(Command::WakeAt {
            agent: self.id,
            at: view.now() + self.vanish,
        });
    }

    /// Takes the next identity: pays for it and asks for a host under it.
    fn next_identity(&mut self, view: &dyn WorldView, out: &mut Vec<Command>) {
        if self.used >= self.identities || self.requested {
            return;
        }
        if self.cost > 0 && view.has_economy() && view.agent_balance(self.id) < self.cost {
            return;
        }
        self.used += 1;
        self.requested = true;
        if self.cost > 0 {
            out.push(Command::PayIdentity {
                agent: self.id,
                amount: self.cost,
            });
        }
        out.push(Command::CreateHost {
            agent: self.id,
            upload: self.upload,
            download: self.download,
            strategy: self.strategy,
            ip_of: if self.same_ip {
                self.hosts.first().copied()
            } else {
                None
            },
        });
    }

    /// Joins the newest published listing it has not downloaded yet, else the newest one
    /// (each identity's host is new and holds nothing: it downloads again).
    fn join_newest(&mut self, host: HostId, view: &dyn WorldView, out: &mut Vec<Command>) {
        let newest = |fresh_only: bool| {
            view.listings()
                .into_iter()
                .filter(|l| l.published && !l.fake && l.listed_at.is_some())
                .filter(|l| !fresh_only || !self.downloaded.contains(&l.content))
                .max_by(|a, b| {
                    a.listed_at
                        .cmp(&b.listed_at)
                        .then(b.listing.cmp(&a.listing))
                })
        };
        let pick = newest(true).or_else(|| newest(false));
        if let Some(l) = pick {
            out.push(Command::Join {
                host,
                listing: l.listing,
            });
        }
    }

    /// Leaves with what the host holds: collects its balance and goes offline.
    fn vanish(&mut self, host: HostId, view: &dyn WorldView, out: &mut Vec<Command>) {
        if view.has_economy() {
            out.push(Command::Collect {
                agent: self.id,
                host,
            });
        }
        out.push(Command::GoOffline {
            host,
            keep_content: false,
        });
        self.current = None;
        self.joined = false;
        self.wake_later(view, out);
    }
}

impl Agent for Sybil {
    fn start(&mut self, view: &dyn WorldView, out: &mut Vec<Command>) {
        out.push(Command::WakeAt {
            agent: self.id,
            at: view.now() + self.start,
        });
    }

    fn on_fact(&mut self, fact: &Fact, view: &dyn WorldView, out: &mut Vec<Command>) {
        match *fact {
            Fact::HostCreated { host, .. } => {
                self.requested = false;
                self.hosts.push(host);
                self.current = Some(host);
                self.join_newest(host, view, out);
                // A watchdog: a host that never gets in is abandoned at the next wake-up.
                self.wake_later(view, out);
            }
            Fact::PeerJoined { host, .. } if Some(host) == self.current => self.joined = true,
            Fact::PeerCompleted { host, listing, .. } if Some(host) == self.current => {
                if let Some(l) = view.listings().into_iter().find(|l| l.listing == listing) {
                    self.downloaded.insert(l.content);
                }
                // It gives up once an identity gained (owes, and will never repay) less than
                // it cost.
                let gained = view.credit(host).map_or(0, |c| c.owing);
                if gained < self.cost {
                    self.used = self.identities;
                }
                self.vanish(host, view, out);
            }
            Fact::Wake { .. } => match self.current {
                Some(host) if !view.host_online(host) => {
                    // Refused, or nothing to download: the identity is spent.
                    self.current = None;
                    self.joined = false;
                    self.next_identity(view, out);
                }
                Some(_) => {}
                None => self.next_identity(view, out),
            },
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
