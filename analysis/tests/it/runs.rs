//! Successful runs: files written, byte-identical across runs of the same seed, show-config.

use super::{SMALL, temp_dir, tokenswarm};

const TABLES: [&str; 8] = [
    "summary.json",
    "torrents.csv",
    "peers.csv",
    "series.csv",
    "scenario.toml",
    "torrents.parquet",
    "peers.parquet",
    "series.parquet",
];

#[test]
fn same_seed_writes_byte_identical_files_and_other_seeds_differ() {
    let dir = temp_dir("det");
    std::fs::write(dir.join("s.toml"), SMALL).unwrap();
    for out in ["a", "b"] {
        let o = tokenswarm(&["run", "s.toml", "--out", out], &dir);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let o = tokenswarm(&["run", "s.toml", "--seed", "99", "--out", "c"], &dir);
    assert!(o.status.success());
    for f in TABLES {
        let a = std::fs::read(dir.join("a").join(f)).unwrap();
        let b = std::fs::read(dir.join("b").join(f)).unwrap();
        assert!(!a.is_empty(), "{f} is empty");
        assert_eq!(a, b, "{f} differs between two runs of the same seed");
    }
    let a = std::fs::read(dir.join("a/peers.csv")).unwrap();
    let c = std::fs::read(dir.join("c/peers.csv")).unwrap();
    assert_ne!(a, c, "another seed gives another run");
    // No partial directories are left next to the results.
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("partial"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn summary_and_manifest_hold_the_promised_fields() {
    let dir = temp_dir("fields");
    std::fs::write(dir.join("s.toml"), SMALL).unwrap();
    let o = tokenswarm(&["run", "s.toml", "--out", "r"], &dir);
    assert!(o.status.success());
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("r/summary.json")).unwrap()).unwrap();
    for key in ["seed", "events_processed", "sim_time_s", "torrents"] {
        assert!(summary.get(key).is_some(), "summary.json lacks {key}");
    }
    let t = &summary["torrents"][0];
    for key in [
        "name",
        "completed_downloads",
        "download_time_s",
        "mean_download_rate_bytes_per_s",
        "longevity_s",
    ] {
        assert!(t.get(key).is_some(), "torrent summary lacks {key}");
    }
    for q in ["mean", "p50", "p90", "p99"] {
        assert!(t["download_time_s"][q].is_f64(), "download_time_s.{q}");
    }
    assert_eq!(t["completed_downloads"], 20);
    assert!(
        !String::from_utf8_lossy(&std::fs::read(dir.join("r/summary.json")).unwrap())
            .contains("wall")
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("r/manifest.json")).unwrap()).unwrap();
    for key in [
        "tokenswarm_version",
        "git_revision",
        "scenario_hash",
        "seed",
        "wall_time_s",
        "scenario",
    ] {
        assert!(manifest.get(key).is_some(), "manifest.json lacks {key}");
    }
    assert_eq!(manifest["scenario_hash"].as_str().map(str::len), Some(64));
    let series = std::fs::read_to_string(dir.join("r/series.csv")).unwrap();
    assert!(
        series.starts_with("time_s,torrent,metric,value\n"),
        "tidy series: {}",
        &series[..40]
    );
}

#[test]
fn show_config_prints_every_default_and_round_trips() {
    let dir = temp_dir("show");
    std::fs::write(dir.join("s.toml"), SMALL).unwrap();
    let o = tokenswarm(
        &[
            "show-config",
            "s.toml",
            "--set",
            "client.choker.profile=libtorrent",
        ],
        &dir,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    for knob in [
        "regular_slots = 7",
        "rechoke_interval = \"15s\"",
        "optimistic_rule = \"longest_waiting\"",
        "numwant = 50",
        "initial_random = 4",
        "sample_interval = \"10s\"",
    ] {
        assert!(text.contains(knob), "show-config lacks `{knob}`:\n{text}");
    }
    // The printed scenario is itself a valid scenario that resolves to the same thing.
    std::fs::write(dir.join("resolved.toml"), &text).unwrap();
    let again = tokenswarm(&["show-config", "resolved.toml"], &dir);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(String::from_utf8(again.stdout).unwrap(), text);
}

#[test]
fn any_u64_seed_is_accepted() {
    let dir = temp_dir("seed");
    std::fs::write(dir.join("s.toml"), SMALL).unwrap();
    let o = tokenswarm(
        &[
            "run",
            "s.toml",
            "--seed",
            "18446744073709551615",
            "--out",
            "r",
        ],
        &dir,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let summary = std::fs::read_to_string(dir.join("r/summary.json")).unwrap();
    assert!(summary.contains("18446744073709551615"), "{summary}");
}
