//! `tokenswarm`: run scenario files of tokenized BitTorrent swarms and write their results.

use analysis::load::Override;
use analysis::run::{CommandError, RunRequest, run, show_config};
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
    /// Run a scenario and write manifest.json, summary.json and CSV tables.
    Run {
        /// Scenario file (TOML).
        file: PathBuf,
        /// Seed for this run (overrides the scenario's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Override a scenario value: `--set torrents[0].arrivals.count=200` (repeatable).
        #[arg(long = "set", value_name = "PATH=VALUE", value_parser = Override::parse)]
        overrides: Vec<Override>,
        /// Output directory (default: outputs/<scenario name>).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Print the resolved scenario with every default filled in.
    ShowConfig {
        file: PathBuf,
        #[arg(long = "set", value_name = "PATH=VALUE", value_parser = Override::parse)]
        overrides: Vec<Override>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run {
            file,
            seed,
            overrides,
            out,
        } => run(&RunRequest {
            scenario: file,
            seed,
            overrides,
            out,
        })
        .map(|_| ()),
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
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
