//! Claims: which process runs which run of a sweep, so that several processes — `--resume`
//! twice on one directory, or the tasks of a cluster job array on a shared file system — never
//! run one run twice at the same time and never remove each other's work.
//!
//! A run is claimed by an exclusive advisory lock (`flock`) on `runs/.pNNNN-rRR.lock`, held
//! while the run is computed and written. The operating system releases the lock when its
//! process ends, however it ends, so a claim never goes stale and there is nothing to time
//! out. The lock file is removed when its run is finished; one left by a failed or killed run
//! is an empty dotfile that `merge` and the tables ignore.
//!
//! Invariant: whoever holds a run's claim is the only process writing that run, so it may
//! remove any temporary of that run (`runs/.pNNNN-rRR.partial-*`) left by a process that died
//! while holding the claim before. A claim is taken, then the run's state read again: a run
//! finished by another process while this one waited is never run again.

use super::plan::RunId;
use crate::error::io_error;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// An exclusive claim on one run; released when dropped.
#[derive(Debug)]
pub struct Claim {
    _file: File,
    path: PathBuf,
}

/// The lock file of `run` in the runs directory `runs`.
pub fn lock_path(runs: &Path, run: RunId) -> PathBuf {
    runs.join(format!(".{}.lock", run.dir_name()))
}

fn open(runs: &Path, run: RunId) -> anyhow::Result<File> {
    let path = lock_path(runs, run);
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| io_error("create the lock file", &path, e))
}

impl Claim {
    /// Claims `run` unless another live process holds it (`None`). Cost: one open and one
    /// non-blocking lock.
    pub fn try_take(runs: &Path, run: RunId) -> anyhow::Result<Option<Claim>> {
        let file = open(runs, run)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(Claim {
                _file: file,
                path: lock_path(runs, run),
            })),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(e)) => Err(io_error("lock", &lock_path(runs, run), e)),
        }
    }

    /// Claims `run`, waiting for the process that holds it to finish or die.
    pub fn wait_for(runs: &Path, run: RunId) -> anyhow::Result<Claim> {
        let file = open(runs, run)?;
        file.lock()
            .map_err(|e| io_error("lock", &lock_path(runs, run), e))?;
        Ok(Claim {
            _file: file,
            path: lock_path(runs, run),
        })
    }

    /// Releases the claim of a run that is now finished, removing its lock file. Safe: a
    /// process that opened the file before it was removed, or creates a new one after, reads
    /// the run's state once it holds the lock and finds it finished.
    pub fn release_finished(self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Removes the temporaries of `run` in `runs` (`.pNNNN-rRR.partial-*`): called by the holder
/// of the run's claim, for whom any such temporary is debris of a dead claimant.
pub fn remove_debris(runs: &Path, run: RunId) {
    let prefix = format!(".{}.partial-", run.dir_name());
    let Ok(entries) = std::fs::read_dir(runs) else {
        return;
    };
    for e in entries.filter_map(|e| e.ok()) {
        if e.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_excludes_others_until_it_is_dropped() {
        let dir = std::env::temp_dir().join(format!("ts-claim-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let run = RunId {
            point: 3,
            replicate: 1,
        };
        let first = Claim::try_take(&dir, run).unwrap();
        assert!(first.is_some());
        // A second open file description is excluded even within one process.
        assert!(Claim::try_take(&dir, run).unwrap().is_none());
        let other = RunId {
            point: 3,
            replicate: 2,
        };
        assert!(Claim::try_take(&dir, other).unwrap().is_some());
        drop(first);
        assert!(Claim::try_take(&dir, run).unwrap().is_some());
        std::fs::create_dir_all(dir.join(".p0003-r01.partial-h-1")).unwrap();
        std::fs::create_dir_all(dir.join(".p0003-r02.partial-h-1")).unwrap();
        remove_debris(&dir, run);
        assert!(!dir.join(".p0003-r01.partial-h-1").exists());
        assert!(dir.join(".p0003-r02.partial-h-1").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
