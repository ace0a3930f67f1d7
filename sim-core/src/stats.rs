//! Summary statistics of a sample: count, mean and nearest-rank percentiles.
//!
//! Invariant: a pure function of the multiset of values (their order does not matter).

use serde::Serialize;

crate::documented! {
    /// Mean and nearest-rank percentiles of a sample; `None` fields when the sample is empty.
    #[derive(Clone, Debug, Default, PartialEq, Serialize)]
    pub struct Stats {
        /// Values in the sample.
        pub count: usize,
        /// Mean; empty for an empty sample.
        pub mean: Option<f64>,
        /// Median (nearest rank); empty for an empty sample.
        pub p50: Option<f64>,
        /// 90th percentile (nearest rank); empty for an empty sample.
        pub p90: Option<f64>,
        /// 99th percentile (nearest rank); empty for an empty sample.
        pub p99: Option<f64>,
    }
}

impl Stats {
    /// Summarises `values` (any order). Percentile `q` is the nearest-rank value
    /// `sorted[ceil(q·n) − 1]`. Cost O(n log n).
    pub fn of(mut values: Vec<f64>) -> Stats {
        if values.is_empty() {
            return Stats::default();
        }
        values.sort_by(f64::total_cmp);
        let n = values.len();
        let rank = |q: f64| values[((q * n as f64).ceil() as usize).clamp(1, n) - 1];
        Stats {
            count: n,
            mean: Some(values.iter().sum::<f64>() / n as f64),
            p50: Some(rank(0.5)),
            p90: Some(rank(0.9)),
            p99: Some(rank(0.99)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let s = Stats::of((1..=100).map(f64::from).rev().collect());
        assert_eq!(
            (s.count, s.mean, s.p50, s.p90, s.p99),
            (100, Some(50.5), Some(50.0), Some(90.0), Some(99.0))
        );
        let one = Stats::of(vec![7.0]);
        assert_eq!((one.p50, one.p99), (Some(7.0), Some(7.0)));
        assert_eq!(Stats::of(vec![]).mean, None);
    }
}
