//! Figures made from traces, for the lesson, for reports and for anyone's own traces:
//!
//! - [`sequence`]: a swimlane sequence diagram of a trace or a step range of it;
//! - [`state`]: the radix tree, locks, waiters and page tables at one step;
//! - [`explore_figure`]: outcome classes per kernel and per preemption bound;
//! - [`matrix_figure`]: scenarios × kernels, the failure classes each kernel shows;
//! - [`stress_figure`]: the first failing iteration of stress runs, and faults per second.
//!
//! Every figure is laid out as a [`Scene`] and written as SVG or PNG (by the output's
//! extension) with plotters, using fonts embedded in the binary. Drawing reads the trace
//! and the `analysis` module; it never decides what the kernel does.

mod docs;
mod explore;
mod matrix;
mod scene;
mod sequence;
mod sequence_paint;
mod state;
mod stress;
mod style;

pub use docs::{DOC_FIGURES, DocFigure, DocInputs, FigureSource, render_doc_figure, write_doc_figures};
pub use explore::{ExploreFigure, explore_figure};
pub use matrix::matrix_figure;
pub use scene::{Scene, Shape};
pub use sequence::sequence;
pub use state::{StateAt, state};
pub use stress::{STRESS_FORMAT, StressResults, StressRun, StressSample, stress_figure};

use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum FigureError {
    /// The input does not allow the figure (a step out of range, a bad results file).
    #[error("{0}")]
    Input(String),
    #[error("{path}: unknown figure format `{ext}`: name the output .svg or .png")]
    Format { path: String, ext: String },
    #[error("drawing failed: {0}")]
    Draw(String),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
}

/// A step range of a trace; `None` ends are open.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct StepRange {
    pub from: Option<u32>,
    pub to: Option<u32>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Format {
    Svg,
    Png,
}

impl Format {
    /// The format a path's extension asks for.
    pub fn of(path: &Path) -> Result<Format, FigureError> {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        match ext.as_str() {
            "svg" => Ok(Format::Svg),
            "png" => Ok(Format::Png),
            _ => Err(FigureError::Format { path: path.display().to_string(), ext }),
        }
    }
}

impl Scene {
    /// The scene encoded in `format`.
    pub fn encode(&self, format: Format) -> Result<Vec<u8>, FigureError> {
        match format {
            Format::Svg => self.to_svg().map(String::into_bytes),
            Format::Png => self.to_png(),
        }
    }

    /// Writes the scene to `path` (SVG or PNG by its extension) without ever leaving a
    /// half-written file.
    pub fn save(&self, path: &Path) -> Result<(), FigureError> {
        let bytes = self.encode(Format::of(path)?)?;
        crate::trace::write_atomically(path, &bytes)
            .map_err(|source| FigureError::Io { path: path.display().to_string(), source })
    }
}
