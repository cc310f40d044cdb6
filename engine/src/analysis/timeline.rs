//! The state at any step of a long trace, fast: snapshots kept at intervals, the events in
//! between re-applied on demand.

use super::Snapshot;
use crate::release::Kernel;
use crate::scenario::Scenario;
use crate::trace::Event;

/// At most this many checkpoints are kept, so memory stays bounded on long traces while
/// reaching any step re-applies at most `events / MAX_CHECKPOINTS` events.
const MAX_CHECKPOINTS: usize = 256;
const MIN_INTERVAL: usize = 512;

pub struct Timeline {
    events: Vec<Event>,
    interval: usize,
    /// checkpoints[i] is the state before event i * interval.
    checkpoints: Vec<Snapshot>,
}

impl Timeline {
    pub fn new(sc: &Scenario, kernel: Kernel, events: Vec<Event>) -> Timeline {
        let interval = events.len().div_ceil(MAX_CHECKPOINTS).max(MIN_INTERVAL);
        let mut state = Snapshot::capture(&sc.build(kernel));
        let mut checkpoints = Vec::with_capacity(events.len() / interval + 1);
        for (i, e) in events.iter().enumerate() {
            if i % interval == 0 {
                checkpoints.push(state.clone());
            }
            state.apply(e);
        }
        if checkpoints.is_empty() {
            checkpoints.push(state);
        }
        Timeline { events, interval, checkpoints }
    }

    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The state after the first `n` events.
    pub fn after_events(&self, n: usize) -> Snapshot {
        let n = n.min(self.events.len());
        let c = (n / self.interval).min(self.checkpoints.len() - 1);
        let mut state = self.checkpoints[c].clone();
        for e in &self.events[c * self.interval..n] {
            state.apply(e);
        }
        state
    }

    /// Number of events that happened before step `step`.
    pub fn events_before_step(&self, step: u32) -> usize {
        self.events.partition_point(|e| e.step < step)
    }

    /// The point that "step N" names wherever daxlab shows a step — the workbench's "go to
    /// step N", `daxlab replay --to N`, `daxlab figure state --step N`: the number of events
    /// that have run once the first event of step N has run. Step 0 is the start, before
    /// anything has run; a step with no event of its own is the point where it would begin.
    pub fn pos_of_step(&self, step: u32) -> usize {
        let first = self.events_before_step(step);
        let has_own = self.events.get(first).is_some_and(|e| e.step == step);
        if step == 0 || !has_own { first } else { first + 1 }
    }

    /// The state at the start of `step` (after every earlier step).
    pub fn at_step(&self, step: u32) -> Snapshot {
        self.after_events(self.events_before_step(step))
    }
}
