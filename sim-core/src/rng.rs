//! Named random streams derived from the run seed.
//!
//! Invariant: the run seed is the only entropy. Each purpose (arrivals, picker, choker, …) has
//! its own stream, so adding draws to one purpose never shifts the numbers another sees. The
//! algorithm is pinned (ChaCha8) so outputs do not change with the `rand` version.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The generator every model uses.
pub type SimRng = ChaCha8Rng;

/// Every purpose that draws random numbers. The discriminant is part of the stream's seed:
/// never renumber an existing variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stream {
    /// Arrival times of every torrent's arrival process.
    Arrivals = 1,
    /// Bandwidth class, client participation and other per-host draws at creation.
    Population = 2,
    /// Seeding times, abort times and other departure draws.
    Departures = 3,
    /// Tracker replies (which members a peer learns about).
    Tracker = 4,
    /// Piece picking tie-breaks.
    Picker = 5,
    /// Choking: optimistic unchoke picks and ranking tie-breaks.
    Choker = 6,
    /// Which existing host takes an arrival in a multi-torrent population.
    HostReuse = 7,
    /// Token economy draws per host (participation, strategy, endowment, reserve), one
    /// substream per host id so that economic parameters never shift another host's draws.
    Economy = 8,
    /// Token economy draws per peer (value of time), one substream per peer id.
    EconomyPeers = 9,
    /// Auction tie-breaks.
    Auction = 10,
    /// Agents' own draws, one substream per agent id.
    Agents = 11,
    /// Which user an arrival is (finite user populations).
    Users = 12,
    /// The world's draws at admission and routing (come-backs after bans, fake listings).
    World = 13,
    /// Warm starts: the classes of their hosts and the pieces their leechers hold.
    WarmStart = 14,
}

/// The index `u` (uniform in [0, 1)) falls on when `shares` (summing to 1) are laid end to
/// end; the last index absorbs rounding. Used for bandwidth classes and strategies.
pub fn pick_by_share(u: f64, shares: impl ExactSizeIterator<Item = f64>) -> usize {
    let last = shares.len().saturating_sub(1);
    let mut acc = 0.0;
    for (i, share) in shares.enumerate() {
        acc += share;
        if u < acc {
            return i;
        }
    }
    last
}

/// SplitMix64 finaliser: a bijective mix of 64 bits, used to spread seeds.
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The stream for `purpose` of the run with `seed`. Cost: one ChaCha8 key setup.
pub fn stream(seed: u64, purpose: Stream) -> SimRng {
    substream(seed, purpose as u64, 0)
}

/// A stream keyed by `(seed, purpose, index)`, e.g. one per torrent's arrival process.
pub fn substream(seed: u64, purpose: u64, index: u64) -> SimRng {
    let mut key = [0u8; 32];
    let words = [
        mix64(seed),
        mix64(seed ^ mix64(purpose)),
        mix64(purpose.wrapping_mul(0x1000_0000_01B3) ^ mix64(index)),
        mix64(index ^ 0x5EED_5EED_5EED_5EED ^ seed.rotate_left(17)),
    ];
    for (chunk, w) in key.chunks_exact_mut(8).zip(words) {
        chunk.copy_from_slice(&w.to_le_bytes());
    }
    SimRng::from_seed(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn pick_by_share_lays_shares_end_to_end() {
        let shares = [0.2, 0.5, 0.3];
        assert_eq!(pick_by_share(0.0, shares.into_iter()), 0);
        assert_eq!(pick_by_share(0.2, shares.into_iter()), 1);
        assert_eq!(pick_by_share(0.69, shares.into_iter()), 1);
        assert_eq!(pick_by_share(0.7, shares.into_iter()), 2);
        // Rounding: shares summing to slightly under 1 still cover [0, 1).
        assert_eq!(pick_by_share(0.999_999, [0.5, 0.499_999].into_iter()), 1);
    }

    #[test]
    fn same_seed_and_stream_repeat() {
        let mut a = stream(42, Stream::Picker);
        let mut b = stream(42, Stream::Picker);
        for _ in 0..16 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
    }

    #[test]
    fn streams_and_seeds_differ() {
        let first = |mut r: SimRng| r.next_u64();
        assert_ne!(
            first(stream(42, Stream::Picker)),
            first(stream(42, Stream::Choker))
        );
        assert_ne!(
            first(stream(42, Stream::Picker)),
            first(stream(43, Stream::Picker))
        );
        assert_ne!(first(substream(1, 1, 0)), first(substream(1, 1, 1)));
    }

    #[test]
    fn pinned_algorithm_gives_known_first_word() {
        // If this changes, every golden output changes: the RNG is part of the format.
        let mut r = stream(1, Stream::Arrivals);
        let w = r.next_u64();
        let mut again = stream(1, Stream::Arrivals);
        assert_eq!(w, again.next_u64());
        assert_eq!(mix64(0), 0xE220_A839_7B1D_CDAF);
    }
}
