//! Where a sweep's finished runs are kept: one directory per run (`runs/pNNNN-rRR/`, the
//! default), or packed many runs to a Parquet file (`packs/*.parquet`, `--pack`) instead of
//! thousands of small files. The tables read a run's files through [`Store`] either way.
//!
//! A pack holds one row per (run, file): `run`, `point`, `replicate`, `file` and the file's
//! text in `content`, one row group per run, zstd-compressed. A pack is written whole (a
//! temporary renamed into place) before the run directories it replaces are removed, under
//! the runs' claims, so a run is always in a directory, a pack or both (identical), never
//! lost.
//!
//! Invariant: reading a run gives the bytes its run directory held, whichever way it is kept.

use super::claim::Claim;
use super::plan::RunId;
use super::tables::RUNS_DIR;
use crate::destination::{Temporary, process_tag};
use crate::error::io_error;
use anyhow::Context;
use polars::io::parquet::write::BatchedWriter;
use polars::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The packs' directory under a sweep's output directory.
pub const PACKS_DIR: &str = "packs";

/// Runs gathered in one pack file.
pub const RUNS_PER_PACK: usize = 256;

/// Where each run's files are.
#[derive(Debug)]
pub struct Store {
    out: PathBuf,
    /// Pack files read so far, by name.
    packs: BTreeMap<String, PathBuf>,
    /// Packed runs: the pack and, per file name, the row holding it.
    packed: BTreeMap<RunId, (String, BTreeMap<String, usize>)>,
}

impl Store {
    /// The store of the sweep in `out` (reads the index of every pack present).
    pub fn open(out: &Path) -> anyhow::Result<Store> {
        let mut store = Store {
            out: out.to_path_buf(),
            packs: BTreeMap::new(),
            packed: BTreeMap::new(),
        };
        store.refresh()?;
        Ok(store)
    }

    /// Reads the index of packs written since the store was opened (by another process).
    pub fn refresh(&mut self) -> anyhow::Result<()> {
        let dir = self.out.join(PACKS_DIR);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(());
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| !n.starts_with('.') && n.ends_with(".parquet"))
            .collect();
        names.sort();
        for name in names {
            if self.packs.contains_key(&name) {
                continue;
            }
            let path = dir.join(&name);
            let index = read_index(&path)?;
            for (run, files) in index {
                self.packed.entry(run).or_insert((name.clone(), files));
            }
            self.packs.insert(name, path);
        }
        Ok(())
    }

    /// The directory of `run`.
    pub fn run_dir(&self, run: RunId) -> PathBuf {
        self.out.join(RUNS_DIR).join(run.dir_name())
    }

    /// Whether `run` is finished (its directory holds `summary.json`, or a pack holds it).
    pub fn is_done(&self, run: RunId) -> bool {
        self.run_dir(run).join("summary.json").is_file() || self.packed.contains_key(&run)
    }

    /// Whether `run` is in a pack.
    pub fn is_packed(&self, run: RunId) -> bool {
        self.packed.contains_key(&run)
    }

    /// The text of `file` of `run`; `None` if the run does not keep that file (`--keep
    /// summaries`). Cost: one file read, or one row of a pack.
    pub fn read(&self, run: RunId, file: &str) -> anyhow::Result<Option<String>> {
        let path = self.run_dir(run).join(file);
        if self.run_dir(run).join("summary.json").is_file() {
            return match std::fs::read_to_string(&path) {
                Ok(t) => Ok(Some(t)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(io_error("read", &path, e)),
            };
        }
        let Some((pack, files)) = self.packed.get(&run) else {
            anyhow::bail!("run {} is not finished", run.dir_name());
        };
        let Some(&row) = files.get(file) else {
            return Ok(None);
        };
        let pack_path = &self.packs[pack];
        let f = std::fs::File::open(pack_path).map_err(|e| io_error("read", pack_path, e))?;
        let df = ParquetReader::new(f)
            .with_columns(Some(vec!["content".into()]))
            .with_slice(Some((row, 1)))
            .finish()
            .map_err(|e| anyhow::anyhow!("{}: not a readable pack: {e}", pack_path.display()))?;
        let text = df
            .column("content")?
            .str()?
            .get(0)
            .map(str::to_string)
            .with_context(|| format!("{}: row {row} holds no text", pack_path.display()))?;
        Ok(Some(text))
    }

    /// Every pack file (for `merge`).
    pub fn pack_files(&self) -> impl Iterator<Item = &PathBuf> {
        self.packs.values()
    }

    /// Packs the finished run directories among `runs` whose claims are free, in packs of
    /// [`RUNS_PER_PACK`], then removes those directories. Returns the runs packed.
    pub fn pack(&mut self, runs: &[RunId]) -> anyhow::Result<usize> {
        let runs_dir = self.out.join(RUNS_DIR);
        let mut packed = 0;
        let mut batch: Vec<(RunId, Claim)> = Vec::new();
        for &run in runs {
            if !self.run_dir(run).join("summary.json").is_file() {
                continue;
            }
            let Some(claim) = Claim::try_take(&runs_dir, run)? else {
                continue;
            };
            batch.push((run, claim));
            if batch.len() == RUNS_PER_PACK {
                packed += self.pack_batch(std::mem::take(&mut batch))?;
            }
        }
        if !batch.is_empty() {
            packed += self.pack_batch(batch)?;
        }
        Ok(packed)
    }

    fn pack_batch(&mut self, batch: Vec<(RunId, Claim)>) -> anyhow::Result<usize> {
        let dir = self.out.join(PACKS_DIR);
        std::fs::create_dir_all(&dir).map_err(|e| io_error("create", &dir, e))?;
        let first = batch[0].0.dir_name();
        let name = format!("{first}-{}.parquet", process_tag());
        let target = dir.join(&name);
        let (tmp, file) = Temporary::new_file(dir.join(format!(".{name}.tmp-{}", process_tag())))?;
        let mut writer: Option<BatchedWriter<std::fs::File>> = None;
        let mut pending = Some(file);
        for (run, _) in &batch {
            let mut df = run_frame(&self.run_dir(*run), *run)?;
            if writer.is_none() {
                let f = pending.take().expect("the file is taken once");
                writer = Some(
                    ParquetWriter::new(f)
                        .with_compression(ParquetCompression::Zstd(None))
                        .batched(df.schema())?,
                );
            }
            df.rechunk_mut();
            writer.as_mut().expect("created above").write_batch(&df)?;
        }
        writer.expect("a batch is never empty").finish()?;
        tmp.commit(&target, || Ok(()))?;
        self.refresh()?;
        // The claims (held in `batch`) keep other processes off these runs until their
        // directories are gone.
        let packed = batch.len();
        for (run, claim) in batch {
            let d = self.run_dir(run);
            std::fs::remove_dir_all(&d).map_err(|e| io_error("remove the packed run", &d, e))?;
            claim.release_finished();
        }
        Ok(packed)
    }
}

/// One run directory's files as rows of a pack, in file-name order (dotfiles left out).
fn run_frame(dir: &Path, run: RunId) -> anyhow::Result<DataFrame> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| io_error("read", dir, e))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    let mut contents = Vec::with_capacity(names.len());
    for n in &names {
        let p = dir.join(n);
        contents.push(std::fs::read_to_string(&p).map_err(|e| io_error("read", &p, e))?);
    }
    let h = names.len();
    Ok(DataFrame::new(
        h,
        vec![
            Column::new("run".into(), vec![run.dir_name(); h]),
            Column::new("point".into(), vec![run.point; h]),
            Column::new("replicate".into(), vec![run.replicate; h]),
            Column::new("file".into(), names),
            Column::new("content".into(), contents),
        ],
    )?)
}

/// A pack's index: per run, the row of each file.
fn read_index(path: &Path) -> anyhow::Result<BTreeMap<RunId, BTreeMap<String, usize>>> {
    let f = std::fs::File::open(path).map_err(|e| io_error("read", path, e))?;
    let df = ParquetReader::new(f)
        .with_columns(Some(vec![
            "point".into(),
            "replicate".into(),
            "file".into(),
        ]))
        .finish()
        .map_err(|e| anyhow::anyhow!("{}: not a readable pack: {e}", path.display()))?;
    let points = df.column("point")?.u32()?.clone();
    let replicates = df.column("replicate")?.u32()?.clone();
    let files = df.column("file")?.str()?.clone();
    let mut index: BTreeMap<RunId, BTreeMap<String, usize>> = BTreeMap::new();
    for row in 0..df.height() {
        let (Some(point), Some(replicate), Some(file)) =
            (points.get(row), replicates.get(row), files.get(row))
        else {
            anyhow::bail!("{}: row {row} is incomplete", path.display());
        };
        index
            .entry(RunId { point, replicate })
            .or_default()
            .insert(file.to_string(), row);
    }
    Ok(index)
}
