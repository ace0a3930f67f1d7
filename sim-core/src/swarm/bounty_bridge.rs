//! The engine's bridge to the bounty board (`economy::bounties`): requesters' posts and their
//! deadlines, leechers' pledges when they arrive for wanted content, claims when an uploader
//! publishes it (a real or a fake copy), the first completed download of a claimed copy that
//! judges the claim, and the payment of a verified claim after the board's delay.
//!
//! Invariant: all of it runs at cold points (a command, a join, a publication, a completion,
//! its own events), never from a flow completion, a rechoke or a slot fill; without
//! `[economy.bounties]` every call returns at once.

use super::{Event, Sim};
use crate::boundary::Fact;
use crate::economy::bounties::Verdict;
use crate::ids::{AgentId, BountyId, ContentId, HostId, PeerId, TorrentId};
use crate::time::SimTime;

impl Sim {
    fn bounties(&self) -> bool {
        self.econ
            .as_ref()
            .is_some_and(|e| e.bounty_board().is_some())
    }

    /// Requester `agent` posts a bounty (a command).
    pub(super) fn post_bounty(
        &mut self,
        now: SimTime,
        agent: AgentId,
        content: ContentId,
        reward: u64,
        deadline: SimTime,
    ) {
        let Some(econ) = self.econ.as_mut() else {
            return;
        };
        let Some(bounty) = econ.post_bounty(now, agent, content, reward, deadline) else {
            return;
        };
        let reward = econ
            .bounty_board()
            .map_or(0, |b| b.bounties()[bounty.index()].funded());
        if deadline <= self.horizon {
            self.queue
                .schedule(deadline.max(now), Event::BountyDeadline { bounty });
        }
        self.tell(
            now,
            Fact::BountyPosted {
                bounty,
                content,
                reward,
            },
        );
    }

    /// A leecher of `peer`'s host arrives for its listing's content: it pledges to an open
    /// bounty on it.
    pub(super) fn bounty_pledge(&mut self, now: SimTime, peer: PeerId) {
        if !self.bounties() {
            return;
        }
        let p = &self.peers[peer.index()];
        if p.publisher || self.hosts[p.host.index()].owner.is_some() {
            return;
        }
        let (host, content) = (p.host, self.torrents[p.torrent.index()].content);
        if let Some(econ) = self.econ.as_mut() {
            econ.pledge(now, host, content);
        }
    }

    /// `host` (an agent's) published a copy of `listing`'s content as `copy` (a fake copy's own
    /// listing when `fake`): a claim on an open bounty.
    pub(super) fn bounty_claim(&mut self, now: SimTime, host: HostId, copy: TorrentId, fake: bool) {
        if !self.bounties() {
            return;
        }
        let Some(uploader) = self.hosts[host.index()].owner else {
            return;
        };
        let content = self.torrents[copy.index()].content;
        if let Some(econ) = self.econ.as_mut() {
            econ.claim(now, uploader, content, copy, fake);
        }
    }

    /// A leecher completed `listing`: the first completion of a claimed copy judges its claim.
    pub(super) fn bounty_completion(&mut self, now: SimTime, listing: TorrentId) {
        if !self.bounties() {
            return;
        }
        let Some(econ) = self.econ.as_mut() else {
            return;
        };
        for v in econ.first_completion(listing) {
            if let Verdict::PayAfter {
                bounty,
                claim,
                delay,
            } = v
            {
                let at = now + delay;
                if at <= self.horizon {
                    self.queue.schedule(
                        at,
                        Event::BountyPay {
                            bounty,
                            claim: claim as u32,
                        },
                    );
                }
            }
        }
    }

    pub(super) fn on_bounty_pay(&mut self, now: SimTime, bounty: BountyId, claim: u32) {
        if let Some(econ) = self.econ.as_mut() {
            econ.pay_claim(now, bounty, claim as usize);
        }
    }

    pub(super) fn on_bounty_deadline(&mut self, now: SimTime, bounty: BountyId) {
        if let Some(econ) = self.econ.as_mut() {
            econ.bounty_deadline(now, bounty);
        }
    }
}
