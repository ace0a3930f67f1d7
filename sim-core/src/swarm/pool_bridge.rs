//! The engine's bridge to seed pools (`economy::pools`): members joining and leaving (agents'
//! commands), the listings they join while in a pool (its selection, for the report), and the
//! end of every epoch, when the pool counts each member's upload since the last one and pays
//! its members. A last, partial epoch closes the books at the run's end.
//!
//! Invariant: all of it runs at cold points (a command, its own epoch event, the run's end);
//! without pools every call returns at once.

use super::{Event, Sim};
use crate::boundary::Fact;
use crate::ids::{AgentId, HostId, PoolId, TorrentId};
use crate::time::SimTime;

impl Sim {
    fn pool_count(&self) -> usize {
        self.econ.as_ref().map_or(0, |e| e.pools().len())
    }

    /// Schedules every pool's first epoch end.
    pub(super) fn schedule_pools(&mut self) {
        for i in 0..self.pool_count() {
            let pool = PoolId(i as u32);
            let epoch = self.econ.as_ref().expect("pools need an economy").pools()[i]
                .config
                .epoch
                .0;
            let at = SimTime::ZERO + epoch;
            if at <= self.horizon {
                self.queue.schedule(at, Event::PoolEpoch { pool });
            }
        }
    }

    /// Bytes `host` uploaded so far (its departed peers and those online).
    fn host_uploaded(&self, host: HostId) -> u64 {
        let h = &self.hosts[host.index()];
        h.uploaded_by_departed
            + h.peers
                .iter()
                .map(|p| self.peers[p.index()].bytes_uploaded)
                .sum::<u64>()
    }

    /// Member `agent` (with `host`) joins `pool` (a command).
    pub(super) fn join_pool(
        &mut self,
        pool: PoolId,
        (agent, host): (AgentId, HostId),
        hopper: bool,
    ) {
        let uploaded = self.host_uploaded(host);
        if let Some(econ) = self.econ.as_mut() {
            econ.join_pool(pool, (agent, host), hopper, uploaded);
        }
    }

    /// `host` joined `listing`: while it is in a pool, the listing is one of the pool's.
    pub(super) fn note_pool_listing(&mut self, host: HostId, listing: TorrentId) {
        if self.pool_count() == 0 {
            return;
        }
        let econ = self.econ.as_mut().expect("pools need an economy");
        if let Some(pool) = econ.pool_of(host) {
            econ.pool_selected(pool, listing);
        }
    }

    /// Each member of `pool` with its host's upload so far.
    fn member_uploads(&self, pool: PoolId) -> Vec<(AgentId, u64)> {
        let econ = self.econ.as_ref().expect("pools need an economy");
        econ.pools()[pool.index()]
            .members
            .iter()
            .map(|m| (m.agent, self.host_uploaded(m.host)))
            .collect()
    }

    /// The end of an epoch of `pool`: the members are paid, the next epoch scheduled, and the
    /// agents told.
    pub(super) fn on_pool_epoch(&mut self, now: SimTime, pool: PoolId) {
        let uploads = self.member_uploads(pool);
        let econ = self.econ.as_mut().expect("pools need an economy");
        econ.pool_epoch(now, pool, &uploads, false);
        let next = now + econ.pools()[pool.index()].config.epoch.0;
        if next <= self.horizon {
            self.queue.schedule(next, Event::PoolEpoch { pool });
        }
        self.tell(now, Fact::PoolEpochEnded { pool });
    }

    /// At the run's end: every pool closes a last, partial epoch, so what it received since
    /// its last epoch is paid out too.
    pub(super) fn close_pools(&mut self, end: SimTime) {
        for i in 0..self.pool_count() {
            let pool = PoolId(i as u32);
            let econ = self.econ.as_ref().expect("pools need an economy");
            let last = econ.pools()[i].epochs.last().map(|e| e.ended_at);
            if last.is_some_and(|t| t >= end) {
                continue;
            }
            let uploads = self.member_uploads(pool);
            let econ = self.econ.as_mut().expect("pools need an economy");
            econ.pool_epoch(end, pool, &uploads, true);
        }
    }
}
