//! A seed pool's member, or a solo seeder run the same way: one host that seeds the torrents
//! a selection picks. In a pool it uses the pool's selection and `reselect` (every member
//! picks the same torrents), joins the pool when its host exists, and is paid by the pool
//! each epoch (its host's settlements go to the pool); solo it uses its own selection and
//! collects its host's earnings every `epoch`. At every re-selection it leaves the torrents
//! the selection no longer picks and joins the new picks, up to `max_torrents`.
//!
//! A hopper stays in its pool only while the pool's last epoch paid at least its average per
//! MiB contributed ([`WorldView::pool_luck`]), and seeds the same torrents solo otherwise.
//!
//! Invariant: it is in at most `max_torrents` listings (joins asked for included), and a
//! hopper's membership changes only at its pool's epoch ends.

use super::{Agent, Selection, selection_for};
use crate::boundary::{Command, Fact, ListingView, WorldView};
use crate::config::{AgentConfig, Scenario};
use crate::ids::{AgentId, HostId, PoolId, TorrentId};
use crate::time::{SimDuration, SimTime};
use std::collections::BTreeSet;

#[derive(Debug)]
pub struct PoolMember {
    id: AgentId,
    upload: u64,
    download: u64,
    strategy: Option<usize>,
    pool: Option<PoolId>,
    hopper: bool,
    selection: Box<dyn Selection>,
    max_torrents: usize,
    reselect: SimDuration,
    host: Option<HostId>,
    /// In its pool now.
    in_pool: bool,
    /// Listings it is in or has asked to join.
    active: BTreeSet<TorrentId>,
    hosts: Vec<HostId>,
}

impl PoolMember {
    pub fn new(id: AgentId, cfg: &AgentConfig, scenario: &Scenario) -> PoolMember {
        let AgentConfig::PoolMember {
            pool,
            upload,
            download,
            strategy,
            selection,
            epoch,
            hopper,
            ..
        } = cfg
        else {
            unreachable!("a pool member is built from a pool_member entry")
        };
        let economy = scenario.economy.as_ref();
        let pool_cfg = pool.as_ref().map(|name| {
            let pools = &economy.expect("validated: pools need an economy").pools;
            let i = pools
                .iter()
                .position(|p| &p.name == name)
                .expect("validated: a known pool");
            (PoolId(i as u32), &pools[i])
        });
        let (selection, reselect) = match pool_cfg {
            Some((_, p)) => (&p.selection, p.reselect.0),
            None => (
                selection
                    .as_ref()
                    .expect("validated: a solo seeder selects"),
                epoch.0,
            ),
        };
        let strategy = strategy
            .as_ref()
            .and_then(|n| economy?.strategies.iter().position(|s| &s.name == n));
        PoolMember {
            id,
            upload: upload.0,
            download: download.0,
            strategy,
            pool: pool_cfg.map(|(id, _)| id),
            hopper: *hopper,
            selection: selection_for(selection, scenario.seed, id),
            max_torrents: selection.max_torrents() as usize,
            reselect,
            host: None,
            in_pool: false,
            active: BTreeSet::new(),
            hosts: Vec::new(),
        }
    }

    /// Leaves the listings the selection no longer picks, joins its new picks.
    fn select(&mut self, view: &dyn WorldView, out: &mut Vec<Command>) {
        let Some(host) = self.host else { return };
        let candidates: Vec<ListingView> = view
            .listings()
            .into_iter()
            .filter(|l| l.published && !l.fake && l.listed_at.is_some())
            .collect();
        let picks: BTreeSet<TorrentId> = self
            .selection
            .pick(view, &candidates, self.max_torrents)
            .into_iter()
            .collect();
        for &listing in self.active.difference(&picks) {
            out.push(Command::Leave { host, listing });
        }
        for &listing in picks.difference(&self.active) {
            out.push(Command::Join { host, listing });
        }
        self.active = picks;
    }

    /// A new listing: joined at once if there is room and the selection picks it.
    fn on_listed(&mut self, view: &dyn WorldView, out: &mut Vec<Command>) {
        let Some(host) = self.host else { return };
        if self.active.len() >= self.max_torrents {
            return;
        }
        let candidates: Vec<ListingView> = view
            .listings()
            .into_iter()
            .filter(|l| l.published && !l.fake && l.listed_at.is_some())
            .filter(|l| !self.active.contains(&l.listing))
            .collect();
        let room = self.max_torrents - self.active.len();
        for listing in self.selection.pick(view, &candidates, room) {
            self.active.insert(listing);
            out.push(Command::Join { host, listing });
        }
    }

    fn collect(&self, view: &dyn WorldView, out: &mut Vec<Command>) {
        if let (Some(host), true) = (self.host, view.has_economy()) {
            out.push(Command::Collect {
                agent: self.id,
                host,
            });
        }
    }

    /// A hopper at its pool's epoch end: in while the last epoch paid at least the pool's
    /// average per MiB (or before any epoch paid), out otherwise.
    fn hop(&mut self, view: &dyn WorldView, out: &mut Vec<Command>) {
        let (Some(pool), Some(host)) = (self.pool, self.host) else {
            return;
        };
        let lucky = view.pool_luck(pool).is_none_or(|(last, mean)| last >= mean);
        if lucky && !self.in_pool {
            self.in_pool = true;
            out.push(Command::JoinPool {
                agent: self.id,
                pool,
                host,
                hopper: true,
            });
        } else if !lucky && self.in_pool {
            self.in_pool = false;
            out.push(Command::LeavePool {
                agent: self.id,
                pool,
            });
        }
    }
}

impl Agent for PoolMember {
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
                if let Some(pool) = self.pool {
                    self.in_pool = true;
                    out.push(Command::JoinPool {
                        agent: self.id,
                        pool,
                        host,
                        hopper: self.hopper,
                    });
                }
                self.select(view, out);
                out.push(Command::WakeAt {
                    agent: self.id,
                    at: view.now() + self.reselect,
                });
            }
            Fact::Wake { .. } => {
                self.collect(view, out);
                self.select(view, out);
                out.push(Command::WakeAt {
                    agent: self.id,
                    at: view.now() + self.reselect,
                });
            }
            Fact::ContentListed { .. } => self.on_listed(view, out),
            Fact::PoolEpochEnded { pool } if Some(pool) == self.pool && self.hopper => {
                self.hop(view, out)
            }
            Fact::RunEnds => self.collect(view, out),
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
