//! Every kind of bad input: exit code 2, one line naming the file and the field, no panic,
//! no output directory left behind.

use super::bad_markets::{PRICED, with_economy};
use super::{SMALL, temp_dir, tokenswarm};

/// Runs `tokenswarm run` on `text` and checks the error contract; returns stderr.
pub(super) fn rejects(text: &str, expect: &[&str]) -> String {
    let dir = temp_dir("bad");
    std::fs::write(dir.join("s.toml"), text).unwrap();
    let out = tokenswarm(&["run", "s.toml", "--out", "out/run"], &dir);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(
        out.status.code(),
        Some(2),
        "exit code for {expect:?}; stderr: {err}"
    );
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one-line error, got: {err}"
    );
    assert!(
        err.starts_with("error: ") && err.contains("s.toml"),
        "names the file: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    for e in expect {
        assert!(err.contains(e), "error should mention `{e}`: {err}");
    }
    assert!(
        !dir.join("out").exists(),
        "no output left behind for {expect:?}"
    );
    err
}

#[test]
fn missing_file() {
    let dir = temp_dir("missing");
    let out = tokenswarm(&["run", "nope.toml", "--out", "out/run"], &dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.contains("nope.toml") && err.contains("cannot read"),
        "{err}"
    );
    assert!(!dir.join("out").exists());
}

#[test]
fn toml_syntax_error_names_line() {
    rejects(
        &SMALL.replace("horizon = \"30min\"", "horizon = \"30min"),
        &["TOML syntax error at line 4"],
    );
}

#[test]
fn unknown_key_names_the_field() {
    rejects(
        &SMALL.replace(
            "stop_when_done = true",
            "stop_when_done = true\nhorizn = \"1h\"",
        ),
        &["horizn", "unknown field"],
    );
    rejects(
        &SMALL.replace(
            "piece_size = \"256 KiB\"",
            "piece_size = \"256 KiB\"\npeice = 1",
        ),
        &["torrents[0]", "peice"],
    );
}

#[test]
fn wrong_unit_lists_allowed_units() {
    rejects(
        &SMALL.replace("\"4 MiB\"", "\"4 MiBs\""),
        &["torrents[0].size", "allowed units", "KiB"],
    );
    rejects(
        &SMALL.replace("\"1 Mbit/s\"", "\"1 Mbit\""),
        &["classes[0].upload", "not a rate"],
    );
    rejects(
        &SMALL.replace("\"30min\"", "\"30 minutes\""),
        &["horizon", "allowed units"],
    );
}

#[test]
fn zero_and_negative_sizes() {
    rejects(
        &SMALL.replace("\"4 MiB\"", "\"0 MiB\""),
        &["torrents[0].size", "larger than 0"],
    );
    rejects(
        &SMALL.replace("\"256 KiB\"", "\"-256 KiB\""),
        &["torrents[0].piece_size", "negative"],
    );
    rejects(
        &SMALL.replace("\"5 Mbit/s\"", "\"0 Mbit/s\""),
        &["classes[1].upload", "larger than 0"],
    );
    rejects(
        &SMALL.replace("count = 20", "count = 0"),
        &["torrents[0].arrivals.count"],
    );
}

#[test]
fn shares_must_sum_to_one() {
    rejects(
        &SMALL.replace("share = 0.5\nupload = \"5", "share = 0.4\nupload = \"5"),
        &["classes", "sum to 1"],
    );
    rejects(
        &SMALL.replace("share = 0.5\nupload = \"1", "share = -0.5\nupload = \"1"),
        &["classes[0].share", "[0, 1]"],
    );
}

#[test]
fn unknown_kind_lists_known_ones() {
    rejects(
        &SMALL.replace("kind = \"flash_crowd\"", "kind = \"flashcrowd\""),
        &["arrivals", "flash_crowd", "poisson"],
    );
    rejects(
        &SMALL.replace(
            "stop_when_done = true",
            "stop_when_done = true\n[client.choker]\nprofile = \"utorrent\"",
        ),
        &["profile", "bep3", "libtorrent"],
    );
}

fn trace_scenario(trace: &str) -> (std::path::PathBuf, String) {
    let dir = temp_dir("trace");
    std::fs::write(dir.join("joins.csv"), trace).unwrap();
    let text = SMALL.replace(
        "arrivals = { kind = \"flash_crowd\", count = 20, window = \"1min\" }",
        "arrivals = { kind = \"trace\", file = \"joins.csv\" }",
    );
    std::fs::write(dir.join("s.toml"), &text).unwrap();
    (dir, text)
}

#[test]
fn trace_files_must_be_sorted_and_non_negative() {
    for (trace, expect) in [
        ("time_s\n1\n5\n3\n", "must be sorted"),
        ("time_s\n1\n-5\n", "non-negative"),
        ("time_s\n1\nsoon\n", "not a time"),
    ] {
        let (dir, _) = trace_scenario(trace);
        let out = tokenswarm(&["run", "s.toml", "--out", "out/run"], &dir);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("joins.csv") && err.contains(expect) && err.contains("row"),
            "{err}"
        );
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(!dir.join("out").exists());
    }
    let (dir, _) = trace_scenario("time_s\n0\n2.5\n10\n");
    let out = tokenswarm(&["run", "s.toml", "--out", "out/run"], &dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = std::fs::read_to_string(dir.join("out/run/summary.json")).unwrap();
    assert!(summary.contains("\"arrivals\": 3"), "{summary}");
}

#[test]
fn bad_overrides_are_input_errors() {
    let dir = temp_dir("set");
    std::fs::write(dir.join("s.toml"), SMALL).unwrap();
    let out = tokenswarm(
        &[
            "run",
            "s.toml",
            "--set",
            "torrents[5].size=\"1 MiB\"",
            "--out",
            "out/run",
        ],
        &dir,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("out of range"));
    let out = tokenswarm(
        &[
            "run",
            "s.toml",
            "--set",
            "client.choker.regular_slots=-1",
            "--out",
            "out/run",
        ],
        &dir,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(!dir.join("out").exists());
}

#[test]
fn values_too_large_for_the_engine_are_input_errors() {
    rejects(
        &SMALL.replace(
            "horizon = \"30min\"",
            "horizon = \"30min\"\nsample_interval = \"1us\"",
        ),
        &["sample_interval", "samples"],
    );
    rejects(
        &SMALL.replace("count = 20", "count = 4000000000"),
        &["torrents[0].arrivals", "arrivals"],
    );
    rejects(
        &SMALL.replace(
            "stop_when_done = true",
            "stop_when_done = true\n[client.choker]\nregular_slots = 4294967295",
        ),
        &["regular_slots", "at most 254"],
    );
    rejects(
        &SMALL.replace("\"30min\"", &format!("\"1{}d\"", "0".repeat(40))),
        &["horizon", "too long"],
    );
    rejects(
        &SMALL.replace(
            "stop_when_done = true",
            "stop_when_done = true\n[tracker]\nmax_connections = 300",
        ),
        &["max_connections", "254"],
    );
}

/// Runs `tokenswarm run s.toml` on `text` with extra arguments; returns the output.
fn run_text(text: &str, extra: &[&str]) -> (std::path::PathBuf, std::process::Output) {
    let dir = temp_dir("valid");
    std::fs::write(dir.join("s.toml"), text).unwrap();
    let mut args = vec!["run", "s.toml", "--out", "out/run"];
    args.extend_from_slice(extra);
    let out = tokenswarm(&args, &dir);
    (dir, out)
}

#[test]
fn small_connection_limits_and_huge_numwant_run() {
    for limit in 1..=3 {
        let (_, out) = run_text(
            &SMALL.replace(
                "stop_when_done = true",
                &format!(
                    "stop_when_done = true\n[tracker]\nmax_connections = {limit}\nmax_initiate = 1"
                ),
            ),
            &[],
        );
        assert!(
            out.status.success(),
            "max_connections = {limit}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let (_, out) = run_text(
        &SMALL.replace(
            "stop_when_done = true",
            "stop_when_done = true\n[tracker]\nnumwant = 4294967295",
        ),
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn intervals_that_never_end_a_run_are_refused() {
    rejects(
        &SMALL.replace(
            "stop_when_done = true",
            "stop_when_done = true\n[tracker]\nmin_announce_interval = \"0s\"",
        ),
        &["tracker.min_announce_interval", "longer than 0s"],
    );
    rejects(
        &SMALL.replace(
            "piece_size = \"256 KiB\"",
            "piece_size = \"256 KiB\"\npublishers = { count = 50000000 }",
        ),
        &["torrents[0].publishers.count", "at most"],
    );
}

#[test]
fn absurd_work_is_refused_with_the_estimate_and_the_field() {
    let rechoke = SMALL.replace(
        "stop_when_done = true",
        "stop_when_done = true\n[client.choker]\nrechoke_interval = \"1us\"\noptimistic_interval = \"3us\"\nrate_window = \"2us\"",
    );
    let err = rejects(
        &rechoke,
        &["client.choker.rechoke_interval", "events", "--force"],
    );
    assert!(err.contains("rechokes"), "{err}");
    rejects(
        &SMALL
            .replace("\"4 MiB\"", "\"256 MiB\"")
            .replace("\"256 KiB\"", "\"256 B\""),
        &["torrents[0].piece_size", "--force"],
    );
    let faucet = with_economy("faucet = { tokens = 1.0, interval = \"1us\" }", PRICED);
    rejects(&faucet, &["economy.faucet.interval", "--force"]);
    let settle = with_economy("channel = { settle_interval = \"1us\" }", PRICED);
    rejects(&settle, &["economy.channel.settle_interval"]);
}

#[test]
fn field_less_kinds_and_internal_fields_refuse_unknown_keys() {
    rejects(
        &SMALL.replace(
            "seeding = { kind = \"exponential\", mean = \"2min\" }",
            "seeding = { kind = \"forever\", mean = \"1min\" }",
        ),
        &["torrents[0].seeding.mean", "forever", "no other fields"],
    );
    rejects(
        &SMALL.replace(
            "seeding = { kind = \"exponential\", mean = \"2min\" }",
            "seeding = { kind = \"leave_at_once\", x = 1 }",
        ),
        &["torrents[0].seeding.x"],
    );
    rejects(
        &with_economy(
            "",
            "pricing = { kind = \"fixed\", tokens_per_mib = 0.1 }\nbidding = { kind = \"none\", budget_share = 1.0 }",
        ),
        &["economy.strategies[0].bidding.budget_share"],
    );
    rejects(
        &SMALL.replace(
            "arrivals = { kind = \"flash_crowd\", count = 20, window = \"1min\" }",
            "arrivals = { kind = \"trace\", file = \"t.csv\", times = [\"99s\"] }",
        ),
        &["torrents[0].arrivals.times", "unknown field"],
    );
    // `--set` of a kind keeps no field of the old kind silently.
    let dir = temp_dir("setkind");
    std::fs::write(dir.join("s.toml"), SMALL).unwrap();
    let out = tokenswarm(
        &[
            "run",
            "s.toml",
            "--set",
            "torrents[0].seeding.kind=forever",
            "--out",
            "o",
        ],
        &dir,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("torrents[0].seeding.mean"));
}

#[test]
fn errors_inside_kinds_name_the_full_field_in_the_users_terms() {
    let err = rejects(
        &SMALL.replace("window = \"1min\"", "window = \"1 m\""),
        &["field `torrents[0].arrivals.window`", "duration unit"],
    );
    assert!(!err.contains("in `window`"), "{err}");
    let err = rejects(
        &SMALL.replace("count = 20", "count = \"x\""),
        &["field `torrents[0].arrivals.count`", "whole number"],
    );
    for rust in ["u32", "unit variant", "struct ", "a map", "a sequence"] {
        assert!(!err.contains(rust), "speaks Rust ({rust}): {err}");
    }
    rejects(
        &with_economy(
            "",
            &PRICED.replace(
                "kind = \"fixed\", tokens = 10.0",
                "kind = \"lognormal\", median = \"x\"",
            ),
        ),
        &[
            "economy.strategies[0].bidding.value_of_time_per_hour.median",
            "a number",
        ],
    );
    // A 10 MB value is not echoed whole.
    let huge = "9".repeat(10_000_000);
    let err = rejects(
        &SMALL.replace("\"4 MiB\"", &format!("\"{huge} MiB\"")),
        &["torrents[0].size"],
    );
    assert!(err.len() < 500, "{} characters", err.len());
}

#[test]
fn arrivals_after_the_horizon_do_not_count_against_the_cap() {
    let (_, out) = run_text(
        &SMALL.replace("\"30min\"", "\"10min\"").replace(
            "arrivals = { kind = \"flash_crowd\", count = 20, window = \"1min\" }",
            "arrivals = { kind = \"poisson\", rate_per_s = 0.05, until = \"1000000d\" }",
        ),
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn trace_files_refuse_decimal_commas_and_huge_files_and_accept_a_bom() {
    let (dir, _) = trace_scenario("time_s\n0\n1,5\n");
    let out = tokenswarm(&["run", "s.toml", "--out", "out/run"], &dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("row 3") && err.contains("1.5"), "{err}");
    let (dir, _) = trace_scenario("\u{feff}time_s\n0\n2\n");
    let out = tokenswarm(&["run", "s.toml", "--out", "out/run"], &dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // /dev/zero has no line breaks: refused at once instead of read whole.
    let (dir, text) = trace_scenario("0\n");
    std::fs::write(dir.join("s.toml"), text.replace("joins.csv", "/dev/zero")).unwrap();
    let out = tokenswarm(&["run", "s.toml", "--out", "out/run"], &dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("/dev/zero") && err.contains("longer than"),
        "{err}"
    );
    // A byte-order mark in a scenario file is not part of its first key.
    let (_, out) = run_text(&format!("\u{feff}{SMALL}"), &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn command_line_mistakes_are_one_line() {
    let dir = temp_dir("cli");
    std::fs::write(dir.join("s.toml"), SMALL).unwrap();
    for args in [
        vec!["run", "s.toml", "--seed", "abc"],
        vec!["run", "s.toml", "--seed", "-1"],
        vec!["run", "s.toml", "--set", "novalue"],
        vec!["sweep", "s.toml", "--threads", "many"],
        vec!["run", "s.toml", "--threads", "2"],
    ] {
        let out = tokenswarm(&args, &dir);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with("error: ") && !err.contains("Usage"),
            "{err}"
        );
    }
}

#[test]
fn review_findings_on_messages() {
    // A number or a list where a name is expected lists the names.
    let e = rejects(
        &SMALL.replace(
            "stop_when_done = true",
            "stop_when_done = true\n[client.choker]\nprofile = 3",
        ),
        &[
            "client.choker.profile",
            "\"bep3\"",
            "\"libtorrent\"",
            "the number 3",
        ],
    );
    assert!(!e.contains("string only"), "{e}");
    // A huge rate names the rate and stays short.
    let e = rejects(
        &SMALL.replace(
            "arrivals = { kind = \"flash_crowd\", count = 20, window = \"1min\" }",
            "arrivals = { kind = \"poisson\", rate_per_s = 1e300 }",
        ),
        &["torrents[0].arrivals.rate_per_s", "at most 10000000"],
    );
    assert!(e.len() < 200, "{e}");
    // Exponents are numbers; a rate's unit error shows the whole rate.
    let (_, out) = run_text(&SMALL.replace("\"4 MiB\"", "\"4e0 MiB\""), &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    rejects(
        &SMALL.replace("\"1 Mbit/s\"", "\"1 EiB/s\""),
        &["\"1 EiB/s\"", "followed by /s"],
    );
    // A missing argument is named.
    let dir = temp_dir("noarg");
    let out = tokenswarm(&["run"], &dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(err.contains("<FILE>") && err.lines().count() == 1, "{err}");
}

#[test]
fn the_work_estimate_counts_announces_and_slow_publishers() {
    rejects(
        &SMALL.replace("\"30min\"", "\"3h\"").replace(
            "stop_when_done = true",
            "stop_when_done = false\n[tracker]\nannounce_interval = \"1us\"\nmin_peers = 1",
        ),
        &["tracker.announce_interval", "--force"],
    );
    // A publisher that can never send one copy before it leaves strands every leecher.
    rejects(
        &SMALL
            .replace("\"30min\"", "\"100000d\"")
            .replace("stop_when_done = true", "stop_when_done = false\nsample_interval = \"1d\"")
            .replace(
                "piece_size = \"256 KiB\"",
                "piece_size = \"256 KiB\"\npublishers = { upload = \"8 bit/s\", leave_after = \"10min\" }",
            ),
        &["events", "--force"],
    );
}
