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
        if tail != 0 {
            if let Some(last) = s.words.last_mut() {
                *last = (1u64 << tail) - 1;
            }
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

    /// Adds `piece`; returns whether it was absent.
    #[inline]
    pub fn insert(&mut self, piece: u32) -> bool {
        debug_assert!(piece < self.len, "piece {piece} out of range {}", self.len);
        let w = &mut self.words[(piece / 64) as usize];
        let bit = 1u64 << (piece % 64);
        let was_absent = *w & bit == 0;
        *w |= bit;
        self.count += was_absent as u32;
        was_absent
    }

    /// Removes `piece`; returns whether it was present.
    #[inline]
    pub fn remove(&mut self, piece: u32) -> bool {
        let w = &mut self.words[(piece / 64) as usize];
        let bit = 1u64 << (piece % 64);
        let was_present = *w & bit != 0;
        *w &= !bit;
        self.count -= was_present as u32;
        was_present
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
    }
}
