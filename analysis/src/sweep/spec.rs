//! The sweep file: a base scenario, parameters addressed by dotted paths, the sweep kind,
//! replicates and one master seed. Parsing only; paths and values are checked against the
//! base scenario in `plan.rs`.
//!
//! Invariant: a parsed `SweepSpec` has a non-empty value list for every parameter, zip lists
//! of equal length, ranges with `low ≤ high`, and `replicates ≥ 1`.

use crate::error::InputError;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// How parameter values combine into points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SweepKind {
    /// Cartesian product; the first parameter in the file varies slowest.
    Grid,
    /// Paired lists of equal length: point i takes the i-th value of every list.
    Zip,
    /// `samples` points, each parameter drawn uniformly from its `[low, high]` range.
    Random,
    /// `samples` points, each parameter's range cut into `samples` strata, one draw per
    /// stratum, strata paired at random across parameters.
    LatinHypercube,
}

sim_core::names_enum!(SweepKind {
    "grid" => Grid,
    "zip" => Zip,
    "random" => Random,
    "latin_hypercube" => LatinHypercube,
});

impl SweepKind {
    pub fn name(self) -> &'static str {
        match self {
            SweepKind::Grid => "grid",
            SweepKind::Zip => "zip",
            SweepKind::Random => "random",
            SweepKind::LatinHypercube => "latin_hypercube",
        }
    }

    pub fn samples_ranges(self) -> bool {
        matches!(self, SweepKind::Random | SweepKind::LatinHypercube)
    }
}

/// Optional defaults for `tokenswarm plot` on this sweep.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct PlotDefaults {
    /// Metrics (dotted summary names) to draw, one chart each.
    #[serde(default)]
    pub metrics: Vec<String>,
    /// The parameter on the x axis (default: the first parameter).
    pub x: Option<String>,
    /// The parameter drawn as one line per value (default: the second parameter, if any).
    pub by: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSweep {
    name: String,
    base: toml::Value,
    kind: SweepKind,
    replicates: u64,
    seed: u64,
    samples: Option<u64>,
    #[serde(default)]
    set: toml::Table,
    parameters: toml::Table,
    #[serde(default)]
    plot: PlotDefaults,
    #[serde(default)]
    independent: bool,
}

/// Where the base scenario comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum Base {
    /// A scenario file (resolved relative to the sweep file).
    File(PathBuf),
    /// A scenario written inline under `[base]`, as TOML text.
    Inline(String),
}

/// One swept parameter: a dotted scenario path and its values (grid/zip) or its range
/// `[low, high]` (random/latin_hypercube).
#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
    pub path: String,
    pub values: Vec<toml::Value>,
}

/// A parsed sweep file.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepSpec {
    pub file: PathBuf,
    pub name: String,
    pub base: Base,
    pub kind: SweepKind,
    pub replicates: u32,
    pub seed: u64,
    pub samples: Option<u32>,
    /// Fixed overrides applied to the base scenario of every point (`[set]`), one value each.
    pub set: Vec<Parameter>,
    pub parameters: Vec<Parameter>,
    pub plot: PlotDefaults,
    /// Every (point, replicate) gets its own seed; by default (false) replicate r of every
    /// point shares one seed, so points are compared on common random numbers.
    pub independent: bool,
}

impl SweepSpec {
    /// Reads and checks the shape of a sweep file.
    pub fn load(path: &Path) -> Result<SweepSpec, InputError> {
        let text = crate::load::read_text(path, "sweep file")?;
        SweepSpec::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<SweepSpec, InputError> {
        let err = |m: String| InputError::new(path, m);
        let text = crate::load::strip_bom(text);
        let table = crate::load::parse_toml(text, path)?;
        let raw: RawSweep = crate::load::deserialize_strict(toml::Value::Table(table), path)?;
        crate::sweep::validate_name(&raw.name, path)?;
        let base = match raw.base {
            toml::Value::String(file) => {
                let dir = path.parent().unwrap_or(Path::new("."));
                Base::File(dir.join(file))
            }
            toml::Value::Table(t) => {
                Base::Inline(toml::to_string(&t).map_err(|e| err(format!("field `base`: {e}")))?)
            }
            other => {
                return Err(err(format!(
                    "field `base`: expected a scenario file path or a [base] table, found {}",
                    other.type_str()
                )));
            }
        };
        if raw.replicates == 0 {
            return Err(err(
                "field `replicates`: 0 is not allowed; give at least 1".into()
            ));
        }
        let replicates = u32::try_from(raw.replicates).map_err(|_| {
            err(format!(
                "field `replicates`: {} is too large",
                raw.replicates
            ))
        })?;
        let mut parameters = Vec::new();
        if let Err((p, v)) = collect_parameters("", &raw.parameters, &mut parameters) {
            return Err(err(format!(
                "field `parameters.\"{p}\"`: expected a list of values like [{v}], found the single value {v}; to fix a value for every point, put it under [set]"
            )));
        }
        let mut set = Vec::new();
        collect_fixed("", &raw.set, &mut set);
        if parameters.is_empty() {
            return Err(err(
                "field `parameters`: no parameters; add `\"dotted.path\" = [values]`".into(),
            ));
        }
        let samples = match (raw.kind.samples_ranges(), raw.samples) {
            (true, None | Some(0)) => {
                return Err(err(format!(
                    "field `samples`: a {} sweep needs `samples` ≥ 1",
                    raw.kind.name()
                )));
            }
            (true, Some(n)) => Some(
                u32::try_from(n).map_err(|_| err(format!("field `samples`: {n} is too large")))?,
            ),
            (false, Some(_)) => {
                return Err(err(format!(
                    "field `samples`: only random and latin_hypercube sweeps take samples, not {}",
                    raw.kind.name()
                )));
            }
            (false, None) => None,
        };
        for p in &parameters {
            let field = format!("parameters.\"{}\"", p.path);
            if p.values.is_empty() {
                return Err(err(format!(
                    "field `{field}`: the value list is empty; give at least one value"
                )));
            }
            if raw.kind.samples_ranges() && p.values.len() != 2 {
                return Err(err(format!(
                    "field `{field}`: a {} sweep takes a range [low, high], found {} values",
                    raw.kind.name(),
                    p.values.len()
                )));
            }
        }
        if raw.kind == SweepKind::Zip {
            let first = &parameters[0];
            if let Some(other) = parameters
                .iter()
                .find(|p| p.values.len() != first.values.len())
            {
                return Err(err(format!(
                    "field `parameters`: zip lists must have equal lengths, but `{}` has {} values and `{}` has {}",
                    first.path,
                    first.values.len(),
                    other.path,
                    other.values.len()
                )));
            }
        }
        Ok(SweepSpec {
            file: path.to_path_buf(),
            name: raw.name,
            base,
            kind: raw.kind,
            replicates,
            seed: raw.seed,
            samples,
            set,
            parameters,
            plot: raw.plot,
            independent: raw.independent,
        })
    }
}

/// Turns `[parameters]` into dotted paths: nested tables (from dotted keys such as
/// `economy.pricing.rate = [...]`) join with `.`; a list ends a path. A single value instead
/// of a list (`rate = 0.5`, not `[0.5]`) is refused with its path: the sweep docs require a
/// list, and a scalar is usually a list forgotten.
fn collect_parameters(
    prefix: &str,
    table: &toml::Table,
    out: &mut Vec<Parameter>,
) -> Result<(), (String, toml::Value)> {
    for (key, value) in table {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(t) => collect_parameters(&path, t, out)?,
            toml::Value::Array(values) => out.push(Parameter {
                path,
                values: values.clone(),
            }),
            other => return Err((path, other.clone())),
        }
    }
    Ok(())
}

/// Turns `[set]` into dotted paths with one value each; tables nest, anything else
/// (including a list) is the value.
fn collect_fixed(prefix: &str, table: &toml::Table, out: &mut Vec<Parameter>) {
    for (key, value) in table {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(t) => collect_fixed(&path, t, out),
            other => out.push(Parameter {
                path,
                values: vec![other.clone()],
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SweepSpec, String> {
        SweepSpec::parse(text, Path::new("s.toml")).map_err(|e| e.to_string())
    }

    const HEAD: &str = "name = \"x\"\nbase = \"b.toml\"\nreplicates = 2\nseed = 1\n";

    #[test]
    fn dotted_keys_and_quoted_paths_keep_file_order() {
        let s = parse(&format!(
            "{HEAD}kind = \"grid\"\n[parameters]\n\"torrents[0].size\" = [\"1 MiB\"]\neconomy.pricing.rate = [0.5, 1, 2]\n"
        ))
        .unwrap();
        let paths: Vec<&str> = s.parameters.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, vec!["torrents[0].size", "economy.pricing.rate"]);
        assert_eq!(s.parameters[1].values.len(), 3);
        assert_eq!(s.base, Base::File(PathBuf::from("b.toml")));
    }

    #[test]
    fn shape_errors_name_the_field() {
        let grid = format!("{HEAD}kind = \"grid\"\n[parameters]\n");
        let e = parse(&format!("{grid}a = []\n")).unwrap_err();
        assert!(
            e.contains("`parameters.\"a\"`") && e.contains("empty"),
            "{e}"
        );
        let e = parse(&grid).unwrap_err();
        assert!(e.contains("no parameters"), "{e}");
        let e = parse(&grid.replace("replicates = 2", "replicates = 0")).unwrap_err();
        assert!(e.contains("replicates") && e.contains("0"), "{e}");
        let e = parse(&format!(
            "{HEAD}kind = \"zip\"\n[parameters]\na = [1, 2]\nb = [1]\n"
        ))
        .unwrap_err();
        assert!(
            e.contains("equal lengths") && e.contains("`b` has 1"),
            "{e}"
        );
        let e = parse(&format!(
            "{HEAD}kind = \"random\"\n[parameters]\na = [1, 2]\n"
        ))
        .unwrap_err();
        assert!(e.contains("samples"), "{e}");
        let e = parse(&format!(
            "{HEAD}kind = \"latin_hypercube\"\nsamples = 4\n[parameters]\na = [1, 2, 3]\n"
        ))
        .unwrap_err();
        assert!(e.contains("range [low, high]"), "{e}");
        let e = parse(&format!("{HEAD}kind = \"cube\"\n[parameters]\na = [1]\n")).unwrap_err();
        assert!(e.contains("kind") && e.contains("grid"), "{e}");
    }
}
