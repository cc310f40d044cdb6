//! Exhaustive search with a preemption bound, with or without partial-order reduction.

use super::hb::Hb;
use super::table::Table;
use super::{Counts, DfsScheduler, DporScheduler, ExploreConfig, Reduction};
use crate::scenario::{Execution, RunConfig, Scenario, execute};
use crate::sim::{ChoicePick, Scheduler, StepInfo, ThreadPick, Tid};
use std::collections::HashSet;

/// A scheduler that also builds each execution's happens-before order, to count distinct
/// Mazurkiewicz traces of a search that does not track footprints itself.
pub struct Traced<S> {
    pub inner: S,
    hb: Hb,
}

impl<S> Traced<S> {
    pub fn new(inner: S) -> Self {
        Traced { inner, hb: Hb::default().hashing(true) }
    }

    /// The trace of the execution just run.
    pub fn trace_hash(&self) -> u128 {
        self.hb.trace_hash()
    }
}

impl<S: Scheduler> Scheduler for Traced<S> {
    fn pick_thread(&mut self, pick: &ThreadPick<'_>) -> Tid {
        self.inner.pick_thread(pick)
    }
    fn pick_choice(&mut self, pick: &ChoicePick) -> u32 {
        self.inner.pick_choice(pick)
    }
    fn footprints(&self) -> bool {
        true
    }
    fn begin(&mut self, phases: &[u8]) {
        self.hb.begin(phases);
        self.inner.begin(phases);
    }
    fn abandon(&mut self, runnable: &[Tid], current: Option<Tid>) -> bool {
        self.inner.abandon(runnable, current)
    }
    fn on_step(&mut self, s: &StepInfo<'_>) {
        self.hb.push(s, |_| {});
        self.inner.on_step(s);
    }
}

/// A search strategy as the loop below drives it.
trait Search: Scheduler {
    fn advance(&mut self) -> bool;
    fn trace(&self) -> Option<u128>;
    fn abandoned(&self) -> u64 {
        0
    }
}

impl Search for DfsScheduler {
    fn advance(&mut self) -> bool {
        self.next_execution()
    }
    fn trace(&self) -> Option<u128> {
        None
    }
}

impl Search for Traced<DfsScheduler> {
    fn advance(&mut self) -> bool {
        self.inner.next_execution()
    }
    fn trace(&self) -> Option<u128> {
        Some(self.trace_hash())
    }
}

/// Counts traces only when asked: hashing is cheap next to the reduction's own work.
struct Dpor {
    inner: DporScheduler,
    count_traces: bool,
}

impl Scheduler for Dpor {
    fn pick_thread(&mut self, pick: &ThreadPick<'_>) -> Tid {
        self.inner.pick_thread(pick)
    }
    fn pick_choice(&mut self, pick: &ChoicePick) -> u32 {
        self.inner.pick_choice(pick)
    }
    fn footprints(&self) -> bool {
        true
    }
    fn begin(&mut self, phases: &[u8]) {
        self.inner.begin(phases)
    }
    fn abandon(&mut self, runnable: &[Tid], current: Option<Tid>) -> bool {
        self.inner.abandon(runnable, current)
    }
    fn on_step(&mut self, s: &StepInfo<'_>) {
        self.inner.on_step(s)
    }
}

impl Search for Dpor {
    fn advance(&mut self) -> bool {
        self.inner.next_execution()
    }
    fn trace(&self) -> Option<u128> {
        self.count_traces.then(|| self.inner.trace_hash())
    }
    fn abandoned(&self) -> u64 {
        self.inner.stats.abandoned
    }
}

pub(super) fn search(
    sc: &Scenario,
    cfg: &ExploreConfig,
    bound: u32,
    table: &mut Table,
    progress: &mut dyn FnMut(u64),
) -> Counts {
    let run = |s: &mut dyn Scheduler| execute(sc, &RunConfig { record: false, ..RunConfig::new(cfg.kernel) }, s);
    match (cfg.reduction, cfg.count_traces) {
        (Reduction::None, false) => drive(&mut DfsScheduler::new(bound), cfg, &run, table, progress),
        (Reduction::None, true) => drive(&mut Traced::new(DfsScheduler::new(bound)), cfg, &run, table, progress),
        (Reduction::Dpor, count_traces) => {
            let mut dpor = Dpor { inner: DporScheduler::new(bound).counting_traces(count_traces), count_traces };
            drive(&mut dpor, cfg, &run, table, progress)
        }
    }
}

fn drive(
    s: &mut dyn Search,
    cfg: &ExploreConfig,
    run: &dyn Fn(&mut dyn Scheduler) -> Execution,
    table: &mut Table,
    progress: &mut dyn FnMut(u64),
) -> Counts {
    let limit = cfg.max_executions.unwrap_or(u64::MAX);
    let mut counts = Counts { complete: true, ..Counts::default() };
    let mut traces = HashSet::new();
    loop {
        if counts.executions == limit || cfg.cancelled() {
            counts.complete = false;
            break;
        }
        let ex = run(s);
        if !ex.abandoned {
            counts.executions += 1;
            counts.steps += u64::from(ex.steps);
            table.add(&ex, None);
            if let Some(h) = s.trace() {
                traces.insert(h);
            }
            if counts.executions.is_multiple_of(512) {
                progress(counts.executions);
            }
        }
        if !s.advance() {
            break;
        }
    }
    counts.abandoned = s.abandoned();
    counts.traces = cfg.count_traces.then_some(traces.len() as u64);
    counts
}
