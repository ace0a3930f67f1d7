//! Flow-level bandwidth model: every active flow gets an equal share of its uploader's upload
//! and of its downloader's download capacity and runs at the smaller of the two.
//!
//! Invariant: every active flow's rate equals [`reference::rates`] for the current flow set,
//! and its completion time is `last_update + ceil(remaining * 1e6 / rate)` µs. Rates are
//! updated incrementally: a start or stop only touches the two host sides whose flow count
//! changed, and only flows whose rate really changed get a new generation (and must be
//! rescheduled by the engine, see [`FlowNetwork::drain_retimed`]).

mod invariants;
pub mod reference;

#[cfg(test)]
mod differential;
#[cfg(test)]
mod tests;

use crate::ids::{FlowId, HostId};
use crate::prefetch::{prefetch, prefetch_write};
use crate::time::{MICROS_PER_SECOND, SimTime};

/// A host's two capacities and the active flows using each side.
#[derive(Debug)]
struct Host {
    /// Upload capacity, bytes/s, ≥ 1.
    up: u64,
    /// Download capacity, bytes/s, ≥ 1.
    down: u64,
    /// Active flows uploading from this host; `Flow::up_pos` is the position here.
    uploads: Vec<FlowId>,
    /// Active flows downloading to this host; `Flow::down_pos` is the position here.
    downloads: Vec<FlowId>,
}

/// One transfer slot. Slots are recycled; its generation (in `FlowNetwork::generations`)
/// keeps counting across reuse so that an event scheduled for an earlier occupant never
/// matches a later one.
#[derive(Clone, Debug)]
struct Flow {
    from: HostId,
    to: HostId,
    active: bool,
    /// Bytes/s, ≥ 1 while active.
    rate: u64,
    /// Size of the current piece, bytes.
    piece: u64,
    /// Bytes of the current piece still to deliver as of `last_update`.
    remaining: u64,
    last_update: SimTime,
    /// `last_update + ceil(remaining * 1e6 / rate)`, cached for `completion()`.
    completion: SimTime,
    up_pos: u32,
    down_pos: u32,
    /// The user's tag for the flow (see [`FlowNetwork::set_owner`]); 0 until set.
    owner: u32,
}

impl Flow {
    /// Bytes delivered between `last_update` and `now` at the current rate, capped at
    /// `remaining` (the engine may look at a flow after its completion time).
    fn progress(&self, now: SimTime) -> u64 {
        debug_assert!(
            now >= self.last_update,
            "flow looked at {now:?}, before its last update {:?}",
            self.last_update
        );
        let elapsed = u128::from(now.since(self.last_update).as_micros());
        let bytes = u128::from(self.rate) * elapsed / u128::from(MICROS_PER_SECOND);
        // The cap keeps the value ≤ remaining, so it fits in u64.
        bytes.min(u128::from(self.remaining)) as u64
    }
}

/// `last_update + ceil(remaining * 1e6 / rate)`, saturating at [`SimTime::NEVER`].
fn finish_time(last_update: SimTime, remaining: u64, rate: u64) -> SimTime {
    let micros = (u128::from(remaining) * u128::from(MICROS_PER_SECOND)).div_ceil(u128::from(rate));
    SimTime(
        last_update
            .0
            .saturating_add(u64::try_from(micros).unwrap_or(u64::MAX)),
    )
}

/// Advances `flow`'s generation (events carrying an earlier one become stale) and returns
/// the new one.
fn advance(generations: &mut [u32], flow: FlowId) -> u32 {
    let g = &mut generations[flow.index()];
    *g = g.wrapping_add(1);
    *g
}

/// Equal share of `capacity` among `n` flows, at least 1 byte/s.
fn share(capacity: u64, n: usize) -> u64 {
    (capacity / n.max(1) as u64).max(1)
}

/// Flows sharing host capacities. See the module documentation for the model.
#[derive(Debug, Default)]
pub struct FlowNetwork {
    hosts: Vec<Host>,
    flows: Vec<Flow>,
    /// Generation of each slot, apart from the flows so that dropping a stale event reads
    /// 4 bytes of a small dense table instead of the flow's cache line. It advances on every
    /// start, restart, re-timing and stop, so the generation of an inactive slot is carried
    /// by no event.
    generations: Vec<u32>,
    /// Inactive slots, reused last-freed-first (LIFO), so ids depend only on the call sequence.
    free: Vec<FlowId>,
    /// `(flow, generation, completion)` of flows re-timed since the last `drain_retimed`.
    retimed: Vec<(FlowId, u32, SimTime)>,
}

impl FlowNetwork {
    /// An empty network. Cost: O(1), no allocation.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a host with capacities in bytes/s (both ≥ 1). Ids are dense: 0, 1, 2, … in call
    /// order, matching the engine's `HostId`s. Cost: O(1) amortised.
    pub fn add_host(&mut self, up_bytes_per_s: u64, down_bytes_per_s: u64) -> HostId {
        assert!(
            up_bytes_per_s >= 1 && down_bytes_per_s >= 1,
            "host capacities must be ≥ 1 B/s, got up {up_bytes_per_s} down {down_bytes_per_s}"
        );
        let id = HostId(u32::try_from(self.hosts.len()).expect("more than u32::MAX hosts"));
        self.hosts.push(Host {
            up: up_bytes_per_s,
            down: down_bytes_per_s,
            uploads: Vec::new(),
            downloads: Vec::new(),
        });
        id
    }

    /// Number of hosts added so far. Cost: O(1).
    pub fn host_count(&self) -> usize {
        self.hosts.len()
    }

    /// `(upload, download)` capacity of `host`, bytes/s. Cost: O(1).
    pub fn capacity(&self, host: HostId) -> (u64, u64) {
        let h = &self.hosts[host.index()];
        (h.up, h.down)
    }

    /// Starts a flow carrying `bytes` (0 completes at `now`) from `from` to `to` at `now`
    /// (`from == to` is accepted and counted on both sides). The new flow and every flow
    /// whose rate changed (at `from`'s upload side and `to`'s download side) are recorded as
    /// re-timed. Returns a recycled id if one is free (the last one freed).
    ///
    /// Cost: O(n_up(from) + n_down(to)); no allocation once the per-host lists and the slot
    /// table have reached their steady-state size.
    pub fn start(&mut self, now: SimTime, from: HostId, to: HostId, bytes: u64) -> FlowId {
        let old_up = self.up_share(from);
        let old_down = self.down_share(to);
        let up_pos = self.hosts[from.index()].uploads.len() as u32;
        let down_pos = self.hosts[to.index()].downloads.len() as u32;
        let id = match self.free.pop() {
            Some(id) => id,
            None => {
                let id = FlowId(u32::try_from(self.flows.len()).expect("more than u32::MAX flows"));
                self.generations.push(0);
                self.flows.push(Flow {
                    from,
                    to,
                    active: false,
                    rate: 1,
                    piece: 0,
                    remaining: 0,
                    last_update: now,
                    completion: now,
                    up_pos,
                    down_pos,
                    owner: 0,
                });
                id
            }
        };
        self.hosts[from.index()].uploads.push(id);
        self.hosts[to.index()].downloads.push(id);
        let rate = self.up_share(from).min(self.down_share(to));
        let f = &mut self.flows[id.index()];
        debug_assert!(!f.active, "free list held active flow {id:?}");
        let generation = advance(&mut self.generations, id);
        let completion = finish_time(now, bytes, rate);
        *f = Flow {
            from,
            to,
            active: true,
            rate,
            piece: bytes,
            remaining: bytes,
            last_update: now,
            completion,
            up_pos,
            down_pos,
            owner: 0,
        };
        self.retimed.push((id, generation, completion));
        // The new flow already has its final rate, so the sweeps below leave it alone.
        self.rebalance(now, from, old_up, to, old_down);
        id
    }

    /// The same connection continues with its next piece of `bytes` at `now`: the flow keeps
    /// its rate, its remaining bytes are reset, it gets a new generation and is re-timed. No
    /// other flow is affected (the flow counts do not change). Bytes of an unfinished previous
    /// piece are dropped: read `delivered` first if they matter. Cost: O(1), no allocation.
    pub fn restart(&mut self, now: SimTime, flow: FlowId, bytes: u64) {
        let f = self.active_mut(flow);
        debug_assert!(now >= f.last_update, "restart of {flow:?} in the past");
        f.piece = bytes;
        f.remaining = bytes;
        f.last_update = now;
        f.completion = finish_time(now, bytes, f.rate);
        let completion = f.completion;
        let generation = advance(&mut self.generations, flow);
        self.retimed.push((flow, generation, completion));
    }

    /// Removes `flow` at `now` (completed or cancelled) and re-times the flows whose rate
    /// changed. Returns the bytes of its current piece delivered up to `now`, which equals the
    /// piece size at (or after) its completion time. The id may be handed out by a later
    /// `start`; events of this flow are stale from now on.
    ///
    /// Cost: O(n_up(from) + n_down(to)), no allocation.
    pub fn stop(&mut self, now: SimTime, flow: FlowId) -> u64 {
        let f = self.active_mut(flow);
        let delivered = f.piece - f.remaining + f.progress(now);
        f.active = false;
        let (from, to, up_pos, down_pos) = (f.from, f.to, f.up_pos, f.down_pos);
        advance(&mut self.generations, flow);
        let old_up = self.up_share(from);
        let old_down = self.down_share(to);
        let uploads = &mut self.hosts[from.index()].uploads;
        uploads.swap_remove(up_pos as usize);
        if let Some(&moved) = uploads.get(up_pos as usize) {
            self.flows[moved.index()].up_pos = up_pos;
        }
        let downloads = &mut self.hosts[to.index()].downloads;
        downloads.swap_remove(down_pos as usize);
        if let Some(&moved) = downloads.get(down_pos as usize) {
            self.flows[moved.index()].down_pos = down_pos;
        }
        self.free.push(flow);
        self.rebalance(now, from, old_up, to, old_down);
        delivered
    }

    /// Bytes of `flow`'s current piece delivered as of `now`, capped at the piece size. `now`
    /// must not precede the flow's last start, restart or rate change. Cost: O(1).
    pub fn delivered(&self, now: SimTime, flow: FlowId) -> u64 {
        let f = self.active_ref(flow);
        f.piece - f.remaining + f.progress(now)
    }

    /// Tags an active flow with a value of the caller's (the engine: the connection direction
    /// it carries), kept until the flow stops and readable from a completion event's flow
    /// without a table of the caller's own. Cost: O(1).
    pub fn set_owner(&mut self, flow: FlowId, owner: u32) {
        self.active_mut(flow).owner = owner;
    }

    /// The tag of `flow` last set with [`Self::set_owner`] (0 if never), also once the flow
    /// has stopped. Cost: O(1).
    pub fn owner(&self, flow: FlowId) -> u32 {
        self.flows[flow.index()].owner
    }

    /// Prefetches `flow`'s record and generation (a hint; see `Sim::warm_next`). Cost: O(1).
    #[inline]
    pub fn warm(&self, flow: FlowId) {
        if let Some(f) = self.flows.get(flow.index()) {
            prefetch_write(f);
        }
        if let Some(g) = self.generations.get(flow.index()) {
            prefetch(g);
        }
    }

    /// Current rate of `flow`, bytes/s (≥ 1). Cost: O(1).
    pub fn rate(&self, flow: FlowId) -> u64 {
        self.active_ref(flow).rate
    }

    /// When `flow`'s current piece completes and the generation an event for it must carry.
    /// Cost: O(1).
    pub fn completion(&self, flow: FlowId) -> (SimTime, u32) {
        let f = self.active_ref(flow);
        (f.completion, self.generations[flow.index()])
    }

    /// Whether an event `(flow, generation)` still describes an active flow's current timing:
    /// false for stopped or recycled flows and for superseded generations. Cost: O(1), one
    /// load from the generation table (a stopped slot's generation is carried by no event).
    pub fn is_current(&self, flow: FlowId, generation: u32) -> bool {
        self.generations.get(flow.index()) == Some(&generation)
    }

    /// `(from, to)` of an active flow. Cost: O(1).
    pub fn endpoints(&self, flow: FlowId) -> (HostId, HostId) {
        let f = self.active_ref(flow);
        (f.from, f.to)
    }

    /// Drains every `(flow, generation, completion, owner)` re-timed since the last call, in
    /// the order the changes happened (`owner`: the flow's tag, see [`Self::set_owner`]). A
    /// flow re-timed twice appears twice; only the last entry is current. Every entry's time
    /// is ≥ the `now` of the call that produced it. Cost: O(entries), no allocation.
    pub fn drain_retimed(&mut self) -> impl Iterator<Item = (FlowId, u32, SimTime, u32)> + '_ {
        let flows = &self.flows;
        self.retimed
            .drain(..)
            .map(move |(flow, generation, at)| (flow, generation, at, flows[flow.index()].owner))
    }

    /// Number of active flows uploading from `host`. Cost: O(1).
    pub fn active_up(&self, host: HostId) -> u32 {
        self.hosts[host.index()].uploads.len() as u32
    }

    /// Number of active flows downloading to `host`. Cost: O(1).
    pub fn active_down(&self, host: HostId) -> u32 {
        self.hosts[host.index()].downloads.len() as u32
    }

    /// Number of active flows. Cost: O(1).
    pub fn active_flows(&self) -> usize {
        self.flows.len() - self.free.len()
    }

    /// Upload share each flow from `host` gets with the current count.
    /// The rate a new flow from `from` to `to` would get if started now (one more flow on
    /// each side). Cost O(1).
    pub fn rate_if_started(&self, from: HostId, to: HostId) -> u64 {
        let (u, d) = (&self.hosts[from.index()], &self.hosts[to.index()]);
        share(u.up, u.uploads.len() + 1).min(share(d.down, d.downloads.len() + 1))
    }

    fn up_share(&self, host: HostId) -> u64 {
        let h = &self.hosts[host.index()];
        share(h.up, h.uploads.len())
    }

    /// Download share each flow to `host` gets with the current count.
    fn down_share(&self, host: HostId) -> u64 {
        let h = &self.hosts[host.index()];
        share(h.down, h.downloads.len())
    }

    /// After `from`'s upload count and `to`'s download count changed, recompute the rates of
    /// the flows on those two sides. A flow's rate depends only on its two sides' shares, so a
    /// side whose share did not change (e.g. floor division) cannot change any rate and is
    /// skipped; a flow on both sides is visited twice, the second visit being a no-op.
    fn rebalance(&mut self, now: SimTime, from: HostId, old_up: u64, to: HostId, old_down: u64) {
        let Self {
            hosts,
            flows,
            generations,
            retimed,
            ..
        } = self;
        let rate_of = |f: &Flow| {
            let (src, dst) = (&hosts[f.from.index()], &hosts[f.to.index()]);
            share(src.up, src.uploads.len()).min(share(dst.down, dst.downloads.len()))
        };
        let src = &hosts[from.index()];
        let dst = &hosts[to.index()];
        let up_list: &[FlowId] = if share(src.up, src.uploads.len()) != old_up {
            &src.uploads
        } else {
            &[]
        };
        let down_list: &[FlowId] = if share(dst.down, dst.downloads.len()) != old_down {
            &dst.downloads
        } else {
            &[]
        };
        for &id in up_list.iter().chain(down_list) {
            let f = &mut flows[id.index()];
            let rate = rate_of(f);
            if rate == f.rate {
                continue;
            }
            // Credit what the old rate delivered, then continue from `now` at the new rate.
            f.remaining -= f.progress(now);
            f.last_update = now;
            f.rate = rate;
            f.completion = finish_time(now, f.remaining, rate);
            retimed.push((id, advance(generations, id), f.completion));
        }
    }

    fn active_ref(&self, flow: FlowId) -> &Flow {
        match self.flows.get(flow.index()) {
            Some(f) if f.active => f,
            _ => panic!("{flow:?} is not an active flow"),
        }
    }

    fn active_mut(&mut self, flow: FlowId) -> &mut Flow {
        match self.flows.get_mut(flow.index()) {
            Some(f) if f.active => f,
            _ => panic!("{flow:?} is not an active flow"),
        }
    }
}
