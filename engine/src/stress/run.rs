//! One execution of a scenario on real threads: one OS thread per emulated thread, each
//! driving its thread's future with a tiny block_on.

use super::runtime::{RealConfig, RealRuntime};
use crate::check::Outcome;
use crate::kernel::{Machine, WaitOn};
use crate::scenario::{RunEnd, classify};
use crate::scenario::{Scenario, run_thread};
use crate::sim::{Cx, ThreadEnd, Tid};
use crate::trace::Event;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// What a real run did, before or after its outcome is classified.
#[derive(Debug)]
pub struct RealRun {
    pub ends: Vec<Option<ThreadEnd>>,
    pub hung: Vec<(Tid, WaitOn)>,
    pub step_limit_hit: bool,
    /// An invariant (or a hang) stopped the run.
    pub halted: bool,
    pub steps: u32,
    /// Which thread ran each step, run-length encoded (empty unless recording).
    pub runs: Vec<(Tid, u32)>,
    /// Every event in step order (empty unless recording).
    pub events: Vec<Event>,
    pub elapsed: Duration,
}

impl RealRun {
    /// The threads all finished, none by a signal: the machine is in a state worth
    /// verifying.
    pub fn clean(&self, k: &Machine) -> bool {
        !self.halted
            && !self.step_limit_hit
            && k.obs.with(|o| o.violation.is_none())
            && self.ends.iter().all(|e| *e == Some(ThreadEnd::Exited))
    }

    /// The outcome class, as [`crate::scenario::execute`] would classify it. This tears the
    /// page tables down (process exit): verify through the mappings first.
    pub fn classify(&self, k: &Machine) -> Outcome {
        classify(k, RunEnd { ends: &self.ends, hung: &self.hung, step_limit_hit: self.step_limit_hit })
    }
}

/// Runs `sc`'s threads on `k` (built from `sc`) on OS threads.
pub fn run_real(sc: &Scenario, k: &Machine, cfg: &RealConfig) -> RealRun {
    let specs: Vec<_> = sc
        .threads()
        .map(|(i, p, t)| {
            let pi = sc.processes.iter().position(|q| std::ptr::eq(q, p)).expect("thread of a listed process");
            let ops: Vec<_> = t.ops.iter().map(|o| o.get_ref().clone()).collect();
            (Tid(i as u8), pi, ops, p.setup)
        })
        .collect();
    let phases: Vec<u8> = specs.iter().map(|s| u8::from(!s.3)).collect();
    let rt = RealRuntime::new(&phases, cfg.clone());
    let started = Instant::now();
    let results: Vec<std::thread::Result<Option<ThreadEnd>>> = std::thread::scope(|s| {
        let handles: Vec<_> = specs
            .iter()
            .map(|(tid, pi, ops, setup)| {
                let rt = &rt;
                s.spawn(move || {
                    let r = std::panic::catch_unwind(AssertUnwindSafe(|| {
                        rt.attach(*tid);
                        let cx = Cx::new(k, *tid, rt);
                        drive(rt, *tid, run_thread(&cx, &k.mms[*pi], ops, *setup))
                    }));
                    if r.is_err() {
                        // A bug in daxlab itself: stop the others rather than leave them
                        // waiting for a step that never ends.
                        crate::sim::Runtime::halt(rt);
                        rt.close(*tid);
                    }
                    r
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(Err)).collect()
    });
    let mut ends = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok(end) => ends.push(end),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
    let parts = rt.into_parts();
    let elapsed = started.elapsed();
    RealRun {
        ends,
        hung: parts.hung,
        step_limit_hit: parts.step_limit_hit,
        halted: parts.halted,
        steps: parts.steps,
        runs: parts.runs,
        events: parts.events,
        elapsed,
    }
}

/// block_on for one thread. Its scheduling points never suspend while the run goes on (the
/// runtime takes the step lock inside them), so a poll returns Pending only at the end of
/// the first poll and when the run has halted.
fn drive(rt: &RealRuntime, tid: Tid, fut: impl Future<Output = ThreadEnd>) -> Option<ThreadEnd> {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    rt.begin_initial(tid);
    if let Poll::Ready(end) = fut.as_mut().poll(&mut cx) {
        rt.end_initial(tid, Some(end));
        return Some(end);
    }
    rt.end_initial(tid, None);
    if !rt.wait_for_start(tid) || !rt.begin_step(tid, None) {
        rt.close(tid);
        return None;
    }
    match fut.as_mut().poll(&mut cx) {
        Poll::Ready(end) => {
            rt.finish(tid, end);
            Some(end)
        }
        Poll::Pending => {
            rt.close(tid);
            None
        }
    }
}
