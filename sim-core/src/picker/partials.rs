//! Bytes already received of interrupted pieces: a short list sorted by piece.
//!
//! Invariant: entries are sorted by piece, unique, with a positive byte count. A peer holds a
//! handful at most (one per interrupted download), so a sorted vector beats a tree: lookups
//! are one binary search over a cache line or two, and an empty list (the common case)
//! allocates nothing.

/// Interrupted pieces and the bytes kept of each, in piece order.
#[derive(Clone, Debug, Default)]
pub(super) struct Partials {
    entries: Vec<(u32, u64)>,
}

impl Partials {
    /// Bytes kept of `piece` (0 if none). O(log n).
    #[inline]
    pub(super) fn get(&self, piece: u32) -> u64 {
        if self.entries.is_empty() {
            return 0;
        }
        self.position(piece).map_or(0, |i| self.entries[i].1)
    }

    fn position(&self, piece: u32) -> Result<usize, usize> {
        self.entries.binary_search_by_key(&piece, |&(p, _)| p)
    }

    /// Keeps at least `bytes` (> 0) of `piece`: the larger of the stored and the new count.
    /// O(n) worst case (insertion), n being a handful.
    pub(super) fn keep_max(&mut self, piece: u32, bytes: u64) {
        debug_assert!(bytes > 0, "a partial piece keeps some bytes");
        match self.position(piece) {
            Ok(i) => self.entries[i].1 = self.entries[i].1.max(bytes),
            Err(i) => self.entries.insert(i, (piece, bytes)),
        }
    }

    /// Forgets `piece` (it was completed). O(n).
    #[inline]
    pub(super) fn remove(&mut self, piece: u32) {
        if self.entries.is_empty() {
            return;
        }
        if let Ok(i) = self.position(piece) {
            self.entries.remove(i);
        }
    }

    /// The interrupted pieces, in piece order.
    pub(super) fn pieces(&self) -> impl Iterator<Item = u32> + '_ {
        self.entries.iter().map(|&(p, _)| p)
    }

    /// `(piece, bytes)` in piece order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (u32, u64)> + '_ {
        self.entries.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_larger_count_in_piece_order() {
        let mut p = Partials::default();
        assert_eq!(p.get(3), 0);
        p.keep_max(7, 100);
        p.keep_max(3, 50);
        p.keep_max(7, 40);
        p.keep_max(5, 10);
        assert_eq!(p.get(7), 100);
        assert_eq!(p.get(3), 50);
        assert_eq!(p.pieces().collect::<Vec<_>>(), [3, 5, 7]);
        p.remove(5);
        p.remove(9);
        assert_eq!(p.iter().collect::<Vec<_>>(), [(3, 50), (7, 100)]);
        assert_eq!(p.get(5), 0);
    }
}
