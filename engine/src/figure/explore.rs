//! Exploration results: for each kernel, every outcome class the exhaustive search
//! found and how many executions reach it within 0, 1, 2, ... preemptions.

use super::FigureError;
use super::scene::{Align, Rgba, Scene, TextSpec, fit};
use super::style;
use crate::explore::{ExploreConfig, ExploreReport, OutcomeRow, explore};
use crate::release::Kernel;
use crate::scenario::{MAX_PREEMPTIONS, Scenario};

const MARGIN: i32 = 20;
const LABEL_W: i32 = 400;
const COL_W: i32 = 120;
const WITNESS_W: i32 = 170;
const ROW_H: i32 = 26;

/// What the exploration figure shows: one exhaustive report per kernel.
pub struct ExploreFigure {
    pub scenario: String,
    pub description: String,
    pub reports: Vec<ExploreReport>,
}

impl ExploreFigure {
    /// Explores `sc` exhaustively on each of `kernels` with at most `bound` preemptions.
    pub fn run(sc: &Scenario, kernels: &[Kernel], bound: u32) -> ExploreFigure {
        let reports = kernels.iter().map(|&k| explore(sc, &ExploreConfig::exhaustive(k, bound), &mut |_| {})).collect();
        ExploreFigure { scenario: sc.name.clone(), description: sc.description.clone(), reports }
    }
}

fn bound_of(r: &ExploreReport) -> u32 {
    r.bound.unwrap_or(0)
}

/// Executions of `row` with at most `b` preemptions.
fn within(row: &OutcomeRow, b: u32) -> u64 {
    row.by_preemptions.iter().take(b as usize + 1).sum()
}

pub fn explore_figure(f: &ExploreFigure) -> Result<Scene, FigureError> {
    if f.reports.is_empty() {
        return Err(FigureError::Input("no exploration report to draw".into()));
    }
    if let Some(b) = f.reports.iter().map(bound_of).find(|b| *b > MAX_PREEMPTIONS) {
        return Err(FigureError::Input(format!(
            "a preemption bound of {b} makes a column per bound; the figure draws up to {MAX_PREEMPTIONS}"
        )));
    }
    if let Some(r) = f.reports.iter().find(|r| r.bound.is_none()) {
        return Err(FigureError::Input(format!(
            "the {} report comes from random exploration; the figure needs exhaustive ones (a preemption bound)",
            r.kernel.describe()
        )));
    }
    let widest = f.reports.iter().map(bound_of).max().unwrap_or(0) as i32 + 1;
    let width = MARGIN * 2 + LABEL_W + widest * COL_W + WITNESS_W;
    let mut s = Scene::new(width as u32, 100);
    s.text(
        (MARGIN, MARGIN),
        format!("{} — exhaustive exploration", f.scenario),
        &TextSpec::new(20.0, style::INK).bold(),
    );
    let spec = TextSpec::new(12.5, style::MUTED);
    s.text((MARGIN, MARGIN + 28), fit(&f.description, width - 2 * MARGIN, &spec), &spec);
    let mut y = MARGIN + 60;
    for r in &f.reports {
        y = panel(&mut s, r, y) + 18;
    }
    let note = "A column counts the executions with at most that many preemptions (a switch away from a thread that could go on); each outcome's witness is one with the fewest.";
    let spec = TextSpec::new(11.0, style::MUTED);
    s.text((MARGIN, y), fit(note, width - 2 * MARGIN, &spec), &spec);
    s.height = (y + 16 + MARGIN) as u32;
    Ok(s)
}

fn verdict(r: &ExploreReport) -> (String, Rgba) {
    let b = bound_of(r);
    let failing: Vec<&OutcomeRow> = r.failures().collect();
    if failing.is_empty() {
        return (format!("no failure within {b} preemption{}", if b == 1 { "" } else { "s" }), style::RESTART);
    }
    let first = failing.iter().map(|row| row.witness.preemptions).min().unwrap_or(0);
    let classes: Vec<String> = r.failure_classes().into_iter().collect();
    (
        format!("fails: {} — first with {first} preemption{}", classes.join(", "), if first == 1 { "" } else { "s" }),
        style::BUG,
    )
}

fn panel(s: &mut Scene, r: &ExploreReport, y: i32) -> i32 {
    let b = bound_of(r);
    let (line, color) = verdict(r);
    let head = format!("{}: {} executions", r.kernel.describe(), r.executions);
    s.text((MARGIN, y), head, &TextSpec::new(15.0, style::INK).bold());
    s.text((MARGIN, y + 21), line, &TextSpec::new(13.5, color).bold());
    let mut y = y + 46;
    let th = TextSpec::new(11.5, style::MUTED).align(Align::Right);
    s.text((MARGIN, y), "outcome class [notes on the path taken]", &TextSpec::new(11.5, style::MUTED));
    for k in 0..=b {
        let x = MARGIN + LABEL_W + (k as i32 + 1) * COL_W - 8;
        s.text((x, y), format!("≤ {k} preemption{}", if k == 1 { "" } else { "s" }), &th);
    }
    let wx = MARGIN + LABEL_W + (b as i32 + 1) * COL_W + 10;
    s.text((wx, y), "minimal witness", &TextSpec::new(11.5, style::MUTED));
    y += 18;
    let totals: Vec<u64> = (0..=b).map(|k| r.rows.iter().map(|row| within(row, k)).sum()).collect();
    for (i, row) in r.rows.iter().enumerate() {
        outcome_row(s, row, &totals, (y, i % 2 == 1), wx);
        y += ROW_H;
    }
    let total_line: Vec<String> = totals.iter().map(|t| t.to_string()).collect();
    let spec = TextSpec::new(11.0, style::MUTED);
    s.text((MARGIN, y + 4), format!("executions within each bound: {}", total_line.join(" · ")), &spec);
    y + 20
}

fn outcome_row(s: &mut Scene, row: &OutcomeRow, totals: &[u64], (y, odd): (i32, bool), wx: i32) {
    let right = wx + WITNESS_W - 10;
    if odd {
        s.rect((MARGIN, y), (right, y + ROW_H), style::ZEBRA);
    }
    let color = if row.failure {
        style::BUG
    } else if row.notes.is_empty() {
        style::INK
    } else {
        style::MUTED
    };
    let mut spec = TextSpec::new(12.0, color).mono();
    spec.bold = row.failure;
    s.text((MARGIN + 4, y + 6), fit(&row.label, LABEL_W - 12, &spec), &spec);
    let bar = if row.failure { style::BUG.alpha(0x50) } else { style::RESTART.alpha(0x38) };
    for (k, total) in totals.iter().enumerate() {
        let n = within(row, k as u32);
        let x0 = MARGIN + LABEL_W + k as i32 * COL_W + 6;
        let w = if *total == 0 { 0 } else { ((COL_W - 62) as f64 * n as f64 / *total as f64).ceil() as i32 };
        if n > 0 {
            s.rect((x0, y + 4), (x0 + w.max(2), y + ROW_H - 4), bar);
        }
        let text = if n == 0 { "—".to_string() } else { n.to_string() };
        let spec = TextSpec::new(11.5, if n == 0 { style::MUTED } else { style::INK }).mono().align(Align::Right);
        s.text((x0 + COL_W - 14, y + 7), text, &spec);
    }
    let w = format!("{} pre., {} steps", row.witness.preemptions, row.witness.steps);
    s.text((wx, y + 7), w, &TextSpec::new(11.5, style::INK));
}
