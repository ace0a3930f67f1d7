//! The `tokenswarm` binary end to end: bad input, determinism of written files, show-config,
//! sweeps, plots and the regression check.

mod bad_input;
mod bad_institutions;
mod bad_markets;
mod bad_swarm_start;
mod checks;
mod cluster;
mod compare;
mod golden;
mod mutations;
mod plots;
mod runs;
mod safety;
mod schema;
mod sweeps;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// A fresh empty directory for one test.
pub fn temp_dir(tag: &str) -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "tokenswarm-it-{}-{}-{tag}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create test dir");
    dir
}

pub fn tokenswarm(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tokenswarm"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run tokenswarm")
}

/// A small valid scenario; tests edit it to make it invalid.
pub const SMALL: &str = r#"
name = "small"
seed = 4
horizon = "30min"
stop_when_done = true
[[classes]]
name = "dsl"
share = 0.5
upload = "1 Mbit/s"
download = "8 Mbit/s"
[[classes]]
name = "cable"
share = 0.5
upload = "5 Mbit/s"
download = "50 Mbit/s"
[[torrents]]
name = "file"
size = "4 MiB"
piece_size = "256 KiB"
arrivals = { kind = "flash_crowd", count = 20, window = "1min" }
seeding = { kind = "exponential", mean = "2min" }
"#;
