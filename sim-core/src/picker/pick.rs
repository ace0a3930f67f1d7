//! Choosing the next piece to download from one neighbour (BEP 3 and libtorrent's rules).
//!
//! Invariant: a normal pick is a piece the remote holds, we lack and no connection of ours is
//! downloading; an endgame pick is a piece the remote holds and we lack with
//! `1 <= downloaders < endgame_max_downloaders`, offered only when every missing piece is in
//! flight. Ties are broken uniformly from the given rng, so a pick is reproducible.
//!
//! Precondition of every pick: the remote is a connected neighbour whose bitfield is counted
//! (via `add_neighbour` / `neighbour_has`). Its pieces therefore have availability >= 1, which
//! lets rarest-first and random skip bucket 0 (pieces no neighbour holds).

use super::PeerPieces;
use super::availability::AvailabilityIndex;
use super::sample::{MinReservoir, uniform_index};
use crate::config::{PickerConfig, PickerKind};
use crate::pieceset::PieceSet;
use crate::rng::SimRng;

/// The piece to request next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pick {
    pub piece: u32,
    /// A duplicate request of a piece already in flight (endgame mode).
    pub endgame: bool,
}

impl PeerPieces {
    /// The piece to download next from a neighbour holding `remote` (`remote_have_list`: the
    /// same pieces as a list, e.g. its acquisition order), or `None` if nothing qualifies.
    ///
    /// Rules, in order: (1) finish an interrupted piece, rarest first; (2) by `cfg.kind`:
    /// rarest first (uniform among the rarest; uniform overall until `cfg.initial_random`
    /// pieces are held), uniform, or lowest index; (3) endgame when enabled and every missing
    /// piece is in flight: fewest downloaders first.
    ///
    /// Cost: a rarest-first pick scans buckets from the rarest up and stops at the first with an
    /// eligible piece, but scans the remote's list instead when that is shorter, so it is about
    /// O(min(pieces scanned, remote's pieces)); O(1) expected when many pieces are eligible
    /// (a seed remote). Endgame picks scan the pieces in flight (one per connection).
    /// No allocation.
    ///
    /// Precondition: the remote is a connected neighbour already counted here
    /// (`add_neighbour`, then `neighbour_has` for each of its HAVEs), and `remote_have_list`
    /// names exactly the pieces of `remote`. A remote that is not counted may be missed by
    /// rarest-first and random picks (they skip pieces no neighbour holds).
    pub fn pick(
        &mut self,
        cfg: &PickerConfig,
        remote: &PieceSet,
        remote_have_list: &[u32],
        rng: &mut SimRng,
    ) -> Option<Pick> {
        self.flush_pending();
        let ix = self.index.as_ref()?;
        debug_assert_eq!(
            remote.len(),
            self.num_pieces(),
            "bitfield of another torrent"
        );
        debug_assert_eq!(
            remote_have_list.len() as u32,
            remote.count(),
            "remote_have_list out of sync with the remote bitfield"
        );
        if self.unrequested == 0 {
            // No missing piece lacks a download, so no normal candidate can exist.
            if !cfg.endgame {
                return None;
            }
            let piece = self.pick_endgame(cfg, remote, rng)?;
            return Some(Pick {
                piece,
                endgame: true,
            });
        }
        let piece = match self.pick_started(ix, remote, rng) {
            Some(p) => Some(p),
            None => match cfg.kind {
                PickerKind::RarestFirst if self.have.count() >= cfg.initial_random => {
                    self.pick_rarest(ix, remote, remote_have_list, rng)
                }
                PickerKind::RarestFirst | PickerKind::Random => {
                    self.pick_random(ix, remote, remote_have_list, rng)
                }
                PickerKind::Sequential => self.pick_sequential(remote, remote_have_list),
            },
        }?;
        Some(Pick {
            piece,
            endgame: false,
        })
    }

    /// Whether a piece we lack may be requested normally from a remote holding it.
    #[inline]
    fn idle(&self, piece: u32) -> bool {
        !self.in_flight.is_busy(piece)
    }

    /// Rule 1: the rarest interrupted piece the remote holds and nobody downloads.
    /// O(partials), few by construction.
    fn pick_started(
        &self,
        ix: &AvailabilityIndex,
        remote: &PieceSet,
        rng: &mut SimRng,
    ) -> Option<u32> {
        let mut best = MinReservoir::new();
        for &p in self.partial.keys() {
            if self.idle(p) && remote.contains(p) {
                best.offer(ix.count(p), p, rng);
            }
        }
        best.get()
    }

    /// Rarest first: uniform among the eligible pieces of the lowest bucket holding one.
    fn pick_rarest(
        &self,
        ix: &AvailabilityIndex,
        remote: &PieceSet,
        list: &[u32],
        rng: &mut SimRng,
    ) -> Option<u32> {
        let order = ix.order();
        let scan_len = ix.missing() - ix.bucket(0).len();
        // Scan buckets while that stays cheaper than walking the remote's list; a bucket scan
        // that would exceed it switches to the list. Total cost <= 2 × the cheaper of the two.
        let budget = if list.len() < scan_len {
            list.len()
        } else {
            usize::MAX
        };
        let mut spent = 0usize;
        for a in 1..ix.buckets() {
            let r = ix.bucket(a);
            if r.is_empty() {
                continue;
            }
            spent += r.len();
            if spent > budget {
                return self.rarest_in_list(ix, remote, list, rng);
            }
            let bucket = &order[r];
            let hit = uniform_index(bucket.len(), rng, |i| {
                let p = bucket[i];
                remote.contains(p) && self.idle(p)
            });
            if let Some(i) = hit {
                return Some(bucket[i]);
            }
        }
        None
    }

    /// Rarest first over the remote's list: minimum availability, reservoir-sampled ties.
    /// O(remote's pieces) plus a draw per tie.
    fn rarest_in_list(
        &self,
        ix: &AvailabilityIndex,
        remote: &PieceSet,
        list: &[u32],
        rng: &mut SimRng,
    ) -> Option<u32> {
        let mut best = MinReservoir::new();
        for &p in list {
            debug_assert!(remote.contains(p), "remote list names piece {p} it lacks");
            if !self.have.contains(p) && self.idle(p) {
                debug_assert!(ix.count(p) > 0, "remote holds {p} but is not counted");
                best.offer(ix.count(p), p, rng);
            }
        }
        best.get()
    }

    /// Uniform among all eligible pieces, over whichever is shorter: the remote's list or our
    /// missing pieces held by some neighbour.
    fn pick_random(
        &self,
        ix: &AvailabilityIndex,
        remote: &PieceSet,
        list: &[u32],
        rng: &mut SimRng,
    ) -> Option<u32> {
        let held_somewhere = &ix.order()[ix.bucket(0).end..];
        if list.len() < held_somewhere.len() {
            let i = uniform_index(list.len(), rng, |i| {
                let p = list[i];
                !self.have.contains(p) && self.idle(p)
            })?;
            Some(list[i])
        } else {
            let i = uniform_index(held_somewhere.len(), rng, |i| {
                let p = held_somewhere[i];
                remote.contains(p) && self.idle(p)
            })?;
            Some(held_somewhere[i])
        }
    }

    /// Lowest eligible index: scan up from the first missing piece, or take the minimum over
    /// the remote's list when that is shorter. No draws.
    fn pick_sequential(&self, remote: &PieceSet, list: &[u32]) -> Option<u32> {
        let from = self.first_missing;
        let eligible = |p: u32| !self.have.contains(p) && self.idle(p);
        if (list.len() as u32) < self.num_pieces() - from {
            list.iter().copied().filter(|&p| eligible(p)).min()
        } else {
            (from..self.num_pieces()).find(|&p| remote.contains(p) && eligible(p))
        }
    }

    /// Endgame: a piece we lack that the remote holds with
    /// `1 <= downloaders < endgame_max_downloaders`, fewest downloaders first, random ties.
    /// Every missing piece is in flight, so the in-flight list is the candidate list:
    /// O(pieces in flight), one per downloading connection.
    fn pick_endgame(&self, cfg: &PickerConfig, remote: &PieceSet, rng: &mut SimRng) -> Option<u32> {
        let mut best = MinReservoir::new();
        for (p, n) in self.in_flight.iter() {
            if n < cfg.endgame_max_downloaders && !self.have.contains(p) && remote.contains(p) {
                best.offer(n, p, rng);
            }
        }
        best.get()
    }
}
