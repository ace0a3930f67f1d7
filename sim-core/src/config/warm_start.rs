//! Warm starts: an existing swarm online at a listing's release (seeds and partial leechers
//! with a given spread of pieces), so an old torrent is one file without simulating its youth.

use super::tagged::tagged_enum;
use serde::{Deserialize, Serialize};

/// Peers already in the swarm at release, besides the publishers. Their hosts are ordinary
/// users' (class drawn by share); seeds follow the torrent's `seeding` rule from release on,
/// leechers download the rest and then seed by it too.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarmStart {
    /// Seeds online at release.
    #[serde(default)]
    pub seeds: u32,
    /// Partial leechers online at release.
    #[serde(default)]
    pub leechers: u32,
    /// How many of the pieces each leecher holds (ignored by a `profile` spread).
    #[serde(default)]
    pub progress: Progress,
    /// Which pieces the leechers hold.
    #[serde(default)]
    pub spread: Spread,
}

tagged_enum! {
/// The share of the pieces a warm-start leecher holds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Progress as "a progress" {
    /// Every leecher holds `round(fraction × pieces)` pieces (at most all but one).
    Fixed { fraction: f64 },
    /// Each leecher's fraction is drawn uniformly from [`min`, `max`].
    Uniform { min: f64, max: f64 },
}
}

impl Default for Progress {
    fn default() -> Self {
        Progress::Uniform { min: 0.0, max: 1.0 }
    }
}

tagged_enum! {
/// How the held pieces are spread over the torrent.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Spread as "a piece spread" {
    /// Each leecher's pieces are a uniform random subset of its size.
    #[default]
    Uniform,
    /// A random `lost` share of the pieces is held by no leecher (only seeds, if any, hold
    /// them: the rarest pieces of an old torrent are the ones it lost); each leecher's pieces
    /// are a uniform random subset of the others.
    RarestLost { lost: f64 },
    /// Piece `i` is held by each leecher independently with probability
    /// `availability[⌊i · len / pieces⌋]`: the profile is stretched over the pieces.
    Profile { availability: Vec<f64> },
}
}

/// Most warm-start peers per torrent (each is a host and a peer at release).
pub const MAX_WARM_PEERS: u32 = 1_000_000;

impl WarmStart {
    /// Checks the counts, fractions and profile; `at` is the table's path
    /// (`torrents[0].warm_start`).
    pub(super) fn validate(&self, at: &str) -> Result<(), super::ConfigError> {
        use super::validate::err;
        let f = |name: &str| format!("{at}.{name}");
        for (name, n) in [("seeds", self.seeds), ("leechers", self.leechers)] {
            if n > MAX_WARM_PEERS {
                return Err(err(
                    f(name),
                    format!("must be at most {MAX_WARM_PEERS}, got {n}"),
                ));
            }
        }
        let unit = |name: &str, x: f64| {
            if (0.0..=1.0).contains(&x) {
                Ok(())
            } else {
                Err(err(f(name), format!("must be within [0, 1], got {x}")))
            }
        };
        match self.progress {
            Progress::Fixed { fraction } => unit("progress.fraction", fraction)?,
            Progress::Uniform { min, max } => {
                unit("progress.min", min)?;
                unit("progress.max", max)?;
                if min > max {
                    return Err(err(
                        f("progress.max"),
                        format!("must be at least progress.min ({min}), got {max}"),
                    ));
                }
            }
        }
        match &self.spread {
            Spread::Uniform => {}
            Spread::RarestLost { lost } => unit("spread.lost", *lost)?,
            Spread::Profile { availability } => {
                if availability.is_empty() {
                    return Err(err(
                        f("spread.availability"),
                        "must list at least one share (one per stretch of pieces)",
                    ));
                }
                for (i, &a) in availability.iter().enumerate() {
                    unit(&format!("spread.availability[{i}]"), a)?;
                }
            }
        }
        Ok(())
    }
}
