//! Plots of one run directory: seeds and leechers over time, availability over time, the
//! CDF of download times and, when the run has token data, the Lorenz curve of holdings
//! and the price over time.
//!
//! Expected inputs (the names are the contract with the tables a run writes):
//! - `series.csv`: `time_s, torrent, metric, value`; metrics `seeds`, `leechers`,
//!   `distributed_copies`, and for tokens `price_per_mib` (tokens per MiB, per torrent or
//!   run-wide under torrent `*`).
//! - `peers.csv`: `torrent`, `download_time_s`.
//! - balances: a column `holdings_end_tokens` or `balance_end_tokens` in `balances.csv`
//!   (preferred) or `peers.csv`, one row per account; rows with `strategy` = `barter` are
//!   left out.
//!
//! Time axes are in the run's natural unit (s, min, h, d). The swarm and availability charts
//! mark the run's events: publishers leaving (`peers.csv`), content lost and restored (the
//! samples where `pieces_without_copy` leaves or returns to 0), for up to three torrents.
//! Where the scenario is one the closed forms describe (`sim_core::anchors`), the download
//! CDF marks the Kumar–Ross minimum time and the swarm chart the fluid model's mean leechers
//! and seeds. The price is drawn only over the sample intervals that had trades.
//!
//! Invariant: a plot whose data is absent is skipped with a note, never drawn empty or
//! from made-up data.

use super::chart::{Line, LineChart, Marker};
use super::compare::time_unit;
use crate::frame::read_csv_strict;
use polars::prelude::*;
use std::path::Path;

/// Series rows `(time_s, torrent, metric, value)` in file order.
type SeriesRows = Vec<(f64, String, String, f64)>;

pub(super) fn f64_col(df: &DataFrame, name: &str) -> anyhow::Result<Vec<Option<f64>>> {
    let c = df
        .column(name)
        .map_err(|_| anyhow::anyhow!("no column `{name}`"))?
        .cast(&DataType::Float64)?;
    Ok(c.f64()?.iter().collect())
}

pub(super) fn str_col(df: &DataFrame, name: &str) -> anyhow::Result<Vec<String>> {
    let c = df
        .column(name)
        .map_err(|_| anyhow::anyhow!("no column `{name}`"))?
        .cast(&DataType::String)?;
    Ok(c.str()?
        .iter()
        .map(|s| s.unwrap_or_default().to_string())
        .collect())
}

fn read_series(dir: &Path) -> anyhow::Result<SeriesRows> {
    let path = dir.join("series.csv");
    let df = read_csv_strict(
        &path,
        &["time_s", "torrent", "metric", "value"],
        &["time_s", "value"],
    )?;
    let (t, tor, m, v) = (
        f64_col(&df, "time_s")?,
        str_col(&df, "torrent")?,
        str_col(&df, "metric")?,
        f64_col(&df, "value")?,
    );
    // The last sample is taken at the end of the run: a table cut at a row boundary ends
    // earlier.
    let last = t
        .iter()
        .flatten()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    if let Some(end) = summary_number(dir, "sim_time_s")
        && last < end
    {
        return Err(anyhow::Error::new(crate::error::InputError::new(
            &path,
            format!(
                "ends at {last} s but the run ended at {end} s (summary.json): truncated or damaged table"
            ),
        )));
    }
    Ok(t.into_iter()
        .zip(tor)
        .zip(m)
        .zip(v)
        .filter_map(|(((t, tor), m), v)| Some((t?, tor, m, v?)))
        .collect())
}

/// A top-level number of the run's `summary.json`, if it can be read.
fn summary_number(dir: &Path, key: &str) -> Option<f64> {
    let text = std::fs::read_to_string(dir.join("summary.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.get(key)?.as_f64()
}

/// Torrent names in first-seen order.
fn torrents(rows: &SeriesRows) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for r in rows {
        if !names.contains(&r.1) {
            names.push(r.1.clone());
        }
    }
    names
}

/// One series metric of one torrent, its time divided by `per` (the axis unit).
fn series_line(rows: &SeriesRows, torrent: &str, metric: &str, label: String, per: f64) -> Line {
    Line {
        label,
        points: rows
            .iter()
            .filter(|r| r.1 == torrent && r.2 == metric)
            .map(|r| (r.0 / per, r.3))
            .collect(),
        ..Line::default()
    }
}

/// The run's events for up to three torrents: when its publishers were all gone, and the
/// samples where its content was lost (`pieces_without_copy` above 0 after a sample at 0)
/// or came back (0 again after a loss). Times divided by `per`.
fn events(
    rows: &SeriesRows,
    peers: &DataFrame,
    names: &[String],
    per: f64,
) -> anyhow::Result<Vec<Marker>> {
    if names.len() > 3 {
        return Ok(Vec::new());
    }
    let many = names.len() > 1;
    let name = |t: &str, what: &str| {
        if many {
            format!("{t}: {what}")
        } else {
            what.to_string()
        }
    };
    let mut marks = Vec::new();
    let classes = str_col(peers, "class").unwrap_or_default();
    let torrents = str_col(peers, "torrent")?;
    let left = f64_col(peers, "left_s").unwrap_or_default();
    for t in names {
        let publisher_left: Vec<Option<f64>> = classes
            .iter()
            .zip(&torrents)
            .zip(&left)
            .filter(|((c, tor), _)| c.as_str() == "publisher" && *tor == t)
            .map(|(_, l)| *l)
            .collect();
        if !publisher_left.is_empty() && publisher_left.iter().all(Option::is_some) {
            let gone = publisher_left
                .iter()
                .flatten()
                .fold(0.0, |a: f64, b| a.max(*b));
            marks.push(Marker {
                x: gone / per,
                label: name(t, "publishers leave"),
                reference: false,
            });
        }
        let mut complete = false;
        let mut lost_once = false;
        for r in rows
            .iter()
            .filter(|r| r.1 == *t && r.2 == "pieces_without_copy")
        {
            let now = r.3 == 0.0;
            if complete && !now {
                marks.push(Marker {
                    x: r.0 / per,
                    label: name(t, "content lost"),
                    reference: false,
                });
                lost_once = true;
            } else if !complete && now && lost_once {
                marks.push(Marker {
                    x: r.0 / per,
                    label: name(t, "content restored"),
                    reference: false,
                });
            }
            complete = now;
        }
    }
    marks.sort_by(|a, b| a.x.total_cmp(&b.x));
    Ok(marks)
}

/// Draws every plot the run's data allows into `plots`; returns notes on skipped plots.
pub fn plot_run(dir: &Path, plots: &Path) -> anyhow::Result<Vec<String>> {
    let mut notes = Vec::new();
    let rows = read_series(dir)?;
    // Torrents with swarm rows; run-wide rows (such as the economy's, under torrent `*`)
    // have none and only appear in the charts of their own metrics.
    let all_names = torrents(&rows);
    let names: Vec<String> = all_names
        .iter()
        .filter(|t| rows.iter().any(|r| r.1 == **t && r.2 == "seeds"))
        .cloned()
        .collect();
    let many = names.len() > 1;
    let tag = |t: &str, what: &str| {
        if many {
            format!("{t}: {what}")
        } else {
            what.to_string()
        }
    };
    let end_s = summary_number(dir, "sim_time_s")
        .unwrap_or_else(|| rows.iter().map(|r| r.0).fold(0.0, f64::max));
    let (per, x_label) = time_unit(end_s);
    let scenario = crate::load::load_scenario(&dir.join("scenario.toml"), &[]).ok();
    let peers_path = dir.join("peers.csv");
    let peers = read_csv_strict(
        &peers_path,
        &["torrent", "download_time_s"],
        &["download_time_s"],
    )?;
    let marks = events(&rows, &peers, &names, per)?;
    let mut swarm = LineChart {
        title: "Seeds and leechers over time".into(),
        x_label: x_label.into(),
        y_label: "peers online".into(),
        step: true,
        marks: marks.clone(),
        ..LineChart::default()
    };
    let mut avail = LineChart {
        title: "Availability over time".into(),
        x_label: x_label.into(),
        y_label: "distributed copies".into(),
        step: true,
        marks,
        ..LineChart::default()
    };
    for t in &names {
        swarm
            .lines
            .push(series_line(&rows, t, "seeds", tag(t, "seeds"), per));
        swarm
            .lines
            .push(series_line(&rows, t, "leechers", tag(t, "leechers"), per));
        // A chart with one line per torrent needs no legend for a single torrent.
        let name = if many { t.clone() } else { String::new() };
        avail
            .lines
            .push(series_line(&rows, t, "distributed_copies", name, per));
    }
    if let Some(s) = &scenario
        && let [t] = s.torrents.as_slice()
        && let Some(fluid) = sim_core::anchors::qiu_srikant(s, t)
    {
        let publishers = if t.publishers.leave_after.is_none() {
            f64::from(t.publishers.count)
        } else {
            0.0
        };
        let across = |y: f64, label: String| Line {
            label,
            points: vec![(0.0, y), (end_s / per, y)],
            dashed: true,
            ..Line::default()
        };
        swarm.lines.push(across(
            fluid.leechers,
            format!("fluid model: leechers {:.1}", fluid.leechers),
        ));
        swarm.lines.push(across(
            fluid.seeds + publishers,
            format!("fluid model: seeds {:.1}", fluid.seeds + publishers),
        ));
    }
    swarm.step = true;
    swarm.save(plots, "swarm")?;
    avail.save(plots, "availability")?;

    if let Some(expected) = summary_number(dir, "peers")
        && peers.height() as f64 != expected
    {
        return Err(anyhow::Error::new(crate::error::InputError::new(
            &peers_path,
            format!(
                "has {} rows but summary.json counts {expected} peers (truncated or damaged table)",
                peers.height()
            ),
        )));
    }
    let (ptor, dl) = (
        str_col(&peers, "torrent")?,
        f64_col(&peers, "download_time_s")?,
    );
    let longest = dl.iter().flatten().fold(0.0, |a: f64, b| a.max(*b));
    let (dl_per, dl_unit) = time_unit(longest);
    let mut cdf = LineChart {
        title: "Download times (CDF over completed peers)".into(),
        x_label: dl_unit.replace("time", "download time"),
        y_label: "fraction of completed peers".into(),
        step: true,
        ..LineChart::default()
    };
    if let Some(s) = &scenario
        && let [t] = s.torrents.as_slice()
        && let Some(t_min) = sim_core::anchors::kumar_ross_min_s(s, t)
    {
        cdf.marks.push(Marker {
            x: t_min / dl_per,
            label: format!("Kumar–Ross: the last peer finishes no sooner than {t_min:.0} s"),
            reference: true,
        });
    }
    for t in &names {
        let mut times: Vec<f64> = ptor
            .iter()
            .zip(&dl)
            .filter(|(p, _)| *p == t)
            .filter_map(|(_, d)| d.map(|d| d / dl_per))
            .collect();
        times.sort_by(f64::total_cmp);
        let n = times.len() as f64;
        let mut points = vec![(times.first().copied().unwrap_or(0.0), 0.0)];
        points.extend(
            times
                .iter()
                .enumerate()
                .map(|(i, &x)| (x, (i + 1) as f64 / n)),
        );
        if !times.is_empty() {
            cdf.lines.push(Line {
                label: if many { t.clone() } else { String::new() },
                points,
                ..Line::default()
            });
        }
    }
    if cdf.lines.is_empty() {
        notes.push("download-cdf: no peer completed a download".into());
    } else {
        cdf.save(plots, "download-cdf")?;
    }

    match balances(dir)? {
        Some(values) => lorenz(&values).save(plots, "lorenz-balances")?,
        None => notes.push(
            "lorenz-balances: no `holdings_end_tokens` or `balance_end_tokens` column in balances.csv or peers.csv (runs without tokens)".into(),
        ),
    }
    if rows.iter().any(|r| r.2 == "price_per_mib") {
        let mut price = LineChart {
            title: "Price over time (gaps: sample intervals without trades)".into(),
            markers: true,
            x_label: x_label.into(),
            y_label: "price (tokens per MiB)".into(),
            ..LineChart::default()
        };
        let priced: Vec<&String> = all_names
            .iter()
            .filter(|t| rows.iter().any(|r| r.1 == **t && r.2 == "price_per_mib"))
            .collect();
        // Every sample time of the run (a price sample covers the interval since the one
        // before; intervals without trades have no price and stay blank).
        let mut samples: Vec<f64> = rows.iter().map(|r| r.0).collect();
        samples.sort_by(f64::total_cmp);
        samples.dedup();
        for t in &priced {
            let name = match (priced.len() > 1, t.as_str()) {
                (false, _) => String::new(),
                (true, "*") => "all torrents".to_string(),
                (true, _) => t.to_string(),
            };
            // Consecutive samples with trades are joined; a sample without any breaks the
            // line, so no price is carried across an interval nobody traded in.
            let mut points: Vec<(f64, f64)> = Vec::new();
            let mut previous: Option<f64> = None;
            for r in rows.iter().filter(|r| r.1 == **t && r.2 == "price_per_mib") {
                let k = samples.partition_point(|&x| x < r.0);
                let before = (k > 0).then(|| samples[k - 1]);
                if previous.is_some() && previous != before {
                    points.push((r.0 / per, f64::NAN));
                }
                points.push((r.0 / per, r.3));
                previous = Some(r.0);
            }
            price.lines.push(Line {
                label: name,
                points,
                ..Line::default()
            });
        }
        price.save(plots, "price")?;
    } else {
        notes.push("price: no `price_per_mib` metric in series.csv (runs without tokens)".into());
    }
    Ok(notes)
}

/// End holdings of the token accounts, from `balances.csv` (preferred) or `peers.csv`:
/// the column `holdings_end_tokens` (balance plus claims in open channels) if present, else
/// `balance_end_tokens`; rows whose `strategy` is `barter` (hosts without the token
/// extension) are left out, so the Gini matches the summary's Gini over participants.
fn balances(dir: &Path) -> anyhow::Result<Option<Vec<f64>>> {
    for file in ["balances.csv", "peers.csv"] {
        let path = dir.join(file);
        if !path.is_file() {
            continue;
        }
        let df = read_csv_strict(&path, &[], &["holdings_end_tokens", "balance_end_tokens"])?;
        let Some(column) = ["holdings_end_tokens", "balance_end_tokens"]
            .into_iter()
            .find(|c| df.column(c).is_ok())
        else {
            continue;
        };
        let values = f64_col(&df, column)?;
        let barter: Vec<bool> = match str_col(&df, "strategy") {
            Ok(s) => s.iter().map(|s| s == "barter").collect(),
            Err(_) => vec![false; values.len()],
        };
        return Ok(Some(
            values
                .into_iter()
                .zip(barter)
                .filter(|(_, b)| !b)
                .filter_map(|(v, _)| v)
                .collect(),
        ));
    }
    Ok(None)
}

/// The Lorenz curve of `values` (negative values count as zero holdings), with the Gini
/// coefficient in the title.
pub fn lorenz(values: &[f64]) -> LineChart {
    let mut v: Vec<f64> = values.iter().map(|x| x.max(0.0)).collect();
    v.sort_by(f64::total_cmp);
    let n = v.len() as f64;
    let total: f64 = v.iter().sum();
    let mut points = vec![(0.0, 0.0)];
    let mut acc = 0.0;
    for (i, x) in v.iter().enumerate() {
        acc += x;
        points.push((
            (i + 1) as f64 / n,
            if total > 0.0 { acc / total } else { 0.0 },
        ));
    }
    // Gini = 1 − 2·(area under the Lorenz curve), trapezoids over the points.
    let area: f64 = points
        .windows(2)
        .map(|w| (w[1].0 - w[0].0) * (w[0].1 + w[1].1) / 2.0)
        .sum();
    let gini = 1.0 - 2.0 * area;
    LineChart {
        title: format!(
            "Lorenz curve of token holdings at the end (Gini {gini:.3}, {} accounts)",
            v.len()
        ),
        x_label: "share of accounts, poorest first".into(),
        y_label: "share of tokens held".into(),
        lines: vec![
            Line {
                label: "holdings".into(),
                points,
                ..Line::default()
            },
            Line {
                label: "equality".into(),
                points: vec![(0.0, 0.0), (1.0, 1.0)],
                dashed: true,
                ..Line::default()
            },
        ],
        ..LineChart::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lorenz_of_equal_and_concentrated_holdings() {
        let eq = lorenz(&[5.0; 4]);
        assert!(eq.title.contains("Gini 0.000"), "{}", eq.title);
        let one = lorenz(&[0.0, 0.0, 0.0, 10.0]);
        assert!(one.title.contains("Gini 0.750"), "{}", one.title);
        assert_eq!(one.lines[0].points.last(), Some(&(1.0, 1.0)));
    }
}
