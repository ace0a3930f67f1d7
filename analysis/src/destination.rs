//! Where results go, and the promise never to lose a user's files: a directory is replaced
//! only if it is empty or a tokenswarm run; `.`, `..` and every ancestor of the working
//! directory are refused; results are written to a temporary sibling (`.NAME.partial-PID`)
//! renamed into place when complete; temporaries are removed on failure, on SIGINT/SIGTERM
//! (exit 130/143), and by a later command if the process that made them is dead.
//!
//! Invariant: the only paths this crate deletes are (a) temporaries it registered here, (b)
//! temporaries of dead processes named after the directory being written, (c) a directory
//! that [`check_replaceable`] accepted, and (d) charts `plot` drew itself.

use crate::error::{InputError, io_error};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

/// Temporaries being written by this process; removed if a signal ends it.
static TEMPORARIES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn registry() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    // A panic while holding the lock leaves the list intact; keep using it.
    TEMPORARIES.lock().unwrap_or_else(|p| p.into_inner())
}

/// Removes a file or a directory tree, whichever `path` is; absent is fine.
fn remove_any(path: &Path) {
    // A writer may add a file while a tree is being removed; try again.
    for _ in 0..20 {
        let result = if path.is_dir() {
            std::fs::remove_dir_all(path)
        } else {
            std::fs::remove_file(path)
        };
        if result.is_ok() || !path.exists() {
            return;
        }
    }
}

/// Installs the SIGINT/SIGTERM handler: remove this process's temporaries, then exit with
/// 128 + the signal (130, 143). Without it, an interrupted write leaves `.partial` debris.
pub fn install_signal_cleanup() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            // Holding the lock until exit stops every writer at its next registration or
            // rename, so nothing is renamed into place half-written.
            let list = registry();
            for path in list.iter() {
                remove_any(path);
            }
            std::process::exit(128 + signal);
        }
    });
}

/// A temporary file or directory registered for cleanup; removed when dropped unless
/// [`Temporary::commit`] renamed it into place.
#[derive(Debug)]
pub struct Temporary {
    path: PathBuf,
    live: bool,
}

impl Temporary {
    /// Creates the directory `path` (removing a leftover of the same name first) and
    /// registers it, both under the cleanup lock: a signal either comes before (and the
    /// directory is never made) or after (and it is removed).
    pub fn new_dir(path: PathBuf) -> anyhow::Result<Temporary> {
        let mut list = registry();
        if path.exists() {
            remove_any(&path);
        }
        std::fs::create_dir_all(&path).map_err(|e| io_error("create", &path, e))?;
        list.push(path.clone());
        Ok(Temporary { path, live: true })
    }

    /// Creates the file `path` and registers it, under the cleanup lock (see [`new_dir`]).
    ///
    /// [`new_dir`]: Temporary::new_dir
    pub fn new_file(path: PathBuf) -> anyhow::Result<(Temporary, std::fs::File)> {
        let mut list = registry();
        let file = std::fs::File::create(&path).map_err(|e| io_error("create", &path, e))?;
        list.push(path.clone());
        Ok((Temporary { path, live: true }, file))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Puts the temporary in place with `install` (given its path; it renames it), under the
    /// cleanup lock, so a signal never interrupts the swap. On success the temporary is no
    /// longer this process's to remove.
    pub fn commit_by(
        mut self,
        install: impl FnOnce(&Path) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let mut list = registry();
        install(&self.path)?;
        list.retain(|p| p != &self.path);
        self.live = false;
        Ok(())
    }

    /// Renames the temporary to `target` after `prepare` (which may remove the old target),
    /// both under the cleanup lock, so a signal never interrupts between them.
    pub fn commit(
        mut self,
        target: &Path,
        prepare: impl FnOnce() -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let mut list = registry();
        prepare()?;
        std::fs::rename(&self.path, target)
            .map_err(|e| io_error("move results into", target, e))?;
        list.retain(|p| p != &self.path);
        self.live = false;
        Ok(())
    }
}

impl Drop for Temporary {
    fn drop(&mut self) {
        if self.live {
            remove_any(&self.path);
            registry().retain(|p| p != &self.path);
        }
    }
}

/// What names this process's temporaries: `HOST-PID`. Processes on several machines may
/// write into one shared directory (a sweep on a cluster); the host tells whose process a
/// temporary belongs to, so a dead-process check on one machine never touches another
/// machine's work.
pub fn process_tag() -> String {
    format!("{}-{}", host_name(), std::process::id())
}

/// This machine's name (`/proc/sys/kernel/hostname`, else `$HOSTNAME`, else `localhost`),
/// with characters other than letters, digits, `.` and `_` replaced by `_` so that a tag
/// splits unambiguously at its last `-`.
pub fn host_name() -> &'static str {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| {
        let raw = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .unwrap_or_default();
        let clean: String = raw
            .trim()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if clean.is_empty() {
            "localhost".into()
        } else {
            clean
        }
    })
}

/// The temporary sibling of `dir` for this process: `PARENT/.NAME.partial-HOST-PID`.
pub fn partial_of(dir: &Path) -> PathBuf {
    let (parent, name) = parent_and_name(dir);
    parent.join(format!(".{name}.partial-{}", process_tag()))
}

fn parent_and_name(dir: &Path) -> (PathBuf, String) {
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "run".into());
    (parent, name)
}

/// Whether process `pid` is alive; `None` when this system cannot tell (no `/proc`).
fn alive(pid: u32) -> Option<bool> {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return None;
    }
    Some(proc.join(pid.to_string()).exists())
}

/// Removes `.PREFIX.partial-TAG`, `.PREFIX.tmp-TAG` and `.PREFIX.old-TAG` entries of
/// `parent` whose process is dead (an earlier command killed before it could clean up);
/// `TAG` is `HOST-PID` (or a bare `PID` from older versions, taken as this host's).
/// `prefix = None` matches every name. Entries of live processes (another command writing
/// now) and of other machines' processes (whose liveness cannot be seen from here) are left
/// alone.
pub fn remove_stale_partials(parent: &Path, prefix: Option<&str>) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for e in entries.filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().to_string();
        let Some(rest) = name.strip_prefix('.') else {
            continue;
        };
        let Some((stem, tag)) = rest
            .rsplit_once(".partial-")
            .or_else(|| rest.rsplit_once(".tmp-"))
            .or_else(|| rest.rsplit_once(".old-"))
        else {
            continue;
        };
        if prefix.is_some_and(|p| p != stem) {
            continue;
        }
        let (host, pid) = tag.rsplit_once('-').unwrap_or((host_name(), tag));
        let Ok(pid) = pid.parse::<u32>() else {
            continue;
        };
        if host != host_name() {
            continue;
        }
        if pid != std::process::id() && alive(pid) == Some(false) {
            remove_any(&e.path());
        }
    }
}

/// `path` made absolute against the working directory, with `.` and `..` resolved
/// lexically (the path may not exist yet).
fn absolute(path: &Path) -> PathBuf {
    let joined = std::env::current_dir()
        .map(|cwd| cwd.join(path))
        .unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The file in a run directory listing, one per line, the files the run wrote there.
pub const RUN_INDEX: &str = ".tokenswarm-files";

/// Table and document names a run wrote before runs listed their files in [`RUN_INDEX`].
fn written_by_an_older_run(name: &str) -> bool {
    matches!(name, "manifest.json" | "summary.json" | "scenario.toml")
        || name.ends_with(".csv")
        || name.ends_with(".parquet")
}

/// The entries of run directory `dir` that tokenswarm did not write (as paths relative to
/// `dir`, sorted): top-level files not in its [`RUN_INDEX`], directories other than `plots/`,
/// and files in `plots/` not listed in its chart index.
fn foreign_entries(dir: &Path) -> Vec<String> {
    let listed: Option<Vec<String>> = std::fs::read_to_string(dir.join(RUN_INDEX))
        .ok()
        .map(|t| t.lines().map(str::to_string).collect());
    let mut foreign = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return vec![".".into()];
    };
    for e in entries.filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().to_string();
        let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
        if name == RUN_INDEX {
            continue;
        }
        if is_dir && name == "plots" {
            let charts: Vec<String> =
                std::fs::read_to_string(e.path().join(crate::plot::CHART_INDEX))
                    .map(|t| t.lines().map(str::to_string).collect())
                    .unwrap_or_default();
            for c in std::fs::read_dir(e.path()).into_iter().flatten().flatten() {
                let chart = c.file_name().to_string_lossy().to_string();
                if chart != crate::plot::CHART_INDEX && !charts.contains(&chart) {
                    foreign.push(format!("plots/{chart}"));
                }
            }
            continue;
        }
        let ours = !is_dir
            && match &listed {
                Some(list) => list.contains(&name),
                None => written_by_an_older_run(&name),
            };
        if !ours {
            foreign.push(name);
        }
    }
    foreign.sort();
    foreign
}

/// Whether `dir` may be replaced by results of a run: it does not exist, or is an empty
/// directory, or holds a tokenswarm run (a `manifest.json` naming `tokenswarm_version`) and
/// nothing but what that run and `plot` wrote. The working directory and its ancestors are
/// never replaceable. `flag` names where the path came from in messages (`--out`).
pub fn check_replaceable(dir: &Path, flag: &str) -> Result<(), InputError> {
    let shown = dir.display().to_string();
    let target = std::fs::canonicalize(dir).unwrap_or_else(|_| absolute(dir));
    if let Ok(cwd) = std::env::current_dir().and_then(std::fs::canonicalize)
        && cwd.starts_with(&target)
    {
        return Err(InputError::new(
            dir,
            format!(
                "{flag} {shown} is the working directory or one of its parents; results go to a directory of their own (for example outputs/NAME)"
            ),
        ));
    }
    // A parent that is a file makes the path impossible; say so rather than fail to create it.
    for ancestor in dir.ancestors().skip(1) {
        if !ancestor.as_os_str().is_empty() && ancestor.is_file() {
            return Err(InputError::new(
                dir,
                format!(
                    "{flag} {shown}: {} is a file, so no directory can be made below it",
                    ancestor.display()
                ),
            ));
        }
    }
    let Ok(meta) = std::fs::symlink_metadata(dir) else {
        return Ok(());
    };
    if meta.file_type().is_symlink() && !dir.exists() {
        return Err(InputError::new(
            dir,
            format!(
                "{flag} {shown} is a symbolic link to nothing; remove it or choose another {flag}"
            ),
        ));
    }
    if !dir.is_dir() {
        return Err(InputError::new(
            dir,
            format!("{flag} {shown} is a file, not a directory; choose another {flag}"),
        ));
    }
    let empty = std::fs::read_dir(dir)
        .map(|mut entries| entries.next().is_none())
        .unwrap_or(false);
    if empty {
        return Ok(());
    }
    if !is_run_dir(dir) {
        return Err(InputError::new(
            dir,
            format!(
                "{flag} {shown} holds files that are not a tokenswarm run (no tokenswarm manifest.json); it is left untouched: choose another {flag} or empty it"
            ),
        ));
    }
    let foreign = foreign_entries(dir);
    if !foreign.is_empty() {
        let shown_list: Vec<&str> = foreign.iter().take(3).map(String::as_str).collect();
        return Err(InputError::new(
            dir,
            format!(
                "{flag} {shown} holds an earlier run and {} file(s) tokenswarm did not write ({}{}); it is left untouched: move them away or choose another {flag}",
                foreign.len(),
                shown_list.join(", "),
                if foreign.len() > 3 { ", …" } else { "" }
            ),
        ));
    }
    Ok(())
}

/// Whether `dir` holds a tokenswarm run: its `manifest.json` names `tokenswarm_version`.
pub fn is_run_dir(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("manifest.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .is_some_and(|v| v.get("tokenswarm_version").is_some_and(|x| x.is_string()))
}

/// Writes `files` (and a [`RUN_INDEX`] of them) into a temporary sibling of `dir`, then
/// puts it in place of `dir`: a previous run there (only if [`check_replaceable`] accepts
/// it, checked again just before) is first renamed aside, and removed only once the new
/// one is in place, so a failure at any point leaves one complete run. A symbolic link at
/// `dir` is kept: the results replace what it points to. Stale temporaries of dead processes
/// for the same `dir` are removed first.
pub fn write_atomically<N: AsRef<Path>, C: AsRef<[u8]>>(
    dir: &Path,
    files: &[(N, C)],
) -> Result<(), crate::run::CommandError> {
    let is_link = std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink());
    let target = if is_link {
        std::fs::canonicalize(dir).map_err(|e| io_error("follow the link", dir, e))?
    } else {
        dir.to_path_buf()
    };
    let (parent, name) = parent_and_name(&target);
    if let Err(e) = check_replaceable(&target, "--out") {
        return Err(e.into());
    }
    std::fs::create_dir_all(&parent).map_err(|e| io_error("create", &parent, e))?;
    remove_stale_partials(&parent, Some(&name));
    let tmp = Temporary::new_dir(partial_of(&target))?;
    let mut index: Vec<String> = Vec::with_capacity(files.len());
    for (file, content) in files {
        let path = tmp.path().join(file);
        std::fs::write(&path, content).map_err(|e| io_error("write", &path, e))?;
        index.push(file.as_ref().to_string_lossy().to_string());
    }
    index.sort();
    let index_path = tmp.path().join(RUN_INDEX);
    std::fs::write(&index_path, index.join("\n") + "\n")
        .map_err(|e| io_error("write", &index_path, e))?;
    let aside = parent.join(format!(".{name}.old-{}", process_tag()));
    let mut refused = None;
    let mut moved_aside = false;
    tmp.commit_by(|new| {
        if let Err(e) = check_replaceable(&target, "--out") {
            refused = Some(e);
            anyhow::bail!("refused");
        }
        if target.exists() {
            std::fs::rename(&target, &aside)
                .map_err(|e| io_error("move the previous run aside from", &target, e))?;
            moved_aside = true;
        }
        if let Err(e) = std::fs::rename(new, &target) {
            if moved_aside {
                // Put the previous run back: one complete run stays in place.
                let _ = std::fs::rename(&aside, &target);
                moved_aside = false;
            }
            return Err(io_error("move results into", &target, e));
        }
        Ok(())
    })
    .map_err(|e| match refused.take() {
        Some(input) => crate::run::CommandError::Input(input),
        None => crate::run::CommandError::Other(e),
    })?;
    if moved_aside {
        remove_any(&aside);
        if aside.exists() {
            eprintln!(
                "tokenswarm: the previous run was moved to {} and could not be removed",
                aside.display()
            );
        }
    }
    Ok(())
}
