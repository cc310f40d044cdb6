//! Stress results: where in a run of repeated iterations (xfstests generic/340's loop) the
//! first failure came, and how fast the threads faulted over time.
//!
//! The input is a small JSON document (docs/figures.md):
//!
//! ```json
//! { "format": "daxlab-stress", "version": 1, "title": "holetest, 2 threads, 4 MiB",
//!   "runs": [ { "variant": "unfixed", "iterations": 500, "first_failure": 7,
//!               "outcome": "bug(pte-under-huge-pmd)",
//!               "samples": [ { "t": 0.5, "faults_per_sec": 81234.0 } ] } ] }
//! ```
//!
//! - `iterations`: how many iterations the run was allowed (or ran);
//! - `first_failure`: the 1-based iteration that failed first, or `null` for none;
//! - `samples`: faults per second measured at `t` seconds after the run started.

use super::FigureError;
use super::scene::{Align, Rgba, Scene, TextSpec, fit};
use super::style;
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const STRESS_FORMAT: &str = "daxlab-stress";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StressSample {
    /// Seconds since the run started.
    pub t: f64,
    pub faults_per_sec: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StressRun {
    /// "unfixed", "fixed", or any label the runs are grouped by.
    pub variant: String,
    pub iterations: u32,
    /// The first iteration that failed (1-based), or None if every iteration passed.
    pub first_failure: Option<u32>,
    #[serde(default)]
    pub outcome: Option<String>,
    #[serde(default)]
    pub samples: Vec<StressSample>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StressResults {
    pub format: String,
    pub version: u32,
    #[serde(default)]
    pub title: Option<String>,
    pub runs: Vec<StressRun>,
}

impl StressResults {
    pub fn from_json(text: &str, origin: &str) -> Result<StressResults, FigureError> {
        let bad = |m: String| FigureError::Input(format!("{origin}: {m}"));
        let r: StressResults = serde_json::from_str(text).map_err(|e| bad(format!("not stress results: {e}")))?;
        if r.format != STRESS_FORMAT {
            return Err(bad(format!("\"format\" is \"{}\", expected \"{STRESS_FORMAT}\"", r.format)));
        }
        if r.version != 1 {
            return Err(bad(format!("version {} is not one this daxlab reads (1)", r.version)));
        }
        if r.runs.is_empty() {
            return Err(bad("\"runs\" is empty".into()));
        }
        for (i, run) in r.runs.iter().enumerate() {
            if run.first_failure.is_some_and(|f| f == 0 || f > run.iterations) {
                return Err(bad(format!(
                    "run {i}: first_failure must be between 1 and iterations ({})",
                    run.iterations
                )));
            }
            if run.samples.iter().any(|s| !s.t.is_finite() || !s.faults_per_sec.is_finite() || s.t < 0.0) {
                return Err(bad(format!("run {i}: a sample has a negative or non-finite value")));
            }
        }
        Ok(r)
    }

    pub fn load(path: &Path) -> Result<StressResults, FigureError> {
        let bytes = crate::input::read_capped(path, crate::input::MAX_RESULTS_BYTES)
            .map_err(|source| FigureError::Io { path: path.display().to_string(), source })?;
        let text = String::from_utf8_lossy(&bytes);
        StressResults::from_json(&text, &path.display().to_string())
    }

    /// Adds `run` to the results in `path` (creating the file), written atomically, so that
    /// repeated `daxlab stress --results FILE` runs build up a distribution.
    pub fn append(path: &Path, title: &str, run: StressRun) -> Result<(), FigureError> {
        let mut results = if path.exists() {
            StressResults::load(path)?
        } else {
            StressResults { format: STRESS_FORMAT.into(), version: 1, title: Some(title.into()), runs: Vec::new() }
        };
        results.runs.push(run);
        let json = serde_json::to_vec_pretty(&results).expect("stress results serialise");
        crate::trace::write_atomically(path, &json)
            .map_err(|source| FigureError::Io { path: path.display().to_string(), source })
    }

    fn groups(&self) -> Vec<String> {
        let mut g: Vec<String> = Vec::new();
        for r in &self.runs {
            if !g.contains(&r.variant) {
                g.push(r.variant.clone());
            }
        }
        g
    }
}

fn group_color(name: &str, i: usize) -> Rgba {
    match name {
        "unfixed" => style::EEXIST,
        "fixed" => style::RESTART,
        _ => style::thread(i),
    }
}

const MARGIN: i32 = 20;
const PANEL_W: i32 = 560;
const PANEL_H: i32 = 330;
const AXIS_L: i32 = 64;
const AXIS_B: i32 = 44;

/// Round tick steps (1, 2, 5 × 10^k) covering [0, max] in about `n` steps. Counted, not
/// accumulated, so that any finite `max` (up to f64::MAX) gives a handful of ticks.
fn ticks(max: f64, n: f64) -> Vec<f64> {
    let max = if max.is_finite() && max > 0.0 { max } else { 1.0 };
    let raw = max / n;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag);
    // max / step <= n, so at most n + 2 ticks; the cap guards against rounding at the edges.
    (0..=(n as usize + 2)).map(|k| k as f64 * step).take_while(|t| t.is_finite() && *t <= max + step * 0.5).collect()
}

/// `v` of `max` as a length of `len` pixels. The ratio is taken first (so that values near
/// f64::MAX do not overflow) and kept within twice the axis, so the cast cannot saturate.
fn scale(v: f64, max: f64, len: i32) -> i32 {
    ((v / max.max(1e-9)).clamp(0.0, 2.0) * f64::from(len)).round() as i32
}

fn fmt_tick(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.0}k", v / 1e3)
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

pub fn stress_figure(r: &StressResults) -> Result<Scene, FigureError> {
    let width = MARGIN * 3 + PANEL_W * 2;
    let mut s = Scene::new(width as u32, (MARGIN * 2 + 70 + PANEL_H + 30) as u32);
    let title = r.title.clone().unwrap_or_else(|| "stress runs".into());
    s.text(
        (MARGIN, MARGIN),
        fit(&title, width - 2 * MARGIN, &TextSpec::new(20.0, style::INK).bold()),
        &TextSpec::new(20.0, style::INK).bold(),
    );
    let groups = r.groups();
    let mut x = MARGIN;
    for (i, g) in groups.iter().enumerate() {
        let runs: Vec<&StressRun> = r.runs.iter().filter(|run| &run.variant == g).collect();
        let failed = runs.iter().filter(|run| run.first_failure.is_some()).count();
        let text = format!("{g}: {} run(s), {failed} failed", runs.len());
        let c = group_color(g, i);
        s.rect((x, MARGIN + 34), (x + 14, MARGIN + 46), c);
        let spec = TextSpec::new(12.5, style::INK);
        s.text((x + 20, MARGIN + 33), text.clone(), &spec);
        x += 40 + super::scene::text_width(&text, &spec);
    }
    let top = MARGIN + 70;
    histogram(&mut s, r, &groups, (MARGIN, top));
    rates(&mut s, r, &groups, (MARGIN * 2 + PANEL_W, top));
    Ok(s)
}

/// Where the x axis is labelled: round values from 0, or given (position, label) pairs.
enum XTicks {
    Values,
    Labels(Vec<(f64, String)>),
}

/// Axes of a panel; returns the plot rectangle (x0, y0, x1, y1).
fn axes(
    s: &mut Scene,
    at: (i32, i32),
    (title, xlabel): (&str, &str),
    (xmax, ymax): (f64, f64),
    xticks: XTicks,
) -> (i32, i32, i32, i32) {
    s.text((at.0, at.1), title, &TextSpec::new(14.0, style::INK).bold());
    let (x0, y0, x1, y1) = (at.0 + AXIS_L, at.1 + 28, at.0 + PANEL_W - 10, at.1 + PANEL_H - AXIS_B);
    let small = TextSpec::new(10.5, style::MUTED);
    for t in ticks(ymax, 5.0) {
        let y = y1 - scale(t, ymax, y1 - y0);
        if y < y0 - 2 {
            break;
        }
        s.line((x0, y), (x1, y), style::FAINT, 1);
        s.text((x0 - 6, y - 6), fmt_tick(t), &small.clone().align(Align::Right));
    }
    let marks = match xticks {
        XTicks::Values => ticks(xmax, 8.0).into_iter().map(|t| (t, fmt_tick(t))).collect(),
        XTicks::Labels(l) => l,
    };
    for (t, label) in marks {
        let x = x0 + scale(t, xmax, x1 - x0);
        if x > x1 + 2 {
            break;
        }
        s.line((x, y1), (x, y1 + 4), style::MUTED, 1);
        s.text((x, y1 + 7), label, &small.clone().align(Align::Center));
    }
    s.line((x0, y1), (x1, y1), style::MUTED, 1);
    s.line((x0, y0), (x0, y1), style::MUTED, 1);
    s.text(((x0 + x1) / 2, y1 + 24), xlabel, &TextSpec::new(11.5, style::MUTED).align(Align::Center));
    (x0, y0, x1, y1)
}

fn histogram(s: &mut Scene, r: &StressResults, groups: &[String], at: (i32, i32)) {
    let max_iter = r.runs.iter().map(|run| run.iterations).max().unwrap_or(1).max(1);
    let width = max_iter.div_ceil(max_iter.min(20));
    let bins = max_iter.div_ceil(width);
    // counts[group][bin], the last bin being "no failure".
    let mut counts = vec![vec![0u32; bins as usize + 1]; groups.len()];
    for run in &r.runs {
        let g = groups.iter().position(|g| *g == run.variant).unwrap_or(0);
        let b = run.first_failure.map_or(bins, |f| ((f - 1) / width).min(bins - 1));
        counts[g][b as usize] += 1;
    }
    let ymax = counts.iter().flat_map(|c| c.iter()).copied().max().unwrap_or(1).max(1);
    let titles = ("first failing iteration of each run", "first failing iteration (last column: no failure)");
    let (x0, _y0, x1, y1) =
        axes(s, at, titles, (f64::from(bins + 1), f64::from(ymax)), XTicks::Labels(bin_labels(bins, width)));
    let slot = (x1 - x0) as f64 / f64::from(bins + 1);
    let bar = ((slot - 4.0) / groups.len() as f64).max(1.0);
    for (g, c) in counts.iter().enumerate() {
        for (b, n) in c.iter().enumerate().filter(|(_, n)| **n > 0) {
            let bx = x0 + (slot * b as f64 + 2.0 + bar * g as f64) as i32;
            let h = scale(f64::from(*n), f64::from(ymax), y1 - at.1 - 28);
            let color = group_color(&groups[g], g);
            s.rect((bx, y1 - h), (bx + bar as i32, y1), if b as u32 == bins { color.alpha(0x60) } else { color });
        }
    }
    let spec = TextSpec::new(10.0, style::MUTED).align(Align::Center);
    let label = format!("bins of {width} iteration{}", if width == 1 { "" } else { "s" });
    s.text(((x0 + x1) / 2, at.1 + 4), label, &spec);
}

/// One label under the middle of each column: the iterations its bin counts (bin b holds
/// iterations b·width+1 ..= (b+1)·width), then "none". Columns are labelled sparsely enough
/// that ranges do not collide.
fn bin_labels(bins: u32, width: u32) -> Vec<(f64, String)> {
    let every = if width == 1 { if bins > 10 { 2 } else { 1 } } else { 4 };
    let mut out: Vec<(f64, String)> = (0..bins)
        .filter(|b| b % every == 0)
        .map(|b| {
            let (first, last) = (b * width + 1, (b + 1) * width);
            let label = if width == 1 { first.to_string() } else { format!("{first}–{last}") };
            (f64::from(b) + 0.5, label)
        })
        .collect();
    out.push((f64::from(bins) + 0.5, "none".into()));
    out
}

fn rates(s: &mut Scene, r: &StressResults, groups: &[String], at: (i32, i32)) {
    let samples = r.runs.iter().flat_map(|run| run.samples.iter());
    let tmax = samples.clone().map(|p| p.t).fold(0.0, f64::max).max(1e-3);
    let ymax = samples.map(|p| p.faults_per_sec).fold(0.0, f64::max).max(1.0);
    let titles = ("faults per second over time", "seconds since the run started");
    let (x0, y0, x1, y1) = axes(s, at, titles, (tmax, ymax), XTicks::Values);
    for run in &r.runs {
        let g = groups.iter().position(|g| *g == run.variant).unwrap_or(0);
        let color = group_color(&groups[g], g).alpha(0xb0);
        let pts: Vec<(i32, i32)> = run
            .samples
            .iter()
            .map(|p| {
                let x = x0 + scale(p.t, tmax, x1 - x0);
                let y = y1 - scale(p.faults_per_sec, ymax, y1 - y0);
                (x, y)
            })
            .collect();
        if pts.len() > 1 {
            s.shapes.push(super::scene::Shape::Line { points: pts.clone(), color, width: 2 });
        }
        if let (Some(last), Some(_)) = (pts.last(), run.first_failure) {
            s.circle(*last, 4, Some(style::BUG), None);
        }
    }
}
