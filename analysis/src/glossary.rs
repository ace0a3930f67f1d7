//! The metric glossary, generated from the code: every summary metric (the dotted names of
//! sweep tables, `check` and `compare`), every table column and every time-series metric,
//! with its type, unit, definition and censoring. Definitions are the doc comments of the
//! fields where the values are computed (`sim_core::documented!`), so they are written once.
//!
//! `tokenswarm metrics` prints it; `docs/metrics.md` is this text (a test keeps it current).
//!
//! Invariant: the summary's metric names here are those `metrics::flatten_summary` gives
//! (objects nest with `.`, lists of named items are keyed by name, maps by key), with the
//! variable parts written `<torrent>`, `<site>`, `<key>`.

use crate::table::schema::{ColumnSpec, columns};
use sim_core::reflect::{FieldShape, Reflect, Shape};
use std::fmt::Write;

/// One summary metric.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricDoc {
    pub name: String,
    pub kind: &'static str,
    pub unit: &'static str,
    pub definition: String,
    pub censoring: String,
    /// Present only in runs that have the section (a world, an economy, agents).
    pub condition: &'static str,
}

/// The unit of a value named `name` (the last field name that is not a statistic).
fn unit_of(name: &str, integer: bool) -> &'static str {
    let n = name;
    if n.ends_with("bytes_per_s") {
        "B/s"
    } else if n.ends_with("_per_mib") {
        "tokens/MiB"
    } else if n.ends_with("_s") {
        "s"
    } else if n.ends_with("_bytes") || n.starts_with("bytes_") || n.ends_with("size_bytes") {
        "B"
    } else if n.ends_with("_tokens") || n.starts_with("tokens_") {
        "tokens"
    } else if n.ends_with("_share") || n == "gini" || n == "available_share" {
        "fraction"
    } else if integer {
        "count"
    } else {
        ""
    }
}

fn leaf_kind(shape: &Shape) -> Option<(&'static str, bool)> {
    match shape {
        Shape::Unsigned | Shape::Signed => Some(("integer", true)),
        Shape::Float => Some(("float", false)),
        Shape::Optional(inner) => leaf_kind(inner),
        _ => None,
    }
}

const STATISTICS: [&str; 5] = ["count", "mean", "p50", "p90", "p99"];

/// Every metric of the summary of a run.
pub fn summary_metrics() -> Vec<MetricDoc> {
    let mut out = Vec::new();
    let Shape::Struct(root) = sim_core::report::Summary::shape() else {
        unreachable!("the summary is a struct")
    };
    walk_fields(&root.fields, "", "", "", &[], &mut out);
    out
}

/// The condition under which a top-level section exists.
fn condition_of(top: &str) -> &'static str {
    match top {
        "economy" => "with [economy]",
        "sites" => "with a world above the swarm",
        "agents" => "with [[agents]]",
        _ => "",
    }
}

fn walk_fields(
    fields: &[FieldShape],
    prefix: &str,
    parent_doc: &str,
    parent_unit_name: &str,
    parent_siblings: &[FieldShape],
    out: &mut Vec<MetricDoc>,
) {
    for f in fields {
        if prefix.is_empty() && f.name == "seed" {
            continue;
        }
        let name = if prefix.is_empty() {
            f.name.to_string()
        } else {
            format!("{prefix}.{}", f.name)
        };
        let condition = if prefix.is_empty() {
            condition_of(f.name)
        } else {
            ""
        };
        let start = out.len();
        walk(
            f,
            fields,
            parent_siblings,
            &name,
            parent_doc,
            parent_unit_name,
            out,
        );
        if f.name == "listing" {
            for m in &mut out[start..] {
                m.condition = "with a world above the swarm";
            }
        }
        if !condition.is_empty() {
            for m in &mut out[start..] {
                m.condition = condition;
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn walk(
    f: &FieldShape,
    siblings: &[FieldShape],
    parent_siblings: &[FieldShape],
    name: &str,
    parent_doc: &str,
    parent_unit_name: &str,
    out: &mut Vec<MetricDoc>,
) {
    let shape = match &f.shape {
        Shape::Optional(inner) => inner.as_ref(),
        s => s,
    };
    if let Some((kind, integer)) = leaf_kind(&f.shape) {
        let stat = STATISTICS.contains(&f.name) && !parent_unit_name.is_empty();
        let unit = if stat && f.name == "count" {
            "count"
        } else if stat {
            unit_of(parent_unit_name, false)
        } else {
            unit_of(f.name, integer)
        };
        let definition = if stat {
            format!("{} {}", parent_doc, f.doc).trim().to_string()
        } else {
            f.doc.clone()
        };
        let base = if stat { parent_unit_name } else { f.name };
        out.push(MetricDoc {
            name: name.to_string(),
            kind,
            unit,
            definition,
            censoring: if stat {
                censoring_of(base, parent_siblings, f.name != "count")
            } else {
                censoring_of(base, siblings, false)
            },
            condition: "",
        });
        return;
    }
    match shape {
        Shape::Struct(s) => walk_fields(&s.fields, name, &f.doc, f.name, siblings, out),
        Shape::List(item) => {
            if let Shape::Struct(s) = item.as_ref() {
                let key = match s.name {
                    "TorrentSummary" => "<torrent>",
                    "SiteSummary" => "<site>",
                    _ => "<name>",
                };
                walk_fields(
                    &s.fields,
                    &format!("{name}.{key}"),
                    &f.doc,
                    f.name,
                    siblings,
                    out,
                );
            }
        }
        Shape::Map(value) => {
            let key = format!("{name}.<key>");
            match value.as_ref() {
                Shape::Struct(s) => walk_fields(&s.fields, &key, &f.doc, f.name, siblings, out),
                leaf => {
                    if let Some((kind, integer)) = leaf_kind(leaf) {
                        out.push(MetricDoc {
                            name: key,
                            kind,
                            unit: unit_of(f.name, integer),
                            definition: f.doc.clone(),
                            censoring: String::new(),
                            condition: "",
                        });
                    }
                }
            }
        }
        // Text and booleans are not metrics.
        _ => {}
    }
}

/// How the value of `base` (a field name) is censored, from its companions among `siblings`.
fn censoring_of(base: &str, siblings: &[FieldShape], statistic: bool) -> String {
    let Some(stem) = base.strip_suffix("_s") else {
        return String::new();
    };
    if let Some(observed) = stem.strip_suffix("_censored_at") {
        return format!("the censoring time of `{observed}_s`");
    }
    let at = format!("{stem}_censored_at_s");
    if siblings.iter().any(|s| s.name == at) {
        return format!(
            "null when not reached within the horizon; then `{at}` holds the time observed"
        );
    }
    let count = format!("{stem}_censored");
    if statistic && siblings.iter().any(|s| s.name == count) {
        return format!("over uncensored values only; censored ones counted in `{count}`");
    }
    String::new()
}

/// The columns of the tables a run writes.
pub fn table_columns() -> Vec<(&'static str, &'static str, Vec<ColumnSpec>)> {
    use sim_core::economy::bounty_summary::BountyRow;
    use sim_core::report::economy::{BalanceRow, JournalRow};
    use sim_core::report::economy_lending::LoanRow;
    use sim_core::report::world::AgentRow;
    use sim_core::report::{PeerRow, TorrentSummary};
    vec![
        ("torrents", "", columns(&TorrentSummary::shape())),
        ("peers", "", columns(&PeerRow::shape())),
        (
            "series",
            "",
            columns(&sim_core::metrics::SeriesRow::shape()),
        ),
        ("balances", "with [economy]", columns(&BalanceRow::shape())),
        ("journal", "with [economy]", columns(&JournalRow::shape())),
        ("agents", "with [[agents]]", columns(&AgentRow::shape())),
        (
            "loans",
            "with [economy.lending]",
            columns(&LoanRow::shape()),
        ),
        (
            "bounties",
            "with [economy.bounties]",
            columns(&BountyRow::shape()),
        ),
    ]
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace("`None`", "null")
}

/// The whole glossary as Markdown (what `docs/metrics.md` holds).
pub fn markdown() -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Metrics\n\n\
         Generated by `tokenswarm metrics` from the code (the doc comments of the fields where\n\
         each value is computed); do not edit: a test fails when this file is not current\n\
         (`tokenswarm metrics > docs/metrics.md` rewrites it).\n\n\
         ## Summary metrics\n\n\
         The numeric leaves of `summary.json`, named as in sweep tables (`runs`, `points`),\n\
         `tokenswarm check` baselines and `tokenswarm compare`: objects nest with `.`, a\n\
         torrent or site is named by its `name` (`<torrent>`, `<site>`), a map by its key\n\
         (`<key>`). Integer metrics are `Int64` columns in sweep tables, the others `Float64`.\n\
         Statistics (`count`, `mean`, `p50`, `p90`, `p99`) are nearest-rank over the run's\n\
         values. A censored metric is reported with its censoring (see `docs/sweep-reference.md`,\n\
         \"Censored metrics\"): sweeps add Kaplan–Meier statistics for it.\n"
    );
    let _ = writeln!(
        s,
        "| metric | type | unit | definition | censoring | present |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|");
    for m in summary_metrics() {
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} | {} | {} |",
            m.name,
            m.kind,
            m.unit,
            cell(&m.definition),
            cell(&m.censoring),
            if m.condition.is_empty() {
                "always"
            } else {
                m.condition
            }
        );
    }
    let _ = writeln!(
        s,
        "\n## Tables of a run\n\n\
         Every table is CSV with a Parquet twin typed by its row type (the types below, in\n\
         every run, whatever the values; empty cells are nulls). Nested fields are\n\
         `parent.child` columns; a column marked *optional* exists only in runs that have it\n\
         (a world above the swarm)."
    );
    for (table, condition, cols) in table_columns() {
        let _ = writeln!(
            s,
            "\n### `{table}.csv`{}\n",
            if condition.is_empty() {
                String::new()
            } else {
                format!(" ({condition})")
            }
        );
        let _ = writeln!(s, "| column | type | unit | definition |");
        let _ = writeln!(s, "|---|---|---|---|");
        for c in cols {
            let last = c.name.rsplit('.').next().unwrap_or(&c.name);
            let integer = matches!(
                c.kind,
                crate::table::schema::ColumnType::UInt64 | crate::table::schema::ColumnType::Int64
            );
            let unit = if STATISTICS.contains(&last) && last != "count" {
                let parent = c.name.rsplit('.').nth(1).unwrap_or("");
                unit_of(parent, false)
            } else {
                unit_of(last, integer)
            };
            let _ = writeln!(
                s,
                "| `{}` | {}{} | {} | {} |",
                c.name,
                c.kind.name(),
                if c.optional_column { ", optional" } else { "" },
                if c.kind == crate::table::schema::ColumnType::Text {
                    ""
                } else {
                    unit
                },
                cell(&c.doc)
            );
        }
    }
    let _ = writeln!(
        s,
        "\n## Time series (`series.csv`, column `metric`)\n\n\
         Sampled per torrent (`torrent` = its name) at the scenario's `sample_every`, and\n\
         run-wide for the economy (`torrent` = `*`).\n"
    );
    let _ = writeln!(s, "| metric | torrent | meaning |");
    let _ = writeln!(s, "|---|---|---|");
    for (name, meaning) in sim_core::metrics::SERIES_METRICS {
        let _ = writeln!(s, "| `{name}` | each | {} |", cell(meaning));
    }
    for (name, meaning) in sim_core::metrics::ECONOMY_SERIES_METRICS {
        let _ = writeln!(s, "| `{name}` | `*` (with [economy]) | {} |", cell(meaning));
    }
    let _ = writeln!(
        s,
        "| `balance_mean_tokens.class.<class>`, `balance_mean_tokens.strategy.<strategy>` | `*` (with [economy]) | mean gross holdings of the group's hosts, tokens |"
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_is_documented_and_named_like_the_flattened_summary() {
        let metrics = summary_metrics();
        let find = |n: &str| {
            metrics
                .iter()
                .find(|m| m.name == n)
                .unwrap_or_else(|| panic!("{n} missing"))
        };
        let longevity = find("torrents.<torrent>.longevity_s");
        assert_eq!((longevity.kind, longevity.unit), ("float", "s"));
        assert!(longevity.censoring.contains("longevity_censored_at_s"));
        let p50 = find("torrents.<torrent>.download_time_s.p50");
        assert_eq!(p50.unit, "s");
        assert!(
            p50.definition
                .starts_with("From joining to holding every piece")
        );
        assert!(p50.censoring.contains("download_time_censored"), "{p50:?}");
        assert_eq!(
            find("torrents.<torrent>.download_time_s.count").unit,
            "count"
        );
        assert_eq!(find("economy.gini").condition, "with [economy]");
        assert_eq!(
            find("economy.balances_by_class.<key>.mean_tokens").unit,
            "tokens"
        );
        assert_eq!(
            find("sites.<site>.identities_by_class.<key>").kind,
            "integer"
        );
        assert!(
            metrics
                .iter()
                .all(|m| m.name != "seed" && m.name != "scenario")
        );
        let undocumented: Vec<&str> = metrics
            .iter()
            .filter(|m| m.definition.trim().is_empty())
            .map(|m| m.name.as_str())
            .collect();
        assert!(undocumented.is_empty(), "undocumented: {undocumented:?}");
        for (table, _, cols) in table_columns() {
            for c in cols {
                assert!(!c.doc.is_empty(), "{table}.{} undocumented", c.name);
            }
        }
    }
}
