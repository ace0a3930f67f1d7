//! Property test: random operation sequences checked against a naive model of the picker.
//!
//! Invariant checked after every operation: `check_invariants` passes, every observable (held
//! pieces, downloaders, partials, availability recounted from the connected bitfields) equals
//! the model's, and every pick is one the rules allow (eligible, of minimum availability for
//! rarest first, lowest for sequential, fewest downloaders in endgame).

use super::tests::{cfg, short_list};
use super::*;
use crate::config::{PickerConfig, PickerKind};
use crate::rng::{SimRng, substream};
use rand::RngExt;

/// Another peer of the swarm that may be connected to the one under test.
struct Member {
    set: PieceSet,
    list: Vec<u32>,
    connected: bool,
    /// The piece our connection to it is downloading.
    download: Option<u32>,
}

/// Naive model of the peer under test: plain vectors, recomputed on demand.
struct Model {
    have: Vec<bool>,
    in_flight: Vec<u32>,
    partial: Vec<u64>,
}

struct World {
    peer: PeerPieces,
    model: Model,
    members: Vec<Member>,
    n: u32,
}

impl World {
    fn avail(&self, p: u32) -> u32 {
        self.members
            .iter()
            .filter(|m| m.connected && m.set.contains(p))
            .count() as u32
    }

    fn check(&self) -> Result<(), String> {
        let connected = self.members.iter().filter(|m| m.connected).map(|m| &m.set);
        self.peer.check_invariants(connected)?;
        let seed = self.model.have.iter().all(|&h| h);
        if self.peer.is_seed() != seed {
            return Err(format!("is_seed {} vs model {seed}", self.peer.is_seed()));
        }
        for p in 0..self.n {
            let (i, m) = (p as usize, &self.model);
            let got = (
                self.peer.have().contains(p),
                self.peer.downloaders(p),
                self.peer.partial_bytes(p),
            );
            if got != (m.have[i], m.in_flight[i], m.partial[i]) {
                return Err(format!("piece {p}: peer {got:?} vs model"));
            }
            if !seed && self.peer.availability(p) != self.avail(p) {
                return Err(format!("piece {p}: availability differs from recount"));
            }
        }
        Ok(())
    }

    /// The picks the rules allow from `remote`, and whether they are endgame picks.
    fn allowed(&self, cfg: &PickerConfig, remote: &PieceSet) -> (Vec<u32>, bool) {
        let m = &self.model;
        let lacks = |p: &u32| remote.contains(*p) && !m.have[*p as usize];
        let eligible: Vec<u32> = (0..self.n)
            .filter(lacks)
            .filter(|&p| m.in_flight[p as usize] == 0)
            .collect();
        let min_by = |c: &[u32], key: &dyn Fn(u32) -> u32| -> Vec<u32> {
            let best = c.iter().map(|&p| key(p)).min();
            c.iter()
                .copied()
                .filter(|&p| Some(key(p)) == best)
                .collect()
        };
        let started: Vec<u32> = eligible
            .iter()
            .copied()
            .filter(|&p| m.partial[p as usize] > 0)
            .collect();
        let held = m.have.iter().filter(|&&h| h).count() as u32;
        if !started.is_empty() {
            return (min_by(&started, &|p| self.avail(p)), false);
        }
        if !eligible.is_empty() {
            let picks = match cfg.kind {
                PickerKind::RarestFirst if held >= cfg.initial_random => {
                    min_by(&eligible, &|p| self.avail(p))
                }
                PickerKind::Sequential => vec![eligible[0]],
                _ => eligible,
            };
            return (picks, false);
        }
        let unrequested = (0..self.n).any(|p| !m.have[p as usize] && m.in_flight[p as usize] == 0);
        if !cfg.endgame || unrequested {
            return (Vec::new(), false);
        }
        let dup: Vec<u32> = (0..self.n)
            .filter(lacks)
            .filter(|&p| (1..cfg.endgame_max_downloaders).contains(&m.in_flight[p as usize]))
            .collect();
        (min_by(&dup, &|p| m.in_flight[p as usize]), true)
    }

    fn end_download(&mut self, i: usize) -> u32 {
        let p = self.members[i]
            .download
            .take()
            .expect("chosen among downloading members");
        self.model.in_flight[p as usize] -= 1;
        p
    }

    /// One random operation. Returns a description for failure messages.
    fn step(&mut self, rng: &mut SimRng, pick_rng: &mut SimRng) -> Result<String, String> {
        let k = self.members.len();
        let i = rng.random_range(0..k);
        let op = rng.random_range(0..10u32);
        let mb = &self.members[i];
        Ok(match op {
            0 if !mb.connected => {
                self.peer.add_neighbour(&mb.set);
                self.members[i].connected = true;
                format!("connect {i}")
            }
            0 | 1 if mb.connected => {
                if mb.download.is_some() {
                    let p = self.end_download(i);
                    self.abort(p, rng);
                }
                self.peer.remove_neighbour(&self.members[i].set);
                self.members[i].connected = false;
                format!("disconnect {i}")
            }
            2 => {
                let missing: Vec<u32> = (0..self.n).filter(|&p| !mb.set.contains(p)).collect();
                if missing.is_empty() {
                    return Ok("noop".into());
                }
                let p = missing[rng.random_range(0..missing.len())];
                let m = &mut self.members[i];
                m.set.insert(p);
                m.list.push(p);
                if m.connected {
                    self.peer.neighbour_has(p);
                }
                format!("member {i} has {p}")
            }
            3..=5 if mb.connected && mb.download.is_none() => {
                let kind = [
                    PickerKind::RarestFirst,
                    PickerKind::Random,
                    PickerKind::Sequential,
                ][rng.random_range(0..3)];
                let c = PickerConfig {
                    endgame: rng.random_range(0..4) > 0,
                    endgame_max_downloaders: rng.random_range(2..4),
                    ..cfg(kind, rng.random_range(0..5))
                };
                let list = short_list(&mb.list, &mb.set);
                let got = self.peer.pick(&c, &mb.set, list, pick_rng);
                let (allowed, endgame) = self.allowed(&c, &mb.set);
                match got {
                    None if allowed.is_empty() => {}
                    Some(p) if allowed.contains(&p.piece) && p.endgame == endgame => {
                        self.peer.begin(p.piece);
                        self.model.in_flight[p.piece as usize] += 1;
                        self.members[i].download = Some(p.piece);
                    }
                    _ => return Err(format!("{c:?} from {i}: {got:?}, allowed {allowed:?}")),
                }
                format!("pick from {i}: {got:?}")
            }
            6 | 7 if mb.download.is_some() => {
                let p = self.end_download(i);
                let newly = self.peer.complete(p);
                if newly == self.model.have[p as usize] {
                    return Err(format!("complete({p}) returned {newly}"));
                }
                self.model.have[p as usize] = true;
                self.model.partial[p as usize] = 0;
                if rng.random_range(0..2) == 0 {
                    // The engine cancels the other copies of a finished endgame piece.
                    for j in 0..k {
                        if self.members[j].download == Some(p) {
                            self.end_download(j);
                            self.peer.cancel(p);
                        }
                    }
                }
                format!("complete {p} from {i}")
            }
            8 if mb.download.is_some() => {
                let p = self.end_download(i);
                self.abort(p, rng);
                format!("abort {p} from {i}")
            }
            9 if mb.download.is_some() => {
                let p = self.end_download(i);
                self.peer.cancel(p);
                format!("cancel {p} from {i}")
            }
            _ => "noop".into(),
        })
    }

    fn abort(&mut self, p: u32, rng: &mut SimRng) {
        let bytes = [0, rng.random_range(1..1000u64)][rng.random_range(0..2)];
        self.peer.abort(p, bytes);
        if !self.model.have[p as usize] {
            let kept = &mut self.model.partial[p as usize];
            *kept = (*kept).max(bytes);
        }
    }
}

fn world(rng: &mut SimRng) -> World {
    let n = [1, 2, 3, 5, 8, 13, 40, 64, 65, 130, 200, 333][rng.random_range(0..12)];
    let members = (0..rng.random_range(1..9))
        .map(|_| {
            // 0.01: fewer pieces than bitfield words, so picks walk the remote's list.
            let density = [0.0, 0.01, 0.2, 0.6, 1.0][rng.random_range(0..5)];
            let mut set = PieceSet::empty(n);
            let mut list = Vec::new();
            for p in 0..n {
                if rng.random_bool(density) {
                    set.insert(p);
                    list.push(p);
                }
            }
            // Acquisition order is not index order.
            if list.len() > 1 {
                let j = rng.random_range(0..list.len());
                list.swap(0, j);
            }
            Member {
                set,
                list,
                connected: false,
                download: None,
            }
        })
        .collect();
    let mut w = World {
        peer: PeerPieces::new(n),
        model: Model {
            have: vec![false; n as usize],
            in_flight: vec![0; n as usize],
            partial: vec![0; n as usize],
        },
        members,
        n,
    };
    for p in 0..n {
        if rng.random_range(0..5) == 0 {
            w.peer.grant(p);
            w.model.have[p as usize] = true;
        }
    }
    w
}

/// Names the failing seed even when the panic comes from inside the picker.
struct SeedGuard(u64);

impl Drop for SeedGuard {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "random_operations_match_the_naive_model failed at seed {}",
                self.0
            );
        }
    }
}

#[test]
fn random_operations_match_the_naive_model() {
    for seed in 0..200u64 {
        let _guard = SeedGuard(seed);
        let mut rng = substream(seed, 1000, 0);
        let mut pick_rng = substream(seed, 1000, 1);
        let mut w = world(&mut rng);
        if let Err(e) = w.check() {
            panic!("seed {seed} at setup: {e}");
        }
        for step in 0..400 {
            let what = w
                .step(&mut rng, &mut pick_rng)
                .unwrap_or_else(|e| panic!("seed {seed} step {step}: bad pick: {e}"));
            if let Err(e) = w.check() {
                panic!("seed {seed} step {step} after `{what}`: {e}");
            }
        }
    }
}
