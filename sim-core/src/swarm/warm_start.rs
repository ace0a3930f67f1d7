//! Warm starts: the seeds and partial leechers a listing has at its release (its
//! `warm_start` table), each an ordinary user's host of a class drawn by share, with the
//! pieces the spread gives it. Draws come from their own stream, so a warm start shifts no
//! arrival's or host's draws.

use super::Sim;
use super::join::Start;
use crate::config::{Progress, Spread, WarmStart};
use crate::ids::{ClassId, TorrentId};
use crate::rng::{SimRng, pick_by_share};
use crate::time::SimTime;
use rand::RngExt;

impl Sim {
    /// Brings listing `t`'s warm start online (at its release, after the publishers).
    pub(super) fn start_warm(&mut self, now: SimTime, t: TorrentId) {
        let content = self.torrents[t.index()].content;
        let Some(warm) = self.scenario.torrents[content.index()].warm_start.clone() else {
            return;
        };
        let n = self.torrents[t.index()].num_pieces;
        let lost = lost_pieces(&warm, n, &mut self.rngs.warm_start);
        for i in 0..warm.seeds + warm.leechers {
            let held = if i < warm.seeds {
                (0..n).collect()
            } else {
                leecher_pieces(&warm, n, &lost, &mut self.rngs.warm_start)
            };
            let u: f64 = self.rngs.warm_start.random();
            let classes = &self.scenario.classes;
            let class = pick_by_share(u, classes.iter().map(|c| c.share));
            let (up, down) = (classes[class].upload.0, classes[class].download.0);
            let host = self.add_host(now, Some(ClassId(class as u32)), up, down, None);
            let client = self.scenario.client_of_class(class).clone();
            let seed = held.len() == n as usize;
            if seed && self.world.is_some() {
                self.hosts[host.index()].held.push(content);
            }
            let peer = self.add_peer_with(now, host, t, Start::Warm(held), &client);
            if seed {
                self.start_seeding(now, peer);
            }
        }
    }
}

/// The pieces no leecher of a `rarest_lost` spread holds (ascending), drawn once per listing.
fn lost_pieces(warm: &WarmStart, n: u32, rng: &mut SimRng) -> Vec<u32> {
    let Spread::RarestLost { lost } = warm.spread else {
        return Vec::new();
    };
    let k = ((lost * f64::from(n)).round() as u32).min(n);
    let mut out = sample(n, k, rng);
    out.sort_unstable();
    out
}

/// One leecher's pieces: never all of them (a leecher lacks at least one).
fn leecher_pieces(warm: &WarmStart, n: u32, lost: &[u32], rng: &mut SimRng) -> Vec<u32> {
    let mut held: Vec<u32> = match &warm.spread {
        Spread::Profile { availability } => (0..n)
            .filter(|&i| {
                let j = (u64::from(i) * availability.len() as u64 / u64::from(n)) as usize;
                rng.random::<f64>() < availability[j]
            })
            .collect(),
        Spread::Uniform | Spread::RarestLost { .. } => {
            let fraction = match warm.progress {
                Progress::Fixed { fraction } => fraction,
                Progress::Uniform { min, max } => min + (max - min) * rng.random::<f64>(),
            };
            let pool: Vec<u32> = (0..n).filter(|i| lost.binary_search(i).is_err()).collect();
            let k = ((fraction * f64::from(n)).round() as u32).min(pool.len() as u32);
            sample(pool.len() as u32, k, rng)
                .into_iter()
                .map(|i| pool[i as usize])
                .collect()
        }
    };
    if held.len() == n as usize {
        let drop = rng.random_range(0..held.len());
        held.swap_remove(drop);
    }
    held
}

/// `k` distinct indices of `0..n`, uniformly (a partial Fisher–Yates shuffle).
fn sample(n: u32, k: u32, rng: &mut SimRng) -> Vec<u32> {
    let mut all: Vec<u32> = (0..n).collect();
    for i in 0..k as usize {
        let j = rng.random_range(i..all.len());
        all.swap(i, j);
    }
    all.truncate(k as usize);
    all
}
