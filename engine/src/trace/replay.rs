//! Replaying a trace: re-run its scenario under its schedule and compare, event by event.

use super::{Event, Trace};
use crate::release::Kernel;
use crate::scenario::Scenario;
use crate::scenario::{Execution, RunConfig, execute};
use crate::sim::ReplayScheduler;

/// Where a replay first departs from the recording.
#[derive(Clone, Debug)]
pub struct Divergence {
    /// Index of the first differing event.
    pub index: usize,
    pub recorded: Option<Event>,
    pub replayed: Option<Event>,
    /// The events just before, which both sides share.
    pub before: Vec<Event>,
}

#[derive(Clone, Debug)]
pub struct ReplayReport {
    pub execution: Execution,
    pub divergence: Option<Divergence>,
    /// How the schedule itself failed to fit, if it did.
    pub schedule_note: Option<String>,
}

/// Events are the same if the same thread did the same thing at the same step; where in
/// the engine's source it happened is not compared (line numbers move with every edit).
pub fn same_event(a: &Event, b: &Event) -> bool {
    a.step == b.step && a.tid == b.tid && a.kind == b.kind
}

/// Re-runs `trace` (whose scenario is `sc`) on `kernel` (normally `trace.kernel`), up to
/// `to_step` steps if given, and compares the events with the recorded ones.
pub fn replay_trace(trace: &Trace, sc: &Scenario, kernel: Kernel, to_step: Option<u32>) -> ReplayReport {
    let cfg = RunConfig { max_steps: to_step.unwrap_or(RunConfig::new(kernel).max_steps), ..RunConfig::new(kernel) };
    let mut sched = ReplayScheduler::new(trace.schedule.0.clone());
    let execution = execute(sc, &cfg, &mut sched);
    let limit = to_step.unwrap_or(u32::MAX);
    let recorded: Vec<&Event> = trace.events.iter().filter(|e| e.step < limit).collect();
    let divergence = first_difference(&recorded, &execution.events);
    let schedule_note = if to_step.is_some() { None } else { sched.divergence() };
    ReplayReport { execution, divergence, schedule_note }
}

fn first_difference(recorded: &[&Event], replayed: &[Event]) -> Option<Divergence> {
    let n = recorded.len().max(replayed.len());
    let index = (0..n).find(|&i| match (recorded.get(i), replayed.get(i)) {
        (Some(a), Some(b)) => !same_event(a, b),
        _ => true,
    })?;
    Some(Divergence {
        index,
        recorded: recorded.get(index).map(|e| (*e).clone()),
        replayed: replayed.get(index).cloned(),
        before: replayed[index.saturating_sub(5)..index.min(replayed.len())].to_vec(),
    })
}

/// What replaying a trace prints: every event and the outcome.
pub fn replay_transcript(trace: &Trace, sc: &Scenario) -> String {
    let r = replay_trace(trace, sc, trace.kernel, None);
    super::transcript(&r.execution.events, &r.execution.outcome, &sc.thread_names())
}
