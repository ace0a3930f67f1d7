//! Summary metrics by name: every numeric leaf of `summary.json` becomes one dotted metric
//! (`torrents.release.download_time_s.p50`, `economy.gini`), so metrics added to the summary
//! appear in sweep tables and regression checks without code changes. Also the statistics
//! of a metric over replicates (mean, standard deviation, 95% confidence interval).
//!
//! Invariant: the metric list follows the summary's own field order; nulls stay `None`.

use serde_json::Value;

/// Top-level summary fields that identify a run rather than measure it.
const NOT_METRICS: &[&str] = &["seed"];

/// One named metric of a run; `None` where the summary holds `null` (for example a longevity
/// that was never reached).
pub type Metric = (String, Option<f64>);

/// Flattens the numeric leaves of a run's `summary.json` into dotted names.
///
/// Objects nest with `.`; a list of objects that each carry a string `name` is keyed by that
/// name (`torrents.release.…`), any other list by index (`list.0.…`). Strings and booleans
/// are skipped. Cost O(size of the summary).
pub fn flatten_summary(summary: &Value) -> Vec<Metric> {
    leaves(summary)
        .into_iter()
        .map(|(n, v, _)| (n, v))
        .collect()
}

/// The metrics of `summary` whose value is an integer (counts, bytes): the summary writes
/// integer fields as integers and float fields with a fraction (`2.0`), and no integer field
/// of a summary is ever null, so this is the field's type, not the value's accident.
pub fn integer_metrics(summary: &Value) -> std::collections::BTreeSet<String> {
    leaves(summary)
        .into_iter()
        .filter(|l| l.2)
        .map(|l| l.0)
        .collect()
}

/// (name, value, is an integer) of every numeric or null leaf.
fn leaves(summary: &Value) -> Vec<(String, Option<f64>, bool)> {
    let mut out = Vec::new();
    if let Value::Object(map) = summary {
        for (k, v) in map {
            if !NOT_METRICS.contains(&k.as_str()) {
                flatten(k, v, &mut out);
            }
        }
    }
    out
}

fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, Option<f64>, bool)>) {
    match value {
        Value::Number(n) => out.push((prefix.to_string(), n.as_f64(), !n.is_f64())),
        Value::Null => out.push((prefix.to_string(), None, false)),
        Value::Object(map) => {
            for (k, v) in map {
                flatten(&format!("{prefix}.{k}"), v, out);
            }
        }
        Value::Array(items) => {
            let named: Option<Vec<&str>> = items
                .iter()
                .map(|i| i.get("name").and_then(Value::as_str))
                .collect();
            let unique = named.as_ref().is_some_and(|names| {
                let mut sorted = names.clone();
                sorted.sort_unstable();
                sorted.dedup();
                sorted.len() == names.len()
            });
            for (i, item) in items.iter().enumerate() {
                let key = match (&named, unique) {
                    (Some(names), true) => names[i].to_string(),
                    _ => i.to_string(),
                };
                flatten(&format!("{prefix}.{key}"), item, out);
            }
        }
        Value::String(_) | Value::Bool(_) => {}
    }
}

/// Mean, sample standard deviation and a 95% confidence interval of one metric over the
/// replicates of a sweep point; missing values are counted apart.
#[derive(Clone, Debug, PartialEq)]
pub struct Aggregate {
    /// Replicates with a value.
    pub n: usize,
    /// Replicates where the metric was null.
    pub missing: usize,
    pub mean: Option<f64>,
    /// Sample standard deviation (n − 1); `None` for fewer than two values.
    pub sd: Option<f64>,
    /// Student-t 95% interval of the mean; `None` for fewer than two values.
    pub ci95_low: Option<f64>,
    pub ci95_high: Option<f64>,
}

impl Aggregate {
    /// Summarises `values` in the given order (the order is fixed by the caller so that the
    /// floating-point sums, and so the written bytes, never depend on scheduling). Cost O(n).
    pub fn of(values: &[Option<f64>]) -> Aggregate {
        let present: Vec<f64> = values.iter().flatten().copied().collect();
        let n = present.len();
        let missing = values.len() - n;
        let mean = (n > 0).then(|| present.iter().sum::<f64>() / n as f64);
        let sd = mean.filter(|_| n > 1).map(|m| {
            let ss: f64 = present.iter().map(|x| (x - m) * (x - m)).sum();
            (ss / (n - 1) as f64).sqrt()
        });
        let half = sd.map(|s| t_975(n - 1) * s / (n as f64).sqrt());
        Aggregate {
            n,
            missing,
            mean,
            sd,
            ci95_low: mean.zip(half).map(|(m, h)| m - h),
            ci95_high: mean.zip(half).map(|(m, h)| m + h),
        }
    }
}

/// The 0.975 quantile of Student's t distribution with `df` degrees of freedom (`df ≥ 1`):
/// exact table values to 30, then the Cornish–Fisher expansion around the normal quantile
/// (error below 1e-5 there).
pub fn t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157,
        2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905, 2.109816, 2.100922,
        2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831,
        2.048407, 2.045230, 2.042272,
    ];
    assert!(df >= 1, "t quantile needs at least one degree of freedom");
    if df <= TABLE.len() {
        return TABLE[df - 1];
    }
    let z: f64 = 1.959_963_984_540_054;
    let v = df as f64;
    let (z3, z5, z7) = (z.powi(3), z.powi(5), z.powi(7));
    z + (z3 + z) / (4.0 * v)
        + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * v * v)
        + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * v * v * v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flattens_named_lists_nested_objects_and_nulls() {
        let s = json!({
            "scenario": "x", "seed": 9, "events_processed": 10,
            "torrents": [{"name": "a", "download_time_s": {"count": 2, "p50": 1.5},
                          "longevity_s": null}],
            "economy": {"gini": 0.25, "price_per_mib": {"p50": 3}, "ok": true},
            "list": [1, 2]
        });
        let names: Vec<(String, Option<f64>)> = flatten_summary(&s);
        assert_eq!(
            names,
            vec![
                ("events_processed".into(), Some(10.0)),
                ("torrents.a.download_time_s.count".into(), Some(2.0)),
                ("torrents.a.download_time_s.p50".into(), Some(1.5)),
                ("torrents.a.longevity_s".into(), None),
                ("economy.gini".into(), Some(0.25)),
                ("economy.price_per_mib.p50".into(), Some(3.0)),
                ("list.0".into(), Some(1.0)),
                ("list.1".into(), Some(2.0)),
            ]
        );
    }

    #[test]
    fn duplicate_names_fall_back_to_indices() {
        let s = json!({"t": [{"name": "a", "v": 1}, {"name": "a", "v": 2}]});
        let names: Vec<String> = flatten_summary(&s).into_iter().map(|m| m.0).collect();
        assert_eq!(names, vec!["t.0.v", "t.1.v"]);
    }

    #[test]
    fn aggregate_matches_hand_computation() {
        let a = Aggregate::of(&[Some(1.0), Some(2.0), None, Some(3.0)]);
        assert_eq!((a.n, a.missing, a.mean, a.sd), (3, 1, Some(2.0), Some(1.0)));
        let half = 4.302653 / 3f64.sqrt();
        assert!((a.ci95_low.unwrap() - (2.0 - half)).abs() < 1e-12);
        assert!((a.ci95_high.unwrap() - (2.0 + half)).abs() < 1e-12);
        let one = Aggregate::of(&[Some(5.0)]);
        assert_eq!((one.mean, one.sd, one.ci95_low), (Some(5.0), None, None));
        assert_eq!(Aggregate::of(&[None]).mean, None);
    }

    #[test]
    fn t_quantile_is_continuous_past_the_table() {
        // Reference values: t(0.975; 31) = 2.039513, t(0.975; 60) = 2.000298,
        // t(0.975; 120) = 1.979930.
        for (df, want) in [(31, 2.039513), (60, 2.000298), (120, 1.979930)] {
            assert!((t_975(df) - want).abs() < 1e-5, "df {df}: {}", t_975(df));
        }
        assert!(t_975(30) > t_975(31) && t_975(1000) > 1.96);
    }
}
