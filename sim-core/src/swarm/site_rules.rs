//! The sites' rules as the engine applies them: identities and their admission to a site's
//! listings (per-IP limits, shared IPs), the sites' periodic checks, ratio checks of a
//! peer's identity, and bans (the peers of a banned identity leave the site's listings).
//!
//! Invariant: the rules themselves live in `sites` above the boundary; this file only turns
//! their answers into engine state and events, from the world's cold points.

use super::state::{LeaveReason, PeerState};
use super::{Event, Sim};
use crate::boundary::Command;
use crate::config::{SeedingTime, SiteRules};
use crate::ids::{HostId, IdentityId, IpId, PeerId, SiteId, TorrentId};
use crate::record::IdentityRecord;
use crate::sites::Admission;
use crate::time::SimTime;
use std::collections::BTreeMap;

impl Sim {
    /// Bans `identity` on `site`: its peers on the site's listings leave.
    pub(super) fn ban(&mut self, now: SimTime, site: SiteId, identity: IdentityId) {
        let host = self.identities[identity.index()].host;
        for peer in self.hosts[host.index()].peers.clone() {
            let p = &self.peers[peer.index()];
            if p.identity == identity && self.torrents[p.torrent.index()].site == site {
                self.on_leave(now, peer, LeaveReason::Banned);
            }
        }
    }

    /// Whether `host` may join `listing`: its site admits its identity, possibly after its
    /// user takes a fresh identity (paid, when the economy lets it). A draw from the world
    /// stream is made for every admission with a world.
    pub(super) fn admit(&mut self, now: SimTime, host: HostId, listing: TorrentId) -> bool {
        use rand::RngExt;
        let Some(world) = self.world.as_mut() else {
            return true;
        };
        let site = self.torrents[listing.index()].site;
        let (identity, ip) = (
            self.hosts[host.index()].identity,
            self.hosts[host.index()].ip,
        );
        let draw: f64 = self.rngs.world.random();
        match world.sites.admit(site, identity, ip, draw) {
            Admission::Admit => true,
            Admission::Refuse => false,
            Admission::FreshIdentity => {
                let cost = world.sites.config(site).identity.fresh_cost;
                let paid = match self.econ.as_mut() {
                    Some(econ) => econ.pay_fresh_identity(now, host, cost),
                    None => true,
                };
                let world = self.world.as_mut().expect("checked above");
                if !paid {
                    world.sites.fresh_identity_unpaid(site);
                    return false;
                }
                world.sites.fresh_identity_paid(site, cost);
                world.sites.retire(identity);
                let fresh = self.new_identity(now, host, ip);
                self.hosts[host.index()].identity = fresh;
                self.econ_identity(now, host);
                let world = self.world.as_mut().expect("checked above");
                world.sites.admit(site, fresh, ip, draw) == Admission::Admit
            }
        }
    }

    /// `host` moves to `other`'s IP address (a sybil's identities behind one address); its
    /// identity moves with it.
    pub(super) fn share_ip(&mut self, now: SimTime, host: HostId, other: HostId) {
        let ip = self.hosts[other.index()].ip;
        self.hosts[host.index()].ip = ip;
        let identity = self.hosts[host.index()].identity;
        self.identities[identity.index()].ip = ip;
        self.econ_identity(now, host);
    }

    /// A new identity for `host` on `ip`.
    pub(super) fn new_identity(&mut self, now: SimTime, host: HostId, ip: IpId) -> IdentityId {
        let id = IdentityId(self.identities.len() as u32);
        self.identities.push(IdentityRecord {
            host,
            ip,
            created_at: now,
        });
        id
    }

    /// A site's periodic ratio check: the live bytes of its identities' online peers, the
    /// bans that follow (applied as commands), the next check.
    pub(super) fn on_site_check(&mut self, now: SimTime, site: SiteId) {
        let mut live: BTreeMap<IdentityId, (u64, u64)> = BTreeMap::new();
        let (mut seeds, mut leechers) = (0, 0);
        for t in self.torrents.iter().filter(|t| t.site == site) {
            seeds += t.seeds;
            leechers += t.leechers;
            for &m in &t.members {
                let p = &self.peers[m.index()];
                let e = live.entry(p.identity).or_default();
                e.0 += p.bytes_downloaded;
                e.1 += p.bytes_uploaded;
            }
        }
        let Some(world) = self.world.as_mut() else {
            return;
        };
        let bans = world.sites.check(site, now, &live, (seeds, leechers));
        let every = match &world.sites.config(site).rules {
            Some(SiteRules::Ratio { check_every, .. }) => check_every.0,
            None => return,
        };
        let commands = bans
            .into_iter()
            .map(|identity| Command::Ban { site, identity })
            .collect();
        self.enqueue(now, commands);
        if now + every <= self.horizon {
            self.queue.schedule(now + every, Event::SiteCheck { site });
        }
    }

    /// A seeder seeding until its site ratio: leave once the identity's ratio on the site
    /// reaches the target or the deadline passed; otherwise check again in `window`.
    pub(super) fn on_ratio_check(&mut self, now: SimTime, peer: PeerId) {
        let p = &self.peers[peer.index()];
        if p.state != PeerState::Seeding {
            return;
        }
        let listing = p.torrent;
        let content = self.torrents[listing.index()].content;
        let SeedingTime::UntilRatio {
            ratio,
            max_time,
            window,
            ..
        } = self.scenario.torrents[content.index()].seeding
        else {
            return;
        };
        let site = self.torrents[listing.index()].site;
        let identity = p.identity;
        let deadline = p.completed_at.unwrap_or(now) + max_time.0;
        // Bytes of the identity's peers online on this site.
        let (mut down, mut up) = (0, 0);
        for &q in &self.hosts[p.host.index()].peers {
            let q = &self.peers[q.index()];
            if q.identity == identity && self.torrents[q.torrent.index()].site == site {
                down += q.bytes_downloaded;
                up += q.bytes_uploaded;
            }
        }
        let Some(world) = &self.world else { return };
        let (down, up) = world.sites.totals(site, identity, down, up);
        let reached = down == 0 || up as f64 >= ratio * down as f64;
        if reached || now >= deadline {
            self.queue.schedule(
                now,
                Event::Leave {
                    peer,
                    reason: LeaveReason::SeedingOver,
                },
            );
        } else {
            self.queue
                .schedule((now + window.0).min(deadline), Event::RatioCheck { peer });
        }
    }
}
