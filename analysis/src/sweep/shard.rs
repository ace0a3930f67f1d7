//! Shards: a deterministic split of a sweep's runs over `n` processes (`--shard i/n`, for
//! a cluster's job array), and the plan listing (`--plan`) that says which run goes where.
//!
//! Run `k` of the (point, replicate) order belongs to shard `k mod n`: neighbouring points,
//! which often cost alike, go to different shards, so shards take about equal time.
//!
//! Invariant: the shards of one `n` partition the runs — every run is in exactly one.

use super::plan::{Plan, RunId};
use super::values::text;
use crate::error::InputError;
use serde::Serialize;

/// Shard `index` of `count` (0-based, `index < count`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// Parses `i/n` (0 ≤ i < n).
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("--shard `{text}`: give i/n with 0 ≤ i < n, e.g. 0/4 … 3/4");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count): (u64, u64) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if count == 0 {
            return Err(format!("--shard `{text}`: n = 0; give at least one shard"));
        }
        if index >= count {
            return Err(format!(
                "--shard `{text}`: i = {index} is not below n = {count}; shards are numbered 0 … {}",
                count - 1
            ));
        }
        Ok(Shard { index, count })
    }

    /// Whether run number `k` of the (point, replicate) order is in this shard.
    pub fn holds(self, k: u64) -> bool {
        k % self.count == self.index
    }
}

/// One line of `--plan`.
#[derive(Debug, Serialize)]
struct PlanRow {
    run: String,
    point: u32,
    replicate: u32,
    seed: u64,
    shard: Option<u64>,
    /// The point's parameter values as `path=value` pairs joined by `; `.
    overrides: String,
}

/// Every run of `plan` (or of `shard`) as CSV: run, point, replicate, seed, shard, overrides.
pub fn listing(plan: &Plan, shard: Option<Shard>) -> Result<String, InputError> {
    let rows: Vec<PlanRow> = (0..plan.run_count())
        .filter(|&k| shard.is_none_or(|s| s.holds(k)))
        .map(|k| {
            let run: RunId = plan.run_at(k);
            let point = &plan.points[run.point as usize];
            let overrides: Vec<String> = plan
                .spec
                .parameters
                .iter()
                .zip(&point.values)
                .map(|(p, v)| format!("{}={}", p.path, text(v)))
                .collect();
            PlanRow {
                run: run.dir_name(),
                point: run.point,
                replicate: run.replicate,
                seed: plan.seed_of(run),
                shard: shard.map(|s| s.index),
                overrides: overrides.join("; "),
            }
        })
        .collect();
    crate::table::to_csv(&rows).map_err(|e| InputError::new(&plan.spec.file, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_strictly_and_partition_the_runs() {
        assert_eq!(Shard::parse("2/4"), Ok(Shard { index: 2, count: 4 }));
        for bad in ["4/4", "1/0", "0/0", "x/2", "1", "-1/3", "1/2/3"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        assert!(Shard::parse("4/4").unwrap_err().contains("0 … 3"));
        for n in 1..6u64 {
            for k in 0..40u64 {
                let owners = (0..n)
                    .filter(|&i| Shard { index: i, count: n }.holds(k))
                    .count();
                assert_eq!(owners, 1, "run {k} with {n} shards");
            }
        }
    }
}
