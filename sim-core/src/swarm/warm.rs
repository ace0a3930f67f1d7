//! Speed tricks kept out of the model code: the prefetch pipeline over the coming flow
//! completions (see [`Sim::warm_next`]), the records' own cache hints, and the growth policy
//! of a peer's per-connection lists. Cache hints only and an allocation size, so nothing here changes a
//! result (BENCHMARKS.md measures what they buy).

use super::state::{Conn, Peer};
use super::{Event, Sim, state};
use crate::ids::ConnId;
use crate::prefetch::{prefetch, prefetch_write};

impl Sim {
    /// Prefetches what the next flow completions will read first, so that their cache
    /// misses overlap with this event's work instead of following it (at 10,000 peers nearly
    /// each is a miss). A pipeline over the events known to come next, each stage reading
    /// only what the stage before prefetched: three events ahead, the connection and the
    /// flow's record and generation; two ahead (stale completions are dropped from here on),
    /// the uploader's and downloader's records and a paid direction's trade state; one ahead,
    /// the downloader's leeching neighbours, bitfield, pieces in flight and counts, the
    /// uploader's bitfield and a paid direction's channel; and for the next event, the count
    /// of the piece at every leeching neighbour (its HAVE broadcast, once the largest single
    /// cost of a 10,000-peer run). Changes nothing but timing.
    #[inline]
    pub(super) fn warm_next(&self) {
        let ahead = self.queue.peek_ahead::<4>();
        // A completion's connection (its address only: reading it is for later stages).
        let conn_of = |owner: u32| {
            let (c, side) = state::direction_of_tag(owner);
            Some((c, side, self.conns.get(c.index())?))
        };
        // Three ahead the generation is not known to be in cache: the stale check (a third of
        // all events are stale) waits for the next stage.
        if let Some(&Event::FlowDone { flow, owner, .. }) = ahead[3]
            && let Some((_, _, conn)) = conn_of(owner)
        {
            conn.warm();
            self.net.warm(flow);
        }
        let completion = |n: usize| match ahead[n] {
            Some(&Event::FlowDone {
                flow,
                owner,
                generation,
            }) if self.net.is_current(flow, generation) => conn_of(owner),
            _ => None,
        };
        // The completed piece, both ends and whether the direction is paid, once the
        // connection is in cache.
        let ends = |(c, side, conn): (ConnId, usize, &state::Conn)| {
            let (up, down) = (conn.peers[side], conn.peers[1 - side]);
            (
                c,
                side,
                conn.dirs[side].paid,
                conn.dirs[side].piece,
                up,
                down,
            )
        };
        if let Some((c, side, paid, _, up, down)) = completion(2).map(ends) {
            if paid && let Some(econ) = &self.econ {
                econ.warm_dir(c, side);
            }
            if let Some(d) = self.peers.get(down.index()) {
                d.warm();
            }
            if let Some(u) = self.peers.get(up.index()) {
                prefetch_write(u);
            }
        }
        let records = |n: usize| {
            let (c, side, paid, piece, up, down) = completion(n).map(ends)?;
            Some((
                (c, side, paid, piece),
                self.peers.get(up.index())?,
                self.peers.get(down.index())?,
            ))
        };
        if let Some(((c, side, paid, _), up, down)) = records(1) {
            down.pieces.warm_pick();
            up.pieces.have().warm_all();
            for ids in down.leeching_remotes.chunks(16) {
                prefetch(&ids[0]);
            }
            if paid
                && let Some(econ) = &self.econ
                && let Some(id) = econ.dir(c, side).channel
            {
                econ.warm_channel(id);
            }
        }
        if let Some(((_, _, _, piece), _, down)) = records(0) {
            for &r in &down.leeching_remotes {
                if let Some(p) = self.peers.get(r.index()) {
                    p.pieces.warm_have(piece);
                }
            }
        }
    }
}

/// Cache hints of the engine's records: which of their lines a transfer or a bid reads first.
impl Peer {
    /// Prefetches the record's cache lines that a piece transfer to this peer reads first
    /// (the hot fields lead the layout). A hint; changes nothing but timing.
    #[inline]
    pub fn warm(&self) {
        prefetch_write(&self.pieces);
        prefetch_write(&self.bytes_downloaded);
        prefetch(&self.leeching_remotes);
    }

    /// Prefetches what a bid of this peer reads: its progress, download and join time (a
    /// hint).
    #[inline]
    pub fn warm_bidder(&self) {
        prefetch(&self.pieces);
        prefetch(&self.bytes_downloaded);
        prefetch(&self.joined_at);
    }
}

impl Conn {
    /// Prefetches both cache lines of the connection (a hint).
    #[inline]
    pub fn warm(&self) {
        prefetch(&self.peers);
        prefetch(&self.dirs[1].last_data_at);
    }
}

/// Appends `item` to one of a peer's per-connection lists (connections, neighbours, links),
/// growing it by doubling but never past `max` entries (a peer holds at most
/// `max_connections`): 80 entries would otherwise reserve room for 128.
pub(super) fn push_capped<T>(list: &mut Vec<T>, item: T, max: usize) {
    if list.len() == list.capacity() {
        // At least 4 entries, at most `max` (any `max` ≥ 1, also below 4).
        let want = (2 * list.len()).max(4).min(max.max(list.len() + 1));
        list.reserve_exact(want - list.len());
    }
    list.push(item);
}
