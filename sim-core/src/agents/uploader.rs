//! An uploader: holds copies of on-demand content (`publish = "on_demand"`) and publishes it
//! once somebody wants it. The first leecher of a listing of one of its contents, or a bounty
//! posted on it, starts the clock (a publication under an open bounty is a claim on it; a
//! bounty hunter, with `min_reward`, waits for a leecher or a posting while the open bounty
//! holds at least that much); `preparation` later it brings a host online and publishes (a seed of the content,
//! or with `fake` a fake copy as a new listing); with `seed_for` it goes offline that long
//! after, keeping its copy. When a listing it published (for real) loses its content while it
//! is offline, it comes back as a seed `preparation` later (restoring it), for `seed_for`
//! again.
//!
//! Invariant: it publishes each listing at most once; it only rejoins listings it published.

use super::Agent;
use crate::boundary::{Command, Fact, WorldView};
use crate::config::{AgentConfig, Scenario};
use crate::ids::{AgentId, ContentId, HostId, TorrentId};
use crate::time::{SimDuration, SimTime};
use std::collections::{BTreeSet, VecDeque};

#[derive(Debug)]
pub struct Uploader {
    id: AgentId,
    contents: Vec<ContentId>,
    preparation: SimDuration,
    fake: bool,
    appeal: f64,
    upload: u64,
    seed_for: Option<SimDuration>,
    /// A bounty hunter's least reward, µT (see `AgentConfig::Uploader`).
    min_reward: Option<u64>,
    host: Option<HostId>,
    /// Listings that got demand, in the order it came: published when their time comes.
    queued: VecDeque<(SimTime, TorrentId)>,
    seen: BTreeSet<TorrentId>,
    published: BTreeSet<TorrentId>,
    hosts: Vec<HostId>,
    host_requested: bool,
    /// When it goes offline (after its last publication, with `seed_for`).
    offline_at: Option<SimTime>,
    /// Listings it will rejoin as a seed (their content was lost while it was offline), with
    /// when.
    rejoin: VecDeque<(SimTime, TorrentId)>,
}

impl Uploader {
    pub fn new(id: AgentId, cfg: &AgentConfig, scenario: &Scenario) -> Uploader {
        let AgentConfig::Uploader {
            torrents,
            preparation,
            fake,
            fake_appeal,
            upload,
            seed_for,
            min_reward,
            ..
        } = cfg
        else {
            unreachable!("an uploader is built from an uploader entry")
        };
        Uploader {
            id,
            contents: torrents
                .iter()
                .filter_map(|n| scenario.torrents.iter().position(|t| &t.name == n))
                .map(|i| ContentId(i as u32))
                .collect(),
            preparation: preparation.0,
            fake: *fake,
            appeal: *fake_appeal,
            upload: upload.0,
            seed_for: seed_for.map(|d| d.0),
            min_reward: min_reward.map(crate::economy::tokens::from_tokens),
            host: None,
            queued: VecDeque::new(),
            seen: BTreeSet::new(),
            published: BTreeSet::new(),
            hosts: Vec::new(),
            host_requested: false,
            offline_at: None,
            rejoin: VecDeque::new(),
        }
    }

    /// Publishes every queued listing whose preparation is over.
    fn publish_due(&mut self, view: &dyn WorldView, out: &mut Vec<Command>) {
        let Some(host) = self.host else { return };
        let now = view.now();
        while let Some(&(due, listing)) = self.queued.front() {
            if due > now {
                break;
            }
            self.queued.pop_front();
            if self.published.insert(listing) {
                out.push(Command::Publish {
                    host,
                    listing,
                    fake: self.fake,
                    appeal: self.appeal,
                });
                if let Some(d) = self.seed_for {
                    self.offline_at = Some(now + d);
                    out.push(Command::WakeAt {
                        agent: self.id,
                        at: now + d,
                    });
                }
            }
        }
        if let Some(&(due, _)) = self.queued.front() {
            out.push(Command::WakeAt {
                agent: self.id,
                at: due,
            });
        }
    }
}

impl Uploader {
    /// Somebody wants `listing` (a leecher arrived, or a bounty was posted on its content):
    /// if it is unpublished content it holds, publish it `preparation` from now.
    fn want(
        &mut self,
        listing: crate::ids::TorrentId,
        view: &dyn WorldView,
        out: &mut Vec<Command>,
    ) {
        let Some(l) = view.listings().into_iter().find(|l| l.listing == listing) else {
            return;
        };
        if l.published || l.fake || !self.contents.contains(&l.content) {
            return;
        }
        if !self.seen.insert(listing) {
            return;
        }
        let due = view.now() + self.preparation;
        self.queued.push_back((due, listing));
        out.push(Command::WakeAt {
            agent: self.id,
            at: due,
        });
    }
}

impl Agent for Uploader {
    fn start(&mut self, _view: &dyn WorldView, _out: &mut Vec<Command>) {}

    fn on_fact(&mut self, fact: &Fact, view: &dyn WorldView, out: &mut Vec<Command>) {
        match *fact {
            Fact::PeerJoined {
                listing,
                seed: false,
                ..
            } => {
                // A bounty hunter moves only for a bounty large enough (pledges make it grow).
                if let Some(least) = self.min_reward {
                    let content = view
                        .listings()
                        .into_iter()
                        .find(|l| l.listing == listing)
                        .map(|l| l.content);
                    if content
                        .and_then(|c| view.bounty_on(c))
                        .is_none_or(|b| b < least)
                    {
                        return;
                    }
                }
                self.want(listing, view, out)
            }
            Fact::BountyPosted {
                content, reward, ..
            } if self.contents.contains(&content)
                && self.min_reward.is_none_or(|m| reward >= m) =>
            {
                for l in view.listings() {
                    if l.content == content {
                        self.want(l.listing, view, out);
                    }
                }
            }
            Fact::Wake { .. } => {
                let now = view.now();
                let Some(host) = self.host else {
                    if !self.host_requested && !self.queued.is_empty() {
                        self.host_requested = true;
                        out.push(Command::CreateHost {
                            agent: self.id,
                            upload: self.upload,
                            download: self.upload,
                            strategy: None,
                            ip_of: None,
                        });
                    }
                    return;
                };
                if self.offline_at.is_some_and(|at| at <= now) && view.host_online(host) {
                    self.offline_at = None;
                    out.push(Command::GoOffline {
                        host,
                        keep_content: true,
                    });
                }
                while let Some(&(due, listing)) = self.rejoin.front() {
                    if due > now {
                        break;
                    }
                    self.rejoin.pop_front();
                    out.push(Command::Join { host, listing });
                    if let Some(d) = self.seed_for {
                        self.offline_at = Some(now + d);
                        out.push(Command::WakeAt {
                            agent: self.id,
                            at: now + d,
                        });
                    }
                }
                self.publish_due(view, out);
            }
            Fact::ContentLost { listing } => {
                let Some(host) = self.host else { return };
                if self.fake
                    || !self.published.contains(&listing)
                    || view.host_online(host)
                    || self.rejoin.iter().any(|&(_, l)| l == listing)
                {
                    return;
                }
                let due = view.now() + self.preparation;
                self.rejoin.push_back((due, listing));
                out.push(Command::WakeAt {
                    agent: self.id,
                    at: due,
                });
            }
            Fact::HostCreated { host, .. } => {
                self.host = Some(host);
                self.hosts.push(host);
                self.publish_due(view, out);
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
