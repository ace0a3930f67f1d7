//! The sweep's tables, built from the finished runs on disk: `runs` (one row per run),
//! `points` (per point and metric: n, mean, sd, 95% CI of the values observed, and for
//! censored metrics the number censored and survival statistics) and `series` (every run's time
//! series in long form), as Parquet and CSV through polars.
//!
//! Invariant: rows are in (point, replicate) order and metrics in the summary's order, so
//! the bytes depend only on the runs' results, never on which thread finished first. Only
//! one run's series is in memory at a time.

use super::plan::{Plan, RunId};
use super::store::Store;
use super::values::{numeric, text};
use crate::destination::Temporary;
use crate::error::io_error;
use crate::frame::{csv_bytes, parquet_bytes};
use crate::metrics::{Aggregate, Metric, flatten_summary, integer_metrics};
use crate::survival::{Survival, censored_companion};
use anyhow::Context;
use polars::io::parquet::write::BatchedWriter;
use polars::prelude::*;
use std::path::Path;

/// Rows gathered before a row group of `series.parquet` is written.
const SERIES_ROW_GROUP_ROWS: usize = 1 << 15;

/// The runs' directory under a sweep's output directory.
pub const RUNS_DIR: &str = "runs";

/// Writes `runs.*`, `points.*` and `series.parquet` into `out` from the runs in `done`
/// (sorted here).
pub fn write_tables(out: &Path, plan: &Plan, store: &Store, done: &[RunId]) -> anyhow::Result<()> {
    let mut done = done.to_vec();
    done.sort_unstable();
    let mut metrics: Vec<Vec<Metric>> = Vec::with_capacity(done.len());
    // Metrics that are integers in every run that has them (counts, bytes).
    let mut integers: Option<std::collections::BTreeSet<String>> = None;
    let mut floats = std::collections::BTreeSet::new();
    for run in &done {
        let text = store
            .read(*run, "summary.json")?
            .with_context(|| format!("run {} has no summary.json", run.dir_name()))?;
        let summary: serde_json::Value = serde_json::from_str(&text).with_context(|| {
            format!(
                "the summary.json of run {} is not valid JSON",
                run.dir_name()
            )
        })?;
        let ints = integer_metrics(&summary);
        let m = flatten_summary(&summary);
        floats.extend(
            m.iter()
                .filter(|x| !ints.contains(&x.0))
                .map(|x| x.0.clone()),
        );
        integers.get_or_insert_with(Default::default).extend(ints);
        metrics.push(m);
    }
    let names = metric_names(&metrics);
    let integers: std::collections::BTreeSet<String> = integers
        .unwrap_or_default()
        .into_iter()
        .filter(|n| !floats.contains(n))
        .collect();
    let mut runs = runs_frame(plan, &done, &names, &metrics, &integers)?;
    write_file(out, "runs.parquet", &parquet_bytes(&mut runs)?)?;
    write_file(out, "runs.csv", &csv_bytes(&mut runs)?)?;
    let mut points = points_frame(plan, &done, &names, &metrics)?;
    write_file(out, "points.parquet", &parquet_bytes(&mut points)?)?;
    write_file(out, "points.csv", &csv_bytes(&mut points)?)?;
    write_series(out, plan, store, &done)?;
    Ok(())
}

/// Every metric name, in first-seen order (runs of one sweep normally share one list).
fn metric_names(metrics: &[Vec<Metric>]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for m in metrics.iter().flatten() {
        if seen.insert(m.0.clone()) {
            names.push(m.0.clone());
        }
    }
    names
}

fn value_of(metrics: &[Metric], name: &str) -> Option<f64> {
    metrics.iter().find(|m| m.0 == name).and_then(|m| m.1)
}

/// The columns describing each row's point: every parameter as written, plus its value in
/// base units (`path [s]`, `path [B]`, `path [B/s]`) when the values carry a unit.
fn parameter_columns(plan: &Plan, points: &[u32]) -> Vec<Column> {
    let mut cols = Vec::new();
    for (i, p) in plan.spec.parameters.iter().enumerate() {
        let values: Vec<&toml::Value> = points
            .iter()
            .map(|&pt| &plan.points[pt as usize].values[i])
            .collect();
        let nums: Option<Vec<(f64, &str)>> = values.iter().map(|v| numeric(v)).collect();
        let name = PlSmallStr::from(p.path.as_str());
        if values.iter().all(|v| v.is_integer()) {
            let ints: Vec<i64> = values.iter().filter_map(|v| v.as_integer()).collect();
            cols.push(Column::new(name, ints));
        } else if values.iter().all(|v| v.is_integer() || v.is_float()) {
            let floats: Vec<f64> = nums.unwrap_or_default().iter().map(|n| n.0).collect();
            cols.push(Column::new(name, floats));
        } else {
            let cells: Vec<String> = values.iter().map(|v| text(v)).collect();
            cols.push(Column::new(name, cells));
            if let Some(nums) = nums.filter(|n| !n.is_empty()) {
                let unit = nums[0].1;
                if !unit.is_empty() && nums.iter().all(|n| n.1 == unit) {
                    let base: Vec<f64> = nums.iter().map(|n| n.0).collect();
                    cols.push(Column::new(format!("{} [{unit}]", p.path).into(), base));
                }
            }
        }
    }
    cols
}

fn runs_frame(
    plan: &Plan,
    done: &[RunId],
    names: &[String],
    metrics: &[Vec<Metric>],
    integers: &std::collections::BTreeSet<String>,
) -> anyhow::Result<DataFrame> {
    let points: Vec<u32> = done.iter().map(|r| r.point).collect();
    let mut cols = vec![
        Column::new("point".into(), points.clone()),
        Column::new(
            "replicate".into(),
            done.iter().map(|r| r.replicate).collect::<Vec<u32>>(),
        ),
        Column::new(
            "seed".into(),
            done.iter().map(|r| plan.seed_of(*r)).collect::<Vec<u64>>(),
        ),
    ];
    cols.extend(parameter_columns(plan, &points));
    for name in names {
        let values: Vec<Option<f64>> = metrics.iter().map(|m| value_of(m, name)).collect();
        if integers.contains(name) {
            let ints: Vec<Option<i64>> = values.iter().map(|v| v.map(|x| x as i64)).collect();
            cols.push(Column::new(name.as_str().into(), ints));
        } else {
            cols.push(Column::new(name.as_str().into(), values));
        }
    }
    Ok(DataFrame::new_infer_height(cols)?)
}

fn points_frame(
    plan: &Plan,
    done: &[RunId],
    names: &[String],
    metrics: &[Vec<Metric>],
) -> anyhow::Result<DataFrame> {
    let mut point_ids: Vec<u32> = done.iter().map(|r| r.point).collect();
    point_ids.dedup();
    let mut row_points = Vec::new();
    let mut metric_col = Vec::new();
    let (mut n, mut missing) = (Vec::<u32>::new(), Vec::<u32>::new());
    let (mut mean, mut sd, mut lo, mut hi) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut survival: Vec<Option<Survival>> = Vec::new();
    for &pt in &point_ids {
        let rows: Vec<&Vec<Metric>> = done
            .iter()
            .zip(metrics)
            .filter(|(r, _)| r.point == pt)
            .map(|(_, m)| m)
            .collect();
        for name in names {
            let values: Vec<Option<f64>> = rows.iter().map(|m| value_of(m, name)).collect();
            let a = Aggregate::of(&values);
            row_points.push(pt);
            metric_col.push(name.clone());
            n.push(a.n as u32);
            missing.push(a.missing as u32);
            mean.push(a.mean);
            sd.push(a.sd);
            lo.push(a.ci95_low);
            hi.push(a.ci95_high);
            // A censored metric (with a `…_censored_at_s` companion) gets survival statistics.
            survival.push(
                censored_companion(name)
                    .filter(|c| names.contains(c))
                    .map(|c| {
                        let censored: Vec<Option<f64>> =
                            rows.iter().map(|m| value_of(m, &c)).collect();
                        Survival::of(&values, &censored)
                    }),
            );
        }
    }
    let col = |f: fn(&Survival) -> Option<f64>| -> Vec<Option<f64>> {
        survival.iter().map(|s| s.as_ref().and_then(f)).collect()
    };
    let censored: Vec<Option<u32>> = survival
        .iter()
        .map(|s| s.as_ref().map(|s| s.censored as u32))
        .collect();
    let survival_cols = [
        Column::new("censored".into(), censored),
        Column::new("km_median".into(), col(|s| s.km_median)),
        Column::new("km_median_ci95_low".into(), col(|s| s.km_median_ci95_low)),
        Column::new("km_median_ci95_high".into(), col(|s| s.km_median_ci95_high)),
        Column::new("restricted_to".into(), col(|s| s.restricted_to)),
        Column::new("rmst".into(), col(|s| s.rmst)),
        Column::new("rmst_ci95_low".into(), col(|s| s.rmst_ci95_low)),
        Column::new("rmst_ci95_high".into(), col(|s| s.rmst_ci95_high)),
    ];
    let mut cols = vec![Column::new("point".into(), row_points.clone())];
    cols.extend(parameter_columns(plan, &row_points));
    cols.extend([
        Column::new("metric".into(), metric_col),
        Column::new("n".into(), n),
        Column::new("missing".into(), missing),
        Column::new("mean".into(), mean),
        Column::new("sd".into(), sd),
        Column::new("ci95_low".into(), lo),
        Column::new("ci95_high".into(), hi),
    ]);
    cols.extend(survival_cols);
    Ok(DataFrame::new_infer_height(cols)?)
}

/// Streams every run's `series.csv` into one long `series.parquet` with the run's point,
/// replicate and seed in front. Runs are gathered into row groups of about
/// `SERIES_ROW_GROUP_ROWS` rows: one row group per run made the writer's metadata grow with
/// the number of runs; this bounds memory by one row group.
fn write_series(out: &Path, plan: &Plan, store: &Store, done: &[RunId]) -> anyhow::Result<()> {
    let (tmp, file) = Temporary::new_file(out.join(format!(
        ".series.parquet.tmp-{}",
        crate::destination::process_tag()
    )))?;
    let result = (|| -> anyhow::Result<()> {
        let mut writer: Option<BatchedWriter<std::fs::File>> = None;
        let mut pending = Some(file);
        let mut buffer: Option<DataFrame> = None;
        for run in done {
            // Runs kept as summaries only (`--keep summaries`) have no series.
            let Some(text) = store.read(*run, "series.csv")? else {
                continue;
            };
            let path = format!("the series.csv of run {}", run.dir_name());
            let mut df = crate::frame::frame_from_csv_typed::<sim_core::metrics::SeriesRow>(&text)
                .map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
            let h = df.height();
            if h == 0 {
                continue;
            }
            let mut cols = vec![
                Column::new("point".into(), vec![run.point; h]),
                Column::new("replicate".into(), vec![run.replicate; h]),
                Column::new("seed".into(), vec![plan.seed_of(*run); h]),
            ];
            cols.extend(df.columns().iter().cloned());
            df = DataFrame::new(h, cols)?;
            let grown = match buffer.take() {
                None => df,
                Some(mut b) => {
                    b.vstack_mut(&df).map_err(|e| {
                        anyhow::anyhow!("{path}: columns differ from the first run: {e}")
                    })?;
                    b
                }
            };
            if grown.height() >= SERIES_ROW_GROUP_ROWS {
                flush(&mut writer, &mut pending, grown)?;
            } else {
                buffer = Some(grown);
            }
        }
        if let Some(rest) = buffer.take() {
            flush(&mut writer, &mut pending, rest)?;
        }
        match writer {
            Some(w) => {
                w.finish()?;
            }
            None => {
                let mut empty = DataFrame::empty();
                ParquetWriter::new(pending.take().expect("file unused")).finish(&mut empty)?;
            }
        }
        Ok(())
    })();
    result?;
    tmp.commit(&out.join("series.parquet"), || Ok(()))
}

/// Writes `df` as the next row group(s), creating the writer from the first frame's schema.
fn flush(
    writer: &mut Option<BatchedWriter<std::fs::File>>,
    pending: &mut Option<std::fs::File>,
    mut df: DataFrame,
) -> anyhow::Result<()> {
    df.rechunk_mut();
    if writer.is_none() {
        let f = pending.take().expect("the file is taken once");
        *writer = Some(ParquetWriter::new(f).batched(df.schema())?);
    }
    writer
        .as_mut()
        .expect("writer created above")
        .write_batch(&df)?;
    Ok(())
}

/// Writes one file by a temporary sibling and a rename, so readers never see half a table.
pub fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let (tmp, mut file) = Temporary::new_file(
        dir.join(format!(".{name}.tmp-{}", crate::destination::process_tag())),
    )?;
    std::io::Write::write_all(&mut file, bytes).map_err(|e| io_error("write", tmp.path(), e))?;
    drop(file);
    tmp.commit(&dir.join(name), || Ok(()))
}
