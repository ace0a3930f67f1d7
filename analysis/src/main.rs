//! `tokenswarm`: run scenario files of tokenized BitTorrent swarms and write their results.

use analysis::check::{Verdict, check};
use analysis::compare::{CompareRequest, compare};
use analysis::error;
use analysis::load::Override;
use analysis::plot::{SweepPlotRequest, plot};
use analysis::run::{CommandError, RunRequest, run, show_config};
use analysis::sweep::shard::Shard;
use analysis::sweep::{Keep, SweepRequest, sweep};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "tokenswarm",
    version,
    about = "Deterministic simulator of tokenized BitTorrent swarm economics"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a scenario and write manifest.json, summary.json and tables (CSV and Parquet).
    Run {
        /// Scenario file (TOML).
        file: PathBuf,
        /// Seed for this run (overrides the scenario's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Override a scenario value: `--set torrents[0].arrivals.count=200` (repeatable).
        #[arg(long = "set", value_name = "PATH=VALUE", value_parser = Override::parse)]
        overrides: Vec<Override>,
        /// Output directory (default: outputs/<scenario name>). Replaced only if it is empty or
        /// holds an earlier run.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Run even if the estimated work or memory passes the limits (see the scenario
        /// reference, "Work limits").
        #[arg(long)]
        force: bool,
    },
    /// Run every (point, replicate) of a sweep file in parallel and write runs/points/series
    /// tables (Parquet and CSV).
    Sweep {
        /// Sweep file (TOML).
        file: PathBuf,
        /// Worker threads (default: every core).
        #[arg(long)]
        threads: Option<usize>,
        /// Output directory (default: outputs/<sweep name>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Finish an interrupted sweep in --out without redoing finished runs.
        #[arg(long)]
        resume: bool,
        /// Sweep even if the number of runs or the estimated work passes the limits.
        #[arg(long)]
        force: bool,
        /// Run only shard i of n (0 ≤ i < n): run k of the (point, replicate) order belongs
        /// to shard k mod n. Shards may share --out; tables come from --merge or --resume.
        #[arg(long, value_name = "i/n", value_parser = Shard::parse)]
        shard: Option<Shard>,
        /// List every run (point, replicate, seed, shard, overrides) as CSV and stop.
        #[arg(long = "plan")]
        plan: bool,
        /// Build the tables of these directories of the same sweep into --out (new or empty).
        #[arg(long, value_name = "DIR", num_args = 1..)]
        merge: Vec<PathBuf>,
        /// What each run keeps: all its files, or only summary.json (no series table).
        #[arg(long, value_enum, default_value_t = Keep::All)]
        keep: Keep,
        /// Pack finished runs into Parquet files under packs/ (256 runs each) instead of one
        /// directory per run.
        #[arg(long)]
        pack: bool,
    },
    /// Run two or more scenarios (or variants of one) over the same replicates (common random
    /// numbers) and tabulate every metric per arm with paired differences (compare.csv).
    Compare {
        /// Scenario files, one arm each (named by the scenario's name).
        files: Vec<PathBuf>,
        /// A variant of the first file as another arm: `NAME:path=value;path=value`.
        #[arg(long = "variant", value_name = "NAME:PATH=VALUE;...")]
        variants: Vec<String>,
        /// Replicates per arm (seeds derived from --seed), unless --seeds lists them.
        #[arg(long, default_value_t = 8)]
        replicates: u32,
        /// Master seed of the replicates.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Exactly these run seeds: `1..8` (inclusive) or `3,5,9`.
        #[arg(long, value_parser = parse_seeds)]
        seeds: Option<SeedList>,
        /// Output directory (default: outputs/compare-<arm>-vs-<arm>…).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads (default: every core).
        #[arg(long)]
        threads: Option<usize>,
        /// Run arms even if their estimated work passes the limits.
        #[arg(long)]
        force: bool,
    },
    /// Draw a run's or a sweep's charts (SVG and PNG) into DIR/plots/.
    Plot {
        /// A run directory (from `run`) or a sweep directory (from `sweep`).
        dir: PathBuf,
        /// Sweeps: a metric to draw, as named in points.csv (repeatable).
        #[arg(long = "metric")]
        metrics: Vec<String>,
        /// Sweeps: the parameter on the x axis (default: the first swept parameter).
        #[arg(long)]
        x: Option<String>,
        /// Sweeps: the parameter drawn as one line per value (default: the second).
        #[arg(long)]
        by: Option<String>,
    },
    /// Run the regression scenarios and compare their metrics with the baselines.
    Check {
        /// Directory of regression scenarios and baselines.
        #[arg(default_value = "scenarios/regression")]
        dir: PathBuf,
        /// Rewrite the baselines with the current values (keeping seeds and tolerances).
        #[arg(long)]
        bless: bool,
        /// Run scenarios even if their estimated work passes the limits.
        #[arg(long)]
        force: bool,
    },
    /// Print the glossary of every summary metric, table column and time series (Markdown,
    /// as docs/metrics.md): type, unit, definition, censoring.
    Metrics,
    /// Print the resolved scenario with every default filled in.
    ShowConfig {
        file: PathBuf,
        #[arg(long = "set", value_name = "PATH=VALUE", value_parser = Override::parse)]
        overrides: Vec<Override>,
    },
}

/// Run seeds given on the command line.
#[derive(Clone, Debug)]
struct SeedList(Vec<u64>);

/// `1..8` (inclusive) or `3,5,9`.
fn parse_seeds(text: &str) -> Result<SeedList, String> {
    let bad = || format!("`{text}`: give a range like 1..8 or a list like 3,5,9");
    if let Some((a, b)) = text.split_once("..") {
        let (a, b): (u64, u64) = (
            a.trim().parse().map_err(|_| bad())?,
            b.trim().parse().map_err(|_| bad())?,
        );
        if b < a || b - a >= 100_000 {
            return Err(format!(
                "`{text}`: a range from low to high, at most 100000 seeds"
            ));
        }
        return Ok(SeedList((a..=b).collect()));
    }
    text.split(',')
        .map(|s| s.trim().parse::<u64>().map_err(|_| bad()))
        .collect::<Result<Vec<_>, _>>()
        .map(SeedList)
}

/// A command-line mistake as one line: what is wrong and where to look, no usage block.
fn usage_error(e: &clap::Error) -> String {
    let rendered = e.to_string();
    // The first paragraph: the mistake and what it names (clap indents the missing
    // arguments on the lines after the first), without the usage block.
    let first = rendered
        .trim_start()
        .split("\n\n")
        .next()
        .unwrap_or("invalid arguments")
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
        .trim_start_matches("error: ")
        .to_string();
    // Rust's integer parse errors, in the user's terms.
    let first = first
        .replace(
            "invalid digit found in string",
            "expected a whole number ≥ 0",
        )
        .replace(
            "number too large to fit in target type",
            "the number is too large",
        )
        .replace(
            "cannot parse integer from empty string",
            "expected a whole number ≥ 0",
        );
    format!("{first} (see `tokenswarm --help`)")
}

fn main() -> ExitCode {
    analysis::huge_pages::reexec_with_huge_pages();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                let _ = e.print();
                return ExitCode::from(2);
            }
            eprintln!("error: {}", error::one_line(&usage_error(&e)));
            return ExitCode::from(2);
        }
    };
    analysis::destination::install_signal_cleanup();
    let result = match cli.command {
        Command::Run {
            file,
            seed,
            overrides,
            out,
            force,
        } => run(&RunRequest {
            scenario: file,
            seed,
            overrides,
            out,
            force,
        })
        .map(|_| ()),
        Command::Sweep {
            file,
            threads,
            out,
            resume,
            force,
            shard,
            plan,
            merge,
            keep,
            pack,
        } => sweep(&SweepRequest {
            file,
            threads,
            out,
            resume,
            force,
            shard,
            plan_only: plan,
            merge,
            keep,
            pack,
        })
        .and_then(|o| {
            if let Some(listing) = &o.listing {
                print!("{listing}");
                Ok(())
            } else if o.missing > 0 && o.failures.is_empty() {
                Err(CommandError::Other(anyhow::anyhow!(
                    "{} of {} runs are missing from the tables",
                    o.missing,
                    o.runs
                )))
            } else if o.failures.is_empty() {
                Ok(())
            } else {
                Err(CommandError::Other(anyhow::anyhow!(
                    "{} of {} runs failed (listed in {})",
                    o.failures.len(),
                    o.runs,
                    o.out.join("failed.csv").display()
                )))
            }
        }),
        Command::Compare {
            files,
            variants,
            replicates,
            seed,
            seeds,
            out,
            threads,
            force,
        } => compare(&CompareRequest {
            files,
            variants,
            replicates,
            seed,
            seeds: seeds.map(|s| s.0),
            out,
            threads,
            force,
        })
        .map(|o| {
            for note in &o.notes {
                println!("{note}");
            }
            eprintln!(
                "tokenswarm: compared {} arms ({}) over {} runs; table in {}",
                o.arms.len(),
                o.arms.join(", "),
                o.runs,
                o.out.join("compare.csv").display()
            );
        }),
        Command::Plot {
            dir,
            metrics,
            x,
            by,
        } => plot(&dir, &SweepPlotRequest { metrics, x, by }).map(|o| {
            for note in &o.notes {
                eprintln!("tokenswarm: skipped {note}");
            }
            eprintln!(
                "tokenswarm: {} charts (SVG and PNG) in {}",
                o.drawn.len(),
                o.plots.display()
            );
        }),
        Command::Check { dir, bless, force } => check(&dir, bless, force).and_then(|o| {
            if !o.blessed {
                print!("{}", o.table());
            }
            for s in &o.unbaselined {
                println!("{s}: no baseline; run `tokenswarm check --bless` to create it");
            }
            if o.blessed {
                println!("baselines rewritten in {}", dir.display());
                Ok(())
            } else if o.passed() {
                println!("check: every metric within tolerance");
                Ok(())
            } else {
                let bad = o.rows.iter().filter(|r| r.verdict != Verdict::Ok).count();
                Err(CommandError::Other(anyhow::anyhow!(
                    "regression check failed: {bad} metrics outside their baseline, {} scenarios without one",
                    o.unbaselined.len()
                )))
            }
        }),
        Command::Metrics => {
            print!("{}", analysis::glossary::markdown());
            Ok(())
        }
        Command::ShowConfig { file, overrides } => {
            show_config(&file, &overrides).map(|text| print!("{text}"))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(CommandError::Input(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(CommandError::Other(e)) => {
            eprintln!("error: {}", error::one_line(&format!("{e:#}")));
            ExitCode::from(1)
        }
    }
}
