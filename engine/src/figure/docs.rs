//! The figures of docs/ (the lesson), each made from a checked-in trace in traces/ (as
//! replayed) or from input data kept beside the figures (stress results in docs/figures/).
//! `daxlab figures docs/figures` regenerates them all; a test regenerates them into a
//! temporary folder and fails when a committed SVG or PNG differs.

use super::explore::{ExploreFigure, explore_figure};
use super::{FigureError, Format, Scene, StateAt, StepRange, StressResults, sequence, state, stress_figure};
use crate::explore::GOLDEN_KERNELS;
use crate::trace::{Trace, verify};
use std::path::{Path, PathBuf};

/// What a figure is drawn from: a trace file in traces/ and what to show of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FigureSource {
    /// `daxlab figure sequence traces/TRACE --from F --to T`.
    Sequence { trace: &'static str, from: Option<u32>, to: Option<u32> },
    /// `daxlab figure state traces/TRACE --step N`.
    State { trace: &'static str, step: u32 },
    /// `daxlab figure explore traces/TRACE --preemptions N`: the trace's scenario explored.
    Explore { trace: &'static str, preemptions: u32 },
    /// `daxlab figure stress docs/figures/RESULTS`: results that `daxlab stress --results`
    /// wrote, kept beside the figures (traces/ holds only traces).
    Stress { results: &'static str },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocFigure {
    /// File stem under docs/figures/ (written as .svg and .png).
    pub name: &'static str,
    pub source: FigureSource,
}

const SEED: &str = "seed-race.unfixed.bug-pte-under-huge-pmd.daxtrace";
const SEED_FIXED: &str = "seed-race.fixed.same-interleaving.daxtrace";

const fn seq(name: &'static str, trace: &'static str, from: Option<u32>, to: Option<u32>) -> DocFigure {
    DocFigure { name, source: FigureSource::Sequence { trace, from, to } }
}

const fn at(name: &'static str, trace: &'static str, step: u32) -> DocFigure {
    DocFigure { name, source: FigureSource::State { trace, step } }
}

/// Every figure of docs/, in the order the lesson shows them.
pub const DOC_FIGURES: &[DocFigure] = &[
    seq("seed-race-unfixed", SEED, None, None),
    seq("seed-dance", SEED, Some(1), Some(8)),
    at("seed-state-step-7", SEED, 7),
    seq("seed-commit", SEED, Some(1), Some(27)),
    at("seed-state-step-24", SEED, 24),
    seq("seed-bug", SEED, Some(29), Some(53)),
    at("seed-state-step-53", SEED, 53),
    seq("seed-fixed", SEED_FIXED, Some(14), Some(53)),
    at("seed-fixed-state-step-26", SEED_FIXED, 26),
    DocFigure { name: "seed-explore", source: FigureSource::Explore { trace: SEED, preemptions: 3 } },
    seq("pte-vs-pmd-fixed", "pte-vs-pmd.fixed.bug-pte-under-huge-pmd.daxtrace", None, None),
    seq("drop-caches-livelock", "drop-caches-mapped-entry.unfixed.livelock.daxtrace", Some(98), Some(148)),
    DocFigure { name: "generic340-stress", source: FigureSource::Stress { results: "generic340-stress.json" } },
];

impl DocFigure {
    /// The file the figure is made from: a trace in traces/, or data in docs/figures/.
    pub fn input(&self) -> String {
        match self.source {
            FigureSource::Sequence { trace, .. }
            | FigureSource::State { trace, .. }
            | FigureSource::Explore { trace, .. } => format!("traces/{trace}"),
            FigureSource::Stress { results } => format!("docs/figures/{results}"),
        }
    }

    /// The command that draws it by hand (from the repository root).
    pub fn command(&self) -> String {
        let t = self.input();
        let out = format!("docs/figures/{}.svg", self.name);
        match &self.source {
            FigureSource::Sequence { from, to, .. } => {
                let f = from.map_or(String::new(), |f| format!(" --from {f}"));
                let t2 = to.map_or(String::new(), |t| format!(" --to {t}"));
                format!("daxlab figure sequence {t}{f}{t2} -o {out}")
            }
            FigureSource::State { step, .. } => format!("daxlab figure state {t} --step {step} -o {out}"),
            FigureSource::Explore { preemptions, .. } => {
                format!("daxlab figure explore {t} --preemptions {preemptions} -o {out}")
            }
            FigureSource::Stress { .. } => format!("daxlab figure stress {t} -o {out}"),
        }
    }
}

/// Where the figures of docs/ are drawn from.
#[derive(Clone, Copy, Debug)]
pub struct DocInputs<'a> {
    /// The checked-in traces (traces/).
    pub traces: &'a Path,
    /// The figures' input data (docs/figures/).
    pub data: &'a Path,
}

/// A checked-in trace as replayed; one that does not replay draws nothing.
fn replayed(path: &Path) -> Result<Trace, FigureError> {
    let file = Trace::load(path).map_err(|e| FigureError::Input(e.to_string()))?;
    let sc = file.scenario().map_err(|e| FigureError::Input(e.to_string()))?;
    let v = verify(&file, &sc);
    match v.banner(&sc.thread_names()) {
        Some(b) => Err(FigureError::Input(format!("{}: {b}", path.display()))),
        None => Ok(v.trace),
    }
}

/// Draws one figure of docs/.
pub fn render_doc_figure(f: &DocFigure, from: DocInputs) -> Result<Scene, FigureError> {
    let trace = |t: &str| replayed(&from.traces.join(t));
    match f.source {
        FigureSource::Sequence { trace: t, from: a, to: b } => sequence(&trace(t)?, StepRange { from: a, to: b }),
        FigureSource::State { trace: t, step } => state(&trace(t)?, StateAt::Step(step)),
        FigureSource::Explore { trace: t, preemptions } => {
            let sc = trace(t)?.scenario().map_err(|e| FigureError::Input(e.to_string()))?;
            explore_figure(&ExploreFigure::run(&sc, &GOLDEN_KERNELS, preemptions))
        }
        FigureSource::Stress { results } => stress_figure(&StressResults::load(&from.data.join(results))?),
    }
}

/// Writes every figure of docs/ into `out` in each of `formats`; returns the files written.
pub fn write_doc_figures(from: DocInputs, out: &Path, formats: &[Format]) -> Result<Vec<PathBuf>, FigureError> {
    std::fs::create_dir_all(out).map_err(|source| FigureError::Io { path: out.display().to_string(), source })?;
    let mut written = Vec::new();
    for f in DOC_FIGURES {
        let scene = render_doc_figure(f, from)?;
        for format in formats {
            let ext = match format {
                Format::Svg => "svg",
                Format::Png => "png",
            };
            let path = out.join(format!("{}.{ext}", f.name));
            scene.save(&path)?;
            written.push(path);
        }
    }
    Ok(written)
}
