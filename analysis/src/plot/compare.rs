//! Plots of a comparison directory: one line per arm, over the arm's replicates — seeds and
//! leechers over time (mean over replicates, summed over torrents), availability over time
//! (mean distributed copies), the download-time CDF (pooled), the survival curve of longevity
//! (Kaplan–Meier over every run and torrent, censored runs included) and, for arms with
//! tokens, the Lorenz curve of end holdings (pooled).
//!
//! Invariant: arms in `compare.json` order, replicates in their order; a chart whose data no
//! arm has is skipped with a note.

use super::chart::{Line, LineChart};
use super::run::{f64_col, lorenz, str_col};
use crate::compare::CompareDescription;
use crate::error::InputError;
use crate::frame::read_csv_strict;
use crate::survival::KaplanMeier;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A time axis in the run's natural unit: the divisor from seconds and the label.
pub fn time_unit(max_s: f64) -> (f64, &'static str) {
    if max_s >= 2.0 * 86_400.0 {
        (86_400.0, "time (d)")
    } else if max_s >= 2.0 * 3_600.0 {
        (3_600.0, "time (h)")
    } else if max_s >= 2.0 * 60.0 {
        (60.0, "time (min)")
    } else {
        (1.0, "time (s)")
    }
}

fn runs_of(dir: &Path, arm: &str) -> Vec<PathBuf> {
    let mut runs: Vec<PathBuf> = std::fs::read_dir(dir.join("runs").join(arm))
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("summary.json").is_file())
        .collect();
    runs.sort();
    runs
}

/// Mean over runs of Σ over torrents of `metric` at each sample time (runs sampled alike).
fn mean_series(runs: &[PathBuf], metric: &str) -> anyhow::Result<Vec<(f64, f64)>> {
    let mut sums: BTreeMap<u64, (f64, u32)> = BTreeMap::new();
    for run in runs {
        let df = read_csv_strict(
            &run.join("series.csv"),
            &["time_s", "torrent", "metric", "value"],
            &["time_s", "value"],
        )?;
        let (t, tor, m, v) = (
            f64_col(&df, "time_s")?,
            str_col(&df, "torrent")?,
            str_col(&df, "metric")?,
            f64_col(&df, "value")?,
        );
        let mut per_time: BTreeMap<u64, f64> = BTreeMap::new();
        for (((t, tor), m), v) in t.into_iter().zip(tor).zip(m).zip(v) {
            if let (Some(t), Some(v)) = (t, v)
                && m == metric
                && tor != "*"
            {
                *per_time.entry((t * 1e6) as u64).or_default() += v;
            }
        }
        for (t, v) in per_time {
            let e = sums.entry(t).or_default();
            e.0 += v;
            e.1 += 1;
        }
    }
    Ok(sums
        .into_iter()
        .map(|(t, (v, n))| (t as f64 / 1e6, v / f64::from(n)))
        .collect())
}

/// Draws the comparison in `dir` into `plots`; returns notes on skipped charts.
pub fn plot_compare(dir: &Path, plots: &Path) -> anyhow::Result<Vec<String>> {
    let path = dir.join(crate::compare::DESCRIPTION);
    let desc: CompareDescription = serde_json::from_str(
        &std::fs::read_to_string(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
    )
    .map_err(|e| InputError::new(&path, format!("not a comparison description: {e}")))?;
    let mut notes = Vec::new();
    let max_s = desc.horizons_s.iter().copied().fold(0.0, f64::max);
    let (div, x_label) = time_unit(max_s);
    let mut swarm = LineChart {
        title: "Seeds and leechers over time (mean over replicates)".into(),
        x_label: x_label.into(),
        y_label: "peers online".into(),
        step: true,
        ..LineChart::default()
    };
    let mut avail = LineChart {
        title: "Availability over time (mean over replicates)".into(),
        x_label: x_label.into(),
        y_label: "distributed copies".into(),
        step: true,
        ..LineChart::default()
    };
    let mut cdf = LineChart {
        title: "Download times (CDF over completed peers, pooled)".into(),
        x_label: "download time (s)".into(),
        y_label: "fraction of completed peers".into(),
        step: true,
        ..LineChart::default()
    };
    let mut survival = LineChart {
        title: "Longevity: share of (run, torrent) still available (Kaplan–Meier)".into(),
        x_label: x_label.replace("time", "time since release"),
        y_label: "share not yet lost".into(),
        step: true,
        ..LineChart::default()
    };
    let mut lorenz_lines = Vec::new();
    for arm in &desc.arms {
        let runs = runs_of(dir, arm);
        let scale = |pts: Vec<(f64, f64)>| pts.into_iter().map(|(t, v)| (t / div, v)).collect();
        swarm.lines.push(Line {
            label: format!("{arm}: seeds"),
            points: scale(mean_series(&runs, "seeds")?),
            ..Line::default()
        });
        swarm.lines.push(Line {
            label: format!("{arm}: leechers"),
            points: scale(mean_series(&runs, "leechers")?),
            ..Line::default()
        });
        avail.lines.push(Line {
            label: arm.clone(),
            points: scale(mean_series(&runs, "distributed_copies")?),
            ..Line::default()
        });
        let mut times = Vec::new();
        let mut obs = Vec::new();
        let mut holdings = Vec::new();
        for run in &runs {
            let peers = read_csv_strict(
                &run.join("peers.csv"),
                &["download_time_s"],
                &["download_time_s"],
            )?;
            times.extend(f64_col(&peers, "download_time_s")?.into_iter().flatten());
            let text = std::fs::read_to_string(run.join("summary.json"))?;
            let summary: serde_json::Value = serde_json::from_str(&text)?;
            for t in summary["torrents"].as_array().into_iter().flatten() {
                match (
                    t["longevity_s"].as_f64(),
                    t["longevity_censored_at_s"].as_f64(),
                ) {
                    (Some(l), _) => obs.push((l, true)),
                    (None, Some(c)) => obs.push((c, false)),
                    _ => {}
                }
            }
            let balances = run.join("balances.csv");
            if balances.is_file() {
                let df = read_csv_strict(
                    &balances,
                    &["holdings_end_tokens", "strategy"],
                    &["holdings_end_tokens"],
                )?;
                let (h, s) = (
                    f64_col(&df, "holdings_end_tokens")?,
                    str_col(&df, "strategy")?,
                );
                holdings.extend(
                    h.into_iter()
                        .zip(s)
                        .filter(|(_, s)| s != "barter")
                        .filter_map(|(h, _)| h),
                );
            }
        }
        times.sort_by(f64::total_cmp);
        let n = times.len() as f64;
        let mut points = vec![(times.first().copied().unwrap_or(0.0), 0.0)];
        points.extend(
            times
                .iter()
                .enumerate()
                .map(|(i, t)| (*t, (i + 1) as f64 / n)),
        );
        cdf.lines.push(Line {
            label: arm.clone(),
            points,
            ..Line::default()
        });
        if !obs.is_empty() {
            let km = KaplanMeier::of(&obs);
            let end = obs.iter().map(|o| o.0).fold(0.0, f64::max);
            let mut pts = vec![(0.0, 1.0)];
            pts.extend(km.steps.iter().map(|s| (s.0 / div, s.3)));
            pts.push((end / div, km.survival(end)));
            survival.lines.push(Line {
                label: format!("{arm} ({} of {} censored)", km.censored, km.n),
                points: pts,
                ..Line::default()
            });
        }
        if !holdings.is_empty() {
            let mut chart = lorenz(&holdings);
            let mut line = chart.lines.remove(0);
            line.label = format!(
                "{arm}: {}",
                chart
                    .title
                    .trim_start_matches("Lorenz curve of token holdings at the end ")
            );
            lorenz_lines.push(line);
        }
    }
    swarm.save(plots, "swarm")?;
    avail.save(plots, "availability")?;
    cdf.save(plots, "download-cdf")?;
    if survival.lines.is_empty() {
        notes.push("longevity-survival: no torrent reports a longevity".into());
    } else {
        survival.save(plots, "longevity-survival")?;
    }
    if lorenz_lines.is_empty() {
        notes.push("lorenz-balances: no arm has token balances".into());
    } else {
        lorenz_lines.push(Line {
            label: "equality".into(),
            points: vec![(0.0, 0.0), (1.0, 1.0)],
            dashed: true,
            ..Line::default()
        });
        LineChart {
            title: "Lorenz curves of token holdings at the end (pooled over replicates)".into(),
            x_label: "share of accounts, poorest first".into(),
            y_label: "share of tokens held".into(),
            lines: lorenz_lines,
            ..LineChart::default()
        }
        .save(plots, "lorenz-balances")?;
    }
    Ok(notes)
}
