//! Typed tables: every Parquet table's column types are pinned (`tests/golden/schemas.txt`),
//! come from the row types, and never depend on whether a column happens to be null.

use super::{SMALL, temp_dir, tokenswarm};
use polars::prelude::*;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &Path) -> DataFrame {
    ParquetReader::new(
        std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .finish()
    .unwrap()
}

/// `table column dtype` lines of every Parquet file in `dir`, sorted by table.
fn schema_lines(dir: &Path, tag: &str) -> Vec<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let df = read(&f);
        let table = f.file_stem().unwrap().to_string_lossy().to_string();
        for c in df.columns() {
            out.push(format!("{tag} {table} {} {}", c.name(), c.dtype()));
        }
    }
    out
}

#[test]
fn every_table_has_its_pinned_column_types() {
    let dir = temp_dir("schema");
    let mut lines = Vec::new();
    // A barter run, a token market with a world and agents, and a sweep.
    for (tag, scenario) in [
        ("quickstart", "scenarios/quickstart.toml"),
        ("seedbox-small", "scenarios/regression/seedbox-small.toml"),
    ] {
        let out = dir.join(tag);
        let o = tokenswarm(
            &[
                "run",
                &root().join(scenario).to_string_lossy(),
                "--out",
                &out.to_string_lossy(),
            ],
            &dir,
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        lines.extend(schema_lines(&out, tag));
    }
    std::fs::write(dir.join("s.toml"), SMALL).unwrap();
    std::fs::write(dir.join("sweep.toml"), super::sweeps::SWEEP).unwrap();
    let o = tokenswarm(&["sweep", "sweep.toml", "--out", "sw"], &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The sweep's metric columns are many; pin the fixed ones and a sample of metrics.
    for l in schema_lines(&dir.join("sw"), "sweep") {
        let keep = !l.starts_with("sweep runs ")
            || [
                "point",
                "replicate",
                "seed",
                "events_processed",
                "torrents.file.completed_downloads",
                "torrents.file.longevity_s",
                "torrents.file.download_time_s.count",
                "torrents.file.download_time_s.p50",
            ]
            .iter()
            .any(|c| l.split(' ').nth(2) == Some(*c));
        if keep {
            lines.push(l);
        }
    }
    let text = lines.join("\n") + "\n";
    let pinned = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/schemas.txt");
    if std::env::var("TOKENSWARM_BLESS_GOLDEN").is_ok_and(|v| v == "1") {
        std::fs::write(&pinned, &text).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&pinned).unwrap_or_default();
    assert!(
        text == want,
        "column types changed (bless with TOKENSWARM_BLESS_GOLDEN=1 if intended):\n{}",
        text.lines()
            .filter(|l| !want.lines().any(|w| w == *l))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn a_column_has_one_type_whether_it_is_null_or_not() {
    let dir = temp_dir("schema-null");
    // Lost within the horizon (longevity set) and never lost (longevity null, censored).
    let lost = format!(
        "{}\n[torrents.publishers]\ncount = 1\nleave_after = \"5min\"\n",
        SMALL
            .replace("stop_when_done = true", "stop_when_done = false")
            .replace("horizon = \"30min\"", "horizon = \"4h\"")
    );
    let kept = SMALL.to_string();
    let mut frames = Vec::new();
    for (name, text) in [("lost", lost), ("kept", kept)] {
        std::fs::write(dir.join(format!("{name}.toml")), text).unwrap();
        let o = tokenswarm(&["run", &format!("{name}.toml"), "--out", name], &dir);
        assert!(
            o.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        frames.push(read(&dir.join(name).join("torrents.parquet")));
    }
    let (a, b) = (&frames[0], &frames[1]);
    let la = a.column("longevity_s").unwrap();
    let lb = b.column("longevity_s").unwrap();
    assert_eq!(la.null_count(), 0, "lost within the horizon");
    assert_eq!(lb.null_count(), 1, "never lost");
    assert_eq!(a.schema(), b.schema(), "same types, null or not");
    assert_eq!(la.dtype(), &DataType::Float64);
    assert_eq!(
        a.column("completed_downloads").unwrap().dtype(),
        &DataType::UInt64
    );
    // The tables of two runs concatenate.
    let mut both = a.clone();
    both.vstack_mut(b).unwrap();
    assert_eq!(both.height(), 2);
}
