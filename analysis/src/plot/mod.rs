//! `tokenswarm plot DIR`: charts of a run or a sweep directory, as SVG and PNG in
//! `DIR/plots/`.
//!
//! Invariant: the charts are drawn into a temporary sibling of `plots/` and moved in only
//! when every chart is done, so a failed plot changes nothing. `plot` never deletes or
//! overwrites a file it did not draw: `plots/.tokenswarm-charts` lists what it drew last.

pub mod chart;
pub mod compare;
pub mod run;
pub mod sweep;

use crate::destination::Temporary;
use crate::error::{InputError, io_error};
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

/// The file in `plots/` listing the charts the last `plot` drew there, one name per line.
pub const CHART_INDEX: &str = ".tokenswarm-charts";

/// Draws the run or sweep in `dir` (a sweep if `dir/sweep.json` exists).
pub fn plot(dir: &Path, req: &SweepPlotRequest) -> Result<PlotOutcome, CommandError> {
    let is_sweep = dir.join(crate::sweep::exec::DESCRIPTION).is_file();
    let is_compare = dir.join(crate::compare::DESCRIPTION).is_file();
    if !is_sweep && !is_compare && !dir.join("series.csv").is_file() {
        return Err(InputError::new(
            dir,
            "not a run directory (no series.csv), a sweep directory (no sweep.json) nor a comparison (no compare.json)",
        )
        .into());
    }
    if !is_sweep && (!req.metrics.is_empty() || req.x.is_some() || req.by.is_some()) {
        return Err(InputError::new(
            dir,
            "--metric, --x and --by apply to sweep directories only",
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
    if plots.exists() && !plots.is_dir() {
        return Err(
            InputError::new(&plots, "is a file; charts go into a directory of that name").into(),
        );
    }
    crate::destination::remove_stale_partials(dir, Some("plots"));
    let tmp = Temporary::new_dir(dir.join(format!(
        ".plots.partial-{}",
        crate::destination::process_tag()
    )))?;
    let notes = if is_sweep {
        sweep::plot_sweep(dir, tmp.path(), req)?;
        Vec::new()
    } else if is_compare {
        compare::plot_compare(dir, tmp.path())?
    } else {
        run::plot_run(dir, tmp.path())?
    };
    let mut drawn: Vec<String> = std::fs::read_dir(tmp.path())
        .map_err(|e| io_error("read", tmp.path(), e))?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .collect();
    drawn.sort();
    install_charts(tmp, &plots, &drawn)?;
    let stems = drawn
        .iter()
        .filter_map(|n| n.strip_suffix(".png").map(str::to_string))
        .collect();
    Ok(PlotOutcome {
        plots,
        drawn: stems,
        notes,
    })
}

/// Moves the charts `drawn` from `tmp` into `plots`, replacing only charts an earlier `plot`
/// drew (listed in [`CHART_INDEX`]) and removing those of them not drawn again. A file of
/// the same name that `plot` did not draw stops everything before any file moves.
fn install_charts(tmp: Temporary, plots: &Path, drawn: &[String]) -> Result<(), CommandError> {
    let index = plots.join(CHART_INDEX);
    let previous: Vec<String> = std::fs::read_to_string(&index)
        .map(|t| t.lines().map(str::to_string).collect())
        .unwrap_or_default();
    if let Some(foreign) = drawn
        .iter()
        .find(|name| plots.join(name).exists() && !previous.contains(name))
    {
        return Err(InputError::new(
            plots.join(foreign),
            "was not drawn by `tokenswarm plot` and would be replaced; move it away first",
        )
        .into());
    }
    std::fs::create_dir_all(plots).map_err(|e| io_error("create", plots, e))?;
    let listed = drawn.join("\n") + "\n";
    std::fs::write(tmp.path().join(CHART_INDEX), &listed)
        .map_err(|e| io_error("write", &tmp.path().join(CHART_INDEX), e))?;
    for name in drawn.iter().map(String::as_str).chain([CHART_INDEX]) {
        let target = plots.join(name);
        std::fs::rename(tmp.path().join(name), &target)
            .map_err(|e| io_error("move a chart to", &target, e))?;
    }
    for old in previous.iter().filter(|p| !drawn.contains(p)) {
        // Only plain names this command wrote before; never a path elsewhere.
        if !old.contains(['/', '\\']) && !old.starts_with('.') && !old.is_empty() {
            let _ = std::fs::remove_file(plots.join(old));
        }
    }
    drop(tmp);
    Ok(())
}
