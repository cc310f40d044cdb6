//! The matrix: every scenario explored exhaustively on every kernel. A race belongs to a
//! range of kernels — it appears with the code that has it and disappears with its fix —
//! and the matrix shows that range for each scenario, with the fewest preemptions each
//! failure class needs. Each scenario is explored at its own `[expect]` bound (2 if it
//! states none), and each cell is checked against what its `[expect]` says for that kernel.
//!
//! [`MatrixRun`] computes it one exploration at a time, so a caller can show progress,
//! stop it, or (in a browser, which has no threads) run it between frames.

use super::{ExploreConfig, ExploreReport, Witness, explore};
use crate::check::Note;
use crate::release::{Era, FixSet, Kernel};
use crate::scenario::Scenario;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use web_time::Instant;

/// One failure class a cell shows, with its minimal witness's cost.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CellClass {
    pub class: String,
    /// The fewest preemptions an interleaving reaching it needs.
    pub preemptions: u32,
    /// The steps of that minimal witness.
    pub steps: u32,
    /// That minimal witness, to replay it (the workbench opens it as a trace).
    #[serde(skip)]
    pub witness: Witness,
}

/// One scenario on one kernel.
#[derive(Clone, Debug, Serialize)]
pub struct Cell {
    /// The kernel, as `--kernel` accepts it (`v4.12`, `v4.12 without 13e451fdc1af`).
    pub kernel: String,
    /// The failure classes found, by fewest preemptions, then name.
    pub failures: Vec<CellClass>,
    pub executions: u64,
    /// What the scenario's `[expect]` says this kernel must show, if it says.
    pub expected: Option<BTreeSet<String>>,
}

impl CellClass {
    /// `bug(pte-under-huge-pmd) (2 preemptions)`: how the matrix names a class in a cell.
    pub fn label(&self) -> String {
        let s = if self.preemptions == 1 { "" } else { "s" };
        format!("{} ({} preemption{s})", self.class, self.preemptions)
    }
}

impl Cell {
    /// What the matrix says about a cell: its classes with their fewest preemptions, or
    /// `no failure`. The CLI prints it and the workbench shows it.
    pub fn summary(&self) -> String {
        if self.failures.is_empty() {
            return "no failure".into();
        }
        self.failures.iter().map(CellClass::label).collect::<Vec<_>>().join(", ")
    }

    pub fn classes(&self) -> BTreeSet<String> {
        self.failures.iter().map(|c| c.class.clone()).collect()
    }

    /// `Some(true)` if the cell shows exactly what `[expect]` says, `Some(false)` if not,
    /// `None` if `[expect]` says nothing about this kernel.
    pub fn matches(&self) -> Option<bool> {
        self.expected.as_ref().map(|e| *e == self.classes())
    }
}

/// One scenario across the kernels.
#[derive(Clone, Debug, Serialize)]
pub struct MatrixRow {
    pub scenario: String,
    pub description: String,
    /// The preemption bound it was explored at.
    pub bound: u32,
    /// One per kernel, in the matrix's kernel order.
    pub cells: Vec<Cell>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Matrix {
    /// The columns, as `--kernel` accepts them.
    pub kernels: Vec<String>,
    pub rows: Vec<MatrixRow>,
    #[serde(serialize_with = "super::secs")]
    pub elapsed: Duration,
    /// Explorations run: cells whose kernels run the same code share one.
    pub explorations: usize,
}

impl Matrix {
    /// Every cell that differs from what its scenario's `[expect]` says, as
    /// (scenario, kernel, expected, found).
    pub fn mismatches(&self) -> Vec<(String, String, BTreeSet<String>, BTreeSet<String>)> {
        let mut out = Vec::new();
        for row in &self.rows {
            for cell in &row.cells {
                if cell.matches() == Some(false) {
                    let want = cell.expected.clone().unwrap_or_default();
                    out.push((row.scenario.clone(), cell.kernel.clone(), want, cell.classes()));
                }
            }
        }
        out
    }
}

/// What a cell depends on: two kernels of the same era with the same fixes run the same
/// code, whatever their release is called.
type ModelKey = (Era, FixSet);

/// Explores every scenario on every kernel. `progress` is told each (scenario, kernel)
/// as its exploration starts.
pub fn matrix(scenarios: &[Scenario], kernels: &[Kernel], progress: &mut dyn FnMut(&str, Kernel)) -> Matrix {
    let mut run = MatrixRun::new(scenarios.to_vec(), kernels.to_vec());
    while let Some((sc, k)) = run.next() {
        progress(sc, k);
        run.step();
    }
    run.finish()
}

/// A matrix being computed, one exploration per [`step`](MatrixRun::step).
pub struct MatrixRun {
    scenarios: Vec<Scenario>,
    kernels: Vec<Kernel>,
    cancel: Option<Arc<AtomicBool>>,
    started: Instant,
    rows: Vec<MatrixRow>,
    /// The current row's explorations so far, by the code they ran.
    done: BTreeMap<ModelKey, ExploreReport>,
    cells: Vec<Cell>,
    explorations: usize,
    total: usize,
}

impl MatrixRun {
    pub fn new(scenarios: Vec<Scenario>, kernels: Vec<Kernel>) -> MatrixRun {
        let models: BTreeSet<ModelKey> = kernels.iter().map(|k| (k.release.era(), k.fixes)).collect();
        let total = scenarios.len() * models.len();
        let mut run = MatrixRun {
            scenarios,
            kernels,
            cancel: None,
            started: Instant::now(),
            rows: Vec::new(),
            done: BTreeMap::new(),
            cells: Vec::new(),
            explorations: 0,
            total,
        };
        // With no kernels every row is complete (and empty) at once.
        run.fill_rows();
        run
    }

    /// Lets another thread stop the exploration under way: the step then records nothing
    /// and the run is over.
    pub fn with_cancel(mut self, cancel: Arc<AtomicBool>) -> MatrixRun {
        self.cancel = Some(cancel);
        self
    }

    /// The scenario and kernel the next [`step`](MatrixRun::step) explores; `None` when the
    /// matrix is complete (or was cancelled).
    pub fn next(&self) -> Option<(&str, Kernel)> {
        if self.cancelled() {
            return None;
        }
        let sc = self.scenarios.get(self.rows.len())?;
        let k = self.kernels.iter().skip(self.cells.len()).copied().find(|k| !self.done.contains_key(&key(*k)))?;
        Some((&sc.name, k))
    }

    /// Runs the next exploration and fills every cell of its row that shares it (and a row
    /// that is then complete). Returns false when nothing was left to do.
    pub fn step(&mut self) -> bool {
        if self.next().is_none() {
            return false;
        }
        let sc = &self.scenarios[self.rows.len()];
        let bound = sc.expect.as_ref().map_or(2, |e| e.preemptions);
        let k = self.kernels[self.cells.len()];
        let cfg = ExploreConfig { cancel: self.cancel.clone(), ..ExploreConfig::exhaustive(k, bound) };
        let report = explore(sc, &cfg, &mut |_| {});
        if self.cancelled() {
            return false;
        }
        self.explorations += 1;
        self.done.insert(key(k), report);
        self.fill_rows();
        true
    }

    /// Adds the cells whose exploration has run, and each row that is then complete.
    fn fill_rows(&mut self) {
        while let Some(sc) = self.scenarios.get(self.rows.len()) {
            while let Some(&k) = self.kernels.get(self.cells.len()) {
                let Some(report) = self.done.get(&key(k)) else { return };
                self.cells.push(cell(sc, k, report));
            }
            let bound = sc.expect.as_ref().map_or(2, |e| e.preemptions);
            let cells = std::mem::take(&mut self.cells);
            self.rows.push(MatrixRow { scenario: sc.name.clone(), description: sc.description.clone(), bound, cells });
            self.done.clear();
        }
    }

    /// (explorations run, explorations the whole matrix needs).
    pub fn progress(&self) -> (usize, usize) {
        (self.explorations, self.total)
    }

    pub fn cancelled(&self) -> bool {
        self.cancel.as_ref().is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// The rows complete so far.
    pub fn rows(&self) -> &[MatrixRow] {
        &self.rows
    }

    /// The matrix: every row when [`next`](MatrixRun::next) has nothing left, else the
    /// rows complete so far.
    pub fn finish(self) -> Matrix {
        Matrix {
            kernels: self.kernels.iter().map(Kernel::to_string).collect(),
            rows: self.rows,
            elapsed: self.started.elapsed(),
            explorations: self.explorations,
        }
    }
}

fn key(k: Kernel) -> ModelKey {
    (k.release.era(), k.fixes)
}

fn cell(sc: &Scenario, k: Kernel, report: &ExploreReport) -> Cell {
    let mut failures: Vec<CellClass> = report
        .failures()
        .map(|row| CellClass {
            class: row.class.clone(),
            preemptions: row.witness.preemptions,
            steps: row.witness.steps,
            witness: row.witness.clone(),
        })
        .collect();
    failures.extend(regressions(report));
    failures.sort_by(|a, b| (a.preemptions, &a.class).cmp(&(b.preemptions, &b.class)));
    Cell {
        kernel: k.to_string(),
        failures,
        executions: report.executions,
        expected: sc.expect.as_ref().and_then(|e| e.for_kernel(k)).cloned(),
    }
}

/// The benign outcomes that carry a regression note ([`Note::REGRESSIONS`]), one class
/// `ok [note]` per note, with its first witness.
fn regressions(report: &ExploreReport) -> Vec<CellClass> {
    let mut found: BTreeMap<String, CellClass> = BTreeMap::new();
    for note in Note::REGRESSIONS {
        let name = note.to_string();
        let rows = report.rows.iter().filter(|r| !r.failure && r.notes.contains(&name));
        for row in rows {
            let class = format!("{} [{name}]", row.class);
            let c = CellClass {
                class: class.clone(),
                preemptions: row.witness.preemptions,
                steps: row.witness.steps,
                witness: row.witness.clone(),
            };
            let keep = found.get(&class).is_none_or(|old| (c.preemptions, c.steps) < (old.preemptions, old.steps));
            if keep {
                found.insert(class, c);
            }
        }
    }
    found.into_values().collect()
}
