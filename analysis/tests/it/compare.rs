//! `tokenswarm compare`: arms on common random numbers, paired differences, survival of
//! censored metrics, overlay plots, bad input.

use super::{SMALL, temp_dir, tokenswarm};

fn field<'a>(header: &[&str], cells: &[&'a str], name: &str) -> &'a str {
    cells[header.iter().position(|h| *h == name).unwrap()]
}

#[test]
fn arms_are_paired_and_the_paired_difference_varies_less() {
    let dir = temp_dir("compare");
    std::fs::write(dir.join("s.toml"), SMALL).unwrap();
    let o = tokenswarm(
        &[
            "compare",
            "s.toml",
            "--variant",
            "same:seed=4",
            "--variant",
            "faster:classes[0].upload=\"2 Mbit/s\"",
            "--replicates",
            "12",
            "--out",
            "cmp",
        ],
        &dir,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let table = std::fs::read_to_string(dir.join("cmp/compare.csv")).unwrap();
    let header: Vec<&str> = table.lines().next().unwrap().split(',').collect();
    let rows: Vec<Vec<&str>> = table
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let row = |metric: &str, arm: &str| {
        rows.iter()
            .find(|r| field(&header, r, "metric") == metric && field(&header, r, "arm") == arm)
            .unwrap_or_else(|| panic!("{metric} {arm}"))
            .clone()
    };
    let metric = "torrents.file.download_time_s.mean";
    // An identical arm differs by exactly nothing on common random numbers.
    let same = row(metric, "same");
    assert_eq!(
        field(&header, &same, "diff_mean").parse::<f64>().unwrap(),
        0.0
    );
    assert_eq!(
        field(&header, &same, "diff_sd").parse::<f64>().unwrap(),
        0.0
    );
    // A changed arm: the paired difference's sd is below the unpaired one's.
    let (base, faster) = (row(metric, "small"), row(metric, "faster"));
    let sd = |r: &Vec<&str>, c: &str| field(&header, r, c).parse::<f64>().unwrap();
    let unpaired = (sd(&base, "sd").powi(2) + sd(&faster, "sd").powi(2)).sqrt();
    let paired = sd(&faster, "diff_sd");
    assert!(
        paired < unpaired,
        "paired sd {paired} vs unpaired {unpaired}"
    );
    // Censored metrics carry their survival columns.
    let longevity = row("torrents.file.longevity_s", "faster");
    assert!(!field(&header, &longevity, "censored").is_empty());
    assert!(dir.join("cmp/runs/faster/r11/summary.json").is_file());
    let o = tokenswarm(&["plot", "cmp"], &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for chart in [
        "swarm",
        "availability",
        "download-cdf",
        "longevity-survival",
    ] {
        assert!(
            dir.join(format!("cmp/plots/{chart}.png")).is_file(),
            "{chart}"
        );
    }
}

#[test]
fn bad_comparisons_are_refused_and_different_horizons_noted() {
    let dir = temp_dir("compare-bad");
    std::fs::write(dir.join("s.toml"), SMALL).unwrap();
    for args in [
        vec!["compare", "--out", "x"],
        vec!["compare", "s.toml", "--out", "x"],
        vec!["compare", "s.toml", "s.toml", "--out", "x"],
        vec!["compare", "s.toml", "--variant", "nocolon", "--out", "x"],
        vec!["compare", "s.toml", "--variant", "a:nosuch=1", "--out", "x"],
    ] {
        let o = tokenswarm(&args, &dir);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(!dir.join("x").exists());
    }
    let o = tokenswarm(
        &[
            "compare",
            "s.toml",
            "--variant",
            "long:horizon=\"40min\"",
            "--replicates",
            "2",
            "--out",
            "y",
        ],
        &dir,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("horizons differ"));
}

#[test]
fn a_rerun_replaces_an_earlier_comparison_and_leaves_other_directories_alone() {
    let dir = temp_dir("compare-rerun");
    std::fs::write(dir.join("s.toml"), SMALL).unwrap();
    let args = |out: &'static str| {
        vec![
            "compare",
            "s.toml",
            "--variant",
            "slow:classes[0].upload=\"500 kbit/s\"",
            "--replicates",
            "2",
            "--out",
            out,
        ]
    };
    let o = tokenswarm(&args("cmp"), &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let first = std::fs::read(dir.join("cmp/compare.csv")).unwrap();
    assert!(tokenswarm(&["plot", "cmp"], &dir).status.success());
    let o = tokenswarm(&args("cmp"), &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read(dir.join("cmp/compare.csv")).unwrap(), first);
    assert!(!dir.join("cmp/plots").exists(), "stale plots are gone");
    let leftovers: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    std::fs::create_dir_all(dir.join("mine")).unwrap();
    std::fs::write(dir.join("mine/notes.txt"), "keep").unwrap();
    let o = tokenswarm(&args("mine"), &dir);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("holds no earlier comparison"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("mine/notes.txt")).unwrap(),
        "keep"
    );
}
