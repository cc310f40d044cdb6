//! `daxlab`: explore, replay and inspect DAX races of Linux v4.10 to v4.13 from the command
//! line.
//!
//! Exit codes: 0 = nothing wrong found / replay matched, 1 = a failure was found / replay
//! diverged, 2 = bad usage or input.

mod challenge_cmd;
mod explore_cmd;
mod figure_cmd;
mod import_cmd;
mod kernel_args;
mod lab_cmd;
mod machine_args;
mod matrix_cmd;
mod output;
mod play_cmd;
mod play_repl;
mod stress_cmd;
mod trace_cmd;
mod walkthrough;
mod warn_args;
mod witness;

use clap::{Parser, Subcommand, ValueEnum};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "daxlab",
    version,
    about = "Replay and explore Linux DAX races (fs/dax.c, v4.10 to v4.13), kernel by kernel"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
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
    /// Probabilistic concurrency testing at --depth.
    Pct,
}

/// How exhaustive search treats schedules that only reorder commuting steps.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReductionArg {
    /// Every schedule within the bound (the reference).
    None,
    /// Partial-order reduction: the same outcome classes with the same fewest preemptions.
    Dpor,
}

impl From<ReductionArg> for daxlab::explore::Reduction {
    fn from(r: ReductionArg) -> Self {
        match r {
            ReductionArg::None => daxlab::explore::Reduction::None,
            ReductionArg::Dpor => daxlab::explore::Reduction::Dpor,
        }
    }
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
    /// List the kernel releases, the fixes each contains, and what each fix changes.
    Kernels,
    /// Run a scenario under many interleavings and report every outcome class.
    Explore(explore_cmd::ExploreArgs),
    /// Explore every scenario on every kernel: which failures each kernel shows, and the
    /// fewest preemptions each needs.
    Matrix(matrix_cmd::MatrixArgs),
    /// Re-run a trace under its schedule and check that every event matches.
    Replay(trace_cmd::ReplayArgs),
    /// Convert a trace between the binary and the JSON form.
    Convert(trace_cmd::ConvertArgs),
    /// Replay a trace's interleaving on its kernel and on another, and show where they part.
    Diff(trace_cmd::DiffArgs),
    /// Walk through a trace step by step, narrated, with its race annotations.
    Explain(trace_cmd::TraceArg),
    /// Export a trace for Perfetto (Chrome trace-event JSON) or as a text transcript.
    Export(trace_cmd::ExportArgs),
    /// Show a challenge (challenges/*.toml), or check a saved run against its goal.
    Challenge(challenge_cmd::ChallengeArgs),
    /// Be the scheduler in the terminal: step a scenario or play a challenge level, pick who
    /// runs next, save the run as a trace.
    Play(play_cmd::PlayArgs),
    /// Draw a figure (SVG or PNG, by the output's extension) from a trace, a scenario's
    /// exploration, or stress results.
    #[command(subcommand)]
    Figure(figure_cmd::FigureKind),
    /// Regenerate every figure of docs/ (SVG and PNG) from the checked-in traces.
    Figures {
        /// Where to write them; input data that is not a trace (the stress results) is
        /// read from here too.
        #[arg(default_value = "docs/figures")]
        dir: std::path::PathBuf,
        /// The folder of checked-in traces the figures are made from.
        #[arg(long, default_value = "traces")]
        traces: std::path::PathBuf,
    },
    /// Rewrite the checked-in traces (traces/) and their expected replays (replays/) after
    /// an intended change to the engine.
    Golden {
        #[arg(long, default_value = "traces")]
        traces: std::path::PathBuf,
        #[arg(long, default_value = "replays")]
        replays: std::path::PathBuf,
    },
    /// Run a workload on real threads over RAM, a file or real pmem, recorded and replayable.
    Stress(stress_cmd::StressArgs),
    /// Import a real kernel's trace (ftrace text) as a kernel trace.
    #[command(subcommand)]
    Import(import_cmd::ImportCommand),
    /// Run scenarios on a real Linux kernel under QEMU, on emulated pmem with DAX.
    #[command(subcommand)]
    Lab(lab_cmd::LabCommand),
}

/// A closed standard output (`daxlab explore … | head -1`) ends daxlab the way it ends
/// other Unix tools: SIGPIPE, quietly. Rust starts programs with SIGPIPE ignored, which
/// turns the next write into an error and `println!` into a panic with a backtrace.
#[cfg(unix)]
fn die_quietly_on_a_closed_pipe() {
    // SAFETY: called first thing in main, before any thread exists; SIG_DFL is a valid
    // disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn die_quietly_on_a_closed_pipe() {}

fn main() -> ExitCode {
    die_quietly_on_a_closed_pipe();
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
        Command::Kernels => {
            kernel_args::list_kernels();
            Ok(ExitCode::SUCCESS)
        }
        Command::Explore(args) => explore_cmd::run(args),
        Command::Matrix(args) => matrix_cmd::run(args),
        Command::Replay(args) => trace_cmd::replay(args),
        Command::Convert(args) => trace_cmd::convert(args),
        Command::Diff(args) => trace_cmd::diff(args),
        Command::Explain(args) => trace_cmd::explain(args),
        Command::Export(args) => trace_cmd::export(args),
        Command::Challenge(args) => challenge_cmd::run(args),
        Command::Play(args) => play_cmd::run(args),
        Command::Figure(kind) => figure_cmd::figure(kind),
        Command::Figures { dir, traces } => figure_cmd::figures(&dir, &traces),
        Command::Golden { traces, replays } => daxlab::explore::write_goldens(&traces, &replays)
            .map(|stems| {
                for s in &stems {
                    println!("{}/{s}.daxtrace  →  {}/{s}.txt", traces.display(), replays.display());
                }
                ExitCode::SUCCESS
            })
            .map_err(|e| e.to_string()),
        Command::Stress(args) => stress_cmd::run(args),
        Command::Lab(cmd) => lab_cmd::run(cmd),
        Command::Import(cmd) => import_cmd::run(cmd),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("daxlab: {message}");
            ExitCode::from(2)
        }
    }
}
