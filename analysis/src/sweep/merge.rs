//! `sweep --merge DIR…`: the runs of several directories of one sweep (the shards of a
//! cluster job, or pieces resumed on different machines) gathered into one new directory,
//! with the tables an unsharded sweep would have written.
//!
//! Invariant: a merge never changes its inputs, writes only into a new or empty `--out`, and
//! refuses directories of another sweep (their `sweep.json` identity differs) or two copies
//! of one run that disagree. The tables are built from the same files in the same order as
//! in the unsharded sweep, so they are byte-identical to its tables.

use super::exec::{DESCRIPTION, SweepOutcome, held_sweep, prepare_dir};
use super::plan::{Plan, RunId};
use super::store::{PACKS_DIR, Store};
use super::tables::{RUNS_DIR, write_tables};
use crate::error::{InputError, io_error};
use crate::run::CommandError;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Merges the finished runs of `dirs` into `out` and writes its tables.
pub fn merge(plan: &Plan, dirs: &[PathBuf], out: &Path) -> Result<SweepOutcome, CommandError> {
    let mut stores = Vec::with_capacity(dirs.len());
    for dir in dirs {
        match held_sweep(dir) {
            None => {
                return Err(InputError::new(
                    dir,
                    format!("--merge: holds no sweep (no readable {DESCRIPTION})"),
                )
                .into());
            }
            Some(d) if d.identity != plan.identity => {
                return Err(InputError::new(
                    dir,
                    format!(
                        "--merge: holds a different sweep (`{}` from {}, identity {}…) than {} (identity {}…); merge only directories of one sweep",
                        d.name,
                        d.sweep_file.display(),
                        &d.identity[..12.min(d.identity.len())],
                        plan.spec.file.display(),
                        &plan.identity[..12]
                    ),
                )
                .into());
            }
            Some(_) => {}
        }
        if same_dir(dir, out) {
            return Err(InputError::new(
                out,
                "--merge: --out is one of the directories merged; give a new or empty --out",
            )
            .into());
        }
        stores.push(Store::open(dir)?);
    }
    if out.exists() && !std::fs::read_dir(out).is_ok_and(|mut e| e.next().is_none()) {
        return Err(InputError::new(
            out,
            "--merge: --out is not empty; the merged sweep goes into a new or empty directory",
        )
        .into());
    }
    prepare_dir(out, plan, false, false)?;
    // Where each run comes from (the first directory holding it); every other copy must
    // hold the same summary.
    let mut source: BTreeMap<RunId, usize> = BTreeMap::new();
    for run in plan.runs() {
        let mut first: Option<(usize, String)> = None;
        for (i, store) in stores.iter().enumerate() {
            if !store.is_done(run) {
                continue;
            }
            let summary = store.read(run, "summary.json")?.unwrap_or_default();
            match &first {
                None => first = Some((i, summary)),
                Some((j, s)) if *s != summary => {
                    return Err(InputError::new(
                        &dirs[i],
                        format!(
                            "--merge: run {} differs from its copy in {} (results of different tokenswarm versions?)",
                            run.dir_name(),
                            dirs[*j].display()
                        ),
                    )
                    .into());
                }
                Some(_) => {}
            }
        }
        if let Some((i, _)) = first {
            source.insert(run, i);
        }
    }
    let mut packs_copied = std::collections::BTreeSet::new();
    for (&run, &i) in &source {
        let store = &stores[i];
        if store.run_dir(run).join("summary.json").is_file() {
            copy_run(
                &store.run_dir(run),
                &out.join(RUNS_DIR).join(run.dir_name()),
            )?;
        } else {
            // A packed run: its whole pack is copied once (other runs in it are copies of
            // runs taken from elsewhere, identical as checked above).
            for pack in store.pack_files() {
                if packs_copied.insert(pack.clone()) {
                    let name = pack.file_name().unwrap_or_default();
                    let to = out.join(PACKS_DIR).join(name);
                    std::fs::create_dir_all(out.join(PACKS_DIR))
                        .map_err(|e| io_error("create", &out.join(PACKS_DIR), e))?;
                    link_or_copy(pack, &to)?;
                }
            }
        }
    }
    let store = Store::open(out)?;
    let done: Vec<RunId> = plan.runs().filter(|r| store.is_done(*r)).collect();
    write_tables(out, plan, &store, &done)?;
    let missing = plan.run_count() - done.len() as u64;
    eprintln!(
        "tokenswarm: sweep {}: merged {} of {} runs from {} directories{}; tables in {}",
        plan.spec.name,
        done.len(),
        plan.run_count(),
        dirs.len(),
        if missing > 0 {
            format!(
                " ({missing} runs missing: run their shards, or `--resume` on {})",
                out.display()
            )
        } else {
            String::new()
        },
        out.display()
    );
    Ok(SweepOutcome {
        out: out.to_path_buf(),
        runs: plan.run_count(),
        skipped: done.len() as u64,
        ran: 0,
        failures: Vec::new(),
        missing,
        listing: None,
    })
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Copies one run directory (its files hard-linked where the file system allows) through a
/// temporary renamed into place.
fn copy_run(from: &Path, to: &Path) -> anyhow::Result<()> {
    let tmp = crate::destination::Temporary::new_dir(crate::destination::partial_of(to))?;
    for e in std::fs::read_dir(from).map_err(|e| io_error("read", from, e))? {
        let e = e.map_err(|e| io_error("read", from, e))?;
        link_or_copy(&e.path(), &tmp.path().join(e.file_name()))?;
    }
    tmp.commit(to, || Ok(()))
}

/// A hard link of `from` at `to`, or a copy where links are not possible.
fn link_or_copy(from: &Path, to: &Path) -> anyhow::Result<()> {
    if std::fs::hard_link(from, to).is_err() {
        std::fs::copy(from, to).map_err(|e| io_error("copy", from, e))?;
    }
    Ok(())
}
