//! Golden outputs: the SHA-256 of every table and summary of every shipped and regression
//! scenario, pinned in `tests/golden/outputs.sha256`. A refactoring must leave them
//! byte-identical; an intended change of results is made visible here once, by rewriting the
//! digests with `TOKENSWARM_BLESS_GOLDEN=1 cargo test -p analysis --test it golden` and saying
//! why in the commit.

use super::{temp_dir, tokenswarm};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The files compared, when a run writes them.
const FILES: [&str; 6] = [
    "summary.json",
    "torrents.csv",
    "peers.csv",
    "series.csv",
    "balances.csv",
    "journal.csv",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every shipped and regression scenario (baselines excluded), sorted.
fn scenarios() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in ["scenarios", "scenarios/regression"] {
        for e in std::fs::read_dir(root().join(dir)).expect("scenario directory") {
            let p = e.expect("entry").path();
            let name = p.to_string_lossy().to_string();
            if p.extension().is_some_and(|x| x == "toml") && !name.ends_with(".baseline.toml") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn digest(path: &Path) -> String {
    let bytes = std::fs::read(path).expect("output file");
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn every_shipped_scenario_gives_its_pinned_outputs() {
    let dir = temp_dir("golden");
    let mut lines = Vec::new();
    for scenario in scenarios() {
        let rel = scenario
            .strip_prefix(root())
            .unwrap_or(&scenario)
            .to_string_lossy()
            .replace('\\', "/");
        let out = dir.join(rel.replace('/', "_"));
        let o = tokenswarm(
            &[
                "run",
                &scenario.to_string_lossy(),
                "--out",
                &out.to_string_lossy(),
            ],
            &dir,
        );
        assert!(
            o.status.success(),
            "{rel}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        for file in FILES {
            let path = out.join(file);
            if path.is_file() {
                lines.push(format!("{rel} {file} {}", digest(&path)));
            }
        }
    }
    let text = lines.join("\n") + "\n";
    let pinned_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/outputs.sha256");
    if std::env::var("TOKENSWARM_BLESS_GOLDEN").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(pinned_path.parent().expect("parent")).unwrap();
        std::fs::write(&pinned_path, &text).unwrap();
        return;
    }
    let pinned = std::fs::read_to_string(&pinned_path).unwrap_or_default();
    let differ: Vec<&str> = lines
        .iter()
        .map(String::as_str)
        .filter(|l| !pinned.lines().any(|p| p == *l))
        .collect();
    let gone: Vec<&str> = pinned
        .lines()
        .filter(|p| !lines.iter().any(|l| l == p))
        .collect();
    assert!(
        differ.is_empty() && gone.is_empty(),
        "outputs changed (bless with TOKENSWARM_BLESS_GOLDEN=1 if intended):\nnow:\n{}\npinned:\n{}",
        differ.join("\n"),
        gone.join("\n")
    );
}
