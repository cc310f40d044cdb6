//! Exhaustive search with a preemption bound, with or without partial-order reduction, on
//! one or more worker threads.

use super::hb::Hb;
use super::split::{self, Part};
use super::table::Table;
use super::{Counts, DfsScheduler, DporScheduler, ExploreConfig, Reduction};
use crate::scenario::{Execution, RunConfig, Scenario, execute};
use crate::sim::{ChoicePick, Scheduler, StepInfo, ThreadPick, Tid};
use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

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

/// What one part of a search found.
struct Found {
    table: Table,
    counts: Counts,
    traces: HashSet<u128>,
}

/// Splits the search into parts ([`split`]), explores them on `cfg.jobs` worker threads
/// and merges what they found in the parts' order. A search capped by `max_executions` runs
/// as one part, so that the cap means what it says.
pub(super) fn search(
    sc: &Scenario,
    cfg: &ExploreConfig,
    bound: u32,
    table: &mut Table,
    progress: &mut dyn FnMut(u64),
) -> Counts {
    let parts = if cfg.max_executions.is_some() { vec![Part::Whole] } else { split::parts(sc, cfg) };
    // As the caller's table: columns past MAX_PREEMPTIONS grow on demand.
    let width = bound.min(crate::scenario::MAX_PREEMPTIONS) as usize + 1;
    let workers = cfg.jobs.clamp(1, parts.len());
    let slots: Vec<Mutex<Option<Found>>> = parts.iter().map(|_| Mutex::new(None)).collect();
    if workers == 1 {
        // No thread of its own (nor on targets without threads): progress as it goes.
        let mut total = 0;
        for (part, slot) in parts.iter().zip(&slots) {
            let found = explore_part(sc, cfg, bound, part, width, &mut |n| {
                total += n;
                progress(total)
            });
            *slot.lock().expect("not poisoned") = Some(found);
        }
    } else {
        let (done, next) = (AtomicU64::new(0), AtomicUsize::new(0));
        let worker = || {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(part) = parts.get(i) else { break };
                let found = explore_part(sc, cfg, bound, part, width, &mut |n| {
                    done.fetch_add(n, Ordering::Relaxed);
                });
                *slots[i].lock().expect("no worker panicked") = Some(found);
            }
        };
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers).map(|_| scope.spawn(worker)).collect();
            while !handles.iter().all(|h| h.is_finished()) {
                progress(done.load(Ordering::Relaxed));
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            for h in handles {
                if let Err(panic) = h.join() {
                    std::panic::resume_unwind(panic);
                }
            }
        });
    }
    let mut counts = Counts { complete: true, ..Counts::default() };
    let mut traces = HashSet::new();
    for slot in slots {
        let found = slot.into_inner().expect("no worker panicked").expect("every part explored");
        table.merge(found.table);
        counts.executions += found.counts.executions;
        counts.steps += found.counts.steps;
        counts.abandoned += found.counts.abandoned;
        counts.complete &= found.counts.complete;
        traces.extend(found.traces);
    }
    counts.traces = cfg.count_traces.then_some(traces.len() as u64);
    counts
}

/// Explores one part; `tick(n)`: n more executions done.
fn explore_part(
    sc: &Scenario,
    cfg: &ExploreConfig,
    bound: u32,
    part: &Part,
    width: usize,
    tick: &mut dyn FnMut(u64),
) -> Found {
    let run = |s: &mut dyn Scheduler| execute(sc, &RunConfig { record: false, ..RunConfig::new(cfg.kernel) }, s);
    let dfs = |part: &Part| match part {
        Part::Dfs(branch) => DfsScheduler::below(bound, *branch),
        _ => DfsScheduler::new(bound),
    };
    let mut table = Table::new(width);
    let (counts, traces) = match (cfg.reduction, cfg.count_traces) {
        (Reduction::None, false) => drive(&mut dfs(part), cfg, &run, &mut table, tick),
        (Reduction::None, true) => drive(&mut Traced::new(dfs(part)), cfg, &run, &mut table, tick),
        (Reduction::Dpor, count_traces) => {
            let inner = match part {
                Part::Dpor(pin) => DporScheduler::below(bound, pin.clone()),
                _ => DporScheduler::new(bound),
            };
            let mut dpor = Dpor { inner: inner.counting_traces(count_traces), count_traces };
            drive(&mut dpor, cfg, &run, &mut table, tick)
        }
    };
    Found { table, counts, traces }
}

fn drive(
    s: &mut dyn Search,
    cfg: &ExploreConfig,
    run: &dyn Fn(&mut dyn Scheduler) -> Execution,
    table: &mut Table,
    tick: &mut dyn FnMut(u64),
) -> (Counts, HashSet<u128>) {
    const EVERY: u64 = 512;
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
            if counts.executions.is_multiple_of(EVERY) {
                tick(EVERY);
            }
        }
        if !s.advance() {
            break;
        }
    }
    tick(counts.executions % EVERY);
    counts.abandoned = s.abandoned();
    (counts, traces)
}
