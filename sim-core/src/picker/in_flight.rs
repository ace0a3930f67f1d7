//! Downloads in flight per piece: a bitfield for the picker's hot test, counts on the side.
//!
//! Invariant: `busy` holds exactly the pieces with at least one download; `counts` is sorted
//! by piece and holds one entry `(piece, n >= 1)` per busy piece.
//! Only a few pieces are in flight at once (one per downloading connection), so a sorted
//! Vec is smaller and faster than a per-piece array, and the picker's test touches only the
//! bitfield (num_pieces / 8 bytes, cache-resident during a scan).

use crate::pieceset::PieceSet;

#[derive(Clone, Debug)]
pub(super) struct InFlight {
    busy: PieceSet,
    counts: Vec<(u32, u32)>,
}

impl InFlight {
    pub(super) fn new(num_pieces: u32) -> Self {
        InFlight {
            busy: PieceSet::empty(num_pieces),
            counts: Vec::new(),
        }
    }

    /// Whether some connection downloads `piece`. O(1).
    #[inline]
    pub(super) fn is_busy(&self, piece: u32) -> bool {
        self.busy.contains(piece)
    }

    /// The pieces with at least one download, as a bitfield. O(1).
    #[inline]
    pub(super) fn busy(&self) -> &PieceSet {
        &self.busy
    }

    /// Downloads of `piece`. O(1) when idle, else O(log in-flight pieces).
    #[inline]
    pub(super) fn count(&self, piece: u32) -> u32 {
        if !self.busy.contains(piece) {
            return 0;
        }
        match self.counts.binary_search_by_key(&piece, |&(p, _)| p) {
            Ok(i) => self.counts[i].1,
            Err(_) => panic!("piece {piece} busy without a download count"),
        }
    }

    /// One more download of `piece`; returns the downloads now. O(in-flight pieces).
    pub(super) fn begin(&mut self, piece: u32) -> u32 {
        match self.counts.binary_search_by_key(&piece, |&(p, _)| p) {
            Ok(i) => {
                self.counts[i].1 += 1;
                self.counts[i].1
            }
            Err(i) => {
                self.counts.insert(i, (piece, 1));
                self.busy.insert(piece);
                1
            }
        }
    }

    /// One download of `piece` ended; returns the downloads left. Panics (naming `what`) if
    /// none was in flight. O(in-flight pieces).
    pub(super) fn end(&mut self, piece: u32, what: &str) -> u32 {
        let Ok(i) = self.counts.binary_search_by_key(&piece, |&(p, _)| p) else {
            panic!("{what}: piece {piece} is not being downloaded");
        };
        self.counts[i].1 -= 1;
        let left = self.counts[i].1;
        if left == 0 {
            self.counts.remove(i);
            self.busy.remove(piece);
        }
        left
    }

    /// The in-flight pieces with their download counts, ascending by piece.
    pub(super) fn iter(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.counts.iter().copied()
    }

    pub(super) fn check(&self) -> Result<(), String> {
        if self.counts.windows(2).any(|w| w[0].0 >= w[1].0) {
            return Err(format!("in-flight list not sorted: {:?}", self.counts));
        }
        if self
            .counts
            .iter()
            .any(|&(p, n)| n == 0 || !self.busy.contains(p))
        {
            return Err(format!(
                "in-flight entry without a busy bit: {:?}",
                self.counts
            ));
        }
        if self.busy.count() as usize != self.counts.len() {
            return Err(format!(
                "{} busy bits for {} in-flight pieces",
                self.busy.count(),
                self.counts.len()
            ));
        }
        Ok(())
    }
}
