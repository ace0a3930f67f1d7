//! The world as the layers above the engine see it: `Sim`'s implementation of
//! [`WorldView`] (listings, a host's peers and balance, arrivals, credit and bounties).
//!
//! Invariant: read-only — nothing here changes the run; every method states its cost in the
//! trait's documentation.

use super::Sim;
use super::state::PeerState;
use crate::boundary::{ListingView, PeerView, WorldView};
use crate::ids::{AgentId, ContentId, HostId, SiteId, TorrentId};
use crate::time::SimTime;

impl WorldView for Sim {
    fn now(&self) -> SimTime {
        self.ended_at.unwrap_or_else(|| self.queue.now())
    }

    fn listings(&self) -> Vec<ListingView> {
        self.torrents
            .iter()
            .enumerate()
            .map(|(i, t)| ListingView {
                listing: TorrentId(i as u32),
                content: t.content,
                site: t.site,
                listed_at: t.listed_at,
                seeds: t.seeds,
                leechers: t.leechers,
                arrivals: t.arrivals,
                available: t.released && t.pieces_without_copy == 0,
                published: t.published,
                fake: t.fake,
            })
            .collect()
    }

    fn arrivals_since(&self, listing: TorrentId, since: SimTime) -> u32 {
        let times = &self.torrents[listing.index()].arrival_times;
        let first = times.partition_point(|&t| t < since);
        (times.len() - first) as u32
    }

    fn host_peers(&self, host: HostId) -> Vec<PeerView> {
        self.hosts[host.index()]
            .peers
            .iter()
            .map(|&p| {
                let peer = &self.peers[p.index()];
                PeerView {
                    peer: p,
                    listing: peer.torrent,
                    seeding: peer.state == PeerState::Seeding,
                    joined_at: peer.joined_at,
                    bytes_downloaded: peer.bytes_downloaded,
                    bytes_uploaded: peer.bytes_uploaded,
                }
            })
            .collect()
    }

    fn host_online(&self, host: HostId) -> bool {
        !self.hosts[host.index()].peers.is_empty()
    }

    fn host_balance(&self, host: HostId) -> u64 {
        self.econ.as_ref().map_or(0, |e| {
            e.balance(crate::economy::ledger::Account::Host(host))
        })
    }

    fn agent_balance(&self, agent: AgentId) -> u64 {
        self.econ.as_ref().map_or(0, |e| {
            e.balance(crate::economy::ledger::Account::Agent(agent))
        })
    }

    fn host_earnings(&self, host: HostId) -> u64 {
        let Some(econ) = &self.econ else { return 0 };
        self.host_peers_ever(host)
            .map(|p| econ.peer_trade(p).0)
            .sum()
    }

    fn has_economy(&self) -> bool {
        self.econ.is_some()
    }

    fn listing_of(&self, content: ContentId, site: SiteId) -> Option<TorrentId> {
        self.listing(content, site)
    }

    fn credit(&self, host: HostId) -> Option<crate::boundary::CreditView> {
        self.econ.as_ref()?.credit_view(self.now(), host)
    }

    fn pool_luck(&self, pool: crate::ids::PoolId) -> Option<(f64, f64)> {
        self.econ.as_ref()?.pool_luck(pool)
    }

    fn bounty_on(&self, content: ContentId) -> Option<u64> {
        let board = self.econ.as_ref()?.bounty_board()?;
        let id = board.open_on(content)?;
        Some(board.bounties()[id.index()].funded())
    }
}
