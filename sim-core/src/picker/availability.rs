//! Availability index: per-piece neighbour counts plus the missing pieces kept ordered by count.
//!
//! Invariant: `order` holds exactly the pieces we lack, each once; each slot's `pos` is its
//! inverse (`NOT_MISSING` for held pieces); and `order` is sorted by count in runs
//! ("buckets"): bucket `a` is `order[start[a]..start[a + 1]]` and holds exactly the missing
//! pieces held by `a` neighbours. `start[0] == 0` and the last entry of `start` equals
//! `order.len()`.
//!
//! This is the layout of libtorrent's piece_picker reduced to one priority (the count): moving
//! a piece by ±1 is one swap with its bucket's boundary element, so neighbour updates are O(1).

use crate::pieceset::PieceSet;
use std::ops::Range;

/// `pos` value of a piece we hold (it has left `order`).
const NOT_MISSING: u32 = u32::MAX;

/// A piece's count and position side by side: an update reads both, so they share a cache
/// line (the index is memory-bound when thousands of peers are updated in turn).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Slot {
    /// Connected neighbours holding the piece (held pieces are counted too).
    count: u32,
    /// Position in `order`; `NOT_MISSING` once held.
    pos: u32,
}

/// Neighbour counts of every piece and the missing pieces bucketed by count.
#[derive(Clone, Debug)]
pub(super) struct AvailabilityIndex {
    slot: Vec<Slot>,
    /// Missing pieces, ascending by `count` (arbitrary order within a bucket).
    order: Vec<u32>,
    /// Bucket boundaries; `start.len()` is the number of buckets plus one. Buckets above the
    /// current maximum may stay empty: they cost one comparison per scan and save re-growing.
    start: Vec<u32>,
}

impl AvailabilityIndex {
    /// Index of a peer lacking all `num_pieces` pieces and having no neighbours. Cost O(pieces).
    pub(super) fn new(num_pieces: u32) -> Self {
        AvailabilityIndex {
            slot: (0..num_pieces).map(|pos| Slot { count: 0, pos }).collect(),
            order: (0..num_pieces).collect(),
            start: vec![0, num_pieces],
        }
    }

    /// Neighbours holding `piece`. O(1).
    #[inline]
    pub(super) fn count(&self, piece: u32) -> u32 {
        self.slot[piece as usize].count
    }

    /// Number of missing pieces (the length of the ordered array).
    #[inline]
    pub(super) fn missing(&self) -> usize {
        self.order.len()
    }

    /// Number of buckets (one more than the highest count ever reached by a missing piece).
    #[inline]
    pub(super) fn buckets(&self) -> usize {
        self.start.len() - 1
    }

    /// Positions in `order` of the missing pieces held by exactly `a` neighbours.
    #[inline]
    pub(super) fn bucket(&self, a: usize) -> Range<usize> {
        self.start[a] as usize..self.start[a + 1] as usize
    }

    /// The missing pieces, ascending by count.
    #[inline]
    pub(super) fn order(&self) -> &[u32] {
        &self.order
    }

    /// Moves `piece` (at position `i`) to position `j`, and the piece there to `i`.
    #[inline]
    fn swap_to(&mut self, piece: u32, i: u32, j: u32) {
        let other = self.order[j as usize];
        self.order[j as usize] = piece;
        self.order[i as usize] = other;
        self.slot[other as usize].pos = i;
        self.slot[piece as usize].pos = j;
    }

    /// One more neighbour holds `piece`. O(1) amortised (a new top bucket may be appended).
    #[inline]
    pub(super) fn inc(&mut self, piece: u32) {
        let s = &mut self.slot[piece as usize];
        let (a, i) = (s.count, s.pos);
        s.count = a + 1;
        if i == NOT_MISSING {
            return;
        }
        let up = a as usize + 1;
        if up == self.start.len() - 1 {
            self.start.push(self.order.len() as u32);
        }
        // The last slot of bucket `a` becomes the first slot of bucket `a + 1`.
        let last = self.start[up] - 1;
        self.start[up] = last;
        self.swap_to(piece, i, last);
    }

    /// One fewer neighbour holds `piece`. O(1). Panics if no neighbour was counted for it.
    #[inline]
    pub(super) fn dec(&mut self, piece: u32) {
        let s = &mut self.slot[piece as usize];
        let (a, i) = (s.count, s.pos);
        assert!(
            a > 0,
            "availability of piece {piece} would go negative: a neighbour was removed or \
             updated that was never counted"
        );
        s.count = a - 1;
        if i == NOT_MISSING {
            return;
        }
        // The first slot of bucket `a` becomes the last slot of bucket `a - 1`.
        let first = self.start[a as usize];
        self.start[a as usize] = first + 1;
        self.swap_to(piece, i, first);
    }

    /// Every piece gains one holder (a seed connected). O(pieces + buckets) but a linear pass,
    /// no swaps: every bucket shifts up by one, which is inserting an empty bucket 0.
    pub(super) fn inc_all(&mut self) {
        for s in &mut self.slot {
            s.count += 1;
        }
        self.start.insert(0, 0);
    }

    /// Every piece loses one holder (a seed disconnected). O(pieces + buckets).
    pub(super) fn dec_all(&mut self) {
        if let Some(p) = self.slot.iter().position(|s| s.count == 0) {
            panic!("full neighbour removed but piece {p} had no holder counted");
        }
        for s in &mut self.slot {
            s.count -= 1;
        }
        // Bucket 0 is empty (all counts were >= 1), so dropping its start shifts all down.
        debug_assert_eq!(
            self.start[1], 0,
            "bucket 0 not empty while every count >= 1"
        );
        self.start.remove(0);
        if self.start.len() == 1 {
            // Keep at least one (empty) bucket so `start` stays well formed.
            self.start.push(self.order.len() as u32);
        }
    }

    /// `piece` is now held: it leaves the ordered array. O(buckets above its count).
    pub(super) fn remove(&mut self, piece: u32) {
        let Slot { count, pos } = self.slot[piece as usize];
        assert!(
            pos != NOT_MISSING,
            "piece {piece} removed twice from the index"
        );
        // Bubble the piece to the end of the array: swap it with the last slot of its bucket
        // and shrink that bucket, so it becomes the first slot of the next bucket; repeat.
        let mut i = pos;
        for b in count as usize + 1..self.start.len() {
            let last = self.start[b] - 1;
            self.start[b] = last;
            self.swap_to(piece, i, last);
            i = last;
        }
        debug_assert_eq!(i as usize, self.order.len() - 1);
        self.order.pop();
        self.slot[piece as usize].pos = NOT_MISSING;
    }

    /// Checks the invariant against `have` and the recounted `expected` counts. O(pieces).
    pub(super) fn check(&self, have: &PieceSet, expected: &[u32]) -> Result<(), String> {
        if let Some(p) = (0..expected.len()).find(|&p| self.slot[p].count != expected[p]) {
            return Err(format!(
                "availability differs from the neighbours' bitfields at piece {p}: \
                 index {}, recount {}",
                self.slot[p].count, expected[p]
            ));
        }
        if self.slot.len() != expected.len() {
            return Err(format!(
                "index over {} pieces, not {}",
                self.slot.len(),
                expected.len()
            ));
        }
        if self.order.len() as u32 != have.len() - have.count() {
            return Err(format!(
                "ordered array holds {} pieces but {} are missing",
                self.order.len(),
                have.len() - have.count()
            ));
        }
        if self.start.first() != Some(&0) || self.start.last() != Some(&(self.order.len() as u32)) {
            return Err(format!(
                "bucket bounds {:?} do not span the array",
                self.start
            ));
        }
        if self.start.windows(2).any(|w| w[0] > w[1]) {
            return Err(format!("bucket bounds {:?} not ascending", self.start));
        }
        for a in 0..self.buckets() {
            for i in self.bucket(a) {
                let p = self.order[i];
                if have.contains(p) {
                    return Err(format!("held piece {p} still in the ordered array"));
                }
                let s = self.slot[p as usize];
                if s.pos != i as u32 {
                    return Err(format!("pos of {p} is {} but it sits at {i}", s.pos));
                }
                if s.count != a as u32 {
                    return Err(format!(
                        "piece {p} with count {} sits in bucket {a}",
                        s.count
                    ));
                }
            }
        }
        for p in have.iter() {
            if self.slot[p as usize].pos != NOT_MISSING {
                return Err(format!("held piece {p} has a position"));
            }
        }
        Ok(())
    }
}
