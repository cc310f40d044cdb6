//! Turning a real run into a replayable trace: re-run the scenario in the deterministic
//! executor, giving each step to the thread that took it for real, and check that the
//! re-run did exactly what the real threads did.

use super::RealRun;
use crate::release::Kernel;
use crate::scenario::Scenario;
use crate::scenario::{RunConfig, execute};
use crate::sim::{ChoicePick, Scheduler, ThreadPick, Tid};
use crate::trace::{Event, RecordMode, Trace, same_event};
use std::fmt;

/// Gives step n to the thread that ran step n of a recorded run.
#[derive(Debug)]
pub struct StepOrderScheduler {
    runs: Vec<(Tid, u32)>,
    /// Index into `runs` and the first step of that run.
    at: usize,
    run_start: u32,
    /// The first step at which the recorded thread could not run here.
    pub divergence: Option<u32>,
}

impl StepOrderScheduler {
    pub fn new(runs: &[(Tid, u32)]) -> Self {
        StepOrderScheduler { runs: runs.to_vec(), at: 0, run_start: 0, divergence: None }
    }

    fn thread_at(&mut self, step: u32) -> Option<Tid> {
        while let Some(&(_, n)) = self.runs.get(self.at) {
            if step < self.run_start + n {
                break;
            }
            self.run_start += n;
            self.at += 1;
        }
        self.runs.get(self.at).map(|r| r.0)
    }
}

impl Scheduler for StepOrderScheduler {
    fn pick_thread(&mut self, pick: &ThreadPick<'_>) -> Tid {
        match self.thread_at(pick.step) {
            Some(t) if pick.runnable.contains(&t) => t,
            _ => {
                self.divergence.get_or_insert(pick.step);
                pick.current.unwrap_or(pick.runnable[0])
            }
        }
    }

    /// Real runs inject no failures.
    fn pick_choice(&mut self, _: &ChoicePick) -> u32 {
        0
    }
}

/// The deterministic re-run did not do what the real threads did: a bug in daxlab (the two
/// runtimes disagree), never a property of the kernel model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    pub what: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the deterministic re-run of a real run differs from it: {}", self.what)
    }
}

/// Builds the trace of `real` (a recorded run of `sc` under `kernel`): the deterministic
/// execution that takes the same steps, checked event by event against the real one.
pub fn to_trace(sc: &Scenario, kernel: Kernel, real: &RealRun, pmem: &str) -> Result<Trace, Mismatch> {
    let mut sched = StepOrderScheduler::new(&real.runs);
    let ex = execute(sc, &RunConfig::new(kernel), &mut sched);
    if let Some(step) = sched.divergence {
        return Err(Mismatch { what: format!("at step {step} the recorded thread cannot run in the re-run") });
    }
    if let Some(i) = first_difference(&real.events, &ex.events) {
        let show = |e: Option<&Event>| e.map_or("nothing".to_string(), |e| format!("{e:?}"));
        return Err(Mismatch {
            what: format!("event {i}: real {}, re-run {}", show(real.events.get(i)), show(ex.events.get(i))),
        });
    }
    if ex.steps != real.steps || ex.runs != real.runs {
        return Err(Mismatch {
            what: format!(
                "the real run took {} steps, the re-run {} (or gave them out differently)",
                real.steps, ex.steps
            ),
        });
    }
    Ok(Trace::from_execution(sc, kernel, RecordMode::RealThreads { pmem: pmem.to_string() }, &ex))
}

fn first_difference(a: &[Event], b: &[Event]) -> Option<usize> {
    (0..a.len().max(b.len())).find(|&i| match (a.get(i), b.get(i)) {
        (Some(x), Some(y)) => !same_event(x, y),
        _ => true,
    })
}
