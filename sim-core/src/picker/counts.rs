//! Neighbour counts per piece plus a lower bound per 64-piece block, for rarest-first picks.
//!
//! Invariant: `count[p]` is the number of connected neighbours holding `p` (for every piece,
//! held ones included; the padding past the last piece stays 0), and `block_min[b]` is <= the
//! count of every piece we lack in block `b` (pieces `64 b .. 64 b + 64`, one bitfield word).
//! A bound that is too low only costs a scan; increments and acquisitions never invalidate
//! it, so a HAVE is one store.
//!
//! Memory: 2 bytes per piece plus 4 per 64 pieces (≈ 2 KB at 1,000 pieces), small enough that
//! the counts of 10,000 peers stay in the last-level cache, unlike a bucketed order array.

use super::sample::nth_set_bit;
use crate::pieceset::PieceSet;
use crate::rng::SimRng;
use rand::RngExt;

/// Pieces per block: one bitfield word.
const BLOCK: usize = 64;

/// Availability counts are one byte: 10,000 peers × 1,000 pieces then take 10 MB, which stays
/// in the last-level cache (the HAVE broadcast is a scattered store into this array).
/// `max_connections` is validated to be at most `COUNT_LIMIT`, so a count never saturates.
pub type Count = u8;

/// A count this high is a bug: neighbours are bounded by the connection limit (validated).
pub const COUNT_LIMIT: Count = Count::MAX - 1;

/// Neighbour counts of every piece and a per-block lower bound over the missing pieces.
#[derive(Clone, Debug)]
pub(super) struct Counts {
    /// Padded with zeros to whole blocks (the padding is never eligible nor counted).
    count: Vec<Count>,
    /// Number of pieces (the unpadded length of `count`).
    num_pieces: u32,
    /// Lower bound on `count` over the missing pieces of each block (`Count::MAX`: none left).
    block_min: Vec<Count>,
    /// Scratch of [`Self::rarest`] for torrents of more than `STACK_BLOCKS` blocks (smaller
    /// ones use the stack, which stays in the L1 cache where a per-peer buffer would not).
    big_scratch: Option<Box<Scratch>>,
}

/// Blocks whose scratch fits on the stack: 4,096 pieces (1,088 bytes).
const STACK_BLOCKS: usize = 64;

/// Torrents of up to 1,024 pieces use a smaller stack scratch (272 bytes to initialise per
/// pick instead of 1,088).
const SMALL_STACK_BLOCKS: usize = 16;

/// Per-block scratch of [`Counts::rarest`].
#[derive(Clone, Debug, Default)]
struct Scratch {
    /// The minimum over each block's eligible pieces (`Count::MAX` for blocks skipped or
    /// without eligible pieces).
    best: Vec<Count>,
    /// The eligible pieces of each block at the minimum count.
    ties: Vec<u64>,
    /// The eligible set, one word per block.
    eligible: Vec<u64>,
}

/// `NOT_LANES[b]` has byte `l` all ones if bit `l` of `b` is clear, else 0: spreads 8 bits
/// of an eligibility word over 8 count lanes, so that masking out ineligible lanes is a plain
/// OR (to `Count::MAX`). 2 KB, shared and cache-resident.
static NOT_LANES: [u64; 256] = not_lanes();

const fn not_lanes() -> [u64; 256] {
    let mut t = [0u64; 256];
    let mut b = 0;
    while b < 256 {
        let mut l = 0;
        while l < 8 {
            if (b >> l) & 1 == 0 {
                t[b] |= 0xff << (8 * l);
            }
            l += 1;
        }
        b += 1;
    }
    t
}

/// The minimum of `block[i]` over the set bits `i` of `bits` and the set bits at that
/// minimum: `(Count::MAX, 0)` if `bits` is empty. O(64), branch-free, about 130
/// instructions: the compiler vectorises the loops 16 lanes at a time (SSE2 `pminub` and
/// `pcmpeqb`). Kept out of line so that the loops compile the same wherever it is called
/// (inlined, the minimum was scalarised); check with `objdump` that `pminub` survives a
/// change.
#[inline(never)]
fn min_and_ties(block: &[Count; BLOCK], bits: u64) -> (Count, u64) {
    let mut mask = [0 as Count; BLOCK];
    for j in 0..BLOCK / 8 {
        let spread = NOT_LANES[(bits >> (8 * j)) as usize & 0xff];
        mask[8 * j..8 * j + 8].copy_from_slice(&spread.to_le_bytes());
    }
    let mut min = Count::MAX;
    for i in 0..BLOCK {
        min = min.min(block[i] | mask[i]);
    }
    if min == Count::MAX {
        // Counts never reach `Count::MAX` (they stop at `COUNT_LIMIT`): no eligible lane.
        return (min, 0);
    }
    // Lanes at the minimum as 0/1 bytes (vectorised), then eight at a time into bits: the
    // multiply moves bit 0 of byte `l` to bit `56 + l` without carries.
    let mut at_min = [0u8; BLOCK];
    for i in 0..BLOCK {
        at_min[i] = u8::from(block[i] | mask[i] == min);
    }
    let mut ties = 0u64;
    for j in 0..BLOCK / 8 {
        let bytes: [u8; 8] = at_min[8 * j..8 * j + 8].try_into().expect("8 lanes");
        let gathered = u64::from_le_bytes(bytes).wrapping_mul(0x0102_0408_1020_4080) >> 56;
        ties |= gathered << (8 * j);
    }
    (min, ties)
}

impl Counts {
    /// Counts of a peer lacking all `num_pieces` pieces with no neighbours. Cost O(pieces).
    pub(super) fn new(num_pieces: u32) -> Self {
        let blocks = (num_pieces as usize).div_ceil(BLOCK);
        Counts {
            count: vec![0; blocks * BLOCK],
            num_pieces,
            block_min: vec![0; blocks],
            big_scratch: None,
        }
    }

    /// Neighbours holding `piece`. O(1).
    #[inline]
    pub(super) fn count(&self, piece: u32) -> u32 {
        u32::from(self.count[piece as usize])
    }

    /// Prefetches every count (a hint).
    #[inline]
    pub(super) fn warm_all(&self) {
        for line in self.count.chunks(64) {
            crate::prefetch::prefetch(&line[0]);
        }
    }

    /// Prefetches the count of `piece` (a hint).
    #[inline]
    pub(super) fn warm(&self, piece: u32) {
        if let Some(c) = self.count.get(piece as usize) {
            crate::prefetch::prefetch_write(c);
        }
    }

    /// One more neighbour holds `piece`. O(1): one load and one store; the bound stays valid.
    #[inline]
    pub(super) fn inc(&mut self, piece: u32) {
        debug_assert!(piece < self.num_pieces, "piece {piece} out of range");
        let c = &mut self.count[piece as usize];
        assert!(*c < COUNT_LIMIT, "availability of piece {piece} overflows");
        *c += 1;
    }

    /// One fewer neighbour holds `piece`; lowers its block's bound. O(1). Panics if no
    /// neighbour was counted for it.
    #[inline]
    pub(super) fn dec(&mut self, piece: u32) {
        debug_assert!(piece < self.num_pieces, "piece {piece} out of range");
        let c = &mut self.count[piece as usize];
        assert!(
            *c > 0,
            "availability of piece {piece} would go negative: a neighbour was removed or \
             updated that was never counted"
        );
        *c -= 1;
        let c = *c;
        let b = &mut self.block_min[piece as usize / BLOCK];
        if c < *b {
            *b = c;
        }
    }

    /// Every piece gains one holder (a full neighbour connected). O(pieces), one linear pass.
    pub(super) fn inc_all(&mut self) {
        let n = self.num_pieces as usize;
        if let Some(p) = self.count[..n].iter().position(|&c| c >= COUNT_LIMIT) {
            panic!("availability of piece {p} overflows");
        }
        for c in &mut self.count[..n] {
            *c += 1;
        }
    }

    /// Every piece loses one holder (a full neighbour disconnected). O(pieces). Panics if a
    /// piece had no holder counted.
    pub(super) fn dec_all(&mut self) {
        let n = self.num_pieces as usize;
        if let Some(p) = self.count[..n].iter().position(|&c| c == 0) {
            panic!("full neighbour removed but piece {p} had no holder counted");
        }
        for c in &mut self.count[..n] {
            *c -= 1;
        }
        for b in &mut self.block_min {
            *b = b.saturating_sub(1);
        }
    }

    /// The counts of block `w`, pieces `64 w .. 64 w + 64` (the tail block is padded).
    #[inline]
    fn block(&self, w: usize) -> &[Count; BLOCK] {
        let s = &self.count[w * BLOCK..(w + 1) * BLOCK];
        s.try_into().expect("counts are padded to whole blocks")
    }

    /// The bits of block `w` that name pieces (all but the padding).
    #[inline]
    fn block_mask(&self, w: usize) -> u64 {
        let left = self.num_pieces as usize - w * BLOCK;
        if left >= BLOCK {
            u64::MAX
        } else {
            (1u64 << left) - 1
        }
    }

    /// A uniformly random piece of minimum count among the eligible ones, `eligible(w)` being
    /// word `w` of the eligible set (a subset of the pieces we lack; `have`: our bitfield's
    /// words). Pass 1 finds, in each block, the minimum over its eligible pieces and the
    /// eligible pieces at that minimum, starting with the block of lowest bound and skipping
    /// every block whose bound exceeds the best count so far; a scanned block whose missing
    /// pieces are all eligible gets its exact bound for free, and the ties at the running
    /// minimum are counted on the way. Pass 2 finds the `k`-th tie among the blocks at the
    /// minimum, `k` drawn once (no draw for a single tie), so ties are exactly uniform. Cost
    /// O(words + 64 × blocks scanned), a scanned block costing about 130 vectorised
    /// instructions; no allocation after the first call (torrents of up to 4,096 pieces
    /// never allocate).
    pub(super) fn rarest(
        &mut self,
        have: &[u64],
        eligible: impl Fn(usize) -> u64,
        rng: &mut SimRng,
    ) -> Option<u32> {
        let words = self.block_min.len();
        if words <= SMALL_STACK_BLOCKS {
            self.rarest_on_stack::<SMALL_STACK_BLOCKS>(have, eligible, rng)
        } else if words <= STACK_BLOCKS {
            self.rarest_on_stack::<STACK_BLOCKS>(have, eligible, rng)
        } else {
            let mut s = self.big_scratch.take().unwrap_or_default();
            s.eligible.clear();
            s.eligible.extend((0..words).map(eligible));
            s.best.clear();
            s.best.resize(words, Count::MAX);
            s.ties.resize(words, 0);
            let pick = self.rarest_with(have, &s.eligible, rng, &mut s.best, &mut s.ties);
            self.big_scratch = Some(s);
            pick
        }
    }

    /// [`Self::rarest`] with its scratch in stack arrays of `N >= words` blocks (sized to the
    /// torrent, so that initialising them is not a cost of its own).
    fn rarest_on_stack<const N: usize>(
        &mut self,
        have: &[u64],
        eligible: impl Fn(usize) -> u64,
        rng: &mut SimRng,
    ) -> Option<u32> {
        let words = self.block_min.len();
        let mut elig = [0u64; N];
        let mut best = [Count::MAX; N];
        let mut ties = [0u64; N];
        let elig = &mut elig[..words];
        for (w, e) in elig.iter_mut().enumerate() {
            *e = eligible(w);
        }
        self.rarest_with(have, elig, rng, &mut best[..words], &mut ties[..words])
    }

    /// [`Self::rarest`] over the eligible words `elig`, with its scratch: `block_best` all
    /// `Count::MAX` and `block_ties` (any content), one entry per block.
    fn rarest_with(
        &mut self,
        have: &[u64],
        elig: &[u64],
        rng: &mut SimRng,
        block_best: &mut [Count],
        block_ties: &mut [u64],
    ) -> Option<u32> {
        let words = self.block_min.len();
        // Start with the eligible block of lowest bound: it likely holds the minimum, so the
        // first `best` prunes well.
        // (Keys above every bound mark blocks without eligible pieces; the first block of the
        // lowest key wins, compiled to conditional moves.)
        const NONE: u16 = Count::MAX as u16 + 1;
        let (mut start, mut start_key) = (0, NONE);
        for (w, (&bound, &e)) in self.block_min.iter().zip(elig).enumerate() {
            let key = if e != 0 { u16::from(bound) } else { NONE };
            if key < start_key {
                (start, start_key) = (w, key);
            }
        }
        if start_key == NONE {
            return None;
        }
        let mut best = Count::MAX;
        // Ties at the running minimum, counted as blocks are scanned (a popcount per scanned
        // block, none per skipped one).
        let mut ties = 0u32;
        for w in std::iter::once(start).chain((0..start).chain(start + 1..words)) {
            let e = elig[w];
            if e == 0 || self.block_min[w] > best {
                continue;
            }
            let (m, t) = min_and_ties(self.block(w), e);
            block_best[w] = m;
            block_ties[w] = t;
            if m < best {
                best = m;
                ties = t.count_ones();
            } else if m == best {
                ties += t.count_ones();
            }
            if e == !have[w] & self.block_mask(w) {
                // Every missing piece of the block is eligible: `m` is the exact bound, free.
                // (Rescanning other blocks' missing pieces to tighten them costs more than
                // the pruning saves when rarest first has equalised the counts.)
                self.block_min[w] = m;
            }
        }
        // Pass 2: the `k`-th tie in piece order, among the blocks at the minimum.
        let mut k = if ties > 1 {
            rng.random_range(0..ties)
        } else {
            0
        };
        for w in 0..words {
            if block_best[w] != best {
                continue;
            }
            let t = block_ties[w];
            let n = t.count_ones();
            if k < n {
                return Some((w * BLOCK) as u32 + nth_set_bit(t, k));
            }
            k -= n;
        }
        unreachable!("rarest: tie {k} of {ties} at count {best} not found")
    }

    /// Checks the invariant against `have` and the recounted `expected` counts. O(pieces).
    pub(super) fn check(&self, have: &PieceSet, expected: &[u32]) -> Result<(), String> {
        let n = self.num_pieces as usize;
        if n != expected.len() || self.count.len() != n.div_ceil(BLOCK) * BLOCK {
            return Err(format!(
                "counts over {n} pieces ({} slots), not {}",
                self.count.len(),
                expected.len()
            ));
        }
        if let Some(p) = (0..n).find(|&p| u32::from(self.count[p]) != expected[p]) {
            return Err(format!(
                "availability differs from the neighbours' bitfields at piece {p}: \
                 counted {}, recount {}",
                self.count[p], expected[p]
            ));
        }
        if self.count[n..].iter().any(|&c| c != 0) {
            return Err("padding past the last piece was counted".into());
        }
        if self.block_min.len() != n.div_ceil(BLOCK) {
            return Err(format!(
                "{} block bounds for {n} pieces",
                self.block_min.len()
            ));
        }
        for (p, &c) in self.count[..n].iter().enumerate() {
            let bound = self.block_min[p / BLOCK];
            if !have.contains(p as u32) && c < bound {
                return Err(format!(
                    "missing piece {p} has count {c} below its block bound {bound}"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Stream, stream};

    /// The block kernel against a lane-by-lane reference, over random masks (sparse, dense,
    /// empty) and counts (few distinct values, so ties are common, up to `COUNT_LIMIT`).
    #[test]
    fn min_and_ties_matches_a_lane_by_lane_reference() {
        let mut rng = stream(7, Stream::Picker);
        for case in 0..20_000 {
            let bits: u64 = match case % 4 {
                0 => rng.random::<u64>() & rng.random::<u64>() & rng.random::<u64>(),
                1 => rng.random(),
                2 => !(rng.random::<u64>() & rng.random::<u64>()),
                _ => 0,
            };
            let top = [2, 9, u32::from(COUNT_LIMIT) + 1][case % 3];
            let mut block = [0 as Count; BLOCK];
            for c in &mut block {
                *c = rng.random_range(0..top) as Count;
            }
            let min = (0..BLOCK)
                .filter(|&i| bits >> i & 1 == 1)
                .map(|i| block[i])
                .min()
                .unwrap_or(Count::MAX);
            let ties = (0..BLOCK)
                .filter(|&i| bits >> i & 1 == 1 && block[i] == min)
                .fold(0u64, |t, i| t | 1 << i);
            assert_eq!(
                min_and_ties(&block, bits),
                (min, ties),
                "case {case}: bits {bits:#x}"
            );
        }
    }
}
