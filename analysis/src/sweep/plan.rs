//! A sweep's plan: the points (one value per parameter), each point's resolved scenario, the
//! seed of every (point, replicate) run, and the identity that tells one sweep from another.
//!
//! Invariant: a plan is complete before any run starts: every path exists, every point's
//! scenario loads and validates, so a bad sweep file fails before anything is written.
//! Seeds depend only on (master seed, point index, replicate), never on scheduling.

use super::paths::{all_paths, closest};
use super::spec::{Base, SweepKind, SweepSpec};
use super::values::{Range, text};
use crate::error::InputError;
use crate::load::{Override, apply_override, scenario_from_str};
use crate::output::{scenario_hash, scenario_toml};
use rand::RngExt;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sim_core::config::Scenario;
use std::path::PathBuf;

/// One point of the sweep: a value for every parameter, in the parameters' order.
#[derive(Clone, Debug)]
pub struct Point {
    pub index: u32,
    pub values: Vec<toml::Value>,
    pub scenario: Scenario,
}

/// One run to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RunId {
    pub point: u32,
    pub replicate: u32,
}

impl RunId {
    /// The run's directory name under `runs/`, e.g. `p0003-r01`.
    pub fn dir_name(self) -> String {
        format!("p{:04}-r{:02}", self.point, self.replicate)
    }
}

/// A sweep ready to run.
#[derive(Debug)]
pub struct Plan {
    pub spec: SweepSpec,
    pub points: Vec<Point>,
    /// SHA-256 over the kind, replicates, master seed and every point's values and resolved
    /// scenario: two sweeps with the same identity produce the same runs.
    pub identity: String,
}

/// The seed of run (point, replicate): the first 8 bytes (little endian) of
/// SHA-256("tokenswarm-sweep-run" ‖ master ‖ point ‖ replicate), integers as 8-byte little
/// endian. Pinned: changing it changes every sweep's results.
pub fn run_seed(master: u64, point: u32, replicate: u32) -> u64 {
    let mut h = Sha256::new();
    h.update(b"tokenswarm-sweep-run");
    h.update(master.to_le_bytes());
    h.update(u64::from(point).to_le_bytes());
    h.update(u64::from(replicate).to_le_bytes());
    let d = h.finalize();
    u64::from_le_bytes(d[..8].try_into().expect("8 bytes of a 32-byte digest"))
}

/// The seed of replicate `replicate` shared by every point of a sweep on common random
/// numbers: the first 8 bytes (little endian) of SHA-256("tokenswarm-sweep-replicate" ‖ master
/// ‖ replicate), integers as 8-byte little endian. Pinned.
pub fn replicate_seed(master: u64, replicate: u32) -> u64 {
    let mut h = Sha256::new();
    h.update(b"tokenswarm-sweep-replicate");
    h.update(master.to_le_bytes());
    h.update(u64::from(replicate).to_le_bytes());
    let d = h.finalize();
    u64::from_le_bytes(d[..8].try_into().expect("8 bytes of a 32-byte digest"))
}

/// The generator for sampled points (random and Latin hypercube), derived like run seeds.
fn points_rng(master: u64) -> ChaCha8Rng {
    let mut h = Sha256::new();
    h.update(b"tokenswarm-sweep-points");
    h.update(master.to_le_bytes());
    ChaCha8Rng::from_seed(h.finalize().into())
}

impl Plan {
    /// Builds and checks the plan of `spec`.
    pub fn new(spec: SweepSpec) -> Result<Plan, InputError> {
        let (base_text, base_path) = match &spec.base {
            Base::File(p) => (crate::load::read_text(p, "base scenario")?, p.clone()),
            Base::Inline(t) => (t.clone(), spec.file.clone()),
        };
        let fixed: Vec<Override> = spec
            .set
            .iter()
            .map(|p| Override {
                path: p.path.clone(),
                value: p.values[0].clone(),
            })
            .collect();
        let base = scenario_from_str(&base_text, &base_path, &[])?;
        check_paths(&spec, &spec.set, "set", &base, &base_text, &base_path)?;
        check_paths(
            &spec,
            &spec.parameters,
            "parameters",
            &base,
            &base_text,
            &base_path,
        )?;
        scenario_from_str(&base_text, &base_path, &fixed)
            .map_err(|e| InputError::new(&spec.file, format!("[set]: {}", e.message)))?;
        let count = point_count(&spec);
        // Every point keeps its own resolved scenario, trace join times included.
        let trace_rows: usize = base
            .torrents
            .iter()
            .map(|t| match &t.arrivals {
                sim_core::config::ArrivalConfig::Trace { times, .. } => times.len(),
                _ => 0,
            })
            .sum();
        if trace_rows as u128 * count > MAX_TRACE_COPIES {
            return Err(InputError::new(
                &spec.file,
                format!(
                    "each of the {count} points keeps its own copy of the {trace_rows} trace join times ({:.1e} in all, at most {MAX_TRACE_COPIES:.0e}): use fewer points or a shorter trace",
                    trace_rows as f64 * count as f64
                ),
            ));
        }
        if count > MAX_POINTS as u128 {
            return Err(InputError::new(
                &spec.file,
                format!(
                    "the sweep has {count} points; at most {MAX_POINTS} are allowed (each point's scenario is resolved and kept): use fewer values or samples, or split it into several sweeps"
                ),
            ));
        }
        let value_rows = point_values(&spec)?;
        let mut points = Vec::with_capacity(value_rows.len());
        for (i, values) in value_rows.into_iter().enumerate() {
            let swept: Vec<Override> = spec
                .parameters
                .iter()
                .zip(&values)
                .map(|(p, v)| Override {
                    path: p.path.clone(),
                    value: v.clone(),
                })
                .collect();
            let overrides: Vec<Override> = fixed.iter().chain(&swept).cloned().collect();
            let scenario = scenario_from_str(&base_text, &base_path, &overrides).map_err(|e| {
                let at: Vec<String> = swept
                    .iter()
                    .map(|o| format!("{} = {}", o.path, o.value))
                    .collect();
                InputError::new(
                    &spec.file,
                    format!("point {i} ({}): {}", at.join(", "), e.message),
                )
            })?;
            points.push(Point {
                index: u32::try_from(i).map_err(|_| {
                    InputError::new(&spec.file, "more than 2^32 points".to_string())
                })?,
                values,
                scenario,
            });
        }
        let identity = identity(&spec, &points)
            .map_err(|e| InputError::new(&spec.file, format!("cannot hash the sweep: {e}")))?;
        Ok(Plan {
            spec,
            points,
            identity,
        })
    }

    /// Number of runs: points × replicates.
    pub fn run_count(&self) -> u64 {
        self.points.len() as u64 * u64::from(self.spec.replicates)
    }

    /// The run at position `index` of the (point, replicate) order.
    pub fn run_at(&self, index: u64) -> RunId {
        let r = u64::from(self.spec.replicates);
        RunId {
            point: (index / r) as u32,
            replicate: (index % r) as u32,
        }
    }

    /// Every run in (point, replicate) order, generated as needed (a sweep of a billion
    /// replicates is never held in memory as a list).
    pub fn runs(&self) -> impl Iterator<Item = RunId> + '_ {
        (0..self.run_count()).map(|i| self.run_at(i))
    }

    /// The seed of `run`: shared by replicate r of every point (common random numbers), or,
    /// with `independent = true`, its own.
    pub fn seed_of(&self, run: RunId) -> u64 {
        if self.spec.independent {
            run_seed(self.spec.seed, run.point, run.replicate)
        } else {
            replicate_seed(self.spec.seed, run.replicate)
        }
    }

    /// The scenario of `run`: its point's scenario with the run's seed.
    pub fn scenario_of(&self, run: RunId) -> Scenario {
        let mut s = self.points[run.point as usize].scenario.clone();
        s.seed = self.seed_of(run);
        s
    }

    /// The file `sweep.json` written into the output directory.
    pub fn description(&self) -> SweepDescription {
        SweepDescription {
            name: self.spec.name.clone(),
            sweep_file: self.spec.file.clone(),
            identity: self.identity.clone(),
            kind: self.spec.kind.name().to_string(),
            replicates: self.spec.replicates,
            master_seed: self.spec.seed,
            common_random_numbers: !self.spec.independent,
            parameters: self
                .spec
                .parameters
                .iter()
                .map(|p| p.path.clone())
                .collect(),
            points: self
                .points
                .iter()
                .map(|p| p.values.iter().map(text).collect())
                .collect(),
            plot: self.spec.plot.clone(),
        }
    }
}

/// What `sweep.json` records: enough for `plot` and `--resume` to know the sweep.
#[derive(Debug, Serialize, serde::Deserialize)]
pub struct SweepDescription {
    pub name: String,
    pub sweep_file: PathBuf,
    pub identity: String,
    pub kind: String,
    pub replicates: u32,
    pub master_seed: u64,
    /// Replicate r of every point shares its seed (false: `independent = true`).
    #[serde(default)]
    pub common_random_numbers: bool,
    pub parameters: Vec<String>,
    /// Per point, the parameter values as table cells.
    pub points: Vec<Vec<String>>,
    pub plot: super::spec::PlotDefaults,
}

/// Every parameter path must exist in the resolved base scenario, or at least load (an
/// optional field the resolved scenario leaves out). `seed` is set per run and cannot be
/// swept.
fn check_paths(
    spec: &SweepSpec,
    params: &[super::spec::Parameter],
    section: &str,
    base: &Scenario,
    base_text: &str,
    base_path: &std::path::Path,
) -> Result<(), InputError> {
    let resolved: toml::Table = scenario_toml(base)
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or_default();
    let valid = all_paths(&resolved);
    for p in params {
        if p.path == "seed" {
            return Err(InputError::new(
                &spec.file,
                "parameter `seed` cannot be swept: every run's seed derives from the sweep's `seed`, point and replicate; use `replicates`",
            ));
        }
        if valid.contains(&p.path) {
            continue;
        }
        let o = Override {
            path: p.path.clone(),
            value: p.values[0].clone(),
        };
        let unknown = match base_text.parse::<toml::Table>() {
            Ok(mut t) => {
                apply_override(&mut t, &o).is_err()
                    || scenario_from_str(base_text, base_path, std::slice::from_ref(&o))
                        .is_err_and(|e| e.message.contains("unknown field"))
            }
            Err(_) => true,
        };
        if unknown {
            let near = closest(&p.path, &valid, 3);
            return Err(InputError::new(
                &spec.file,
                format!(
                    "[{section}]: unknown scenario path `{}`; closest valid paths: {} (`tokenswarm show-config` lists them all)",
                    p.path,
                    near.iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// Most trace join times held over all points of a sweep (8 bytes each: 400 MB).
pub const MAX_TRACE_COPIES: u128 = 50_000_000;

/// Most points of one sweep (each holds its resolved scenario in memory while it runs).
pub const MAX_POINTS: u32 = 100_000;

/// The number of points `spec` describes, computed without building them (saturating).
fn point_count(spec: &SweepSpec) -> u128 {
    match spec.kind {
        SweepKind::Grid => spec
            .parameters
            .iter()
            .fold(1u128, |n, p| n.saturating_mul(p.values.len() as u128)),
        SweepKind::Zip => spec
            .parameters
            .first()
            .map_or(0, |p| p.values.len() as u128),
        SweepKind::Random | SweepKind::LatinHypercube => u128::from(spec.samples.unwrap_or(1)),
    }
}

/// The parameter values of every point, in point order.
fn point_values(spec: &SweepSpec) -> Result<Vec<Vec<toml::Value>>, InputError> {
    let params = &spec.parameters;
    Ok(match spec.kind {
        SweepKind::Grid => {
            let mut rows: Vec<Vec<toml::Value>> = vec![Vec::new()];
            for p in params {
                rows = rows
                    .into_iter()
                    .flat_map(|row| {
                        p.values.iter().map(move |v| {
                            let mut r = row.clone();
                            r.push(v.clone());
                            r
                        })
                    })
                    .collect();
            }
            rows
        }
        SweepKind::Zip => (0..params[0].values.len())
            .map(|i| params.iter().map(|p| p.values[i].clone()).collect())
            .collect(),
        SweepKind::Random | SweepKind::LatinHypercube => {
            let n = spec.samples.unwrap_or(1) as usize;
            let ranges = params
                .iter()
                .map(|p| {
                    Range::parse(&p.values[0], &p.values[1]).map_err(|m| {
                        InputError::new(
                            &spec.file,
                            format!("field `parameters.\"{}\"`: {m}", p.path),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let mut rng = points_rng(spec.seed);
            let mut columns: Vec<Vec<toml::Value>> = Vec::with_capacity(ranges.len());
            for range in ranges {
                let column = if spec.kind == SweepKind::Random {
                    (0..n).map(|_| range.at(rng.random::<f64>())).collect()
                } else {
                    let mut strata: Vec<usize> = (0..n).collect();
                    strata.shuffle(&mut rng);
                    strata
                        .into_iter()
                        .map(|s| range.at((s as f64 + rng.random::<f64>()) / n as f64))
                        .collect()
                };
                columns.push(column);
            }
            (0..n)
                .map(|i| columns.iter().map(|c| c[i].clone()).collect())
                .collect()
        }
    })
}

fn identity(spec: &SweepSpec, points: &[Point]) -> anyhow::Result<String> {
    let mut h = Sha256::new();
    h.update(format!(
        "kind={} replicates={} seed={}\n",
        spec.kind.name(),
        spec.replicates,
        spec.seed
    ));
    if !spec.independent {
        h.update("common random numbers\n");
    }
    for p in &spec.set {
        h.update(format!("set {} = {}\n", p.path, p.values[0]));
    }
    for p in &spec.parameters {
        h.update(format!("parameter {}\n", p.path));
    }
    for p in points {
        let values: Vec<String> = p.values.iter().map(|v| v.to_string()).collect();
        h.update(format!(
            "point {} [{}] {}\n",
            p.index,
            values.join(", "),
            scenario_hash(&p.scenario)?
        ));
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_seeds_are_pinned_and_distinct() {
        let a = run_seed(1, 0, 0);
        assert_eq!(a, run_seed(1, 0, 0));
        let all = [a, run_seed(1, 0, 1), run_seed(1, 1, 0), run_seed(2, 0, 0)];
        for i in 0..all.len() {
            for j in i + 1..all.len() {
                assert_ne!(all[i], all[j]);
            }
        }
    }

    fn spec(kind: &str, params: &str, samples: &str) -> SweepSpec {
        SweepSpec::parse(
            &format!(
                "name = \"x\"\nbase = \"b.toml\"\nreplicates = 1\nseed = 3\nkind = \"{kind}\"\n{samples}\n[parameters]\n{params}"
            ),
            std::path::Path::new("s.toml"),
        )
        .unwrap()
    }

    #[test]
    fn grid_is_the_cartesian_product_first_parameter_slowest() {
        let rows =
            point_values(&spec("grid", "a = [1, 2]\nb = [\"x\", \"y\", \"z\"]\n", "")).unwrap();
        let cells: Vec<String> = rows
            .iter()
            .map(|r| r.iter().map(text).collect::<Vec<_>>().join(""))
            .collect();
        assert_eq!(cells, vec!["1x", "1y", "1z", "2x", "2y", "2z"]);
        let zip = point_values(&spec("zip", "a = [1, 2]\nb = [3, 4]\n", "")).unwrap();
        assert_eq!(zip.len(), 2);
        assert_eq!(text(&zip[1][1]), "4");
    }

    #[test]
    fn latin_hypercube_puts_one_sample_in_every_stratum() {
        let s = spec(
            "latin_hypercube",
            "a = [0.0, 1.0]\nb = [0.0, 10.0]\n",
            "samples = 8",
        );
        let rows = point_values(&s).unwrap();
        assert_eq!(rows.len(), 8);
        for (col, width) in [(0, 1.0), (1, 10.0)] {
            let mut strata: Vec<usize> = rows
                .iter()
                .map(|r| (r[col].as_float().unwrap() / width * 8.0).floor() as usize)
                .collect();
            strata.sort_unstable();
            assert_eq!(strata, (0..8).collect::<Vec<_>>(), "column {col}");
        }
        assert_eq!(
            rows,
            point_values(&s).unwrap(),
            "same master seed, same points"
        );
        let r = point_values(&spec("random", "a = [5, 9]\n", "samples = 50")).unwrap();
        assert!(
            r.iter()
                .all(|v| (5..=9).contains(&v[0].as_integer().unwrap()))
        );
    }
}
