//! A property test of the input contract: scenario files mutated at random (seeded, so every
//! failure is reproducible from the printed seed) from the shipped ones. Whatever the
//! mutation, `tokenswarm run` exits 0 or 2 within a time bound and under a memory bound,
//! never panics, and on exit 2 prints one line naming the file and what is wrong, and leaves
//! no output behind.

use super::{SMALL, temp_dir};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Mutants per run of the test (each is one `tokenswarm run`).
const MUTANTS: u64 = 160;
/// Longest a mutant may take (the event limit below keeps valid ones far shorter).
const TIME_BOUND: Duration = Duration::from_secs(60);
/// Virtual memory bound of each run, in KiB (`ulimit -v`).
const MEMORY_BOUND_KIB: u64 = 4 << 20;

const NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1e30",
    "4294967296",
    "18446744073709551616",
    "nan",
    "inf",
    "-inf",
    "\"x\"",
    "1.5",
    "true",
    "[]",
    "{}",
    "1",
    "254",
    "255",
    "1e-300",
    "2",
    "3",
    "10",
    "100000",
    "0.0001",
    "0.999",
    "65536",
    "1000000",
];
const STRINGS: &[&str] = &[
    "\"\"",
    "\"0s\"",
    "\"1us\"",
    "\"-5 MiB\"",
    "\"1e400 B\"",
    "\"x\"",
    "\"1 m\"",
    "\"99999999999999d\"",
    "\"1 B\"",
    "\"1 B/s\"",
    "\"..\"",
    "\"/tmp\"",
    "0",
    "[\"a\"]",
    "\"1h\"",
    "\"forever\"",
    "\"poisson\"",
    "\"libtorrent\"",
    "\"1 GiB\"",
    "\"10 Gbit/s\"",
    "\"1 bit/s\"",
    "\"1000d\"",
    "\"1ms\"",
    "\"16 KiB\"",
    "\"7s\"",
    "\"1 MiB\"",
];
const KINDS: &[&str] = &[
    "flash_crowd",
    "poisson",
    "exponential_decay",
    "trace",
    "leave_at_once",
    "fixed",
    "exponential",
    "lognormal",
    "forever",
    "economic",
    "uniform",
    "rate_quote",
    "scarcity",
    "adaptive",
    "none",
    "speed",
    "nosuch",
];
const INSERTS: &[&str] = &[
    "zz = 1",
    "[tracker]\nmax_connections = 1",
    "[tracker]\nnumwant = 4294967295",
    "[tracker]\nmin_announce_interval = \"1us\"",
    "[client.choker]\nrechoke_interval = \"1us\"",
    "[population]\nmulti_torrent_share = 2",
    "[economy]\nfaucet = { tokens = 1.0, interval = \"1us\" }",
    "sample_interval = \"1us\"",
    "[[torrents]]\nname = \"x\"\nsize = \"1 MiB\"\narrivals = { kind = \"poisson\", rate_per_s = 1e9 }\nseeding = { kind = \"forever\" }",
];

fn sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut out = vec![("small".to_string(), SMALL.to_string())];
    for file in [
        "scenarios/quickstart.toml",
        "scenarios/regression/flash-small.toml",
        "scenarios/regression/market-small.toml",
        "scenarios/regression/poisson-small.toml",
    ] {
        let text = std::fs::read_to_string(root.join(file)).expect("shipped scenario");
        out.push((file.to_string(), text));
    }
    out
}

fn mutate(text: &str, rng: &mut ChaCha8Rng) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let pick = |rng: &mut ChaCha8Rng, n: usize| rng.random_range(0..n.max(1));
    // Value changes are the most common: they keep the file's shape, so more mutants pass
    // parsing and reach validation and the engine.
    match [2, 2, 2, 3, 3, 3, 0, 1, 4, 5, 6, 7][rng.random_range(0..12usize)] {
        0 if !lines.is_empty() => {
            let i = pick(rng, lines.len());
            lines.remove(i);
        }
        1 if !lines.is_empty() => {
            let i = pick(rng, lines.len());
            let l = lines[i].clone();
            lines.insert(i, l);
        }
        2 => {
            // A number somewhere becomes something else.
            let candidates: Vec<usize> = (0..lines.len())
                .filter(|&i| {
                    lines[i].contains(" = ") && lines[i].chars().any(|c| c.is_ascii_digit())
                })
                .collect();
            if let Some(&i) = candidates.get(pick(rng, candidates.len())) {
                let value = NUMBERS[pick(rng, NUMBERS.len())];
                let line = &lines[i];
                let start = line.find(|c: char| c.is_ascii_digit()).unwrap_or(0);
                let end = start
                    + line[start..]
                        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                        .unwrap_or(line.len() - start);
                lines[i] = format!("{}{value}{}", &line[..start], &line[end..]);
            }
        }
        3 => {
            // A quoted value becomes another value.
            let candidates: Vec<usize> = (0..lines.len())
                .filter(|&i| lines[i].contains('"'))
                .collect();
            if let Some(&i) = candidates.get(pick(rng, candidates.len())) {
                let line = &lines[i];
                if let Some(a) = line.find('"')
                    && let Some(b) = line[a + 1..].find('"')
                {
                    let value = STRINGS[pick(rng, STRINGS.len())];
                    lines[i] = format!("{}{value}{}", &line[..a], &line[a + b + 2..]);
                }
            }
        }
        4 => {
            let i = pick(rng, lines.len() + 1).min(lines.len());
            lines.insert(i, INSERTS[pick(rng, INSERTS.len())].to_string());
        }
        5 => {
            let cut = pick(rng, text.len());
            let mut cut_at = cut;
            while !text.is_char_boundary(cut_at) {
                cut_at -= 1;
            }
            return text[..cut_at].to_string();
        }
        6 => {
            let candidates: Vec<usize> = (0..lines.len())
                .filter(|&i| lines[i].contains("kind = \""))
                .collect();
            if let Some(&i) = candidates.get(pick(rng, candidates.len())) {
                let kind = KINDS[pick(rng, KINDS.len())];
                let line = &lines[i];
                let a = line.find("kind = \"").unwrap_or(0) + "kind = \"".len();
                let b = a + line[a..].find('"').unwrap_or(0);
                lines[i] = format!("{}{kind}{}", &line[..a], &line[b..]);
            }
        }
        _ => {
            // Two lines swap places.
            if lines.len() > 1 {
                let (i, j) = (pick(rng, lines.len()), pick(rng, lines.len()));
                lines.swap(i, j);
            }
        }
    }
    lines.join("\n") + "\n"
}

/// Runs `tokenswarm run m.toml` under the memory bound; `None` if it passed the time bound.
fn run_bounded(dir: &Path) -> Option<std::process::Output> {
    let command = format!(
        "ulimit -v {MEMORY_BOUND_KIB}; exec \"{}\" run m.toml --out out/run",
        env!("CARGO_BIN_EXE_tokenswarm")
    );
    let mut child = Command::new("sh")
        .args(["-c", &command])
        .current_dir(dir)
        .env("TOKENSWARM_MAX_EVENTS", "3e6")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tokenswarm");
    let started = Instant::now();
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            return child.wait_with_output().ok();
        }
        if started.elapsed() > TIME_BOUND {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn mutated_scenarios_exit_0_or_2_with_one_line_and_leave_nothing_behind() {
    let sources = sources();
    let dir = temp_dir("mutants");
    let mut refused = 0;
    for seed in 0..MUTANTS {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (name, text) = &sources[seed as usize % sources.len()];
        let mut mutant = text.clone();
        for _ in 0..rng.random_range(1..=2u32) {
            mutant = mutate(&mutant, &mut rng);
        }
        let _ = std::fs::remove_dir_all(dir.join("out"));
        std::fs::write(dir.join("m.toml"), &mutant).unwrap();
        let context = format!("seed {seed} (from {name}); the mutant:\n{mutant}");

        let Some(out) = run_bounded(&dir) else {
            panic!("ran past {TIME_BOUND:?}: {context}");
        };
        let err = String::from_utf8_lossy(&out.stderr);
        match out.status.code() {
            Some(0) => assert!(
                dir.join("out/run/summary.json").is_file(),
                "exit 0 without results: {context}"
            ),
            Some(2) => {
                refused += 1;
                assert_eq!(err.trim_end().lines().count(), 1, "{err}\n{context}");
                assert!(
                    err.starts_with("error: m.toml: ")
                        || err.starts_with("error: ")
                            && err.contains("m.toml")
                            && !err.contains("panicked"),
                    "{err}\n{context}"
                );
                assert!(
                    err.contains("field `")
                        || err.contains("line ")
                        || err.contains("the run would")
                        || err.contains("trace"),
                    "names no field: {err}\n{context}"
                );
                assert!(!dir.join("out").exists(), "output left: {context}");
            }
            other => panic!("exit {other:?}: {err}\n{context}"),
        }
    }
    // The mutations are meant to break files: most are refused, some still run.
    eprintln!("{refused} of {MUTANTS} mutants refused, the others ran");
    assert!(
        refused > MUTANTS / 4 && refused < MUTANTS * 9 / 10,
        "{refused} of {MUTANTS} refused"
    );
}
