//! The engine's bridge to lending (`economy::credit`, `economy::lending`): it tells the
//! credit book which identity each host has, asks for a loan when a borrower joins (offers
//! from the torrent's seeders), tells it when a host goes offline or comes back and runs the
//! default checks that follow, applies lender agents' offers, biases an indebted peer's picker
//! to rarest first, and keeps borrowers seeding until they owe nothing (`until_repaid`).
//!
//! Invariant: all of it runs at cold points (host creation, a join, a host's last peer
//! leaving, its own events), never from a flow completion, a rechoke or a slot fill; without
//! `[economy.lending]` every call returns at once.

use super::state::{LeaveReason, PeerState};
use super::{Event, Sim};
use crate::config::SeedingTime;
use crate::ids::{AgentId, HostId, IdentityId, LoanId, PeerId};
use crate::time::SimTime;

impl Sim {
    fn lending(&self) -> bool {
        self.econ.as_ref().is_some_and(|e| e.credit().is_some())
    }

    /// `host` has a new identity (at creation, or a fresh one): the credit book learns it;
    /// the identity it replaces, if it owes, will be checked for a default.
    pub(super) fn econ_identity(&mut self, now: SimTime, host: HostId) {
        if !self.lending() {
            return;
        }
        let (identity, ip) = (
            self.hosts[host.index()].identity,
            self.hosts[host.index()].ip,
        );
        let econ = self.econ.as_mut().expect("lending checked");
        if let Some(old) = econ.set_identity(now, host, identity, ip) {
            self.schedule_default_check(now, old);
        }
    }

    fn schedule_default_check(&mut self, now: SimTime, identity: IdentityId) {
        let Some(after) = self.econ.as_ref().and_then(|e| e.default_after()) else {
            return;
        };
        let at = now + after;
        if at <= self.horizon {
            self.queue.schedule(at, Event::CreditCheck { identity });
        }
    }

    /// A peer of a borrowing strategy joins: the torrent's seeders offer loans (before its
    /// budget is set, so the loan is part of it).
    pub(super) fn econ_borrow_at_join(&mut self, now: SimTime, peer: PeerId) {
        if !self.lending() {
            return;
        }
        let p = &self.peers[peer.index()];
        let (host, t) = (p.host, p.torrent);
        self.econ
            .as_mut()
            .expect("lending checked")
            .host_online(host);
        if p.state != PeerState::Leeching {
            return;
        }
        let mut seeders: Vec<HostId> = Vec::new();
        for &m in &self.torrents[t.index()].members {
            let q = &self.peers[m.index()];
            if q.state == PeerState::Seeding && !seeders.contains(&q.host) {
                seeders.push(q.host);
            }
        }
        let econ = self.econ.as_mut().expect("lending checked");
        if econ.borrow_at_join(now, peer, host, &seeders).is_some() {
            self.after_loan(peer);
        }
    }

    /// A peer that borrowed picks the rarest pieces from its first one, if its strategy
    /// says so.
    fn after_loan(&mut self, peer: PeerId) {
        let host = self.peers[peer.index()].host;
        if self
            .econ
            .as_ref()
            .is_some_and(|e| e.borrower_rarest_first(host))
        {
            self.peers[peer.index()].picker.initial_random = 0;
        }
    }

    /// Lender `agent`'s offer to `peer` (a command).
    pub(super) fn lend_from_agent(
        &mut self,
        now: SimTime,
        agent: AgentId,
        (peer, host): (PeerId, HostId),
        amount: u64,
        (interest, min_reputation): (f64, f64),
    ) -> Option<LoanId> {
        if self
            .peers
            .get(peer.index())
            .is_none_or(|p| p.state != PeerState::Leeching || p.host != host)
        {
            return None;
        }
        let econ = self.econ.as_mut()?;
        let loan =
            econ.lend_from_agent(now, agent, (peer, host), amount, interest, min_reputation)?;
        self.after_loan(peer);
        Some(loan)
    }

    /// `host`'s last peer left: if its identity owes, check for a default later.
    pub(super) fn econ_host_offline(&mut self, now: SimTime, host: HostId) {
        if !self.lending() {
            return;
        }
        if let Some(identity) = self.econ.as_mut().and_then(|e| e.host_offline(now, host)) {
            self.schedule_default_check(now, identity);
        }
    }

    pub(super) fn on_credit_check(&mut self, now: SimTime, identity: IdentityId) {
        if let Some(econ) = self.econ.as_mut() {
            econ.check_default(now, identity);
        }
    }

    /// A borrower completed a download: it repays from what it holds (the loan it did not
    /// spend), if the lending rules say so.
    pub(super) fn econ_completed(&mut self, now: SimTime, peer: PeerId) {
        if !self.lending() {
            return;
        }
        let host = self.peers[peer.index()].host;
        if let Some(econ) = self.econ.as_mut() {
            econ.repay_from_balance(now, host);
        }
    }

    /// A completed peer seeding until it owes nothing: check from `min_time` on.
    pub(super) fn start_seeding_until_repaid(
        &mut self,
        now: SimTime,
        peer: PeerId,
        law: &SeedingTime,
    ) {
        let SeedingTime::UntilRepaid { min_time, .. } = *law else {
            return;
        };
        self.queue
            .schedule(now + min_time.0, Event::RepayCheck { peer });
    }

    /// Leaves once its identity owes nothing or its `max_time` passed; else checks again.
    pub(super) fn on_repay_check(&mut self, now: SimTime, peer: PeerId) {
        let p = &self.peers[peer.index()];
        if p.state != PeerState::Seeding {
            return;
        }
        let content = self.torrents[p.torrent.index()].content;
        let SeedingTime::UntilRepaid {
            max_time, window, ..
        } = self.scenario.torrents[content.index()].seeding
        else {
            return;
        };
        let deadline = p.completed_at.unwrap_or(now) + max_time.0;
        let host = p.host;
        let owes = self.econ.as_mut().map_or(0, |e| {
            e.repay_from_balance(now, host);
            e.owing(host)
        });
        if owes == 0 || now >= deadline {
            self.queue.schedule(
                now,
                Event::Leave {
                    peer,
                    reason: LeaveReason::SeedingOver,
                },
            );
        } else {
            self.queue
                .schedule((now + window.0).min(deadline), Event::RepayCheck { peer });
        }
    }
}
