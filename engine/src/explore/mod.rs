//! Exploration: run a scenario under many schedules and group the outcomes.
//!
//! Exhaustive search is a stateless depth-first walk over scheduling decisions with a
//! preemption bound (as in CHESS and loom): switching away from a thread that could have
//! continued costs one preemption; switching when it blocked or finished is free. Each
//! execution is counted at its exact number of preemptions, which gives what iterating the
//! bound 0, 1, 2, ... would, in one pass: the witness kept for an outcome class is one with
//! the fewest preemptions (and, among those, the fewest steps).

mod dfs;
mod golden;
mod matrix;

pub use dfs::DfsScheduler;
pub use golden::{GOLDEN_KERNELS, class_slug, golden_traces, write_goldens};
pub use matrix::{Cell, CellClass, Matrix, MatrixRow, MatrixRun, matrix};

use crate::check::{Note, Outcome};
use crate::release::Kernel;
use crate::scenario::Scenario;
use crate::scenario::{Execution, RunConfig, execute};
use crate::sim::{RandomScheduler, ReplayScheduler, Schedule, SplitMix64};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use web_time::Instant;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Strategy {
    Exhaustive { preemptions: u32 },
    Random { runs: u64, seed: u64 },
}

#[derive(Clone, Debug)]
pub struct ExploreConfig {
    pub kernel: Kernel,
    pub strategy: Strategy,
    /// Stop after this many executions (the report then says it is incomplete).
    pub max_executions: Option<u64>,
    /// Set from another thread to stop early (the report then says it is incomplete).
    pub cancel: Option<Arc<AtomicBool>>,
}

impl ExploreConfig {
    pub fn exhaustive(kernel: Kernel, preemptions: u32) -> Self {
        ExploreConfig { kernel, strategy: Strategy::Exhaustive { preemptions }, max_executions: None, cancel: None }
    }

    fn cancelled(&self) -> bool {
        self.cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed))
    }
}

/// The first witness of an outcome class: enough to replay it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Witness {
    pub preemptions: u32,
    pub steps: u32,
    pub schedule: Schedule,
    /// For random exploration: the seed of the run that found it.
    pub seed: Option<u64>,
    pub outcome: Outcome,
}

/// One row of the outcome table.
#[derive(Clone, Debug, Serialize)]
pub struct OutcomeRow {
    /// The class plus its notes, e.g. "ok [fallback(grab-eexist), split-cleared-pmd]".
    pub label: String,
    pub class: String,
    pub notes: Vec<String>,
    pub failure: bool,
    pub executions: u64,
    /// Executions with exactly i preemptions (exhaustive) — index = preemptions.
    pub by_preemptions: Vec<u64>,
    pub witness: Witness,
}

#[derive(Clone, Debug, Serialize)]
pub struct ExploreReport {
    pub scenario: String,
    pub kernel: Kernel,
    pub strategy: String,
    pub bound: Option<u32>,
    pub executions: u64,
    pub steps: u64,
    #[serde(serialize_with = "secs")]
    pub elapsed: Duration,
    /// False when `max_executions` cut the search short.
    pub complete: bool,
    pub rows: Vec<OutcomeRow>,
}

pub(crate) fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

impl ExploreReport {
    pub fn failures(&self) -> impl Iterator<Item = &OutcomeRow> {
        self.rows.iter().filter(|r| r.failure)
    }
    pub fn failure_classes(&self) -> BTreeSet<String> {
        self.failures().map(|r| r.class.clone()).collect()
    }
}

/// How outcomes are grouped: a failure by its class alone (one witness per kind of
/// failure), a benign outcome by its class and notes (which distinguish the paths taken).
pub fn label(outcome: &Outcome, notes: &BTreeSet<Note>) -> String {
    if outcome.is_failure() || notes.is_empty() {
        outcome.class()
    } else {
        let n: Vec<String> = notes.iter().map(|n| n.to_string()).collect();
        format!("{} [{}]", outcome.class(), n.join(", "))
    }
}

struct Table {
    rows: BTreeMap<String, OutcomeRow>,
    width: usize,
}

impl Table {
    fn add(&mut self, ex: &Execution, seed: Option<u64>) {
        let label = label(&ex.outcome, &ex.notes);
        let p = ex.preemptions as usize;
        let row = self.rows.entry(label.clone()).or_insert_with(|| OutcomeRow {
            label,
            class: ex.outcome.class(),
            notes: if ex.outcome.is_failure() { Vec::new() } else { ex.notes.iter().map(|n| n.to_string()).collect() },
            failure: ex.outcome.is_failure(),
            executions: 0,
            by_preemptions: vec![0; self.width],
            witness: Witness {
                preemptions: ex.preemptions,
                steps: ex.steps,
                schedule: ex.schedule.clone(),
                seed,
                outcome: ex.outcome.clone(),
            },
        });
        row.executions += 1;
        if row.by_preemptions.len() <= p {
            row.by_preemptions.resize(p + 1, 0);
        }
        row.by_preemptions[p] += 1;
        if (ex.preemptions, ex.steps) < (row.witness.preemptions, row.witness.steps) {
            row.witness = Witness {
                preemptions: ex.preemptions,
                steps: ex.steps,
                schedule: ex.schedule.clone(),
                seed,
                outcome: ex.outcome.clone(),
            };
        }
    }
}

/// Runs the exploration. `progress` is called now and then with the executions so far.
pub fn explore(sc: &Scenario, cfg: &ExploreConfig, progress: &mut dyn FnMut(u64)) -> ExploreReport {
    let started = Instant::now();
    let run_cfg = RunConfig { record: false, ..RunConfig::new(cfg.kernel) };
    let limit = cfg.max_executions.unwrap_or(u64::MAX);
    let (width, bound) = match cfg.strategy {
        Strategy::Exhaustive { preemptions } => (preemptions as usize + 1, Some(preemptions)),
        Strategy::Random { .. } => (1, None),
    };
    let mut table = Table { rows: BTreeMap::new(), width };
    let mut executions = 0u64;
    let mut steps = 0u64;
    let mut complete = true;
    match cfg.strategy {
        Strategy::Exhaustive { preemptions } => {
            let mut dfs = DfsScheduler::new(preemptions);
            loop {
                if executions == limit || cfg.cancelled() {
                    complete = false;
                    break;
                }
                let ex = execute(sc, &run_cfg, &mut dfs);
                executions += 1;
                steps += u64::from(ex.steps);
                table.add(&ex, None);
                if executions.is_multiple_of(512) {
                    progress(executions);
                }
                if !dfs.next_execution() {
                    break;
                }
            }
        }
        Strategy::Random { runs, seed } => {
            let mut seeds = SplitMix64::new(seed);
            for _ in 0..runs.min(limit) {
                if cfg.cancelled() {
                    break;
                }
                let run_seed = seeds.next_u64();
                let ex = execute(sc, &run_cfg, &mut RandomScheduler::new(run_seed));
                executions += 1;
                steps += u64::from(ex.steps);
                table.add(&ex, Some(run_seed));
                if executions.is_multiple_of(512) {
                    progress(executions);
                }
            }
            complete = executions == runs;
        }
    }
    progress(executions);
    let mut rows: Vec<OutcomeRow> = table.rows.into_values().collect();
    rows.sort_by(|a, b| b.failure.cmp(&a.failure).then(b.executions.cmp(&a.executions)).then(a.label.cmp(&b.label)));
    ExploreReport {
        scenario: sc.name.clone(),
        kernel: cfg.kernel,
        strategy: match cfg.strategy {
            Strategy::Exhaustive { .. } => "exhaustive".into(),
            Strategy::Random { .. } => "random".into(),
        },
        bound,
        executions,
        steps,
        elapsed: started.elapsed(),
        complete,
        rows,
    }
}

/// Re-runs a schedule with events recorded (how a witness becomes a full trace).
pub fn replay(sc: &Scenario, kernel: Kernel, schedule: &Schedule) -> (Execution, Option<String>) {
    let mut replay = ReplayScheduler::new(schedule.0.clone());
    let ex = execute(sc, &RunConfig::new(kernel), &mut replay);
    (ex, replay.divergence())
}
