//! Choosing the next piece to download from one neighbour (BEP 3 and libtorrent's rules).
//!
//! Invariant: a normal pick is a piece the remote holds, we lack and no connection of ours is
//! downloading; an endgame pick is a piece the remote holds and we lack with
//! `1 <= downloaders < endgame_max_downloaders`, offered only when every missing piece is in
//! flight. Ties are broken uniformly from the given rng, so a pick is reproducible.
//!
//! The eligible set is computed word by word (`remote & !have & !busy`, 64 pieces a word), so
//! random and sequential picks cost O(pieces / 64) and rarest first adds the eligible pieces of
//! the blocks its bounds cannot rule out (see `counts.rs`).

use super::PeerPieces;
use super::counts::Counts;
use super::sample::{MinReservoir, nth_set_bit};
use crate::config::{PickerConfig, PickerKind};
use crate::pieceset::PieceSet;
use crate::rng::SimRng;
use rand::RngExt;

/// The piece to request next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pick {
    pub piece: u32,
    /// A duplicate request of a piece already in flight (endgame mode).
    pub endgame: bool,
}

/// The pieces a normal pick may choose, one bitfield word at a time.
#[derive(Clone, Copy)]
struct Eligible<'a> {
    remote: &'a [u64],
    have: &'a [u64],
    busy: &'a [u64],
}

impl Eligible<'_> {
    /// Word `w` of `remote & !have & !busy`. O(1).
    #[inline]
    fn word(&self, w: usize) -> u64 {
        self.remote[w] & !self.have[w] & !self.busy[w]
    }

    #[inline]
    fn words(&self) -> usize {
        self.remote.len()
    }
}

impl PeerPieces {
    /// The piece to download next from a neighbour holding `remote` (`remote_short_list`: the
    /// same pieces as a list, e.g. its acquisition order, when the remote holds fewer pieces
    /// than the bitfield has words; see [`PeerPieces::short_have_list`]), or `None` if nothing
    /// qualifies.
    ///
    /// Rules, in order: (1) finish an interrupted piece, rarest first; (2) by `cfg.kind`:
    /// rarest first (uniform among the rarest; uniform overall until `cfg.initial_random`
    /// pieces are held), uniform, or lowest index; (3) endgame when enabled and every missing
    /// piece is in flight: fewest downloaders first.
    ///
    /// Cost: O(pieces / 64) word operations, plus for rarest first the eligible pieces of the
    /// blocks whose lower bound does not exceed the best count found (few once the bounds are
    /// tight); a remote holding fewer pieces than there are words is scanned through its list
    /// instead. At most one rng draw for rules (1)-(2) apart from ties among partials. Endgame
    /// picks scan the pieces in flight (one per connection). `&mut self` only to tighten
    /// block bounds. No allocation.
    ///
    /// Precondition: the remote is a connected neighbour already counted here
    /// (`add_neighbour`, then `neighbour_has` for each of its HAVEs), and `remote_short_list`
    /// names exactly the pieces of `remote` when it is given.
    pub fn pick(
        &mut self,
        cfg: &PickerConfig,
        remote: &PieceSet,
        remote_short_list: Option<&[u32]>,
        rng: &mut SimRng,
    ) -> Option<Pick> {
        debug_assert_eq!(
            remote.len(),
            self.num_pieces(),
            "bitfield of another torrent"
        );
        debug_assert!(
            remote_short_list.is_none_or(|l| l.len() as u32 == remote.count()),
            "remote_short_list out of sync with the remote bitfield"
        );
        let counts = self.counts.as_ref()?;
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
        let piece = match self.pick_started(counts, remote, rng) {
            Some(p) => Some(p),
            None => {
                let list = remote_short_list.unwrap_or_default();
                let elig = Eligible {
                    remote: remote.words(),
                    have: self.have.words(),
                    busy: self.in_flight.busy().words(),
                };
                // A remote holding fewer pieces than there are words: walk its list.
                let short = remote_short_list.is_some();
                debug_assert!(!short || list.len() < elig.words(), "a short list is short");
                match cfg.kind {
                    PickerKind::RarestFirst if self.have.count() >= cfg.initial_random => {
                        if short {
                            self.rarest_in_list(counts, list, rng)
                        } else {
                            let have = self.have.words();
                            let counts = self.counts.as_mut()?;
                            counts.rarest(have, |w| elig.word(w), rng)
                        }
                    }
                    PickerKind::RarestFirst | PickerKind::Random if short => {
                        self.random_in_list(list, rng)
                    }
                    PickerKind::RarestFirst | PickerKind::Random => uniform_eligible(elig, rng),
                    PickerKind::Sequential if short => self.sequential_in_list(list),
                    PickerKind::Sequential => self.pick_sequential(elig),
                }
            }
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

    /// Whether `piece` (held by the remote) may be picked normally.
    #[inline]
    fn eligible(&self, piece: u32) -> bool {
        !self.have.contains(piece) && self.idle(piece)
    }

    /// Rule 1: the rarest interrupted piece the remote holds and nobody downloads.
    /// O(partials), few by construction.
    fn pick_started(&self, counts: &Counts, remote: &PieceSet, rng: &mut SimRng) -> Option<u32> {
        let mut best = MinReservoir::new();
        for p in self.partial.pieces() {
            if self.idle(p) && remote.contains(p) {
                best.offer(counts.count(p), p, rng);
            }
        }
        best.get()
    }

    /// Rarest first over the remote's list: minimum availability, uniform among ties (one
    /// pass for the minimum, one draw, one pass to the drawn tie). O(remote's pieces).
    fn rarest_in_list(&self, counts: &Counts, list: &[u32], rng: &mut SimRng) -> Option<u32> {
        let (mut best, mut ties) = (u32::MAX, 0u32);
        for &p in list {
            if self.eligible(p) {
                let c = counts.count(p);
                debug_assert!(c > 0, "remote holds {p} but is not counted");
                if c < best {
                    (best, ties) = (c, 1);
                } else if c == best {
                    ties += 1;
                }
            }
        }
        let k = draw(ties, rng)?;
        list.iter()
            .copied()
            .filter(|&p| self.eligible(p) && counts.count(p) == best)
            .nth(k as usize)
    }

    /// Uniform among the eligible pieces of the remote's list. O(remote's pieces), one draw.
    fn random_in_list(&self, list: &[u32], rng: &mut SimRng) -> Option<u32> {
        let n = list.iter().filter(|&&p| self.eligible(p)).count() as u32;
        let k = draw(n, rng)?;
        list.iter()
            .copied()
            .filter(|&p| self.eligible(p))
            .nth(k as usize)
    }

    /// Lowest eligible piece of the remote's list. O(remote's pieces), no draw.
    fn sequential_in_list(&self, list: &[u32]) -> Option<u32> {
        list.iter().copied().filter(|&p| self.eligible(p)).min()
    }

    /// Lowest eligible index: the first non-zero eligible word from the first missing piece.
    /// O(pieces / 64), no draw.
    fn pick_sequential(&self, elig: Eligible<'_>) -> Option<u32> {
        (self.first_missing as usize / 64..elig.words()).find_map(|w| {
            let e = elig.word(w);
            (e != 0).then(|| (w * 64) as u32 + e.trailing_zeros())
        })
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

/// A uniform index in `0..n` (no draw when `n == 1`), `None` when `n == 0`.
#[inline]
fn draw(n: u32, rng: &mut SimRng) -> Option<u32> {
    match n {
        0 => None,
        1 => Some(0),
        _ => Some(rng.random_range(0..n)),
    }
}

/// Uniform among all eligible pieces: popcount per word, one draw, then the drawn piece.
/// O(pieces / 64).
fn uniform_eligible(elig: Eligible<'_>, rng: &mut SimRng) -> Option<u32> {
    let n: u32 = (0..elig.words()).map(|w| elig.word(w).count_ones()).sum();
    let mut k = draw(n, rng)?;
    for w in 0..elig.words() {
        let e = elig.word(w);
        let c = e.count_ones();
        if k < c {
            return Some((w * 64) as u32 + nth_set_bit(e, k));
        }
        k -= c;
    }
    unreachable!("uniform pick: drawn rank beyond the {n} eligible pieces")
}
