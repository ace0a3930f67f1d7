//! `FlowNetwork::check_invariants`: the slow, allocation-heavy audit of the fast model's
//! bookkeeping, kept apart from the hot paths in `mod.rs`.
//!
//! Invariant checked: per-host lists, stored positions, the free list and the active flags
//! agree; every active flow's completion matches its progress; every rate equals the
//! reference.

use super::{FlowNetwork, finish_time, reference};

impl FlowNetwork {
    /// Checks every structural invariant and compares all rates against
    /// [`reference::rates`]. For tests and debug builds. Cost: O(hosts + flows), allocates.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut listed = vec![0u32; self.flows.len()];
        for (h, host) in self.hosts.iter().enumerate() {
            for (pos, &id) in host.uploads.iter().enumerate() {
                let f = self.flows.get(id.index()).ok_or(format!("bad id {id:?}"))?;
                if !f.active || f.from.index() != h || f.up_pos as usize != pos {
                    return Err(format!(
                        "host {h} uploads[{pos}] = {id:?} inconsistent: {f:?}"
                    ));
                }
                listed[id.index()] += 1;
            }
            for (pos, &id) in host.downloads.iter().enumerate() {
                let f = self.flows.get(id.index()).ok_or(format!("bad id {id:?}"))?;
                if !f.active || f.to.index() != h || f.down_pos as usize != pos {
                    return Err(format!(
                        "host {h} downloads[{pos}] = {id:?} inconsistent: {f:?}"
                    ));
                }
                listed[id.index()] += 1;
            }
        }
        let mut freed = vec![false; self.flows.len()];
        for &id in &self.free {
            let slot = freed
                .get_mut(id.index())
                .ok_or(format!("bad free {id:?}"))?;
            if *slot || self.flows[id.index()].active {
                return Err(format!("free list entry {id:?} duplicated or active"));
            }
            *slot = true;
        }
        let mut capacities = Vec::with_capacity(self.hosts.len());
        capacities.extend(self.hosts.iter().map(|h| (h.up, h.down)));
        let mut pairs = Vec::new();
        let mut ids = Vec::new();
        for (i, f) in self.flows.iter().enumerate() {
            match (f.active, listed[i], freed[i]) {
                (true, 2, false) | (false, 0, true) => {}
                state => return Err(format!("flow {i} (active, listed, free) = {state:?}")),
            }
            if f.active {
                if f.remaining > f.piece
                    || f.completion != finish_time(f.last_update, f.remaining, f.rate)
                {
                    return Err(format!("flow {i} progress/completion inconsistent: {f:?}"));
                }
                pairs.push((f.from, f.to));
                ids.push(i);
            }
        }
        let expected = reference::rates(&capacities, &pairs);
        for (&i, want) in ids.iter().zip(expected) {
            if self.flows[i].rate != want {
                return Err(format!(
                    "flow {i} rate {} but reference says {want}",
                    self.flows[i].rate
                ));
            }
        }
        Ok(())
    }
}
