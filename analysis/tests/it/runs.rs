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

/// Huge pages (the re-execution with glibc's tunable, on by default where the kernel gives
/// them on request) change timing only: the files equal those of a run with them off.
#[test]
fn huge_pages_change_no_result() {
    let dir = temp_dir("huge");
    std::fs::write(dir.join("s.toml"), SMALL).unwrap();
    let on = tokenswarm(&["run", "s.toml", "--out", "on"], &dir);
    assert!(
        on.status.success(),
        "{}",
        String::from_utf8_lossy(&on.stderr)
    );
    let off = std::process::Command::new(env!("CARGO_BIN_EXE_tokenswarm"))
        .args(["run", "s.toml", "--out", "off"])
        .env(analysis::huge_pages::SWITCH, "0")
        .current_dir(&dir)
        .output()
        .expect("run tokenswarm");
    assert!(
        off.status.success(),
        "{}",
        String::from_utf8_lossy(&off.stderr)
    );
    for f in TABLES {
        let a = std::fs::read(dir.join("on").join(f)).unwrap();
        let b = std::fs::read(dir.join("off").join(f)).unwrap();
        assert_eq!(a, b, "{f} differs with huge pages off");
    }
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

/// A run with a token economy writes its balances and journal, byte-identical for the same
/// seed, and summary.json carries the `economy` object.
#[test]
fn economy_runs_write_balances_and_journal_deterministically() {
    let dir = temp_dir("econ");
    let text = format!(
        "{SMALL}\n[economy]\nendowment = {{ kind = \"uniform\", min = 5.0, max = 50.0 }}\n[[economy.strategies]]\nname = \"speed\"\nshare = 1.0\npricing = {{ kind = \"rate_quote\", tokens_per_mbit_per_100kbps = 0.001 }}\nbidding = {{ kind = \"speed\", value_of_time_per_hour = {{ kind = \"fixed\", tokens = 500.0 }} }}\n"
    )
    .replace("size = \"4 MiB\"", "size = \"24 MiB\"");
    std::fs::write(dir.join("s.toml"), text).unwrap();
    for out in ["a", "b"] {
        let o = tokenswarm(&["run", "s.toml", "--out", out], &dir);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    for f in TABLES.iter().chain(&["balances.csv", "journal.csv"]) {
        let a = std::fs::read(dir.join("a").join(f)).unwrap();
        let b = std::fs::read(dir.join("b").join(f)).unwrap();
        assert!(!a.is_empty(), "{f} is empty");
        assert_eq!(a, b, "{f} differs between two runs of the same seed");
    }
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("a/summary.json")).unwrap()).unwrap();
    let e = &summary["economy"];
    for key in [
        "supply_tokens",
        "traded_volume_tokens",
        "paid_pieces",
        "price_per_mib",
        "gini",
        "velocity",
        "balances_by_class",
        "balances_by_strategy",
        "earnings_per_seeder_tokens",
        "seeding_time_paid_s",
        "seeding_time_unpaid_s",
        "download_rate_payers_bytes_per_s",
        "download_rate_non_payers_bytes_per_s",
        "fees_tokens",
    ] {
        assert!(!e[key].is_null(), "economy.{key} missing: {e}");
    }
    assert!(e["paid_pieces"].as_u64().unwrap() > 0, "{e}");
    for stats in ["price_per_mib", "earnings_per_seeder_tokens"] {
        assert!(
            e[stats]["count"].as_u64().unwrap() > 0,
            "economy.{stats}: {e}"
        );
    }
    let journal = std::fs::read_to_string(dir.join("a/journal.csv")).unwrap();
    assert!(journal.starts_with("time_s,from,to,amount_tokens,reason\n"));
    assert!(journal.contains(",endowment\n") && journal.contains(",channel_open\n"));
    let series = std::fs::read_to_string(dir.join("a/series.csv")).unwrap();
    assert!(series.contains(",*,token_supply,") && series.contains(",*,price_per_mib,"));
}

#[test]
fn the_metric_glossary_in_docs_is_current() {
    let o = super::tokenswarm(
        &["metrics"],
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")),
    );
    assert!(o.status.success());
    let now = String::from_utf8(o.stdout).unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/metrics.md");
    if std::env::var("TOKENSWARM_BLESS_GOLDEN").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &now).unwrap();
        return;
    }
    let pinned = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        now == pinned,
        "docs/metrics.md is not current: run `tokenswarm metrics > docs/metrics.md` (or TOKENSWARM_BLESS_GOLDEN=1)"
    );
    assert!(now.contains("| `torrents.<torrent>.longevity_s` | float | s |"));
}
