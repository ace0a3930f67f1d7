//! Differential test: random operation sequences drive the fast [`FlowNetwork`] and an
//! independent shadow model built on [`reference::rates`]; after every operation rates,
//! completions, delivered bytes, the re-timed set and a tiny event loop must all agree.
//!
//! Invariant checked: the fast model is indistinguishable from recomputing everything.

use super::{FlowNetwork, reference};
use crate::ids::{FlowId, HostId};
use crate::rng::{SimRng, Stream, stream};
use crate::time::{MICROS_PER_SECOND, SimTime};
use rand::RngExt;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::panic::{AssertUnwindSafe, catch_unwind};

const SEEDS: u64 = 300;
const OPS: usize = 400;
const MAX_FLOWS: usize = 60;

/// What the shadow model believes about one active flow.
#[derive(Clone, Debug)]
struct Shadow {
    from: HostId,
    to: HostId,
    piece: u64,
    remaining: u64,
    last: SimTime,
    /// 0 until the first rate assignment, so a new flow always counts as re-timed.
    rate: u64,
}

impl Shadow {
    fn done(&self, now: SimTime) -> u64 {
        let bytes =
            u128::from(self.rate) * u128::from(now.0 - self.last.0) / u128::from(MICROS_PER_SECOND);
        bytes.min(u128::from(self.remaining)) as u64
    }
    fn delivered(&self, now: SimTime) -> u64 {
        self.piece - self.remaining + self.done(now)
    }
    fn completion(&self) -> SimTime {
        let micros = (u128::from(self.remaining) * 1_000_000).div_ceil(u128::from(self.rate));
        SimTime(self.last.0 + u64::try_from(micros).expect("test times fit in u64"))
    }
}

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

fn capacity(rng: &mut SimRng) -> u64 {
    match rng.random_range(0..3) {
        0 => rng.random_range(1..=20),
        1 => rng.random_range(1_000..=100_000),
        _ => rng.random_range(1_000_000..=1_000_000_000),
    }
}

fn piece_bytes(rng: &mut SimRng) -> u64 {
    match rng.random_range(0..4) {
        0 => rng.random_range(0..=100),
        _ => rng.random_range(16_384..=4 << 20),
    }
}

/// The flow whose current piece completes first (ties: lowest id), per the shadow.
fn earliest(shadow: &[Option<Shadow>]) -> Option<(SimTime, FlowId)> {
    shadow
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.as_ref().map(|s| (s.completion(), FlowId(i as u32))))
        .min()
}

fn active_ids(shadow: &[Option<Shadow>]) -> Vec<FlowId> {
    (0..shadow.len())
        .filter(|&i| shadow[i].is_some())
        .map(|i| FlowId(i as u32))
        .collect()
}

/// State of one random run: the network under test, the shadow and the event loop.
struct Run {
    net: FlowNetwork,
    caps: Vec<(u64, u64)>,
    shadow: Vec<Option<Shadow>>,
    now: SimTime,
    /// Generation of each slot before the current operation (None = inactive).
    prev_gen: Vec<Option<u32>>,
    /// Flows the shadow says must appear in this operation's re-timed batch.
    expect_retimed: Vec<FlowId>,
    /// The engine's event queue: (time, flow, generation), stale entries included.
    queue: BinaryHeap<Reverse<(SimTime, FlowId, u32)>>,
    /// Latest scheduled (generation, time) per slot.
    scheduled: Vec<Option<(u32, SimTime)>>,
    batch: Vec<(FlowId, u32, SimTime)>,
}

impl Run {
    fn slot(&mut self, id: FlowId) -> &mut Option<Shadow> {
        if self.shadow.len() <= id.index() {
            self.shadow.resize(id.index() + 1, None);
            self.scheduled.resize(id.index() + 1, None);
        }
        &mut self.shadow[id.index()]
    }

    fn apply(&mut self, rng: &mut SimRng) -> Result<String, String> {
        let active = active_ids(&self.shadow);
        self.prev_gen = (0..self.shadow.len())
            .map(|i| {
                self.shadow[i]
                    .as_ref()
                    .map(|_| self.net.completion(FlowId(i as u32)).1)
            })
            .collect();
        self.expect_retimed.clear();
        // Weights: 30% start, 10% stop, 10% restart, 20% advance, 30% complete (half of them
        // stop, half restart), so the flow count drifts up slowly; an op whose precondition
        // fails falls through to "complete".
        let kind = rng.random_range(0..10);
        Ok(match kind {
            0..=2 if active.len() < MAX_FLOWS => {
                let from = HostId(rng.random_range(0..self.caps.len() as u32));
                let mut to = HostId(rng.random_range(0..self.caps.len() as u32 - 1));
                if to >= from {
                    to.0 += 1; // distinct hosts, uniformly
                }
                let bytes = piece_bytes(rng);
                let id = self.net.start(self.now, from, to, bytes);
                ensure!(self.slot(id).is_none(), "start returned active id {id:?}");
                let now = self.now;
                *self.slot(id) = Some(Shadow {
                    from,
                    to,
                    piece: bytes,
                    remaining: bytes,
                    last: now,
                    rate: 0,
                });
                format!("start {id:?} {from:?}->{to:?} {bytes} B at {now:?}")
            }
            3 if !active.is_empty() => {
                let id = active[rng.random_range(0..active.len())];
                self.stop(id)?
            }
            4 if !active.is_empty() => {
                let id = active[rng.random_range(0..active.len())];
                self.restart(id, piece_bytes(rng))
            }
            5 | 6 => {
                let dt = match rng.random_range(0..3) {
                    0 => rng.random_range(0..=10),
                    1 => rng.random_range(0..=MICROS_PER_SECOND),
                    _ => rng.random_range(0..=60 * MICROS_PER_SECOND),
                };
                // An engine never moves past a pending completion without handling it.
                let limit = earliest(&self.shadow).map_or(SimTime::NEVER, |(t, _)| t);
                self.now = SimTime(self.now.0 + dt).min(limit);
                format!("advance to {:?}", self.now)
            }
            _ => match earliest(&self.shadow) {
                Some((t, id)) => {
                    self.now = t;
                    let s = self.shadow_of(id);
                    let (piece, last) = (s.piece, s.last);
                    ensure!(
                        self.net.delivered(t, id) == piece,
                        "{id:?} incomplete at its completion"
                    );
                    if t > last {
                        let early = self.net.delivered(SimTime(t.0 - 1), id);
                        ensure!(early < piece, "{id:?} done 1 µs before its completion time");
                    }
                    let done = if rng.random_bool(0.5) {
                        self.stop(id)?
                    } else {
                        self.restart(id, piece_bytes(rng))
                    };
                    format!("complete, then {done}")
                }
                None => "complete: nothing active".to_string(),
            },
        })
    }

    fn stop(&mut self, id: FlowId) -> Result<String, String> {
        let now = self.now;
        let got = self.net.stop(now, id);
        let s = self
            .slot(id)
            .take()
            .ok_or(format!("stop of inactive {id:?}"))?;
        ensure!(
            got == s.delivered(now),
            "stop {id:?} delivered {got}, shadow {}",
            s.delivered(now)
        );
        Ok(format!("stop {id:?} at {now:?} after {got} B"))
    }

    fn restart(&mut self, id: FlowId, bytes: u64) -> String {
        let now = self.now;
        self.net.restart(now, id, bytes);
        if let Some(s) = self.slot(id) {
            (s.piece, s.remaining, s.last) = (bytes, bytes, now);
        }
        self.expect_retimed.push(id);
        format!("restart {id:?} {bytes} B at {now:?}")
    }

    /// Brings the shadow up to date with the reference rates and compares everything.
    fn check(&mut self) -> Result<(), String> {
        let ids = active_ids(&self.shadow);
        ensure!(
            self.net.active_flows() == ids.len(),
            "active count {}",
            self.net.active_flows()
        );
        let pairs: Vec<_> = ids
            .iter()
            .map(|&i| self.shadow_of(i))
            .map(|s| (s.from, s.to))
            .collect();
        let rates = reference::rates(&self.caps, &pairs);
        let now = self.now;
        for (&id, rate) in ids.iter().zip(rates) {
            let s = self.shadow[id.index()]
                .as_mut()
                .ok_or("active id vanished")?;
            if s.rate != rate {
                s.remaining -= s.done(now);
                (s.last, s.rate) = (now, rate);
                self.expect_retimed.push(id);
            }
        }
        self.net.check_invariants()?;
        self.batch.clear();
        self.batch.extend(
            self.net
                .drain_retimed()
                .map(|(flow, generation, at, _)| (flow, generation, at)),
        );
        let mut got: Vec<FlowId> = self.batch.iter().map(|e| e.0).collect();
        got.sort_unstable();
        self.expect_retimed.sort_unstable();
        ensure!(
            got == self.expect_retimed,
            "re-timed {got:?}, expected {:?}",
            self.expect_retimed
        );
        for &(id, generation, time) in &self.batch {
            ensure!(
                self.net.completion(id) == (time, generation),
                "stale batch entry {id:?}"
            );
            ensure!(time >= now, "{id:?} re-timed into the past: {time:?}");
            self.queue.push(Reverse((time, id, generation)));
            self.scheduled[id.index()] = Some((generation, time));
        }
        for &id in &ids {
            let s = self.shadow_of(id);
            let (time, generation) = self.net.completion(id);
            ensure!(
                self.net.rate(id) == s.rate,
                "{id:?} rate {} != {}",
                self.net.rate(id),
                s.rate
            );
            ensure!(
                time == s.completion(),
                "{id:?} completes {time:?}, shadow {:?}",
                s.completion()
            );
            ensure!(
                self.net.delivered(now, id) == s.delivered(now),
                "{id:?} delivered differs"
            );
            ensure!(
                self.net.endpoints(id) == (s.from, s.to),
                "{id:?} endpoints differ"
            );
            let renewed = self.batch.iter().any(|e| e.0 == id);
            let kept = self.prev_gen.get(id.index()).copied().flatten() == Some(generation);
            ensure!(
                renewed || kept,
                "{id:?} changed generation without being re-timed"
            );
            ensure!(
                self.scheduled[id.index()] == Some((generation, time)),
                "{id:?}'s current event {:?} was never scheduled",
                (generation, time)
            );
        }
        // The event loop: drop stale entries; the head must be the true earliest completion.
        while let Some(&Reverse((_, id, generation))) = self.queue.peek() {
            if self.net.is_current(id, generation) {
                break;
            }
            self.queue.pop();
        }
        let head = self.queue.peek().map(|Reverse((t, _, _))| *t);
        let truth = earliest(&self.shadow).map(|(t, _)| t);
        ensure!(
            head == truth,
            "queue head {head:?}, true earliest completion {truth:?}"
        );
        Ok(())
    }

    fn shadow_of(&self, id: FlowId) -> &Shadow {
        self.shadow[id.index()]
            .as_ref()
            .expect("ids come from the shadow's active set")
    }
}

fn run(seed: u64) -> Result<(), String> {
    let mut rng = stream(seed, Stream::Picker);
    let mut net = FlowNetwork::new();
    let n_hosts = rng.random_range(2..=12);
    let caps: Vec<(u64, u64)> = (0..n_hosts)
        .map(|_| (capacity(&mut rng), capacity(&mut rng)))
        .collect();
    for &(up, down) in &caps {
        net.add_host(up, down);
    }
    let mut run = Run {
        net,
        caps,
        shadow: Vec::new(),
        now: SimTime::ZERO,
        prev_gen: Vec::new(),
        expect_retimed: Vec::new(),
        queue: BinaryHeap::new(),
        scheduled: Vec::new(),
        batch: Vec::new(),
    };
    for op in 0..OPS {
        let what = run.apply(&mut rng).map_err(|e| format!("op {op}: {e}"))?;
        run.check().map_err(|e| format!("op {op} ({what}): {e}"))?;
    }
    Ok(())
}

#[test]
fn fast_model_matches_reference_over_random_operations() {
    for seed in 0..SEEDS {
        match catch_unwind(AssertUnwindSafe(|| run(seed))) {
            Ok(Ok(())) => {}
            Ok(Err(msg)) => panic!("seed {seed}: {msg}"),
            Err(_) => panic!("seed {seed}: the model panicked (message above)"),
        }
    }
}
