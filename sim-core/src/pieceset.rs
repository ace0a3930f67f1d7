//! A fixed-size set of piece indices (a BitTorrent bitfield).
//!
//! Invariant: `count` always equals the number of set bits, and bits past `len` stay clear.

/// Bitfield over `len` pieces. Membership is O(1); iteration is O(len/64 + set bits).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PieceSet {
    words: Vec<u64>,
    len: u32,
    count: u32,
}

impl PieceSet {
    /// An empty set over `len` pieces.
    pub fn empty(len: u32) -> Self {
        PieceSet {
            words: vec![0; (len as usize).div_ceil(64)],
            len,
            count: 0,
        }
    }

    /// The full set (a seed's bitfield).
    pub fn full(len: u32) -> Self {
        let mut s = Self::empty(len);
        for w in s.words.iter_mut() {
            *w = u64::MAX;
        }
        let tail = len % 64;
        if tail != 0
            && let Some(last) = s.words.last_mut()
        {
            *last = (1u64 << tail) - 1;
        }
        s.count = len;
        s
    }

    /// Number of pieces the set ranges over.
    #[inline]
    pub fn len(&self) -> u32 {
        self.len
    }

    /// Number of pieces in the set.
    #[inline]
    pub fn count(&self) -> u32 {
        self.count
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    #[inline]
    pub fn is_full(&self) -> bool {
        self.count == self.len
    }

    #[inline]
    pub fn contains(&self, piece: u32) -> bool {
        debug_assert!(piece < self.len, "piece {piece} out of range {}", self.len);
        self.words[(piece / 64) as usize] >> (piece % 64) & 1 == 1
    }

    /// Prefetches every word (a hint).
    #[inline]
    pub fn warm_all(&self) {
        for line in self.words.chunks(8) {
            crate::prefetch::prefetch(&line[0]);
        }
    }

    /// The bits, 64 pieces per word (piece `p` is bit `p % 64` of word `p / 64`); bits past
    /// `len` are clear. Lets callers combine sets word by word. O(1).
    #[inline]
    pub fn words(&self) -> &[u64] {
        &self.words
    }

    /// Adds `piece`; returns whether it was absent.
    ///
    /// Written with an early return on purpose: the branch-free form
    /// `count += was_absent as u32` is miscompiled by rustc 1.95 at opt-level >= 2 when the
    /// caller branches on the result (the count update is lost). The release-mode test in
    /// `.ci/run` guards this.
    #[inline]
    pub fn insert(&mut self, piece: u32) -> bool {
        debug_assert!(piece < self.len, "piece {piece} out of range {}", self.len);
        let w = &mut self.words[(piece / 64) as usize];
        let bit = 1u64 << (piece % 64);
        if *w & bit != 0 {
            return false;
        }
        *w |= bit;
        self.count += 1;
        true
    }

    /// Removes `piece`; returns whether it was present. (Early return: see [`Self::insert`].)
    #[inline]
    pub fn remove(&mut self, piece: u32) -> bool {
        let w = &mut self.words[(piece / 64) as usize];
        let bit = 1u64 << (piece % 64);
        if *w & bit == 0 {
            return false;
        }
        *w &= !bit;
        self.count -= 1;
        true
    }

    /// Pieces in the set, in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.words.iter().enumerate().flat_map(|(wi, &word)| {
            let mut w = word;
            std::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let bit = w.trailing_zeros();
                w &= w - 1;
                Some(wi as u32 * 64 + bit)
            })
        })
    }

    /// Whether `self` holds some piece `other` lacks (BitTorrent interest of `other` in us).
    /// Stops at the first such word: O(1) typically, O(len/64) at worst.
    #[inline]
    pub fn has_any_missing_from(&self, other: &PieceSet) -> bool {
        debug_assert_eq!(self.len, other.len);
        if self.count == 0 || other.count == self.len {
            return false;
        }
        self.words
            .iter()
            .zip(&other.words)
            .any(|(a, b)| a & !b != 0)
    }

    /// Number of pieces in `self` that are not in `other`. Cost O(len/64).
    pub fn count_missing_from(&self, other: &PieceSet) -> u32 {
        debug_assert_eq!(self.len, other.len);
        self.words
            .iter()
            .zip(&other.words)
            .map(|(a, b)| (a & !b).count_ones())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_remove_count_and_iterate() {
        let mut s = PieceSet::empty(130);
        assert!(s.insert(0));
        assert!(s.insert(64));
        assert!(s.insert(129));
        assert!(!s.insert(64));
        assert_eq!(s.count(), 3);
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![0, 64, 129]);
        assert!(s.remove(64));
        assert!(!s.remove(64));
        assert_eq!(s.count(), 2);
        assert!(!s.contains(64) && s.contains(129));
    }

    /// The pattern rustc 1.95 miscompiled: branching on the result of insert/remove.
    #[test]
    fn count_survives_callers_that_branch_on_the_result() {
        #[inline(never)]
        fn remove_or_bail(s: &mut PieceSet, p: u32) -> bool {
            if !s.remove(std::hint::black_box(p)) {
                return false;
            }
            true
        }
        #[inline(never)]
        fn insert_or_bail(s: &mut PieceSet, p: u32) -> bool {
            if !s.insert(std::hint::black_box(p)) {
                return false;
            }
            true
        }
        let mut s = PieceSet::empty(100);
        assert!(insert_or_bail(&mut s, 34));
        assert_eq!(s.count(), 1);
        assert!(!insert_or_bail(&mut s, 34));
        assert_eq!(s.count(), 1);
        assert!(remove_or_bail(&mut s, 34));
        assert_eq!(s.count(), 0);
        assert!(!remove_or_bail(&mut s, 34));
        assert_eq!(s.count(), 0);
    }

    #[test]
    fn full_set_has_exactly_len_bits() {
        for len in [1, 63, 64, 65, 1000] {
            let s = PieceSet::full(len);
            assert_eq!(s.count(), len);
            assert_eq!(s.iter().count() as u32, len);
            assert!(s.is_full());
        }
    }

    #[test]
    fn count_missing_from_counts_difference() {
        let mut a = PieceSet::empty(100);
        let mut b = PieceSet::empty(100);
        for p in [1, 2, 3, 70] {
            a.insert(p);
        }
        b.insert(2);
        b.insert(99);
        assert_eq!(a.count_missing_from(&b), 3);
        assert_eq!(b.count_missing_from(&a), 1);
        assert!(a.has_any_missing_from(&b) && b.has_any_missing_from(&a));
        b.insert(1);
        b.insert(3);
        b.insert(70);
        assert!(!a.has_any_missing_from(&b));
        assert!(!PieceSet::empty(100).has_any_missing_from(&a));
    }
}
