//! Bad input to a torrent's warm start (`[torrents.warm_start]`): exit code 2 naming the file
//! and the field, with the value and what is allowed.

use super::SMALL;
use super::bad_input::rejects;

fn with_warm(table: &str) -> String {
    format!("{SMALL}\n[torrents.warm_start]\n{table}\n")
}

#[test]
fn warm_start_fractions_must_be_shares() {
    rejects(
        &with_warm(r#"progress = { kind = "fixed", fraction = 1.5 }"#),
        &["torrents[0].warm_start.progress.fraction", "[0, 1]", "1.5"],
    );
    rejects(
        &with_warm(r#"progress = { kind = "uniform", min = 0.8, max = 0.2 }"#),
        &["torrents[0].warm_start.progress.max", "0.8"],
    );
    rejects(
        &with_warm(r#"spread = { kind = "rarest_lost", lost = -0.1 }"#),
        &["torrents[0].warm_start.spread.lost", "[0, 1]"],
    );
    rejects(
        &with_warm(r#"spread = { kind = "profile", availability = [0.5, 2.0] }"#),
        &["torrents[0].warm_start.spread.availability[1]", "2"],
    );
    rejects(
        &with_warm(r#"spread = { kind = "profile", availability = [] }"#),
        &["torrents[0].warm_start.spread.availability", "at least one"],
    );
}

#[test]
fn warm_start_counts_and_keys_are_checked() {
    rejects(
        &with_warm("seeds = 2000000"),
        &["torrents[0].warm_start.seeds", "at most 1000000", "2000000"],
    );
    rejects(&with_warm("seed = 2"), &["seed", "warm_start"]);
    rejects(
        &with_warm(r#"spread = { kind = "zipf" }"#),
        &["torrents[0].warm_start.spread", "zipf"],
    );
}
