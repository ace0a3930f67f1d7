//! The engine's bridge to cold storage (`economy::storage`): agents storing content their
//! hosts hold (the host stops holding it), retrieving it (after the retrieval delay the host
//! holds it again and joins the listing as a seed), releasing it; the periodic rent bill
//! (a holding whose agent cannot pay is evicted and its copy lost) and the last bill at the
//! run's end.
//!
//! Invariant: content in cold storage is not in its host's `held` list, so the host cannot
//! seed it until a retrieval completes; all of it runs at cold points; without
//! `[economy.storage]` every call returns at once.

use super::state::{LeaveReason, PeerState};
use super::{Event, Sim};
use crate::ids::{AgentId, ContentId, HostId, TorrentId};
use crate::time::SimTime;

impl Sim {
    fn storage_config(&self) -> Option<crate::config::StorageConfig> {
        self.scenario.economy.as_ref()?.storage
    }

    /// Schedules the first rent bill.
    pub(super) fn schedule_storage(&mut self) {
        if let Some(s) = self.storage_config() {
            let at = SimTime::ZERO + s.bill_every.0;
            if at <= self.horizon {
                self.queue.schedule(at, Event::StorageBill);
            }
        }
    }

    /// `host` no longer holds `content` (evicted or released).
    fn drop_held(&mut self, host: HostId, content: ContentId) {
        self.hosts[host.index()].held.retain(|&c| c != content);
    }

    /// The rent bill: every holding pays to now; evicted ones lose their copy.
    pub(super) fn on_storage_bill(&mut self, now: SimTime) {
        let Some(s) = self.storage_config() else {
            return;
        };
        let evicted = self
            .econ
            .as_mut()
            .map_or_else(Vec::new, |e| e.bill_storage(now));
        for (host, content) in evicted {
            self.drop_held(host, content);
        }
        let next = now + s.bill_every.0;
        if next <= self.horizon {
            self.queue.schedule(next, Event::StorageBill);
        }
    }

    /// `agent` stores `host`'s copy of `listing`'s content (a command).
    pub(super) fn store(&mut self, now: SimTime, agent: AgentId, host: HostId, listing: TorrentId) {
        let tor = &self.torrents[listing.index()];
        let content = tor.content;
        let peer = self.peer_of(host, listing);
        let holds = self.hosts[host.index()].held.contains(&content)
            || peer.is_some_and(|p| self.peers[p.index()].state == PeerState::Seeding);
        if tor.fake || !holds {
            return;
        }
        let bytes = self.scenario.torrents[content.index()].size.0;
        let Some(econ) = self.econ.as_mut() else {
            return;
        };
        if !econ.store(now, (agent, host), content, bytes) {
            return;
        }
        self.drop_held(host, content);
        if let Some(peer) = peer {
            self.on_leave(now, peer, LeaveReason::Dropped);
        }
    }

    /// `host` asks for its holding of `listing`'s content (a command).
    pub(super) fn retrieve(&mut self, now: SimTime, host: HostId, listing: TorrentId) {
        let Some(s) = self.storage_config() else {
            return;
        };
        let content = self.torrents[listing.index()].content;
        if self.hosts[host.index()].held.contains(&content) {
            // Retrieved already: it can seed at once.
            self.join(now, host, listing);
            return;
        }
        let Some(r) = self
            .econ
            .as_mut()
            .and_then(|e| e.retrieve(now, host, content, listing))
        else {
            return;
        };
        let at = now + s.retrieval_delay.0;
        if at <= self.horizon {
            self.queue.schedule(
                at,
                Event::Retrieved {
                    retrieval: r as u32,
                },
            );
        }
    }

    /// Retrieval `r` is done: its host holds the content again and joins as a seed.
    pub(super) fn on_retrieved(&mut self, now: SimTime, r: u32) {
        let Some(econ) = self.econ.as_mut() else {
            return;
        };
        if !econ.retrieved(now, r as usize) {
            return;
        }
        let book = econ.storage().expect("a retrieval needs storage");
        let retrieval = &book.retrievals[r as usize];
        let holding = &book.holdings[retrieval.holding];
        let (host, content, listing) = (holding.host, holding.content, retrieval.listing);
        if !self.hosts[host.index()].held.contains(&content) {
            self.hosts[host.index()].held.push(content);
        }
        self.join(now, host, listing);
    }

    /// `host` releases its holding of `content` (a command): the copy is deleted.
    pub(super) fn release(&mut self, now: SimTime, host: HostId, content: ContentId) {
        if self
            .econ
            .as_mut()
            .is_some_and(|e| e.release(now, host, content))
        {
            self.drop_held(host, content);
        }
    }

    /// At the run's end: every holding pays its rent to the end.
    pub(super) fn close_storage(&mut self, end: SimTime) {
        if self.storage_config().is_some()
            && let Some(econ) = self.econ.as_mut()
        {
            econ.bill_storage(end);
        }
    }
}
