//! Which listings an agent wants to be in: one trait, shared by every agent that picks
//! torrents (seedboxes now; pools, speculators and arbitrageurs later).
//!
//! Invariant: a selection is a pure function of the view and its arguments, ranked with a
//! total tie-break (listing id).

use crate::boundary::{ListingView, WorldView};
use crate::config::SelectionConfig;
use crate::ids::TorrentId;
use crate::time::SimTime;

/// Ranks candidate listings, best first.
pub trait Selection: std::fmt::Debug {
    /// The best `n` of `candidates` (published, not fake, acceptable to the caller).
    fn pick(&self, view: &dyn WorldView, candidates: &[ListingView], n: usize) -> Vec<TorrentId>;
}

/// The newest listings (listed at most `within` ago), newest first.
#[derive(Debug)]
struct Newest {
    within: crate::time::SimDuration,
}

impl Selection for Newest {
    fn pick(&self, view: &dyn WorldView, candidates: &[ListingView], n: usize) -> Vec<TorrentId> {
        let now = view.now();
        let mut fresh: Vec<(SimTime, TorrentId)> = candidates
            .iter()
            .filter_map(|l| {
                let at = l.listed_at?;
                (now.since(at) <= self.within).then_some((at, l.listing))
            })
            .collect();
        fresh.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        fresh.into_iter().take(n).map(|(_, l)| l).collect()
    }
}

/// The listings with the most arrivals over the last `window`, most first.
#[derive(Debug)]
struct Popular {
    window: crate::time::SimDuration,
}

impl Selection for Popular {
    fn pick(&self, view: &dyn WorldView, candidates: &[ListingView], n: usize) -> Vec<TorrentId> {
        let now = view.now();
        let since = now.before(self.window);
        let mut ranked: Vec<(u32, TorrentId)> = candidates
            .iter()
            .map(|l| (view.arrivals_since(l.listing, since), l.listing))
            .filter(|(a, _)| *a > 0)
            .collect();
        ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        ranked.into_iter().take(n).map(|(_, l)| l).collect()
    }
}

/// The selection policy of `config`.
pub fn selection_for(config: &SelectionConfig) -> Box<dyn Selection> {
    match config {
        SelectionConfig::Newest { within, .. } => Box::new(Newest { within: within.0 }),
        SelectionConfig::Popular { window, .. } => Box::new(Popular { window: window.0 }),
    }
}
