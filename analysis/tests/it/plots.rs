//! `tokenswarm plot` on a run and on a sweep: the promised charts exist as SVG and PNG,
//! token charts are skipped (with a note) when the run has no token data, and drawn when
//! it has.

use super::sweeps::{SWEEP, setup};
use super::tokenswarm;
use std::path::Path;

fn is_png(path: &Path) -> bool {
    std::fs::read(path).is_ok_and(|b| b.len() > 1000 && b.starts_with(b"\x89PNG\r\n\x1a\n"))
}

fn is_svg_with_text(path: &Path, text: &str) -> bool {
    std::fs::read_to_string(path).is_ok_and(|s| s.contains("<svg") && s.contains(text))
}

#[test]
fn run_plots_and_token_plots_only_with_token_data() {
    let dir = setup("plot-run", SWEEP);
    let o = tokenswarm(&["run", "s.toml", "--out", "r"], &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = tokenswarm(&["plot", "r"], &dir);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success(), "{err}");
    for stem in ["swarm", "availability", "download-cdf"] {
        assert!(
            is_png(&dir.join(format!("r/plots/{stem}.png"))),
            "{stem}.png"
        );
        assert!(
            dir.join(format!("r/plots/{stem}.svg")).is_file(),
            "{stem}.svg"
        );
    }
    assert!(is_svg_with_text(
        &dir.join("r/plots/swarm.svg"),
        "Seeds and leechers over time"
    ));
    assert!(is_svg_with_text(
        &dir.join("r/plots/download-cdf.svg"),
        "download time (s)"
    ));
    assert!(
        !dir.join("r/plots/price.png").exists()
            && !dir.join("r/plots/lorenz-balances.png").exists()
    );
    assert!(
        err.contains("skipped lorenz-balances") && err.contains("skipped price"),
        "{err}"
    );

    // Token data in the documented shape turns the token charts on.
    let series = std::fs::read_to_string(dir.join("r/series.csv")).unwrap();
    std::fs::write(
        dir.join("r/series.csv"),
        format!("{series}0.0,*,price_per_mib,1.5\n600.0,*,price_per_mib,2.5\n"),
    )
    .unwrap();
    // Holdings of 0, 0, 0, 8 among participants (the barter host is left out): Gini 0.75.
    std::fs::write(
        dir.join("r/balances.csv"),
        "host,strategy,balance_end_tokens,holdings_end_tokens\n0,seller,1,0\n1,seller,3,0\n2,barter,50,50\n3,buyer,0,0\n4,seller,12,8\n",
    )
    .unwrap();
    let o = tokenswarm(&["plot", "r"], &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(is_png(&dir.join("r/plots/price.png")));
    assert!(is_png(&dir.join("r/plots/lorenz-balances.png")));
    assert!(is_svg_with_text(
        &dir.join("r/plots/lorenz-balances.svg"),
        "Gini 0.750, 4 accounts"
    ));
    assert!(is_svg_with_text(
        &dir.join("r/plots/price.svg"),
        "price (tokens per MiB)"
    ));
}

#[test]
fn sweep_plots_draw_each_metric_against_a_parameter() {
    let dir = setup("plot-sweep", SWEEP);
    let o = tokenswarm(&["sweep", "sweep.toml", "--out", "sw"], &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = tokenswarm(
        &[
            "plot",
            "sw",
            "--metric",
            "torrents.file.download_time_s.mean",
            "--metric",
            "torrents.file.completed_downloads",
        ],
        &dir,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let svg = dir.join("sw/plots/torrents-file-download_time_s-mean.svg");
    assert!(
        is_svg_with_text(&svg, "torrents[0].seeding.mean (s)"),
        "x axis with unit"
    );
    assert!(
        is_svg_with_text(&svg, "classes[0].upload = 2 Mbit/s"),
        "one line per value of --by"
    );
    assert!(is_png(
        &dir.join("sw/plots/torrents-file-completed_downloads.png")
    ));
    // Choices that do not exist are input errors.
    for (args, want) in [
        (
            vec!["plot", "sw", "--metric", "torrents.file.nope"],
            "not in points.csv",
        ),
        (
            vec!["plot", "sw", "--x", "horizon"],
            "not a swept parameter",
        ),
        (vec!["plot", "nowhere"], "not a run directory"),
    ] {
        let o = tokenswarm(&args, &dir);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{err}");
    }
}

#[test]
fn damaged_tables_and_flags_that_do_not_apply_are_input_errors() {
    let dir = setup("plot-damaged", SWEEP);
    let o = tokenswarm(&["run", "s.toml", "--out", "r"], &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = tokenswarm(&["plot", "r", "--metric", "x"], &dir);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("sweep directories only"));
    let series = std::fs::read_to_string(dir.join("r/series.csv")).unwrap();
    for (damaged, expect) in [
        (series[..series.len() / 2].to_string(), "truncated"),
        (series.replacen("\n0.0,", "\nzero,", 1), "not numbers"),
        (series.replacen("\n0.0,", "\n0.0,,", 1), "cells"),
    ] {
        std::fs::write(dir.join("r/series.csv"), &damaged).unwrap();
        let o = tokenswarm(&["plot", "r"], &dir);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{expect}: {err}");
        assert!(err.contains("series.csv") && err.contains(expect), "{err}");
        assert!(
            !dir.join("r/plots").exists(),
            "nothing drawn from a damaged table"
        );
    }
}

#[test]
fn empty_and_row_boundary_truncated_tables_are_refused() {
    let dir = setup("plot-cut", SWEEP);
    assert!(
        tokenswarm(&["run", "s.toml", "--out", "r"], &dir)
            .status
            .success()
    );
    let series = std::fs::read_to_string(dir.join("r/series.csv")).unwrap();
    let half: String = series.lines().take(20).map(|l| format!("{l}\n")).collect();
    for (text, file, expect) in [
        (String::new(), "series.csv", "empty"),
        (half, "series.csv", "truncated"),
    ] {
        std::fs::write(dir.join("r").join(file), &text).unwrap();
        let o = tokenswarm(&["plot", "r"], &dir);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains(file) && err.contains(expect), "{err}");
    }
    std::fs::write(dir.join("r/series.csv"), &series).unwrap();
    let peers = std::fs::read_to_string(dir.join("r/peers.csv")).unwrap();
    let fewer: String = peers.lines().take(5).map(|l| format!("{l}\n")).collect();
    std::fs::write(dir.join("r/peers.csv"), fewer).unwrap();
    let o = tokenswarm(&["plot", "r"], &dir);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("peers.csv"));
}

#[test]
fn run_charts_mark_events_and_reference_values_in_natural_time_units() {
    let dir = super::temp_dir("plot-marks");
    // The publisher leaves after 3 minutes of a 2-hour run: the content is lost.
    let lost = format!(
        "{}\n[torrents.publishers]\ncount = 1\nleave_after = \"3min\"\n",
        super::SMALL
            .replace("stop_when_done = true", "stop_when_done = false")
            .replace("horizon = \"30min\"", "horizon = \"2h\"")
            .replace("window = \"1min\"", "window = \"0s\"")
    );
    std::fs::write(dir.join("s.toml"), lost).unwrap();
    let o = super::tokenswarm(&["run", "s.toml", "--out", "r"], &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = super::tokenswarm(&["plot", "r"], &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let swarm = std::fs::read_to_string(dir.join("r/plots/swarm.svg")).unwrap();
    for text in ["publishers leave", "content lost", "time (h)"] {
        assert!(swarm.contains(text), "swarm.svg lacks `{text}`");
    }
    let cdf = std::fs::read_to_string(dir.join("r/plots/download-cdf.svg")).unwrap();
    assert!(
        cdf.contains("Kumar–Ross"),
        "a flash crowd's CDF marks the Kumar–Ross minimum"
    );
}
