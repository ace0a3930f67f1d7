//! Which listings an agent wants to be in: one trait, shared by every agent that picks
//! torrents (seedboxes, pool members, arbitrageurs).
//!
//! Invariant: a selection is a pure function of the view and its arguments, ranked with a
//! total tie-break (listing id).

use crate::boundary::{ListingView, WorldView};
use crate::config::SelectionConfig;
use crate::ids::{AgentId, TorrentId};
use crate::rng::mix64;
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

/// Listings listed at most `within` ago, in an order of their own per agent: ranked by a
/// hash of (the run's seed, the agent, the listing), a pure function like every selection.
#[derive(Debug)]
struct Random {
    within: crate::time::SimDuration,
    salt: u64,
}

impl Selection for Random {
    fn pick(&self, view: &dyn WorldView, candidates: &[ListingView], n: usize) -> Vec<TorrentId> {
        let now = view.now();
        let mut ranked: Vec<(u64, TorrentId)> = candidates
            .iter()
            .filter(|l| l.listed_at.is_some_and(|at| now.since(at) <= self.within))
            .map(|l| (mix64(self.salt ^ mix64(u64::from(l.listing.0))), l.listing))
            .collect();
        ranked.sort_unstable();
        ranked.into_iter().take(n).map(|(_, l)| l).collect()
    }
}

/// Listings between `first` and `within` old, ranked by their arrivals in their first
/// `first`, most first.
#[derive(Debug)]
struct Predicted {
    first: crate::time::SimDuration,
    within: crate::time::SimDuration,
}

impl Selection for Predicted {
    fn pick(&self, view: &dyn WorldView, candidates: &[ListingView], n: usize) -> Vec<TorrentId> {
        let now = view.now();
        let mut ranked: Vec<(u32, TorrentId)> = candidates
            .iter()
            .filter_map(|l| {
                let at = l.listed_at?;
                let age = now.since(at);
                if age < self.first || age > self.within {
                    return None;
                }
                let early = view.arrivals_since(l.listing, at)
                    - view.arrivals_since(l.listing, at + self.first);
                (early > 0).then_some((early, l.listing))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        ranked.into_iter().take(n).map(|(_, l)| l).collect()
    }
}

/// The selection policy of `config` for agent `agent` of a run with seed `seed` (only a
/// random selection uses them).
pub fn selection_for(config: &SelectionConfig, seed: u64, agent: AgentId) -> Box<dyn Selection> {
    match config {
        SelectionConfig::Newest { within, .. } => Box::new(Newest { within: within.0 }),
        SelectionConfig::Popular { window, .. } => Box::new(Popular { window: window.0 }),
        SelectionConfig::Random { within, .. } => Box::new(Random {
            within: within.0,
            salt: mix64(seed ^ mix64(u64::from(agent.0) ^ 0x5e1e_c7ed)),
        }),
        SelectionConfig::Predicted { first, within, .. } => Box::new(Predicted {
            first: first.0,
            within: within.0,
        }),
    }
}
