//! Sweeps over many processes: `--plan`, `--shard i/n`, `--merge`, several processes on one
//! directory (claims), `--keep summaries` and `--pack` — every way ends in the tables of the
//! unsharded sweep, byte for byte.

use super::sweeps::{SWEEP, TABLES, ok, setup};
use super::tokenswarm;
use std::path::Path;
use std::process::{Command, Stdio};

fn same_tables(a: &Path, b: &Path) {
    for f in TABLES {
        let x = std::fs::read(a.join(f)).unwrap_or_else(|e| panic!("{}: {e}", a.join(f).display()));
        let y = std::fs::read(b.join(f)).unwrap_or_else(|e| panic!("{}: {e}", b.join(f).display()));
        assert!(
            x == y,
            "{f} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

fn exit_2(args: &[&str], dir: &Path, expect: &[&str]) -> String {
    let o = tokenswarm(args, dir);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    for e in expect {
        assert!(err.contains(e), "{args:?}: expected `{e}` in: {err}");
    }
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    err
}

/// The runs a process reports it computed itself (its last line).
fn ran_here(stderr: &str) -> u64 {
    let line = stderr
        .lines()
        .rev()
        .find(|l| l.contains(" run here"))
        .unwrap();
    let before = line.split(" run here").next().unwrap();
    before.rsplit(' ').next().unwrap().parse().unwrap()
}

#[test]
fn three_shards_in_any_order_merge_into_the_unsharded_tables() {
    let dir = setup("shards", SWEEP);
    ok(&["sweep", "sweep.toml", "--out", "full"], &dir);
    for i in ["2", "0", "1"] {
        let err = ok(
            &[
                "sweep",
                "sweep.toml",
                "--shard",
                &format!("{i}/3"),
                "--out",
                &format!("s{i}"),
            ],
            &dir,
        );
        assert!(err.contains("--merge"), "a shard says how to merge: {err}");
        assert!(
            !dir.join(format!("s{i}/runs.csv")).exists(),
            "a shard writes no tables"
        );
    }
    let counts: Vec<usize> = (0..3)
        .map(|i| {
            std::fs::read_dir(dir.join(format!("s{i}/runs")))
                .unwrap()
                .filter(|e| {
                    !e.as_ref()
                        .unwrap()
                        .file_name()
                        .to_string_lossy()
                        .starts_with('.')
                })
                .count()
        })
        .collect();
    assert_eq!(counts, vec![3, 3, 2], "8 runs: k mod 3");
    ok(
        &[
            "sweep",
            "sweep.toml",
            "--merge",
            "s1",
            "s2",
            "s0",
            "--out",
            "merged",
        ],
        &dir,
    );
    same_tables(&dir.join("full"), &dir.join("merged"));
    // Incomplete: tables of what is there, and exit 1 naming the missing runs.
    let o = tokenswarm(
        &[
            "sweep",
            "sweep.toml",
            "--merge",
            "s0",
            "s1",
            "--out",
            "part",
        ],
        &dir,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("2 runs missing"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("part/runs.csv"))
            .unwrap()
            .lines()
            .count(),
        7,
        "header and 6 runs"
    );
}

#[test]
fn the_plan_lists_every_run_once_and_shards_partition_it() {
    let dir = setup("plan", SWEEP);
    let o = tokenswarm(&["sweep", "sweep.toml", "--plan"], &dir);
    assert!(o.status.success());
    let all = String::from_utf8_lossy(&o.stdout).to_string();
    let mut lines = all.lines();
    assert_eq!(
        lines.next(),
        Some("run,point,replicate,seed,shard,overrides")
    );
    let runs: Vec<&str> = lines.map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(runs.len(), 8);
    assert!(
        all.contains("torrents[0].seeding.mean=4min; classes[0].upload=2 Mbit/s"),
        "{all}"
    );
    let mut sharded: Vec<String> = Vec::new();
    for i in 0..3 {
        let o = tokenswarm(
            &[
                "sweep",
                "sweep.toml",
                "--plan",
                "--shard",
                &format!("{i}/3"),
            ],
            &dir,
        );
        let text = String::from_utf8_lossy(&o.stdout).to_string();
        for l in text.lines().skip(1) {
            assert_eq!(l.split(',').nth(4), Some(i.to_string().as_str()), "{l}");
            sharded.push(l.split(',').next().unwrap().to_string());
        }
    }
    sharded.sort();
    assert_eq!(sharded, runs);
    assert!(!dir.join("outputs").exists(), "--plan writes nothing");
}

#[test]
fn shards_sharing_one_directory_and_concurrent_resumes_run_every_run_once() {
    let dir = setup("shared", SWEEP);
    ok(&["sweep", "sweep.toml", "--out", "full"], &dir);
    let spawn = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_tokenswarm"))
            .args(args)
            .current_dir(&dir)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap()
    };
    // Two shards at once into one new directory (one of them packs its runs).
    let a = spawn(&[
        "sweep",
        "sweep.toml",
        "--shard",
        "0/2",
        "--out",
        "shared",
        "--threads",
        "1",
    ]);
    let b = spawn(&[
        "sweep",
        "sweep.toml",
        "--shard",
        "1/2",
        "--out",
        "shared",
        "--threads",
        "1",
        "--pack",
    ]);
    for c in [a, b] {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert!(dir.join("shared/packs").is_dir());
    ok(
        &["sweep", "sweep.toml", "--out", "shared", "--resume"],
        &dir,
    );
    same_tables(&dir.join("full"), &dir.join("shared"));
    // Two whole sweeps resumed at once on one directory: each run is run by one of them.
    let a = spawn(&[
        "sweep",
        "sweep.toml",
        "--out",
        "both",
        "--threads",
        "1",
        "--resume",
    ]);
    let b = spawn(&[
        "sweep",
        "sweep.toml",
        "--out",
        "both",
        "--threads",
        "1",
        "--resume",
    ]);
    let (oa, ob) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    // The first may have created the directory; the second joins it either way.
    let (ea, eb) = (
        String::from_utf8_lossy(&oa.stderr).to_string(),
        String::from_utf8_lossy(&ob.stderr).to_string(),
    );
    assert!(oa.status.success() && ob.status.success(), "{ea}\n{eb}");
    assert_eq!(ran_here(&ea) + ran_here(&eb), 8, "{ea}\n{eb}");
    same_tables(&dir.join("full"), &dir.join("both"));
}

#[test]
fn summaries_only_and_packed_runs_give_the_same_run_and_point_tables() {
    let dir = setup("keep", SWEEP);
    ok(&["sweep", "sweep.toml", "--out", "full"], &dir);
    ok(
        &[
            "sweep",
            "sweep.toml",
            "--out",
            "lean",
            "--keep",
            "summaries",
        ],
        &dir,
    );
    let run = dir.join("lean/runs/p0000-r00");
    let files: Vec<String> = std::fs::read_dir(&run)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| !n.starts_with('.'))
        .collect();
    assert_eq!(files, vec!["summary.json"]);
    for f in ["runs.csv", "runs.parquet", "points.csv", "points.parquet"] {
        assert_eq!(
            std::fs::read(dir.join("full").join(f)).unwrap(),
            std::fs::read(dir.join("lean").join(f)).unwrap(),
            "{f}"
        );
    }
    ok(&["sweep", "sweep.toml", "--out", "packed", "--pack"], &dir);
    same_tables(&dir.join("full"), &dir.join("packed"));
    let dirs = std::fs::read_dir(dir.join("packed/runs"))
        .unwrap()
        .filter(|e| {
            !e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with('.')
        })
        .count();
    assert_eq!(dirs, 0, "every run is in a pack");
    // A packed sweep resumes (nothing to do) and merges like any other.
    let err = ok(
        &["sweep", "sweep.toml", "--out", "packed", "--resume"],
        &dir,
    );
    assert!(err.contains("8 done before"), "{err}");
    ok(
        &["sweep", "sweep.toml", "--merge", "packed", "--out", "again"],
        &dir,
    );
    same_tables(&dir.join("full"), &dir.join("again"));
}

#[test]
fn bad_shards_and_merges_exit_2_and_touch_nothing() {
    let dir = setup("bad-shards", SWEEP);
    exit_2(
        &["sweep", "sweep.toml", "--shard", "3/3"],
        &dir,
        &["3/3", "0 … 2"],
    );
    exit_2(&["sweep", "sweep.toml", "--shard", "0/0"], &dir, &["n = 0"]);
    exit_2(&["sweep", "sweep.toml", "--shard", "a/b"], &dir, &["i/n"]);
    ok(
        &["sweep", "sweep.toml", "--shard", "0/2", "--out", "s0"],
        &dir,
    );
    let other = SWEEP.replace("seed = 11", "seed = 12");
    std::fs::write(dir.join("other.toml"), other).unwrap();
    ok(
        &["sweep", "other.toml", "--shard", "1/2", "--out", "o1"],
        &dir,
    );
    exit_2(
        &["sweep", "sweep.toml", "--merge", "s0", "o1", "--out", "m"],
        &dir,
        &["o1", "different sweep"],
    );
    assert!(!dir.join("m").exists(), "nothing written");
    exit_2(
        &["sweep", "sweep.toml", "--merge", "nowhere", "--out", "m"],
        &dir,
        &["nowhere", "holds no sweep"],
    );
    exit_2(
        &["sweep", "sweep.toml", "--merge", "s0", "--out", "s0"],
        &dir,
        &["one of the directories merged"],
    );
    std::fs::create_dir_all(dir.join("busy")).unwrap();
    std::fs::write(dir.join("busy/notes.txt"), "mine").unwrap();
    exit_2(
        &["sweep", "sweep.toml", "--merge", "s0", "--out", "busy"],
        &dir,
        &["not empty"],
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("busy/notes.txt")).unwrap(),
        "mine"
    );
    exit_2(
        &[
            "sweep",
            "sweep.toml",
            "--merge",
            "s0",
            "--shard",
            "0/2",
            "--out",
            "m",
        ],
        &dir,
        &["--merge"],
    );
    // A shard never joins a directory of another sweep.
    exit_2(
        &["sweep", "sweep.toml", "--shard", "1/2", "--out", "o1"],
        &dir,
        &["different sweep"],
    );
}
