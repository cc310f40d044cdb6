//! One execution of a scenario: build the machine, run its threads on the deterministic
//! executor under a scheduler, classify the outcome. This is the layer above the kernel
//! model that knows both the workload and the machine; the executor below knows neither.

use super::classify::{RunEnd, classify};
use super::{Scenario, run_thread};
use crate::check::{Note, Outcome};
use crate::kernel::Machine;
use crate::release::Kernel;
use crate::sim::{Cx, Pause, Schedule, Scheduler, SimRuntime, Switch, ThreadSpawn, Tid};
use crate::trace::Event;
use std::collections::BTreeSet;

#[derive(Clone, Debug)]
pub struct RunConfig {
    /// The kernel to run: a release and its fixes.
    pub kernel: Kernel,
    /// Record events (exploration turns this off and re-runs witnesses with it on).
    pub record: bool,
    /// A run longer than this is reported as a livelock. A backstop only: a fault that
    /// keeps retrying is caught per access, and spinning or sleeping threads take no steps.
    pub max_steps: u32,
}

impl RunConfig {
    pub fn new(kernel: Kernel) -> Self {
        RunConfig { kernel, record: true, max_steps: 50_000_000 }
    }
}

/// Everything one execution produced.
#[derive(Clone, Debug)]
pub struct Execution {
    pub outcome: Outcome,
    pub notes: BTreeSet<Note>,
    pub schedule: Schedule,
    pub events: Vec<Event>,
    pub steps: u32,
    pub preemptions: u32,
    pub switches: Vec<Switch>,
    /// Which thread ran each step, run-length encoded.
    pub runs: Vec<(Tid, u32)>,
    /// Steps that exist only in this kernel (a scheduling point a fix added or removed):
    /// they are not counted when the schedule is carried to another kernel.
    pub kernel_only_steps: Vec<u32>,
    /// Where the scheduler paused the run, if it did (the outcome is then provisional).
    pub paused: Option<Pause>,
    /// The scheduler ended the run as covered by others: the outcome means nothing.
    pub abandoned: bool,
}

pub fn execute(sc: &Scenario, cfg: &RunConfig, sched: &mut dyn Scheduler) -> Execution {
    execute_with(sc, cfg, sched, |_| ()).0
}

/// [`execute`], handing the machine as the threads left it to `inspect` (tree contents,
/// page tables, counters) before the outcome is classified — classification tears the
/// page tables down, as process exit would.
pub fn execute_with<R>(
    sc: &Scenario,
    cfg: &RunConfig,
    sched: &mut dyn Scheduler,
    inspect: impl FnOnce(&Machine) -> R,
) -> (Execution, R) {
    let k = sc.build(cfg.kernel);
    let rt = SimRuntime::new(sched, cfg.record).with_cpus(sc.cpus.map(|n| n.get() as usize));
    let spawns: Vec<ThreadSpawn<'_>> = sc
        .threads()
        .map(|(i, proc_spec, thread)| {
            let pi = sc.processes.iter().position(|p| std::ptr::eq(p, proc_spec)).expect("thread of a listed process");
            let ops: Vec<_> = thread.ops.iter().map(|o| o.get_ref().clone()).collect();
            let setup = proc_spec.setup;
            let (k, rt) = (&k, &rt);
            ThreadSpawn {
                phase: u8::from(!setup),
                future: Box::pin(async move {
                    let cx = Cx::new(k, Tid(i as u8), rt);
                    run_thread(&cx, &k.mms[pi], &ops, setup).await
                }),
            }
        })
        .collect();
    let res = rt.run(spawns, cfg.max_steps);
    let inspected = inspect(&k);
    let outcome = classify(&k, RunEnd { ends: &res.ends, hung: &res.hung, step_limit_hit: res.step_limit_hit });
    let notes = k.obs.with(|o| o.notes.clone());
    let ex = Execution {
        outcome,
        notes,
        schedule: res.schedule,
        events: res.events,
        steps: res.steps,
        preemptions: res.preemptions,
        switches: res.switches,
        runs: res.runs,
        kernel_only_steps: res.kernel_only_steps,
        paused: res.paused,
        abandoned: res.abandoned,
    };
    (ex, inspected)
}
