//! `tokenswarm plot DIR`: charts of a run or a sweep directory, as SVG and PNG in
//! `DIR/plots/`.
//!
//! Invariant: the charts are drawn into a temporary sibling of `plots/` that replaces it only
//! when every chart is done, so a failed plot never leaves a half-updated set.

pub mod chart;
pub mod run;
pub mod sweep;

use crate::error::InputError;
use crate::run::CommandError;
use std::path::{Path, PathBuf};

pub use sweep::SweepPlotRequest;

/// What `plot` drew.
#[derive(Debug)]
pub struct PlotOutcome {
    pub plots: PathBuf,
    /// File stems drawn (each as `.svg` and `.png`).
    pub drawn: Vec<String>,
    /// Charts skipped for lack of data, with the reason.
    pub notes: Vec<String>,
}

/// Draws the run or sweep in `dir` (a sweep if `dir/sweep.json` exists).
pub fn plot(dir: &Path, req: &SweepPlotRequest) -> Result<PlotOutcome, CommandError> {
    let is_sweep = dir.join(crate::sweep::exec::DESCRIPTION).is_file();
    if !is_sweep && !dir.join("series.csv").is_file() {
        return Err(InputError::new(
            dir,
            "not a run directory (no series.csv) nor a sweep directory (no sweep.json)",
        )
        .into());
    }
    if is_sweep && !dir.join("points.csv").is_file() {
        return Err(InputError::new(
            dir,
            "the sweep has no points.csv yet; finish it with `tokenswarm sweep FILE --resume`",
        )
        .into());
    }
    let plots = dir.join("plots");
    let tmp = dir.join(format!(".plots.partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(anyhow::Error::from)?;
    let drawn = if is_sweep {
        sweep::plot_sweep(dir, &tmp, req).map(|stems| (stems, Vec::new()))
    } else {
        run::plot_run(dir, &tmp)
            .map(|notes| (Vec::new(), notes))
            .map_err(CommandError::from)
    };
    let notes = match drawn {
        Ok((_, notes)) => notes,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    let swap = (|| -> std::io::Result<Vec<String>> {
        let mut names: Vec<String> = std::fs::read_dir(&tmp)?
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter_map(|n| n.strip_suffix(".png").map(str::to_string))
            .collect();
        names.sort();
        if plots.exists() {
            std::fs::remove_dir_all(&plots)?;
        }
        std::fs::rename(&tmp, &plots)?;
        Ok(names)
    })();
    match swap {
        Ok(drawn) => Ok(PlotOutcome {
            plots,
            drawn,
            notes,
        }),
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            Err(anyhow::Error::from(e).into())
        }
    }
}
