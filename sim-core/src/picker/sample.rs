//! Reproducible uniform choices among eligible candidates.
//!
//! Invariant: every helper returns each eligible candidate (of minimum key, for
//! [`MinReservoir`]) with equal probability, and draws only from the rng it is given, so a pick
//! is a pure function of the peer state and the rng state.

use crate::rng::SimRng;
use rand::RngExt;

/// Random probes tried before falling back to a counting pass.
const PROBES: u32 = 4;
/// Ranges shorter than this are counted directly: probing saves nothing there.
const PROBE_MIN_LEN: usize = 8;

/// A uniformly random `i` in `0..len` with `eligible(i)`, or `None` if there is none.
///
/// Scheme (equivalent to reservoir sampling, cheaper when many candidates are eligible):
/// first up to [`PROBES`] rejection probes, each a uniform index kept if eligible, so a hit is
/// uniform among the eligible; if all miss, one pass counts the eligible, one draw chooses the
/// `r`-th and a second pass (stopping early) finds it. Both branches are uniform, so their
/// mixture is. Cost: O(1) when a constant share is eligible, else ≤ 2 × `len` checks and at
/// most `PROBES + 1` draws.
#[inline]
pub(super) fn uniform_index(
    len: usize,
    rng: &mut SimRng,
    mut eligible: impl FnMut(usize) -> bool,
) -> Option<usize> {
    if len == 0 {
        return None;
    }
    if len >= PROBE_MIN_LEN {
        for _ in 0..PROBES {
            // u32 draws: the stream of numbers must not depend on the platform's usize.
            let i = rng.random_range(0..len as u32) as usize;
            if eligible(i) {
                return Some(i);
            }
        }
    }
    let n = (0..len).filter(|&i| eligible(i)).count();
    if n == 0 {
        return None;
    }
    let r = rng.random_range(0..n as u32) as usize;
    (0..len).filter(|&i| eligible(i)).nth(r)
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
    fn uniform_index_is_uniform_over_eligible_and_none_when_empty() {
        let mut rng = stream(7, Stream::Picker);
        assert_eq!(uniform_index(20, &mut rng, |_| false), None);
        assert_eq!(uniform_index(0, &mut rng, |_| true), None);
        // Sparse (fallback path) and dense (probe path) eligibility.
        for modulus in [7, 2] {
            let mut hits = [0u32; 40];
            for _ in 0..8000 {
                let i = uniform_index(40, &mut rng, |i| i % modulus == 0).expect("eligible exist");
                hits[i] += 1;
            }
            let k = 40usize.div_ceil(modulus);
            for (i, &h) in hits.iter().enumerate() {
                if i % modulus == 0 {
                    let share = h as f64 / 8000.0;
                    assert!(
                        (share - 1.0 / k as f64).abs() < 0.3 / k as f64,
                        "{i}: {share}"
                    );
                } else {
                    assert_eq!(h, 0, "ineligible {i} chosen");
                }
            }
        }
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
