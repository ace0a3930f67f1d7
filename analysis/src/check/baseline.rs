//! Baseline files of the regression gate: `NAME.baseline.toml` next to `NAME.toml`, holding
//! the seeds to run, the expected value of every summary metric (mean over the seeds) and
//! its tolerance.
//!
//! ```toml
//! seeds = [1, 2, 3]
//! ignore = []                      # metrics not compared
//! [metrics."torrents.file.download_time_s.mean"]
//! value = 123.4                    # absent: the metric is expected to be null
//! rel = 0.02                       # |now − value| ≤ max(abs, rel·|value|)
//! abs = 0.0
//! ```
//!
//! Invariant: blessing keeps the seeds, the ignore list and every tolerance already in the
//! file; only values change, and new metrics get the default tolerance. The file is written
//! in the summary's metric order, so the same results give the same bytes.

use crate::error::InputError;
use serde::Deserialize;
use std::path::Path;

/// Tolerance of a metric not yet in the baseline.
pub const DEFAULT_REL: f64 = 0.02;
/// Metrics a new baseline leaves out: engine bookkeeping that changes with any optimisation
/// of the event loop without changing what is simulated.
pub const DEFAULT_IGNORE: [&str; 1] = ["events_processed"];
/// Seeds of a scenario that has no baseline yet.
pub const DEFAULT_SEEDS: [u64; 3] = [1, 2, 3];

/// A metric's expected value and tolerance.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    pub value: Option<f64>,
    #[serde(default)]
    pub rel: f64,
    #[serde(default)]
    pub abs: f64,
}

impl Expected {
    /// The allowed absolute difference.
    pub fn allowed(&self) -> f64 {
        self.abs.max(self.rel * self.value.unwrap_or(0.0).abs())
    }

    /// Whether `now` is within tolerance (two nulls agree; a null and a number do not).
    pub fn accepts(&self, now: Option<f64>) -> bool {
        match (self.value, now) {
            (None, None) => true,
            (Some(b), Some(n)) => (n - b).abs() <= self.allowed(),
            _ => false,
        }
    }
}

/// A parsed baseline file; `metrics` keeps the file's order.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub seeds: Vec<u64>,
    #[serde(default)]
    pub ignore: Vec<String>,
    #[serde(default)]
    pub metrics: ordered::OrderedMetrics,
}

/// The metrics table in file order (the `toml` crate keeps order with `preserve_order`).
pub mod ordered {
    use super::Expected;
    use serde::Deserialize;

    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct OrderedMetrics(pub Vec<(String, Expected)>);

    impl<'de> Deserialize<'de> for OrderedMetrics {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let table = toml::Table::deserialize(d)?;
            let mut out = Vec::with_capacity(table.len());
            for (k, v) in table {
                // The path inside the metric's table travels in the message (see
                // `sim_core::config::tagged`), so the error names `metrics."k".rel`.
                let e: Expected = serde_path_to_error::deserialize(v).map_err(|e| {
                    let inner = e.path().to_string();
                    let path = if inner.is_empty() || inner == "." {
                        format!("\"{k}\"")
                    } else {
                        format!("\"{k}\".{inner}")
                    };
                    serde::de::Error::custom(format!(
                        "{mark}{path}{mark}{}",
                        e.inner().message(),
                        mark = sim_core::config::tagged::PATH_MARK
                    ))
                })?;
                out.push((k, e));
            }
            Ok(OrderedMetrics(out))
        }
    }

    impl OrderedMetrics {
        pub fn get(&self, name: &str) -> Option<&Expected> {
            self.0.iter().find(|(k, _)| k == name).map(|(_, e)| e)
        }
    }
}

impl Baseline {
    /// Reads `path`; `Ok(None)` if it does not exist.
    pub fn load(path: &Path) -> Result<Option<Baseline>, InputError> {
        if !path.exists() {
            return Ok(None);
        }
        let text = crate::load::read_text(path, "baseline")?;
        let table = crate::load::parse_toml(&text, path)?;
        let b: Baseline = crate::load::deserialize_strict(toml::Value::Table(table), path)?;
        if b.seeds.is_empty() {
            return Err(InputError::new(
                path,
                "field `seeds`: give at least one seed",
            ));
        }
        if let Some((name, e)) = b
            .metrics
            .0
            .iter()
            .find(|(_, e)| e.value.is_some_and(|v| !v.is_finite()))
        {
            return Err(InputError::new(
                path,
                format!(
                    "field `metrics.\"{name}\".value`: must be a finite number, got {} (leave `value` out to expect null)",
                    e.value.unwrap_or_default()
                ),
            ));
        }
        if let Some((name, e)) = b.metrics.0.iter().find(|(_, e)| {
            !(e.rel >= 0.0 && e.abs >= 0.0 && e.rel.is_finite() && e.abs.is_finite())
        }) {
            return Err(InputError::new(
                path,
                format!(
                    "field `metrics.\"{name}\"`: tolerances must be finite and non-negative (rel = {}, abs = {})",
                    e.rel, e.abs
                ),
            ));
        }
        Ok(Some(b))
    }

    /// The baseline text for `values`, keeping this baseline's seeds, ignore list and
    /// tolerances. Metrics come in the order of `order` (the summary's); an ignored metric
    /// keeps its table as it is, where it stands.
    pub fn render(
        &self,
        scenario: &str,
        order: &[String],
        values: &[(String, Option<f64>)],
    ) -> String {
        let mut s = format!(
            "# Regression baseline of {scenario}: the mean over `seeds` of every summary metric.\n\
             # Checked by `tokenswarm check`; values rewritten by `tokenswarm check --bless`, which\n\
             # keeps the seeds, the ignore list and the tolerances. A metric passes when\n\
             # |now - value| <= max(abs, rel * |value|); a metric without `value` is expected null.\n"
        );
        let list = |v: &[String]| {
            v.iter()
                .map(|x| toml::Value::String(x.clone()).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let seeds: Vec<String> = self.seeds.iter().map(u64::to_string).collect();
        s.push_str(&format!("seeds = [{}]\n", seeds.join(", ")));
        s.push_str(&format!("ignore = [{}]\n", list(&self.ignore)));
        let table = |s: &mut String, name: &str, value: Option<f64>, rel: f64, abs: f64| {
            s.push_str(&format!(
                "\n[metrics.{}]\n",
                toml::Value::String(name.to_string())
            ));
            if let Some(v) = value {
                s.push_str(&format!("value = {}\n", float(v)));
            }
            s.push_str(&format!("rel = {}\nabs = {}\n", float(rel), float(abs)));
        };
        for name in order {
            let old = self.metrics.get(name);
            if self.ignore.contains(name) {
                // Ignoring a metric for a while must not lose its tolerance.
                if let Some(e) = old {
                    table(&mut s, name, e.value, e.rel, e.abs);
                }
                continue;
            }
            let Some((_, value)) = values.iter().find(|(n, _)| n == name) else {
                continue;
            };
            let (rel, abs) = old.map_or((DEFAULT_REL, 0.0), |e| (e.rel, e.abs));
            table(&mut s, name, *value, rel, abs);
        }
        // Ignored metrics no longer in the summary keep their tables too, at the end.
        for (name, e) in &self.metrics.0 {
            if self.ignore.contains(name) && !order.contains(name) {
                table(&mut s, name, e.value, e.rel, e.abs);
            }
        }
        s
    }
}

/// A float as TOML (always with a decimal point or exponent).
fn float(v: f64) -> String {
    toml::Value::Float(v).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerance_is_the_larger_of_abs_and_rel() {
        let e = Expected {
            value: Some(100.0),
            rel: 0.02,
            abs: 0.5,
        };
        assert_eq!(e.allowed(), 2.0);
        assert!(e.accepts(Some(101.9)) && !e.accepts(Some(102.1)) && !e.accepts(None));
        let z = Expected {
            value: Some(0.0),
            rel: 0.5,
            abs: 0.0,
        };
        assert!(z.accepts(Some(0.0)) && !z.accepts(Some(1e-9)));
        let null = Expected {
            value: None,
            rel: 0.0,
            abs: 0.0,
        };
        assert!(null.accepts(None) && !null.accepts(Some(0.0)));
    }

    #[test]
    fn render_round_trips_and_keeps_tolerances() {
        let dir = std::env::temp_dir().join(format!("ts-baseline-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("b.toml");
        let first = Baseline {
            seeds: vec![4, 5],
            ignore: vec!["x".into()],
            metrics: Default::default(),
        };
        let order = ["a.b".to_string(), "c".to_string()];
        let text = first.render(
            "s.toml",
            &order,
            &[("a.b".into(), Some(2.0)), ("c".into(), None)],
        );
        std::fs::write(
            &path,
            text.replace(
                "rel = 0.02\nabs = 0.0\n\n[metrics.\"c\"]",
                "rel = 0.1\nabs = 3.0\n\n[metrics.\"c\"]",
            ),
        )
        .unwrap();
        let b = Baseline::load(&path).unwrap().unwrap();
        assert_eq!(b.seeds, vec![4, 5]);
        assert_eq!(
            b.metrics.get("a.b"),
            Some(&Expected {
                value: Some(2.0),
                rel: 0.1,
                abs: 3.0
            })
        );
        assert_eq!(b.metrics.get("c").unwrap().value, None);
        let again = b.render(
            "s.toml",
            &order,
            &[("a.b".into(), Some(2.5)), ("c".into(), None)],
        );
        assert!(
            again.contains("value = 2.5\nrel = 0.1\nabs = 3.0"),
            "{again}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
