//! The matrix: every scenario explored exhaustively on every kernel. A race belongs to a
//! range of kernels — it appears with the code that has it and disappears with its fix —
//! and the matrix shows that range for each scenario, with the fewest preemptions each
//! failure class needs. Each scenario is explored at its own `[expect]` bound (2 if it
//! states none), and each cell is checked against what its `[expect]` says for that kernel.

use super::{ExploreConfig, ExploreReport, explore};
use crate::release::{Era, FixSet, Kernel};
use crate::scenario::Scenario;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
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

impl Cell {
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
    let started = Instant::now();
    let mut explorations = 0;
    let rows = scenarios
        .iter()
        .map(|sc| {
            let bound = sc.expect.as_ref().map_or(2, |e| e.preemptions);
            let mut done: BTreeMap<ModelKey, ExploreReport> = BTreeMap::new();
            let cells = kernels
                .iter()
                .map(|&k| {
                    let key = (k.release.era(), k.fixes);
                    let report = done.entry(key).or_insert_with(|| {
                        progress(&sc.name, k);
                        explorations += 1;
                        explore(sc, &ExploreConfig::exhaustive(k, bound), &mut |_| {})
                    });
                    cell(sc, k, report)
                })
                .collect();
            MatrixRow { scenario: sc.name.clone(), description: sc.description.clone(), bound, cells }
        })
        .collect();
    Matrix { kernels: kernels.iter().map(Kernel::to_string).collect(), rows, elapsed: started.elapsed(), explorations }
}

fn cell(sc: &Scenario, k: Kernel, report: &ExploreReport) -> Cell {
    let mut failures: Vec<CellClass> = report
        .failures()
        .map(|row| CellClass {
            class: row.class.clone(),
            preemptions: row.witness.preemptions,
            steps: row.witness.steps,
        })
        .collect();
    failures.sort_by(|a, b| (a.preemptions, &a.class).cmp(&(b.preemptions, &b.class)));
    Cell {
        kernel: k.to_string(),
        failures,
        executions: report.executions,
        expected: sc.expect.as_ref().and_then(|e| e.for_kernel(k)).cloned(),
    }
}
