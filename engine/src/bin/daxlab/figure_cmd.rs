//! `daxlab figure …` (one figure) and `daxlab figures DIR` (every figure of docs/).

use super::kernel_args::{KernelArgs, SEED_KERNELS};
use super::matrix_cmd::Cells;
use super::warn_args::WarnArgs;
use daxlab::figure::{
    self, ExploreFigure, Format, StateAt, StepRange, StressResults, explore_figure, matrix_figure, stress_figure,
};
use daxlab::{Scenario, trace::Trace};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum FigureKind {
    /// A sequence diagram: one column per thread, time downwards, narrated.
    Sequence {
        /// A trace file (.daxtrace or .json).
        trace: PathBuf,
        /// First step shown (default: the whole trace, or a window around the first
        /// failure of a long one).
        #[arg(long)]
        from: Option<u32>,
        /// Last step shown.
        #[arg(long)]
        to: Option<u32>,
        /// Output file: .svg or .png.
        #[arg(long, short)]
        output: PathBuf,
    },
    /// The radix tree, locks, threads and page tables at one step.
    State {
        trace: PathBuf,
        /// As the workbench's "go to step N": right after the first event of step N.
        #[arg(long, conflicts_with = "event", required_unless_present = "event")]
        step: Option<u32>,
        /// After the first P events (the workbench's "event P of M").
        #[arg(long)]
        event: Option<usize>,
        #[arg(long, short)]
        output: PathBuf,
    },
    /// Outcome classes per kernel and per preemption bound (runs the exploration).
    Explore {
        /// A built-in scenario, a scenario .toml, or a trace (its embedded scenario).
        scenario: String,
        /// Explore every interleaving with at most this many preemptions (at most 16).
        #[arg(long, default_value_t = 2, value_parser = super::explore_cmd::preemption_bound)]
        preemptions: u32,
        /// The kernel (default: the seed race's two, v4.11-rc5 and v4.11).
        #[command(flatten)]
        kernel: KernelArgs,
        #[command(flatten)]
        warn: WarnArgs,
        #[arg(long, short)]
        output: PathBuf,
    },
    /// Scenarios × kernels: the failure classes each kernel shows (runs `daxlab matrix`).
    Matrix {
        #[command(flatten)]
        cells: Cells,
        #[arg(long, short)]
        output: PathBuf,
    },
    /// Stress results (JSON, see docs/figures.md): first failing iteration, faults/s.
    Stress {
        results: PathBuf,
        #[arg(long, short)]
        output: PathBuf,
    },
}

pub fn figure(kind: FigureKind) -> Result<ExitCode, String> {
    let err = |e: figure::FigureError| e.to_string();
    let mut banner = None;
    let (scene, output) = match kind {
        FigureKind::Sequence { trace, from, to, output } => {
            Format::of(&output).map_err(err)?;
            let t = load(&trace, &mut banner)?;
            (figure::sequence(&t, StepRange { from, to }).map_err(err)?, output)
        }
        FigureKind::State { trace, step, event, output } => {
            Format::of(&output).map_err(err)?;
            let at = match (step, event) {
                (_, Some(p)) => StateAt::Event(p),
                (Some(s), None) => StateAt::Step(s),
                (None, None) => return Err("say where: --step N or --event P".into()),
            };
            (figure::state(&load(&trace, &mut banner)?, at).map_err(err)?, output)
        }
        FigureKind::Explore { scenario, preemptions, kernel, warn, output } => {
            Format::of(&output).map_err(err)?;
            let sc = warn.apply(scenario_of(&scenario)?)?;
            let kernels = kernel.kernels(&SEED_KERNELS)?;
            (explore_figure(&ExploreFigure::run(&sc, &kernels, preemptions)).map_err(err)?, output)
        }
        FigureKind::Matrix { cells, output } => {
            Format::of(&output).map_err(err)?;
            (matrix_figure(&cells.compute()?).map_err(err)?, output)
        }
        FigureKind::Stress { results, output } => {
            Format::of(&output).map_err(err)?;
            (stress_figure(&StressResults::load(&results).map_err(err)?).map_err(err)?, output)
        }
    };
    let scene = match &banner {
        Some(b) => scene.with_banner(b),
        None => scene,
    };
    scene.save(&output).map_err(err)?;
    eprintln!("wrote {}", output.display());
    Ok(if banner.is_some() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// The trace replayed (figures draw the replay); `banner` is set if the file disagrees.
fn load(path: &Path, banner: &mut Option<String>) -> Result<Trace, String> {
    let (v, sc) = super::trace_cmd::load_verified(path, true)?;
    *banner = v.banner(&sc.thread_names());
    Ok(v.trace)
}

/// A built-in name, a .toml file, or a trace whose embedded scenario is meant.
fn scenario_of(arg: &str) -> Result<Scenario, String> {
    let p = Path::new(arg);
    let is_trace = p.exists() && !arg.ends_with(".toml");
    if is_trace {
        let t = Trace::load(p).map_err(|e| e.to_string())?;
        return t.scenario().map_err(|e| format!("{arg}: {e}"));
    }
    Scenario::load(arg).map_err(|e| e.to_string())
}

pub fn figures(dir: &Path, traces: &Path) -> Result<ExitCode, String> {
    let from = figure::DocInputs { traces, data: dir };
    let written = figure::write_doc_figures(from, dir, &[Format::Svg, Format::Png]).map_err(|e| e.to_string())?;
    for p in &written {
        println!("{}", p.display());
    }
    Ok(ExitCode::SUCCESS)
}
