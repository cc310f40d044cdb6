//! The machine's CPUs, and how the running thread changes.
//!
//! By default every thread has a CPU of its own: at any scheduling point any runnable
//! thread may take the next step, even while another holds a spin lock or has preemption
//! off — its CPU simply falls behind. With fewer CPUs than threads (`cpus = N` in a
//! scenario, `--cpus N`), a thread holds its CPU while it runs or spins, and gives it up only
//! when it sleeps, finishes, or is preempted; the kernel preempts a thread only at a point
//! where it has preemption on and holds no spin lock (CONFIG_PREEMPT: every such point is
//! a preemption point).

use super::Tid;
use serde::{Deserialize, Serialize};

/// A change of the running thread, named as a kernel reader would name it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Switch {
    pub step: u32,
    pub from: Tid,
    pub to: Tid,
    pub how: SwitchHow,
}

impl Switch {
    /// Whether `from` could have gone on: such a switch costs one preemption of the bound.
    pub fn preempted(&self) -> bool {
        matches!(self.how, SwitchHow::OtherCpu | SwitchHow::Preempted { .. })
    }

    /// The switch in words, e.g. "T1 is preempted; T2 runs on its CPU".
    pub fn describe(&self, names: &[String]) -> String {
        let (from, to) = (&names[self.from.index()], &names[self.to.index()]);
        match self.how {
            SwitchHow::OtherCpu => format!("{from} could go on; {to}'s CPU runs ahead"),
            SwitchHow::Preempted { victim } => format!("{} is preempted; {to} runs on its CPU", names[victim.index()]),
            SwitchHow::Sleeps => format!("{from} sleeps; {to} runs"),
            SwitchHow::Spins => format!("{from} spins on a lock; {to} runs"),
            SwitchHow::Exits => format!("{from} is done; {to} runs"),
        }
    }
}

/// Why the running thread changed.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SwitchHow {
    /// `from` could go on, and does, on its own CPU; `to` runs on another CPU.
    OtherCpu,
    /// `victim` (`from`, unless `from` keeps its CPU with preemption off) is preempted at a
    /// point where the kernel can switch, and `to` runs on its CPU.
    Preempted { victim: Tid },
    /// `from` sleeps (an entry-lock wait, a page lock, an rwsem) and gives up its CPU.
    Sleeps,
    /// `from` spins on a spin lock another CPU holds.
    Spins,
    /// `from` has finished.
    Exits,
}

/// Which threads hold a CPU.
#[derive(Default)]
pub(super) struct Cpus {
    /// None: one CPU per thread, so no thread ever waits for a CPU.
    pub count: Option<usize>,
    on_cpu: Vec<bool>,
    /// Per thread: at its current scheduling point preemption is off (a spin lock held, or
    /// radix_tree_preload() to radix_tree_preload_end()).
    atomic: Vec<bool>,
}

impl Cpus {
    pub fn reset(&mut self, threads: usize) {
        self.on_cpu = vec![false; threads];
        self.atomic = vec![false; threads];
    }

    pub fn set_atomic(&mut self, t: Tid, atomic: bool) {
        self.atomic[t.index()] = atomic;
    }

    /// `t` sleeps or finishes: its CPU is free.
    pub fn leave(&mut self, t: Tid) {
        self.on_cpu[t.index()] = false;
    }

    fn free(&self) -> bool {
        self.count.is_none_or(|n| self.on_cpu.iter().filter(|c| **c).count() < n)
    }

    /// A thread on a CPU that may be switched out here: it can run (it is not spinning)
    /// and has preemption on. The thread that ran last goes first, as a timer tick would
    /// find it.
    fn preemptible(&self, runnable: &dyn Fn(usize) -> bool, last: Option<Tid>) -> Option<Tid> {
        let ok = |i: usize| self.on_cpu[i] && !self.atomic[i] && runnable(i);
        last.filter(|l| ok(l.index())).or_else(|| (0..self.on_cpu.len()).find(|&i| ok(i)).map(|i| Tid(i as u8)))
    }

    /// Whether runnable thread `t` can take the next step.
    pub fn can_run(&self, t: Tid, runnable: &dyn Fn(usize) -> bool, last: Option<Tid>) -> bool {
        self.on_cpu[t.index()] || self.free() || self.preemptible(runnable, last).is_some()
    }

    /// `t` takes the next step: it gets a CPU if it has none, preempting someone if no CPU
    /// is free. Returns the preempted thread.
    pub fn run(&mut self, t: Tid, runnable: &dyn Fn(usize) -> bool, last: Option<Tid>) -> Option<Tid> {
        if self.on_cpu[t.index()] {
            return None;
        }
        let victim = if self.free() { None } else { self.preemptible(runnable, last) };
        if let Some(v) = victim {
            self.on_cpu[v.index()] = false;
        }
        self.on_cpu[t.index()] = true;
        victim
    }
}
