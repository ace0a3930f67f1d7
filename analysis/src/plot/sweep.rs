//! Plots of a sweep directory: each chosen metric's mean against a swept parameter with its
//! 95% confidence band, one line per value of the other parameters (the `by` parameter
//! first), read from `points.csv` and `sweep.json`.
//!
//! Invariant: lines and points follow the sweep's point order, so the same tables always
//! give the same pictures.

use super::chart::{Line, LineChart};
use crate::error::InputError;
use crate::frame::read_csv_strict;
use crate::sweep::plan::SweepDescription;
use polars::prelude::*;
use std::path::Path;

/// What to draw; empty fields fall back to the sweep file's `[plot]` table, then defaults.
#[derive(Clone, Debug, Default)]
pub struct SweepPlotRequest {
    pub metrics: Vec<String>,
    pub x: Option<String>,
    pub by: Option<String>,
}

/// Metric name endings drawn when neither the command nor the sweep file chooses.
const DEFAULT_SUFFIXES: &[&str] = &[
    ".download_time_s.mean",
    ".longevity_s",
    ".seeding_time_s.mean",
    "economy.gini",
    "economy.price_per_mib.mean",
];

fn unit_of_metric(name: &str) -> &'static str {
    let last = name
        .rsplit('.')
        .find(|s| !matches!(*s, "mean" | "p50" | "p90" | "p99" | "count"));
    match last {
        Some(s) if s.ends_with("_bytes_per_s") => " (B/s)",
        Some(s) if s.ends_with("_bytes") => " (B)",
        Some(s) if s.ends_with("_s") => " (s)",
        Some(s) if s.ends_with("_tokens") => " (tokens)",
        _ => "",
    }
}

/// The end of a metric's name for an axis label: its last component that is not a
/// statistic, with the statistic (`download_time_s.p50`); the title names it in full.
fn short_name(name: &str) -> String {
    let parts: Vec<&str> = name.split('.').collect();
    match parts.as_slice() {
        [.., a, b] if matches!(*b, "mean" | "p50" | "p90" | "p99" | "count") => format!("{a}.{b}"),
        [.., a] => a.to_string(),
        [] => name.to_string(),
    }
}

/// A file name for a metric: dots and brackets become dashes.
pub fn file_stem(metric: &str) -> String {
    metric
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Draws the sweep in `dir` into `plots`; returns the drawn file stems.
pub fn plot_sweep(
    dir: &Path,
    plots: &Path,
    req: &SweepPlotRequest,
) -> Result<Vec<String>, crate::run::CommandError> {
    let desc_path = dir.join(crate::sweep::exec::DESCRIPTION);
    let desc: SweepDescription =
        serde_json::from_str(&std::fs::read_to_string(&desc_path).map_err(anyhow::Error::from)?)
            .map_err(|e| InputError::new(&desc_path, format!("not a sweep description: {e}")))?;
    let points_path = dir.join("points.csv");
    let df = read_csv_strict(
        &points_path,
        &["point", "metric", "mean"],
        &["point", "mean", "sd", "ci95_low", "ci95_high"],
    )?;
    check_complete(&df, &points_path, desc.points.len())?;
    let bad = |m: String| InputError::new(dir, m);
    let params = &desc.parameters;
    let x = req
        .x
        .clone()
        .or(desc.plot.x.clone())
        .unwrap_or_else(|| params[0].clone());
    if !params.contains(&x) {
        return Err(bad(format!(
            "--x `{x}` is not a swept parameter; swept: {}",
            params.join(", ")
        ))
        .into());
    }
    let by = req
        .by
        .clone()
        .or(desc.plot.by.clone())
        .or_else(|| params.iter().find(|p| **p != x).cloned());
    if let Some(b) = by.as_ref().filter(|b| !params.contains(b) || **b == x) {
        return Err(bad(format!(
            "--by `{b}` must be a swept parameter other than --x; swept: {}",
            params.join(", ")
        ))
        .into());
    }
    let metric_col = str_cells(&df, "metric")?;
    let mut available: Vec<String> = Vec::new();
    for m in &metric_col {
        if !available.contains(m) {
            available.push(m.clone());
        }
    }
    let chosen: Vec<String> = if !req.metrics.is_empty() {
        req.metrics.clone()
    } else if !desc.plot.metrics.is_empty() {
        desc.plot.metrics.clone()
    } else {
        available
            .iter()
            .filter(|m| DEFAULT_SUFFIXES.iter().any(|s| m.ends_with(s)))
            .cloned()
            .collect()
    };
    if let Some(m) = chosen.iter().find(|m| !available.contains(m)) {
        let near = crate::sweep::paths::closest(m, &available, 3);
        return Err(bad(format!(
            "metric `{m}` is not in points.csv; closest: {}",
            near.join(", ")
        ))
        .into());
    }
    let (xs, x_unit) = x_values(&df, &x).map_err(bad)?;
    let mut others: Vec<&String> = by.iter().collect();
    others.extend(
        params
            .iter()
            .filter(|p| **p != x && Some(*p) != by.as_ref()),
    );
    let keys: Vec<Vec<String>> = others
        .iter()
        .map(|p| str_cells(&df, p))
        .collect::<anyhow::Result<_>>()?;
    let (mean, lo, hi) = (
        f64_cells(&df, "mean")?,
        f64_cells(&df, "ci95_low")?,
        f64_cells(&df, "ci95_high")?,
    );
    // Survival columns (censored metrics); tables of older sweeps may lack them.
    let survival = |name: &str| f64_cells(&df, name).unwrap_or_else(|_| vec![None; df.height()]);
    let (censored, rmst, rmst_lo, rmst_hi) = (
        survival("censored"),
        survival("rmst"),
        survival("rmst_ci95_low"),
        survival("rmst_ci95_high"),
    );
    let mut stems = Vec::new();
    for m in &chosen {
        let rows_of_m = || (0..df.height()).filter(|&i| metric_col[i] == *m);
        // A metric censored in some run is drawn by its restricted mean (Kaplan–Meier), which
        // counts the censored runs, instead of the mean of the values observed.
        let censored_runs: f64 = rows_of_m().filter_map(|i| censored[i]).sum();
        let survival_view = censored_runs > 0.0;
        let mut lines: Vec<(Vec<String>, Line)> = Vec::new();
        for i in rows_of_m() {
            let key: Vec<String> = keys.iter().map(|k| k[i].clone()).collect();
            let (y, low, high) = if survival_view {
                (rmst[i], rmst_lo[i], rmst_hi[i])
            } else {
                (mean[i], lo[i], hi[i])
            };
            let Some(y) = y else { continue };
            let pos = match lines.iter().position(|(k, _)| *k == key) {
                Some(p) => p,
                None => {
                    let label = others
                        .iter()
                        .zip(&key)
                        .map(|(p, v)| format!("{p} = {v}"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    lines.push((
                        key,
                        Line {
                            label,
                            ..Line::default()
                        },
                    ));
                    lines.len() - 1
                }
            };
            let line = &mut lines[pos].1;
            line.points.push((xs[i], y));
            if let (Some(l), Some(h)) = (low, high) {
                line.band.push((xs[i], l, h));
            }
            if censored[i].is_some_and(|c| c > 0.0) {
                line.hollow.push((xs[i], y));
            }
        }
        for (_, l) in &mut lines {
            l.points.sort_by(|a, b| a.0.total_cmp(&b.0));
            l.band.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        let (title, what) = if survival_view {
            (
                format!(
                    "{m} vs {x} ({censored_runs:.0} runs censored; ○ points with censored runs)"
                ),
                "restricted mean (Kaplan–Meier), 95% CI",
            )
        } else {
            (format!("{m} vs {x}"), "mean, 95% CI")
        };
        let chart = LineChart {
            title,
            x_label: format!("{x}{x_unit}"),
            y_label: format!("{}{} — {what}", short_name(m), unit_of_metric(m)),
            lines: lines.into_iter().map(|(_, l)| l).collect(),
            markers: true,
            ..LineChart::default()
        };
        let stem = file_stem(m);
        chart.save(plots, &stem)?;
        stems.push(stem);
    }
    Ok(stems)
}

/// The x value of every row: the parameter's base-unit column (`path [s]`) if there is
/// one, else the parameter itself when numeric.
fn x_values(df: &DataFrame, x: &str) -> Result<(Vec<f64>, String), String> {
    for unit in ["s", "B", "B/s"] {
        let name = format!("{x} [{unit}]");
        if let Ok(v) = f64_cells(df, &name) {
            return Ok((
                v.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect(),
                format!(" ({unit})"),
            ));
        }
    }
    match df.column(x).map(|c| c.dtype().is_primitive_numeric()) {
        Ok(true) => Ok((
            f64_cells(df, x)
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(|v| v.unwrap_or(f64::NAN))
                .collect(),
            String::new(),
        )),
        _ => Err(format!(
            "parameter `{x}` is not numeric, so it cannot be an x axis; choose another with --x"
        )),
    }
}

fn f64_cells(df: &DataFrame, name: &str) -> anyhow::Result<Vec<Option<f64>>> {
    let c = df
        .column(name)
        .map_err(|_| anyhow::anyhow!("points.csv has no column `{name}`"))?
        .cast(&DataType::Float64)?;
    Ok(c.f64()?.iter().collect())
}

fn str_cells(df: &DataFrame, name: &str) -> anyhow::Result<Vec<String>> {
    let c = df
        .column(name)
        .map_err(|_| anyhow::anyhow!("points.csv has no column `{name}`"))?
        .cast(&DataType::String)?;
    Ok(c.str()?
        .iter()
        .map(|s| s.unwrap_or_default().to_string())
        .collect())
}

/// Every point of the sweep has a row for every metric in `points.csv` (a table cut at a
/// row boundary, or damaged, does not), but points whose runs all failed.
fn check_complete(
    df: &DataFrame,
    path: &Path,
    points: usize,
) -> Result<(), crate::run::CommandError> {
    let column = df
        .column("point")
        .and_then(|c| c.cast(&DataType::Float64))
        .map_err(anyhow::Error::from)?;
    let mut rows_per_point = vec![0usize; points];
    for p in column.f64().map_err(anyhow::Error::from)?.iter() {
        match p {
            Some(p) if p >= 0.0 && (p as usize) < points => rows_per_point[p as usize] += 1,
            _ => {
                return Err(InputError::new(
                    path,
                    format!("names a point that sweep.json does not have ({points} points; damaged table)"),
                )
                .into());
            }
        }
    }
    // A point whose runs all failed has no rows (failed.csv lists them); every other point
    // has one row per metric.
    let failures = path.with_file_name("failed.csv").is_file();
    let full = rows_per_point.iter().copied().max().unwrap_or(0);
    if let Some(p) = rows_per_point
        .iter()
        .position(|&n| n != full && !(n == 0 && failures))
    {
        return Err(InputError::new(
            path,
            format!(
                "point {p} has {} rows where others have {full} (truncated or damaged table); rebuild it with `tokenswarm sweep FILE --resume`",
                rows_per_point[p]
            ),
        )
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_stems_from_metric_names() {
        assert_eq!(unit_of_metric("torrents.a.download_time_s.mean"), " (s)");
        assert_eq!(
            unit_of_metric("torrents.a.mean_download_rate_bytes_per_s"),
            " (B/s)"
        );
        assert_eq!(unit_of_metric("economy.gini"), "");
        assert_eq!(
            file_stem("torrents.a b.longevity_s"),
            "torrents-a-b-longevity_s"
        );
    }
}
