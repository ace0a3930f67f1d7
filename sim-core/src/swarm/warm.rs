//! The prefetch pipeline over the coming flow completions (see [`Sim::warm_next`]): cache
//! hints only, so nothing here changes a result.

use super::{Event, Sim, state};
use crate::prefetch::{prefetch, prefetch_write};

impl Sim {
    /// Prefetches what the next flow completions will read first, so that their cache
    /// misses overlap with this event's work instead of following it (at 10,000 peers nearly
    /// each is a miss). A pipeline over the events known to come next, each stage reading
    /// only what the stage before prefetched: three events ahead, the connection, the flow's
    /// record and its generation (and the direction's trade state); two ahead, the
    /// direction's payment channel and the uploader's and downloader's records; one
    /// ahead, the downloader's leeching neighbours, bitfield, pieces in flight and counts
    /// and the uploader's bitfield (what completing the piece and picking the next read);
    /// and for the next event, the count of the piece at every leeching neighbour
    /// (its HAVE broadcast, once the largest single cost of a 10,000-peer run). Changes nothing
    /// but timing.
    #[inline]
    pub(super) fn warm_next(&self) {
        // Stale completions (a third of all events) are skipped without prefetching.
        let ahead = self.queue.peek_ahead::<4>();
        let completion = |n: usize| match ahead[n] {
            Some(&Event::FlowDone {
                flow,
                owner,
                generation,
            }) if self.net.is_current(flow, generation) => Some((flow, owner)),
            _ => None,
        };
        // A completion's connection (its address only: reading it is for later stages).
        let conn_of = |owner: u32| {
            let (c, side) = state::direction_of_tag(owner);
            Some((c, side, self.conns.get(c.index())?))
        };
        // The completed piece and both ends, once the connection is in cache.
        let ends = |owner: u32| {
            let (_, side, conn) = conn_of(owner)?;
            let (up, down) = (conn.peers[side], conn.peers[1 - side]);
            Some((conn.dirs[side].piece, up, down))
        };
        if let Some((flow, owner)) = completion(3)
            && let Some((c, side, conn)) = conn_of(owner)
        {
            conn.warm();
            self.net.warm(flow);
            if let Some(econ) = &self.econ {
                econ.warm_dir(c, side);
            }
        }
        if let Some((_, owner)) = completion(2)
            && let Some((c, side, _)) = conn_of(owner)
            && let Some((_, up, down)) = ends(owner)
        {
            if let Some(econ) = &self.econ
                && let Some(id) = econ.dir(c, side).channel
            {
                econ.warm_channel(id);
            }
            if let Some(d) = self.peers.get(down.index()) {
                d.warm();
            }
            if let Some(u) = self.peers.get(up.index()) {
                prefetch_write(u);
            }
        }
        let records = |owner: u32| {
            let (piece, up, down) = ends(owner)?;
            Some((
                piece,
                self.peers.get(up.index())?,
                self.peers.get(down.index())?,
            ))
        };
        if let Some((_, up, down)) = completion(1).and_then(|(_, owner)| records(owner)) {
            down.pieces.warm_pick();
            up.pieces.have().warm_all();
            for ids in down.leeching_remotes.chunks(16) {
                prefetch(&ids[0]);
            }
        }
        if let Some((piece, _, down)) = completion(0).and_then(|(_, owner)| records(owner)) {
            for &r in &down.leeching_remotes {
                if let Some(p) = self.peers.get(r.index()) {
                    p.pieces.warm_have(piece);
                }
            }
        }
    }
}
