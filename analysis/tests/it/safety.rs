//! Never lose a user's files: `run`, `sweep` and `plot` replace only what they wrote, refuse
//! the working directory and its parents, clean up after signals and after dead processes.
//! Every case runs in its own temporary sandbox.

use super::{SMALL, temp_dir, tokenswarm};
use std::path::Path;
use std::process::{Command, Stdio};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// A sandbox holding `s.toml` (SMALL) and a `docs/` directory with a user's file.
fn sandbox(tag: &str) -> std::path::PathBuf {
    let dir = temp_dir(tag);
    std::fs::write(dir.join("s.toml"), SMALL).unwrap();
    std::fs::create_dir_all(dir.join("docs")).unwrap();
    std::fs::write(dir.join("docs/thesis.tex"), "my thesis").unwrap();
    dir
}

fn partials(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().to_string())
                .filter(|n| n.contains(".partial-") || n.contains(".tmp-"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_directory_of_other_files_is_never_replaced() {
    let dir = sandbox("foreign");
    let out = tokenswarm(&["run", "s.toml", "--out", "docs"], &dir);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("docs") && err.contains("not a tokenswarm run"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("docs/thesis.tex")).unwrap(),
        "my thesis"
    );
    assert!(partials(&dir).is_empty(), "{:?}", partials(&dir));
    // An empty directory and an earlier run are fine to replace.
    std::fs::create_dir_all(dir.join("empty")).unwrap();
    let out = tokenswarm(&["run", "s.toml", "--out", "empty"], &dir);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = tokenswarm(&["run", "s.toml", "--out", "empty", "--seed", "9"], &dir);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.join("empty/summary.json").is_file());
}

#[test]
fn the_working_directory_and_its_parents_are_refused() {
    let dir = sandbox("ancestors");
    let inner = dir.join("docs");
    std::fs::write(inner.join("s.toml"), SMALL).unwrap();
    for target in [".", "..", "./", "../..", "/"] {
        let out = tokenswarm(&["run", "s.toml", "--out", target], &inner);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "--out {target}: {err}");
        assert!(err.contains("working directory"), "{err}");
    }
    assert!(inner.join("thesis.tex").is_file());
    assert!(dir.join("s.toml").is_file());
    assert!(partials(&dir).is_empty() && partials(&inner).is_empty());
}

#[test]
fn a_scenario_name_is_one_plain_path_component() {
    let dir = sandbox("names");
    for name in ["..", ".", "/abs/dir", "../../x", "a/b", ".hidden", ""] {
        let text = SMALL.replace("name = \"small\"", &format!("name = \"{name}\""));
        std::fs::write(dir.join("n.toml"), text).unwrap();
        let out = tokenswarm(&["run", "n.toml"], &dir);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "name {name:?}: {err}");
        assert!(err.contains("field `name`"), "{err}");
    }
    assert!(dir.join("s.toml").is_file() && dir.join("docs/thesis.tex").is_file());
    assert!(!dir.join("outputs").exists());
    // The same rule holds for sweep names.
    std::fs::write(
        dir.join("w.toml"),
        "name = \"../x\"\nbase = \"s.toml\"\nkind = \"grid\"\nreplicates = 1\nseed = 1\n[parameters]\n\"torrents[0].seeding.mean\" = [\"1min\"]\n",
    )
    .unwrap();
    let out = tokenswarm(&["sweep", "w.toml"], &dir);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("field `name`"));
}

#[test]
fn stale_partials_of_dead_processes_are_removed_and_live_ones_kept() {
    let dir = sandbox("stale");
    std::fs::create_dir_all(dir.join("out")).unwrap();
    // PID 1 is always alive; a PID beyond the kernel's limit never is.
    let live = dir.join("out/.run.partial-1");
    let dead = dir.join("out/.run.partial-4194304999");
    let other = dir.join("out/.other.partial-4194304999");
    for p in [&live, &dead, &other] {
        std::fs::create_dir_all(p).unwrap();
    }
    let out = tokenswarm(&["run", "s.toml", "--out", "out/run"], &dir);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(live.exists(), "another live process's partial is kept");
    assert!(
        !dead.exists(),
        "a dead process's partial of this run is removed"
    );
    assert!(
        other.exists(),
        "partials of other directories are not touched"
    );
}

/// Starts `tokenswarm args` in `dir`, waits until `ready(dir)` or 60 s, sends `signal`, and
/// returns the exit status.
fn interrupt(
    args: &[&str],
    dir: &Path,
    ready: impl Fn(&Path) -> bool,
    signal: &str,
) -> std::process::ExitStatus {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tokenswarm"))
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start tokenswarm");
    let started = std::time::Instant::now();
    while !ready(dir) && started.elapsed().as_secs() < 60 {
        if let Ok(Some(status)) = child.try_wait() {
            return status;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let killed = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    child.wait().expect("wait")
}

/// A sweep of many small runs, so that some run is always being written.
fn many_runs(dir: &Path) {
    std::fs::write(
        dir.join("w.toml"),
        "name = \"w\"\nbase = \"s.toml\"\nkind = \"grid\"\nreplicates = 40\nseed = 1\n[parameters]\n\"torrents[0].seeding.mean\" = [\"1min\", \"2min\", \"3min\"]\n",
    )
    .unwrap();
}

fn finished_runs(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("out/runs"))
        .map(|e| {
            e.filter_map(|e| e.ok())
                .filter(|e| e.path().join("summary.json").is_file())
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn signals_clean_up_and_exit_130_or_143() {
    use std::os::unix::process::ExitStatusExt;
    for (signal, code) in [("-INT", 130), ("-TERM", 143)] {
        let dir = sandbox("signal");
        many_runs(&dir);
        let status = interrupt(
            &["sweep", "w.toml", "--out", "out", "--threads", "2"],
            &dir,
            |d| finished_runs(d) >= 3,
            signal,
        );
        assert_eq!(
            status.code(),
            Some(code),
            "{signal}: {status:?} (signal {:?})",
            status.signal()
        );
        assert!(
            partials(&dir.join("out/runs")).is_empty() && partials(&dir.join("out")).is_empty(),
            "{signal} left {:?}",
            partials(&dir.join("out/runs"))
        );
        let out = tokenswarm(&["sweep", "w.toml", "--out", "out", "--resume"], &dir);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(finished_runs(&dir), 120);
    }
}

#[test]
fn a_killed_sweep_resumes_and_its_debris_is_removed() {
    let dir = sandbox("killed");
    many_runs(&dir);
    let status = interrupt(
        &["sweep", "w.toml", "--out", "out", "--threads", "2"],
        &dir,
        |d| finished_runs(d) >= 3,
        "-KILL",
    );
    assert!(!status.success());
    // Whatever SIGKILL left (a run's partial directory, a table's temporary file) belongs to
    // a dead process: `--resume` removes it and finishes.
    std::fs::create_dir_all(dir.join("out/runs/.p0000-r00.partial-4194304999")).unwrap();
    let out = tokenswarm(&["sweep", "w.toml", "--out", "out", "--resume"], &dir);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(finished_runs(&dir), 120);
    assert!(partials(&dir.join("out/runs")).is_empty());
}

#[test]
fn plot_never_deletes_or_overwrites_charts_it_did_not_draw() {
    let dir = sandbox("plots");
    let out = tokenswarm(&["run", "s.toml", "--out", "run"], &dir);
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::create_dir_all(dir.join("run/plots")).unwrap();
    std::fs::write(dir.join("run/plots/notes.txt"), "mine").unwrap();
    let out = tokenswarm(&["plot", "run"], &dir);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.join("run/plots/swarm.png").is_file());
    // Plotting again replaces its own charts and keeps the user's file.
    let out = tokenswarm(&["plot", "run"], &dir);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(dir.join("run/plots/notes.txt")).unwrap(),
        "mine"
    );
    // A file of a chart's name that plot did not draw stops it before anything moves.
    let out = tokenswarm(&["run", "s.toml", "--out", "run2"], &dir);
    assert!(out.status.success());
    std::fs::create_dir_all(dir.join("run2/plots")).unwrap();
    std::fs::write(dir.join("run2/plots/swarm.png"), "my own chart").unwrap();
    let out = tokenswarm(&["plot", "run2"], &dir);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("swarm.png") && stderr(&out).contains("not drawn"));
    assert_eq!(
        std::fs::read_to_string(dir.join("run2/plots/swarm.png")).unwrap(),
        "my own chart"
    );
    assert!(!dir.join("run2/plots/availability.png").exists());
    assert!(partials(&dir.join("run2")).is_empty());
}

#[test]
fn io_failures_name_the_path_and_the_operation() {
    let dir = sandbox("io");
    // /proc refuses new directories: the error names what could not be created.
    let out = tokenswarm(&["run", "s.toml", "--out", "/proc/tokenswarm-out"], &dir);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot create /proc/"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn an_earlier_run_with_files_tokenswarm_did_not_write_is_left_alone() {
    let dir = sandbox("extra-files");
    assert!(
        tokenswarm(&["run", "s.toml", "--out", "r"], &dir)
            .status
            .success()
    );
    assert!(tokenswarm(&["plot", "r"], &dir).status.success());
    // Its own files and charts: replaced without a word, and no aside copy is left.
    let o = tokenswarm(&["run", "s.toml", "--out", "r", "--seed", "5"], &dir);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(partials(&dir).is_empty(), "{:?}", partials(&dir));
    // A user's notes or a chart of their own in it: refused, everything kept.
    std::fs::write(dir.join("r/notes.md"), "mine").unwrap();
    let o = tokenswarm(&["run", "s.toml", "--out", "r"], &dir);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("notes.md"), "{}", stderr(&o));
    assert!(dir.join("r/notes.md").is_file() && dir.join("r/summary.json").is_file());
    std::fs::remove_file(dir.join("r/notes.md")).unwrap();
    std::fs::create_dir_all(dir.join("r/plots")).unwrap();
    std::fs::write(dir.join("r/plots/mine.svg"), "<svg/>").unwrap();
    let o = tokenswarm(&["run", "s.toml", "--out", "r"], &dir);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("plots/mine.svg"), "{}", stderr(&o));
    assert!(dir.join("r/plots/mine.svg").is_file());
}

#[test]
fn links_and_impossible_paths_are_handled() {
    let dir = sandbox("links");
    assert!(
        tokenswarm(&["run", "s.toml", "--out", "real"], &dir)
            .status
            .success()
    );
    std::os::unix::fs::symlink("real", dir.join("link")).unwrap();
    let o = tokenswarm(&["run", "s.toml", "--out", "link", "--seed", "7"], &dir);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        std::fs::symlink_metadata(dir.join("link"))
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link is kept"
    );
    assert!(
        std::fs::read_to_string(dir.join("real/summary.json"))
            .unwrap()
            .contains("\"seed\": 7")
    );
    std::os::unix::fs::symlink("nowhere", dir.join("dangling")).unwrap();
    let o = tokenswarm(&["run", "s.toml", "--out", "dangling"], &dir);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("symbolic link to nothing"),
        "{}",
        stderr(&o)
    );
    let o = tokenswarm(&["run", "s.toml", "--out", "s.toml/sub"], &dir);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is a file"), "{}", stderr(&o));
}
