//! One peer's piece state (held, in flight, partial, neighbour availability) and the picker.
//!
//! Invariant: `unrequested` equals the number of missing pieces with no download in flight;
//! `have_list` lists the held pieces once each while they are fewer than the bitfield's words
//! (and is empty, its memory freed, from then on); `partial` only names missing pieces with
//! progress > 0; the counts (dropped once we are a seed) hold, for every piece, the connected
//! neighbours holding it, with per-block lower bounds over the missing pieces.
//!
//! The transfer unit is a whole piece; one connection downloads one piece at a time. The
//! choice of the next piece lives in `pick.rs`, the counts and the rarest-first scan in
//! `counts.rs`, the in-flight downloads in `in_flight.rs`.

mod counts;
mod in_flight;
mod partials;
mod pick;
mod sample;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_model;
#[cfg(test)]
mod tests_state;

use crate::pieceset::PieceSet;
use counts::Counts;
use in_flight::InFlight;
use partials::Partials;

pub use pick::Pick;

/// One peer's (one host in one torrent) piece bookkeeping. Memory while leeching: 2 bytes
/// per piece (the count) plus 2 per 64 pieces (block bounds), two bitfields and 4 bytes per
/// held piece (the acquisition list); a seed keeps only the bitfields and the list.
/// Laid out in declaration order (`repr(C)`): the counts first, since a neighbour's HAVE
/// loads only them.
#[derive(Clone, Debug)]
#[repr(C)]
pub struct PeerPieces {
    /// `None` once we hold every piece: a seed never picks, so counts would be wasted work.
    counts: Option<Counts>,
    have: PieceSet,
    /// Held pieces in acquisition order while they are fewer than the bitfield's words (lets a
    /// neighbour scan a peer holding few pieces); empty from then on, when a neighbour scans
    /// the bitfield instead. Kept short, it costs 64 bytes a peer instead of 4 bytes a piece
    /// (400 MB over 100,000 peers of a 1,000-piece torrent).
    have_list: Vec<u32>,
    /// Our connections downloading each piece (> 1 only in endgame).
    in_flight: InFlight,
    /// Missing pieces with `in_flight == 0`; endgame is allowed only when it is 0.
    unrequested: u32,
    /// Bytes already received of interrupted pieces (few entries, iterated in piece order, so
    /// picks stay deterministic).
    partial: Partials,
    /// Lowest piece index we lack (`num_pieces` for a seed); only grows.
    first_missing: u32,
}

impl PeerPieces {
    /// A leecher holding nothing, with no neighbours. Cost O(pieces).
    pub fn new(num_pieces: u32) -> Self {
        let mut p = PeerPieces {
            have: PieceSet::empty(num_pieces),
            have_list: Vec::new(),
            counts: Some(Counts::new(num_pieces)),
            in_flight: InFlight::new(num_pieces),
            unrequested: num_pieces,
            partial: Partials::default(),
            first_missing: 0,
        };
        p.release_if_seed();
        p
    }

    /// A seed: holds every piece (acquisition order = index order). Cost O(pieces).
    pub fn new_seed(num_pieces: u32) -> Self {
        PeerPieces {
            have: PieceSet::full(num_pieces),
            have_list: Vec::new(),
            counts: None,
            in_flight: InFlight::new(num_pieces),
            unrequested: 0,
            partial: Partials::default(),
            first_missing: num_pieces,
        }
    }

    /// Number of pieces of the torrent.
    #[inline]
    pub fn num_pieces(&self) -> u32 {
        self.have.len()
    }

    /// The pieces we hold (our bitfield as neighbours see it).
    #[inline]
    pub fn have(&self) -> &PieceSet {
        &self.have
    }

    /// Held pieces in acquisition order, if we hold fewer than the bitfield has words (when a
    /// list is cheaper to scan than the bitfield); `None` otherwise.
    #[inline]
    pub fn short_have_list(&self) -> Option<&[u32]> {
        self.is_short().then_some(self.have_list.as_slice())
    }

    /// We hold fewer pieces than the bitfield has words.
    #[inline]
    fn is_short(&self) -> bool {
        (self.have.count() as usize) < self.have.words().len()
    }

    /// Whether we hold every piece.
    #[inline]
    pub fn is_seed(&self) -> bool {
        self.have.is_full()
    }

    /// Number of pieces we lack.
    #[inline]
    pub fn missing(&self) -> u32 {
        self.have.len() - self.have.count()
    }

    /// Missing pieces no connection of ours is downloading. O(1).
    #[inline]
    pub fn unrequested(&self) -> u32 {
        self.unrequested
    }

    /// Connected neighbours holding `piece` (held pieces included); 0 for a seed (it keeps
    /// no counts). O(1).
    pub fn availability(&self, piece: u32) -> u32 {
        debug_assert!(piece < self.num_pieces(), "piece {piece} out of range");
        self.counts.as_ref().map_or(0, |c| c.count(piece))
    }

    /// Our connections currently downloading `piece`. O(1) if none, else O(log in flight).
    #[inline]
    pub fn downloaders(&self, piece: u32) -> u32 {
        self.in_flight.count(piece)
    }

    /// Bytes kept from an interrupted download of `piece` (0 if none). O(log partials).
    #[inline]
    pub fn partial_bytes(&self, piece: u32) -> u64 {
        self.partial.get(piece)
    }

    /// A neighbour connected: count its bitfield. O(pieces it holds + pieces/64); a full
    /// bitfield (a seed) costs one linear pass. No-op for a seed.
    pub fn add_neighbour(&mut self, remote: &PieceSet) {
        self.count_bitfield(remote, true);
    }

    /// A neighbour disconnected: uncount the bitfield it has now (the one we were kept in sync
    /// with through [`Self::neighbour_has`]). Cost as [`Self::add_neighbour`]. No-op for a seed.
    pub fn remove_neighbour(&mut self, remote: &PieceSet) {
        self.count_bitfield(remote, false);
    }

    /// Adds (`add`) or removes one holder for every piece of `remote`.
    fn count_bitfield(&mut self, remote: &PieceSet, add: bool) {
        debug_assert_eq!(
            remote.len(),
            self.num_pieces(),
            "bitfield of another torrent"
        );
        let Some(c) = &mut self.counts else { return };
        match (remote.is_full(), add) {
            (true, true) => c.inc_all(),
            (true, false) => c.dec_all(),
            (false, true) => remote.iter().for_each(|p| c.inc(p)),
            (false, false) => remote.iter().for_each(|p| c.dec(p)),
        }
    }

    /// A connected neighbour announced `piece` (HAVE). O(1): one increment of a 2-byte
    /// count, no other memory touched (the block bounds stay valid). No-op for a seed.
    #[inline]
    pub fn neighbour_has(&mut self, piece: u32) {
        if let Some(c) = &mut self.counts {
            c.inc(piece);
        }
    }

    /// Prefetches what a HAVE of `piece` from a neighbour will update (a hint; changes
    /// nothing but timing).
    #[inline]
    pub fn warm_have(&self, piece: u32) {
        if let Some(c) = &self.counts {
            c.warm(piece);
        }
    }

    /// Prefetches what completing a piece and picking the next read: our bitfield, the pieces
    /// in flight and the counts (a hint).
    #[inline]
    pub fn warm_pick(&self) {
        self.have.warm_all();
        self.in_flight.busy().warm_all();
        if let Some(c) = &self.counts {
            c.warm_all();
        }
    }

    /// One of our connections starts downloading `piece` (which we lack). O(pieces in
    /// flight), a handful.
    pub fn begin(&mut self, piece: u32) {
        assert!(
            !self.have.contains(piece),
            "begin: piece {piece} is already held"
        );
        if self.in_flight.begin(piece) == 1 {
            self.unrequested -= 1;
        }
    }

    /// Ends one download of `piece`. Panics (naming `what`) if none was in flight.
    fn end_download(&mut self, piece: u32, what: &str) {
        if self.in_flight.end(piece, what) == 0 && !self.have.contains(piece) {
            self.unrequested += 1;
        }
    }

    /// A download of `piece` was interrupted after `bytes_done` bytes of the piece (counting
    /// any resumed partial bytes): keep the larger of that and the stored partial, unless we
    /// already hold the piece. O(partials), a handful.
    pub fn abort(&mut self, piece: u32, bytes_done: u64) {
        self.end_download(piece, "abort");
        if bytes_done > 0 && !self.have.contains(piece) {
            self.partial.keep_max(piece, bytes_done);
        }
    }

    /// An endgame duplicate of `piece` was cancelled (another copy completed): no partial is
    /// kept. O(pieces in flight).
    pub fn cancel(&mut self, piece: u32) {
        self.end_download(piece, "cancel");
    }

    /// The downloading connection finished `piece`. Returns true if it is newly held (false
    /// for a late endgame duplicate). Cost O(pieces in flight) for a new piece, plus O(pieces)
    /// when it makes us a seed (the counts are freed).
    pub fn complete(&mut self, piece: u32) -> bool {
        self.end_download(piece, "complete");
        self.grant(piece)
    }

    /// We obtain `piece` without a download of ours (initial content of a peer, fixtures).
    /// Returns true if it is newly held. Does not touch in-flight counts. O(1) amortised (the
    /// first-missing cursor only advances); the counts are untouched (block bounds stay valid).
    pub fn grant(&mut self, piece: u32) -> bool {
        // Test first, insert after (see `PieceSet::insert` on the rustc 1.95 miscompile of the
        // branch-free form; `insert` is now written safely, this keeps the intent explicit).
        if self.have.contains(piece) {
            return false;
        }
        let before = self.have.count();
        self.have.insert(piece);
        debug_assert!(
            self.have.contains(piece) && self.have.count() == before + 1,
            "PieceSet::insert lost piece {piece} or its count"
        );
        if self.is_short() {
            self.have_list.push(piece);
        } else if self.have_list.capacity() > 0 {
            self.have_list = Vec::new();
        }
        self.partial.remove(piece);
        if !self.in_flight.is_busy(piece) {
            self.unrequested -= 1;
        }
        while self.first_missing < self.num_pieces() && self.have.contains(self.first_missing) {
            self.first_missing += 1;
        }
        self.release_if_seed();
        true
    }

    /// A seed keeps no counts: it never picks.
    fn release_if_seed(&mut self) {
        if self.have.is_full() {
            self.counts = None;
        }
    }

    /// Checks every invariant, recounting availability from the bitfields of the connected
    /// `neighbours`. For tests and debug runs: O(pieces × neighbours).
    pub fn check_invariants<'a>(
        &self,
        neighbours: impl Iterator<Item = &'a PieceSet>,
    ) -> Result<(), String> {
        let n = self.num_pieces();
        let listed = if self.is_short() {
            self.have.count()
        } else {
            0
        };
        if self.have_list.len() as u32 != listed {
            return Err(format!(
                "have_list has {} entries, expected {listed} (bitfield {} of {} words)",
                self.have_list.len(),
                self.have.count(),
                self.have.words().len()
            ));
        }
        let mut seen = PieceSet::empty(n);
        for &p in &self.have_list {
            if !self.have.contains(p) || seen.contains(p) {
                return Err(format!("have_list entry {p} not held or repeated"));
            }
            seen.insert(p);
        }
        let fm = (0..n).find(|&p| !self.have.contains(p)).unwrap_or(n);
        if self.first_missing != fm {
            return Err(format!("first_missing {} != {fm}", self.first_missing));
        }
        self.in_flight.check()?;
        if let Some((p, _)) = self.in_flight.iter().find(|&(p, _)| p >= n) {
            return Err(format!("piece {p} in flight is out of range"));
        }
        if let Some((p, b)) = self
            .partial
            .iter()
            .find(|&(p, b)| b == 0 || self.have.contains(p))
        {
            return Err(format!(
                "partial entry {p} = {b} bytes for a held or empty piece"
            ));
        }
        let unrequested = (0..n)
            .filter(|&p| !self.have.contains(p) && self.downloaders(p) == 0)
            .count() as u32;
        if unrequested != self.unrequested {
            return Err(format!("unrequested {} != {unrequested}", self.unrequested));
        }
        match &self.counts {
            None if self.is_seed() => Ok(()),
            None => Err("a leecher lost its availability counts".into()),
            Some(_) if self.is_seed() => Err("a seed still keeps availability counts".into()),
            Some(c) => {
                let mut counts = vec![0u32; n as usize];
                for nb in neighbours {
                    if nb.len() != n {
                        return Err(format!("neighbour bitfield of {} pieces", nb.len()));
                    }
                    for p in nb.iter() {
                        counts[p as usize] += 1;
                    }
                }
                c.check(&self.have, &counts)
            }
        }
    }
}
