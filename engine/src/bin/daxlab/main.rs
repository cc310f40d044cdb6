//! `daxlab`: explore, replay and inspect the v4.11 DAX insertion race from the command line.
//!
//! Exit codes: 0 = nothing wrong found, 1 = a failure was found, 2 = bad usage or input.

mod explore_cmd;
mod output;
mod witness;

use clap::{Parser, Subcommand, ValueEnum};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "daxlab", version, about = "Replay and explore the Linux v4.11 DAX radix-tree insertion race")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum VariantArg {
    Unfixed,
    Fixed,
    Both,
}

/// A failure the scheduler may inject.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum InjectArg {
    /// radix_tree_preload() returns -ENOMEM.
    Enomem,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum StrategyArg {
    Exhaustive,
    Random,
}

#[derive(Subcommand)]
enum Command {
    /// List the built-in scenarios.
    Scenarios,
    /// Print a scenario's TOML (a starting point for your own file).
    Show {
        /// A built-in name or a path to a .toml scenario file.
        scenario: String,
    },
    /// Run a scenario under many interleavings and report every outcome class.
    Explore(explore_cmd::ExploreArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Scenarios => {
            output::list_scenarios();
            Ok(ExitCode::SUCCESS)
        }
        Command::Show { scenario } => daxlab::Scenario::load(&scenario)
            .map(|sc| {
                print!("{}", sc.source);
                ExitCode::SUCCESS
            })
            .map_err(|e| e.to_string()),
        Command::Explore(args) => explore_cmd::run(args),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("daxlab: {message}");
            ExitCode::from(2)
        }
    }
}
