//! Exploration: run a scenario under many schedules and group the outcomes.
//!
//! Exhaustive search is a stateless depth-first walk over scheduling decisions with a
//! preemption bound (as in CHESS and loom): switching away from a thread that could have
//! continued costs one preemption; switching when it blocked or finished is free. Each
//! execution is counted at its exact number of preemptions, which gives what iterating the
//! bound 0, 1, 2, ... would, in one pass: the witness kept for an outcome class is one with
//! the fewest preemptions (and, among those, the fewest steps).
//!
//! With [`Reduction::Dpor`] the same search skips executions that only reorder commuting
//! steps ([`DporScheduler`]); it finds the same outcome classes with the same fewest
//! preemptions and steps.

mod dfs;
mod dpor;
mod exhaustive;
mod golden;
mod hb;
mod matrix;
mod split;
mod table;
mod touches;
mod witness;

pub use dfs::DfsScheduler;
pub use dpor::{DporScheduler, DporStats, Pin};
pub use exhaustive::Traced;
pub use golden::{GOLDEN_KERNELS, class_slug, golden_traces, write_goldens};
pub use hb::Hb;
pub use matrix::{Cell, CellClass, Matrix, MatrixRow, MatrixRun, matrix};
pub use witness::{WitnessDiverged, witness_trace};

use crate::check::{Note, Outcome};
use crate::release::Kernel;
use crate::scenario::Scenario;
use crate::scenario::{Execution, RunConfig, execute};
use crate::sim::{DefaultScheduler, PctScheduler, RandomScheduler, ReplayScheduler, Schedule, Scheduler, SplitMix64};
use serde::Serialize;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use table::Table;
use web_time::Instant;

/// The most executions a random exploration runs (the CLI's `--runs`).
pub const MAX_RANDOM_RUNS: u64 = 1_000_000_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Strategy {
    Exhaustive {
        preemptions: u32,
    },
    Random {
        runs: u64,
        seed: u64,
    },
    /// Probabilistic concurrency testing ([`crate::sim::PctScheduler`]) at `depth`.
    Pct {
        runs: u64,
        seed: u64,
        depth: u32,
    },
}

/// How exhaustive search treats schedules that differ only in the order of commuting steps.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Reduction {
    /// Every schedule within the bound: the reference.
    #[default]
    None,
    /// Partial-order reduction that keeps every outcome class and its fewest preemptions.
    Dpor,
}

impl Reduction {
    pub fn name(self) -> &'static str {
        match self {
            Reduction::None => "none",
            Reduction::Dpor => "dpor",
        }
    }
}

#[derive(Clone, Debug)]
pub struct ExploreConfig {
    pub kernel: Kernel,
    pub strategy: Strategy,
    /// Stop after this many executions (the report then says it is incomplete).
    pub max_executions: Option<u64>,
    /// Set from another thread to stop early (the report then says it is incomplete).
    pub cancel: Option<Arc<AtomicBool>>,
    /// Exhaustive search only.
    pub reduction: Reduction,
    /// Count the distinct Mazurkiewicz traces among the executions (exhaustive search only;
    /// costs the footprint bookkeeping even without reduction).
    pub count_traces: bool,
    /// Worker threads for exhaustive search (at least one); the report does not depend on it.
    pub jobs: usize,
}

/// One worker per core.
pub fn all_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl ExploreConfig {
    pub fn exhaustive(kernel: Kernel, preemptions: u32) -> Self {
        ExploreConfig {
            kernel,
            strategy: Strategy::Exhaustive { preemptions },
            max_executions: None,
            cancel: None,
            reduction: Reduction::default(),
            count_traces: false,
            jobs: all_cores(),
        }
    }

    pub fn random(kernel: Kernel, runs: u64, seed: u64) -> Self {
        ExploreConfig { strategy: Strategy::Random { runs, seed }, ..ExploreConfig::exhaustive(kernel, 0) }
    }

    fn cancelled(&self) -> bool {
        self.cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed))
    }
}

/// The witness of an outcome class: enough to replay it.
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
    /// The first execution found with the fewest preemptions, then the fewest steps.
    pub witness: Witness,
}

#[derive(Clone, Debug, Serialize)]
pub struct ExploreReport {
    pub scenario: String,
    pub kernel: Kernel,
    pub strategy: String,
    pub bound: Option<u32>,
    pub reduction: Reduction,
    /// Complete executions (abandoned ones not counted).
    pub executions: u64,
    pub steps: u64,
    /// Executions the reduction ended early as covered by others.
    pub abandoned: u64,
    /// Distinct Mazurkiewicz traces among the executions, when counted.
    pub traces: Option<u64>,
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

/// Runs the exploration. `progress` is called now and then with the executions so far.
pub fn explore(sc: &Scenario, cfg: &ExploreConfig, progress: &mut dyn FnMut(u64)) -> ExploreReport {
    let started = Instant::now();
    let (width, bound) = match cfg.strategy {
        // The per-bound columns grow on demand beyond MAX_PREEMPTIONS, so a library caller's
        // huge bound allocates nothing up front.
        Strategy::Exhaustive { preemptions } => {
            (preemptions.min(crate::scenario::MAX_PREEMPTIONS) as usize + 1, Some(preemptions))
        }
        Strategy::Random { .. } | Strategy::Pct { .. } => (1, None),
    };
    let mut table = Table::new(width);
    let counts = match cfg.strategy {
        Strategy::Exhaustive { preemptions } => exhaustive::search(sc, cfg, preemptions, &mut table, progress),
        Strategy::Random { runs, seed } => {
            sampled(sc, cfg, runs, seed, &mut table, progress, &|s| Box::new(RandomScheduler::new(s)))
        }
        Strategy::Pct { runs, seed, depth } => {
            // Change points are drawn over the serial execution's length.
            let steps =
                execute(sc, &RunConfig { record: false, ..RunConfig::new(cfg.kernel) }, &mut DefaultScheduler).steps;
            sampled(sc, cfg, runs, seed, &mut table, progress, &|s| Box::new(PctScheduler::new(s, depth, steps)))
        }
    };
    progress(counts.executions);
    ExploreReport {
        scenario: sc.name.clone(),
        kernel: cfg.kernel,
        strategy: match cfg.strategy {
            Strategy::Exhaustive { .. } => "exhaustive".into(),
            Strategy::Random { .. } => "random".into(),
            Strategy::Pct { depth, .. } => format!("pct (depth {depth})"),
        },
        bound,
        reduction: if bound.is_some() { cfg.reduction } else { Reduction::None },
        executions: counts.executions,
        steps: counts.steps,
        abandoned: counts.abandoned,
        traces: counts.traces,
        elapsed: started.elapsed(),
        complete: counts.complete,
        rows: table.into_rows(),
    }
}

/// What a search did besides filling the table.
#[derive(Debug, Default)]
struct Counts {
    executions: u64,
    steps: u64,
    abandoned: u64,
    traces: Option<u64>,
    complete: bool,
}

/// `runs` executions, each under the scheduler `make(run seed)` builds; the run seeds come
/// from `seed`, so any run can be repeated alone.
fn sampled(
    sc: &Scenario,
    cfg: &ExploreConfig,
    runs: u64,
    seed: u64,
    table: &mut Table,
    progress: &mut dyn FnMut(u64),
    make: &dyn Fn(u64) -> Box<dyn Scheduler>,
) -> Counts {
    let run_cfg = RunConfig { record: false, ..RunConfig::new(cfg.kernel) };
    let limit = cfg.max_executions.unwrap_or(u64::MAX);
    let mut seeds = SplitMix64::new(seed);
    let mut counts = Counts::default();
    for _ in 0..runs.min(limit) {
        if cfg.cancelled() {
            break;
        }
        let run_seed = seeds.next_u64();
        let ex = execute(sc, &run_cfg, &mut *make(run_seed));
        counts.executions += 1;
        counts.steps += u64::from(ex.steps);
        table.add(&ex, Some(run_seed));
        if counts.executions.is_multiple_of(512) {
            progress(counts.executions);
        }
    }
    counts.complete = counts.executions == runs;
    counts
}

/// Re-runs a schedule with events recorded (how a witness becomes a full trace).
pub fn replay(sc: &Scenario, kernel: Kernel, schedule: &Schedule) -> (Execution, Option<String>) {
    let mut replay = ReplayScheduler::new(schedule.0.clone());
    let ex = execute(sc, &RunConfig::new(kernel), &mut replay);
    (ex, replay.divergence())
}
