//! Reproducible uniform choices among eligible candidates.
//!
//! Invariant: [`MinReservoir`] returns each candidate of minimum key with equal probability and
//! draws only from the rng it is given, so a pick is a pure function of the peer state and the
//! rng state; [`nth_set_bit`] turns a uniform rank into a uniform piece.

use crate::rng::SimRng;
use rand::RngExt;

/// Position of the `k`-th (from 0, lowest first) set bit of `word`. O(k). Precondition:
/// `k < word.count_ones()`.
#[inline]
pub(super) fn nth_set_bit(mut word: u64, k: u32) -> u32 {
    debug_assert!(k < word.count_ones(), "bit rank {k} of {word:#x}");
    for _ in 0..k {
        word &= word - 1;
    }
    word.trailing_zeros()
}

/// Streaming choice of an item of minimum key, uniform among ties (reservoir sampling of size
/// one over the current minimum). Cost per offer: one comparison, plus one draw on a tie.
#[derive(Clone, Copy, Debug)]
pub(super) struct MinReservoir {
    key: u32,
    item: u32,
    ties: u32,
}

impl MinReservoir {
    pub(super) fn new() -> Self {
        MinReservoir {
            key: u32::MAX,
            item: u32::MAX,
            ties: 0,
        }
    }

    /// Considers `item` with `key`; a later equal key replaces the kept item with probability
    /// 1/ties, which leaves every tied item kept with probability 1/ties at the end.
    #[inline]
    pub(super) fn offer(&mut self, key: u32, item: u32, rng: &mut SimRng) {
        if key < self.key || self.ties == 0 {
            *self = MinReservoir { key, item, ties: 1 };
        } else if key == self.key {
            self.ties += 1;
            if rng.random_range(0..self.ties) == 0 {
                self.item = item;
            }
        }
    }

    /// The kept item, if anything was offered.
    pub(super) fn get(self) -> Option<u32> {
        (self.ties > 0).then_some(self.item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Stream, stream};

    #[test]
    fn nth_set_bit_counts_from_the_lowest() {
        let w = 0b1011_0100u64 | 1 << 63;
        let got: Vec<u32> = (0..w.count_ones()).map(|k| nth_set_bit(w, k)).collect();
        assert_eq!(got, vec![2, 4, 5, 7, 63]);
        assert_eq!(nth_set_bit(u64::MAX, 40), 40);
    }

    #[test]
    fn min_reservoir_keeps_a_uniform_minimum() {
        let mut rng = stream(8, Stream::Picker);
        let keys = [3, 1, 2, 1, 1, 5];
        let mut hits = [0u32; 6];
        for _ in 0..6000 {
            let mut r = MinReservoir::new();
            for (i, &k) in keys.iter().enumerate() {
                r.offer(k, i as u32, &mut rng);
            }
            hits[r.get().expect("offered") as usize] += 1;
        }
        assert_eq!(hits[0] + hits[2] + hits[5], 0);
        for i in [1, 3, 4] {
            assert!((1700..2300).contains(&hits[i]), "{hits:?}");
        }
        assert_eq!(MinReservoir::new().get(), None);
    }
}
