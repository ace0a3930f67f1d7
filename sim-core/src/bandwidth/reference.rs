//! Slow, obviously correct flow rates: recount every host's active flows from scratch and apply
//! the equal-share formula. The fast model in [`super::FlowNetwork`] must always agree with it.
//!
//! Invariant: this file shares no code with the fast model, so a bug in one is not hidden by the
//! same bug in the other.

use crate::ids::HostId;

/// The rate (bytes/s) of every flow, in the order of `flows`.
///
/// `capacities[h] = (upload, download)` of host `h` in bytes/s; `flows[i] = (from, to)`.
/// A flow gets `min(floor(up(from) / n_up(from)), floor(down(to) / n_down(to)))`, at least 1,
/// where `n_up(h)` / `n_down(h)` count the flows in `flows` uploading from / downloading to `h`.
///
/// Cost: O(hosts + flows) time, two count vectors and the result allocated.
pub fn rates(capacities: &[(u64, u64)], flows: &[(HostId, HostId)]) -> Vec<u64> {
    let mut n_up = vec![0u64; capacities.len()];
    let mut n_down = vec![0u64; capacities.len()];
    for &(from, to) in flows {
        n_up[from.index()] += 1;
        n_down[to.index()] += 1;
    }
    flows
        .iter()
        .map(|&(from, to)| {
            let up_share = capacities[from.index()].0 / n_up[from.index()];
            let down_share = capacities[to.index()].1 / n_down[to.index()];
            up_share.min(down_share).max(1)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_side_separately() {
        // Host 0 uploads to 1 and 2; host 1 also uploads to 2. Host 2 downloads two flows.
        let caps = [(900, 10), (50, 1000), (1, 300)];
        let flows = [
            (HostId(0), HostId(1)),
            (HostId(0), HostId(2)),
            (HostId(1), HostId(2)),
        ];
        assert_eq!(rates(&caps, &flows), vec![450, 150, 50]);
    }

    #[test]
    fn never_below_one_byte_per_second() {
        let caps = [(1, 1), (1, 1)];
        let flows = [(HostId(0), HostId(1)), (HostId(0), HostId(1))];
        assert_eq!(rates(&caps, &flows), vec![1, 1]);
    }
}
