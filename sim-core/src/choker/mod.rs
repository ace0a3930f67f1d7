//! Choking: which neighbours a peer uploads to. The engine builds a [`ChokeView`] of one peer's
//! neighbours and asks that peer's [`Choker`] which ones to unchoke.
//!
//! Invariant: a decision depends only on the view's contents (not on the order of its
//! candidates), the choker's own state and the passed rng; its regular and optimistic sets are
//! disjoint, hold only interested candidates and never exceed the configured slot counts.
//!
//! Submodules: [`ranking`] (regular-slot comparators and tie-breaks), [`optimistic`]
//! (optimistic-unchoke selection) and [`mod@reference`] (the reference-client choker that puts
//! them together, configured by [`ChokerParams`]).

pub mod optimistic;
pub mod ranking;
pub mod reference;

#[cfg(test)]
mod tests;

pub use reference::ReferenceChoker;

use crate::config::ChokerParams;
use crate::ids::PeerId;
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};

/// One neighbour as the choking peer sees it at decision time. The engine fills every field;
/// the choker never mutates it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The neighbour; the final tie-break key of every comparator. Unique within a view.
    pub peer: PeerId,
    /// It wants pieces we have. Uninterested candidates are never unchoked.
    pub interested: bool,
    /// Currently unchoked by us (regular or optimistic).
    pub unchoked: bool,
    /// When the connection to it was established.
    pub connected_at: SimTime,
    /// Bytes/s we received from it, averaged over `rate_window`.
    pub download_rate: u64,
    /// Bytes/s we sent to it, averaged over `rate_window`.
    pub upload_rate: u64,
    /// It sent us nothing for `snub_time` (mainline's rule: counted from the connection or
    /// the last data, whatever our interest). Only matters while we are leeching: snubbing
    /// peers are ranked after all others for regular slots.
    pub snubbed: bool,
    /// When its most recent optimistic unchoke began (`None` = never optimistically unchoked).
    pub last_optimistic: Option<SimTime>,
    /// When its current (if `unchoked`) or most recent unchoke began, regular or optimistic
    /// (`None` = never unchoked). Drives round-robin seeding.
    pub last_unchoked: Option<SimTime>,
    /// Bytes we sent to it since its current unchoke began (0 while choked). Drives
    /// round-robin seeding's piece quota.
    pub sent_since_unchoked: u64,
}

/// What a choker sees at one decision: the time, whether the choking peer is a seed, and its
/// neighbours in any order (the decision does not depend on the order).
#[derive(Clone, Copy, Debug)]
pub struct ChokeView<'a> {
    pub now: SimTime,
    /// The choking peer has every piece (ranks by what it sends, ignores snubbing).
    pub seeding: bool,
    pub candidates: &'a [Candidate],
    /// Regular slots the engine already gave away for this rechoke (paid slots sold at
    /// auction); their holders are not among the candidates. Only [`Choker::rechoke`] reads
    /// it; between rechokes paid holders appear as unchoked candidates and count as used.
    pub reserved_slots: u32,
    /// The torrent's piece length in bytes (round-robin seeding counts its quota in pieces).
    pub piece_bytes: u64,
}

/// The outcome of a rechoke: unchoke exactly these peers, choke every other neighbour.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChokeDecision {
    /// Peers unchoked by ranking, best first; at most `regular_slots`.
    pub regular: Vec<PeerId>,
    /// Peers unchoked optimistically, kept ones first then new picks; at most
    /// `optimistic_slots`; disjoint from `regular`.
    pub optimistic: Vec<PeerId>,
}

impl ChokeDecision {
    /// Every unchoked peer: regular ones, then optimistic ones.
    pub fn unchoked(&self) -> impl Iterator<Item = PeerId> + '_ {
        self.regular.iter().chain(self.optimistic.iter()).copied()
    }

    /// Whether `peer` is unchoked (regular or optimistic) by this decision. Cost: O(slots).
    pub fn contains(&self, peer: PeerId) -> bool {
        self.regular.contains(&peer) || self.optimistic.contains(&peer)
    }
}

/// A peer's upload-slot policy. One instance per (peer, torrent); it keeps its own state (e.g.
/// current optimistic unchokes, rechoke count) between calls.
pub trait Choker: std::fmt::Debug {
    /// Periodic decision, called every [`Choker::rechoke_interval`] (the first call counts as
    /// rechoke 0). The engine unchokes exactly the returned peers and chokes every other
    /// neighbour. Cost: O(n log n) in the number of candidates, one rng draw per ranked
    /// candidate plus the optimistic picks.
    fn rechoke(&mut self, view: &ChokeView, rng: &mut SimRng) -> ChokeDecision;

    /// Between rechokes, when a regular slot may be free (a peer lost interest or left, or a
    /// choked peer became interested): which choked, interested, eligible peers to unchoke now,
    /// best first, without choking anybody. Uses the same ranking as [`Choker::rechoke`];
    /// never fills optimistic slots. The engine must unchoke every returned peer (the choker
    /// remembers them until the next rechoke). Cost: O(n log n).
    fn fill_free_slots(&mut self, view: &ChokeView, rng: &mut SimRng) -> Vec<PeerId>;

    /// Regular slots [`Choker::fill_free_slots`] could give away now, given the neighbours
    /// currently unchoked and interested (regular, optimistic and paid alike). When it is 0 a
    /// fill unchokes nobody and draws no random number, so the engine skips building the
    /// view. Cost: O(listed × slots).
    fn free_regular_slots(&self, unchoked_interested: &[PeerId]) -> usize;

    /// A neighbour disconnected: forget it (e.g. as a current optimistic unchoke; its slot is
    /// refilled at the next rechoke).
    fn forget(&mut self, peer: PeerId);

    /// Time between two calls of [`Choker::rechoke`].
    fn rechoke_interval(&self) -> SimDuration;
}

/// The reference-client choker configured by `params` (see [`ReferenceChoker`]).
pub fn choker_for(params: &ChokerParams) -> Box<dyn Choker> {
    Box::new(ReferenceChoker::new(*params))
}

/// An interested, choked neighbour with no history, connected at time zero (test fixture).
#[cfg(test)]
pub(crate) fn idle_candidate(peer: u32) -> Candidate {
    Candidate {
        peer: PeerId(peer),
        interested: true,
        unchoked: false,
        connected_at: SimTime::ZERO,
        download_rate: 0,
        upload_rate: 0,
        snubbed: false,
        last_optimistic: None,
        last_unchoked: None,
        sent_since_unchoked: 0,
    }
}
