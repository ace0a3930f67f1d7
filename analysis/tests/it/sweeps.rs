//! `tokenswarm sweep`: tables, byte-identical results for any thread count, resume, failed
//! runs, and bad sweep files.

use super::{SMALL, temp_dir, tokenswarm};
use std::path::Path;

/// A 2 × 2 grid with 2 replicates over the small scenario (8 runs).
pub const SWEEP: &str = r#"
name = "small-sweep"
base = "s.toml"
kind = "grid"
replicates = 2
seed = 11
[set]
horizon = "20min"
[parameters]
"torrents[0].seeding.mean" = ["1min", "4min"]
"classes[0].upload" = ["1 Mbit/s", "2 Mbit/s"]
"#;

pub const TABLES: [&str; 6] = [
    "runs.csv",
    "runs.parquet",
    "points.csv",
    "points.parquet",
    "series.parquet",
    "sweep.json",
];

pub fn setup(tag: &str, sweep: &str) -> std::path::PathBuf {
    let dir = temp_dir(tag);
    std::fs::write(dir.join("s.toml"), SMALL).unwrap();
    std::fs::write(dir.join("sweep.toml"), sweep).unwrap();
    dir
}

pub fn ok(args: &[&str], dir: &Path) -> String {
    let o = tokenswarm(args, dir);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success(), "{args:?}: {err}");
    err
}

#[test]
fn one_and_two_threads_write_byte_identical_tables() {
    let dir = setup("sweep-det", SWEEP);
    ok(
        &["sweep", "sweep.toml", "--threads", "1", "--out", "one"],
        &dir,
    );
    ok(
        &["sweep", "sweep.toml", "--threads", "2", "--out", "two"],
        &dir,
    );
    for f in TABLES {
        let a = std::fs::read(dir.join("one").join(f)).unwrap();
        let b = std::fs::read(dir.join("two").join(f)).unwrap();
        assert!(a.len() > 20, "{f} is empty");
        assert!(a == b, "{f} differs between 1 and 2 threads");
    }
    let runs = std::fs::read_to_string(dir.join("one/runs.csv")).unwrap();
    let mut lines = runs.lines();
    let header = lines.next().unwrap();
    for col in [
        "point,replicate,seed,torrents[0].seeding.mean,torrents[0].seeding.mean [s],classes[0].upload,classes[0].upload [B/s]",
        "torrents.file.download_time_s.p50",
        "torrents.file.longevity_s",
        "events_processed",
    ] {
        assert!(
            header.contains(col),
            "runs.csv header lacks {col}: {header}"
        );
    }
    assert_eq!(lines.count(), 8, "one row per run");
    let points = std::fs::read_to_string(dir.join("one/points.csv")).unwrap();
    assert!(
        points
            .lines()
            .next()
            .unwrap()
            .ends_with("metric,n,missing,mean,sd,ci95_low,ci95_high,censored,km_median,km_median_ci95_low,km_median_ci95_high,restricted_to,rmst,rmst_ci95_low,rmst_ci95_high"),
        "{}",
        points.lines().next().unwrap()
    );
    // Common random numbers: the 2 replicates have distinct seeds, shared by all 4 points.
    let seeds: Vec<&str> = runs
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap())
        .collect();
    let mut unique = seeds.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 2, "{seeds:?}");
    // `independent = true`: every run its own seed.
    let dir = setup(
        "sweep-independent",
        &SWEEP.replace("seed = 11", "seed = 11\nindependent = true"),
    );
    ok(&["sweep", "sweep.toml", "--out", "ind"], &dir);
    let runs = std::fs::read_to_string(dir.join("ind/runs.csv")).unwrap();
    let mut seeds: Vec<&str> = runs
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap())
        .collect();
    seeds.sort();
    seeds.dedup();
    assert_eq!(seeds.len(), 8, "{seeds:?}");
}

#[test]
fn identical_points_on_common_random_numbers_give_identical_replicates() {
    let sweep = SWEEP.replace(
        "[\"1 Mbit/s\", \"2 Mbit/s\"]",
        "[\"1 Mbit/s\", \"1 Mbit/s\"]",
    );
    let dir = setup("sweep-crn", &sweep);
    ok(&["sweep", "sweep.toml", "--out", "out"], &dir);
    let runs = std::fs::read_to_string(dir.join("out/runs.csv")).unwrap();
    // Columns after the parameters: every metric. Points 0 and 1 (same values) agree.
    let rows: Vec<Vec<&str>> = runs
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let metrics_of = |point: &str, rep: &str| -> Vec<String> {
        let r = rows.iter().find(|r| r[0] == point && r[1] == rep).unwrap();
        r[7..].iter().map(|c| c.to_string()).collect()
    };
    for rep in ["0", "1"] {
        assert_eq!(
            metrics_of("0", rep),
            metrics_of("1", rep),
            "replicate {rep}"
        );
    }
}

#[test]
fn a_half_censored_metric_reports_its_censoring_and_survival() {
    // The publisher leaves after 2 minutes; with 12-minute seeding the content often outlives
    // the 30-minute horizon: those runs are censored, not dropped.
    let sweep = SWEEP
        .replace("[\"1min\", \"4min\"]", "[\"1min\", \"12min\"]")
        .replace("\"classes[0].upload\" = [\"1 Mbit/s\", \"2 Mbit/s\"]\n", "")
        .replace("horizon = \"20min\"", "horizon = \"30min\"")
        .replace("replicates = 2", "replicates = 12");
    let dir = setup("sweep-censored", &sweep);
    let s = SMALL
        .replace("stop_when_done = true", "stop_when_done = false")
        .replace(
            "piece_size = \"256 KiB\"",
            "piece_size = \"256 KiB\"\npublishers = { leave_after = \"2min\" }",
        );
    std::fs::write(dir.join("s.toml"), s).unwrap();
    ok(&["sweep", "sweep.toml", "--out", "out"], &dir);
    let points = std::fs::read_to_string(dir.join("out/points.csv")).unwrap();
    let header: Vec<&str> = points.lines().next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let mut seen_censored = false;
    for line in points.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        if cells[col("metric")] != "torrents.file.longevity_s" {
            continue;
        }
        let n: usize = cells[col("n")].parse().unwrap();
        let censored: usize = cells[col("censored")].parse().unwrap();
        assert_eq!(
            n + censored,
            12,
            "every replicate is observed or censored: {line}"
        );
        let rmst: f64 = cells[col("rmst")].parse().unwrap();
        if censored > 0 && n > 0 {
            seen_censored = true;
            // The mean of the observed runs alone is biased down; the restricted mean is not.
            let mean: f64 = cells[col("mean")].parse().unwrap();
            assert!(rmst > mean, "rmst {rmst} vs observed mean {mean}: {line}");
        }
    }
    assert!(seen_censored, "{points}");
}

#[test]
fn resume_skips_finished_runs_and_a_failed_run_does_not_stop_the_others() {
    let dir = setup("sweep-resume", SWEEP);
    ok(
        &["sweep", "sweep.toml", "--threads", "2", "--out", "full"],
        &dir,
    );
    ok(
        &["sweep", "sweep.toml", "--threads", "2", "--out", "part"],
        &dir,
    );
    // Simulate an interruption: two runs and the tables are gone, one run was half-written.
    for r in ["p0001-r00", "p0003-r01"] {
        std::fs::remove_dir_all(dir.join("part/runs").join(r)).unwrap();
    }
    std::fs::create_dir_all(dir.join("part/runs/.p0001-r00.partial-4194304999")).unwrap();
    std::fs::remove_file(dir.join("part/runs.csv")).unwrap();
    let kept = std::fs::read(dir.join("part/runs/p0000-r00/manifest.json")).unwrap();
    let o = tokenswarm(&["sweep", "sweep.toml", "--out", "part"], &dir);
    assert_eq!(
        o.status.code(),
        Some(2),
        "without --resume the sweep refuses"
    );
    let err = ok(&["sweep", "sweep.toml", "--resume", "--out", "part"], &dir);
    assert!(
        err.contains("(6 done before, 2 run here, 0 run by another process, 0 failed)"),
        "{err}"
    );
    assert!(!dir.join("part/runs/.p0001-r00.partial-4194304999").exists());
    assert_eq!(
        kept,
        std::fs::read(dir.join("part/runs/p0000-r00/manifest.json")).unwrap(),
        "finished runs are not redone"
    );
    for f in TABLES {
        assert!(
            std::fs::read(dir.join("full").join(f)).unwrap()
                == std::fs::read(dir.join("part").join(f)).unwrap(),
            "{f}: a resumed sweep equals an uninterrupted one"
        );
    }
    // A run whose directory cannot be written fails alone; the others finish and the
    // exit code says so.
    std::fs::remove_dir_all(dir.join("part/runs/p0002-r00")).unwrap();
    std::fs::write(dir.join("part/runs/p0002-r00"), "in the way").unwrap();
    let o = tokenswarm(&["sweep", "sweep.toml", "--resume", "--out", "part"], &dir);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("run p0002-r00 (point 2, replicate 0, seed "),
        "{err}"
    );
    assert!(err.contains("1 of 8 runs failed"), "{err}");
    let failed = std::fs::read_to_string(dir.join("part/failed.csv")).unwrap();
    assert!(
        failed.starts_with("run,point,replicate,seed,error\np0002-r00,2,0,"),
        "{failed}"
    );
    let runs = std::fs::read_to_string(dir.join("part/runs.csv")).unwrap();
    assert_eq!(
        runs.lines().count(),
        1 + 7,
        "the tables hold the 7 runs that succeeded"
    );
}

/// Runs `sweep` on `text` and checks the bad-input contract; returns stderr.
fn rejects(text: &str, expect: &[&str]) -> String {
    let dir = setup("sweep-bad", text);
    let o = tokenswarm(&["sweep", "sweep.toml", "--out", "out"], &dir);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(2), "{expect:?}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(
        err.contains("sweep.toml") && !err.contains("panicked"),
        "{err}"
    );
    for e in expect {
        assert!(err.contains(e), "error should mention `{e}`: {err}");
    }
    assert!(!dir.join("out").exists(), "nothing written for {expect:?}");
    err
}

#[test]
fn bad_sweep_files_exit_2_and_write_nothing() {
    rejects(
        &SWEEP.replace("torrents[0].seeding.mean", "torrents[0].seding.mean"),
        &[
            "unknown scenario path `torrents[0].seding.mean`",
            "`torrents[0].seeding.mean`",
        ],
    );
    rejects(
        &SWEEP.replace("[\"1min\", \"4min\"]", "[\"1min\", 4]"),
        &[
            "point 2",
            "torrents[0].seeding.mean = 4",
            "torrents[0].seeding.mean",
        ],
    );
    rejects(&SWEEP.replace("[\"1min\", \"4min\"]", "[]"), &["empty"]);
    rejects(
        &SWEEP
            .replace("kind = \"grid\"", "kind = \"zip\"")
            .replace("[\"1min\", \"4min\"]", "[\"1min\", \"2min\", \"4min\"]"),
        &["equal lengths"],
    );
    rejects(
        &SWEEP.replace("replicates = 2", "replicates = 0"),
        &["replicates"],
    );
    rejects(
        &SWEEP.replace("horizon = \"20min\"", "horizn = \"20min\""),
        &["[set]", "horizn", "`horizon`"],
    );
    rejects(
        &SWEEP.replace("seed = 11", "seed = 11\nseeds = 3"),
        &["unknown field `seeds`"],
    );
}

#[test]
fn an_output_directory_with_another_sweep_is_left_alone() {
    let dir = setup("sweep-other", SWEEP);
    ok(
        &["sweep", "sweep.toml", "--threads", "2", "--out", "out"],
        &dir,
    );
    let before = std::fs::read(dir.join("out/runs.csv")).unwrap();
    std::fs::write(
        dir.join("other.toml"),
        SWEEP.replace("seed = 11", "seed = 12"),
    )
    .unwrap();
    for extra in [&[][..], &["--resume"][..]] {
        let mut args = vec!["sweep", "other.toml", "--out", "out"];
        args.extend_from_slice(extra);
        let o = tokenswarm(&args, &dir);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains("holds a different sweep"), "{err}");
    }
    assert_eq!(before, std::fs::read(dir.join("out/runs.csv")).unwrap());
    std::fs::create_dir_all(dir.join("busy")).unwrap();
    std::fs::write(dir.join("busy/notes.txt"), "mine").unwrap();
    let o = tokenswarm(&["sweep", "sweep.toml", "--out", "busy"], &dir);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read_dir(dir.join("busy")).unwrap().count(), 1);
}

#[test]
fn latin_hypercube_sweeps_sample_ranges_reproducibly() {
    let lhs = SWEEP
        .replace("kind = \"grid\"", "kind = \"latin_hypercube\"\nsamples = 3")
        .replace("replicates = 2", "replicates = 1")
        .replace("[\"1min\", \"4min\"]", "[\"1min\", \"10min\"]");
    let dir = setup("sweep-lhs", &lhs);
    ok(&["sweep", "sweep.toml", "--out", "a"], &dir);
    ok(
        &["sweep", "sweep.toml", "--threads", "1", "--out", "b"],
        &dir,
    );
    let runs = std::fs::read_to_string(dir.join("a/runs.csv")).unwrap();
    assert_eq!(
        runs,
        std::fs::read_to_string(dir.join("b/runs.csv")).unwrap()
    );
    assert_eq!(runs.lines().count(), 4, "{runs}");
    // Seeding means in [60 s, 600 s], one per third of the range.
    let mut thirds: Vec<usize> = runs
        .lines()
        .skip(1)
        .map(|l| {
            let s: f64 = l.split(',').nth(4).unwrap().parse().unwrap();
            assert!((60.0..=600.0).contains(&s), "{s}");
            (((s - 60.0) / 540.0 * 3.0).floor() as usize).min(2)
        })
        .collect();
    thirds.sort();
    assert_eq!(thirds, vec![0, 1, 2], "{runs}");
}

#[test]
fn zip_sweeps_pair_values_and_take_an_inline_base() {
    let inline = format!(
        "name = \"zip\"\nkind = \"zip\"\nreplicates = 1\nseed = 5\n[parameters]\n\"torrents[0].arrivals.count\" = [5, 15]\n\"torrents[0].size\" = [\"1 MiB\", \"2 MiB\"]\n[base]\n{}",
        SMALL
            .replace("[[torrents]]", "[[base.torrents]]")
            .replace("[[classes]]", "[[base.classes]]")
    );
    let dir = setup("sweep-zip", &inline);
    ok(&["sweep", "sweep.toml", "--out", "z"], &dir);
    let runs = std::fs::read_to_string(dir.join("z/runs.csv")).unwrap();
    let rows: Vec<&str> = runs.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{runs}");
    assert!(
        rows[0].starts_with("0,0,") && rows[0].contains(",5,1 MiB,1048576.0,"),
        "{runs}"
    );
    assert!(
        rows[1].starts_with("1,0,") && rows[1].contains(",15,2 MiB,2097152.0,"),
        "{runs}"
    );
    let summary = std::fs::read_to_string(dir.join("z/runs/p0001-r00/summary.json")).unwrap();
    assert!(summary.contains("\"arrivals\": 15"), "{summary}");
}

#[test]
fn absurd_sweeps_are_refused_before_anything_is_allocated_or_written() {
    rejects(
        &SWEEP.replace("replicates = 2", "replicates = 1000000000"),
        &["runs", "replicates", "--force"],
    );
    rejects(
        &SWEEP.replace("kind = \"grid\"", "kind = \"random\"\nsamples = 1000000000"),
        &["points", "at most"],
    );
    rejects(
        &SWEEP.replace("[\"1min\", \"4min\"]", "\"1min\""),
        &["parameters.\"torrents[0].seeding.mean\"", "list", "[set]"],
    );
    rejects(
        &SWEEP.replace("[\"1min\", \"4min\"]", "[\"1min\", \"4min\""),
        &["TOML syntax error at line", "column"],
    );
}

#[test]
fn threads_are_capped_at_the_runs_to_do() {
    let dir = setup("sweep-threads", SWEEP);
    let err = ok(
        &["sweep", "sweep.toml", "--out", "out", "--threads", "100000"],
        &dir,
    );
    assert!(err.contains("using 8 threads, not 100000"), "{err}");
    assert!(err.contains("on 8 threads"), "{err}");
}

#[test]
fn a_base_that_is_not_a_file_of_text_is_refused_at_once() {
    let dir = setup(
        "sweep-devzero",
        &SWEEP.replace("base = \"s.toml\"", "base = \"/dev/zero\""),
    );
    let o = tokenswarm(&["sweep", "sweep.toml", "--out", "out"], &dir);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("/dev/zero"), "{err}");
}

#[test]
fn off_a_terminal_a_sweep_prints_progress_lines() {
    let dir = setup("sweep-progress", SWEEP);
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_tokenswarm"))
        .args(["sweep", "sweep.toml", "--threads", "1", "--out", "out"])
        .env("TOKENSWARM_PROGRESS_INTERVAL", "0.001")
        .current_dir(&dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let line = err
        .lines()
        .find(|l| l.contains("runs done"))
        .unwrap_or_else(|| panic!("no progress line in: {err}"));
    assert!(
        line.starts_with("tokenswarm: sweep small-sweep: ")
            && line.contains("/8 runs done, 0 failed")
            && line.contains("ETA"),
        "{line}"
    );
}
