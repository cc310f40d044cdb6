//! Splitting an exhaustive search into parts that worker threads explore on their own.
//!
//! The parts are the branches of the first scheduling decision when no thread is running
//! there, so that every branch is free (no preemption) and the branches' subtrees share
//! nothing: each part is explored by a scheduler pinned to its branch, and the parts'
//! tables are merged in branch order, which is the order the sequential search explores
//! them in. Whatever the number of workers, the result is the sequential search's.
//!
//! The unreduced search needs nothing else. The reduction's later branches also use what
//! the earlier ones showed: the footprints of their first steps over every variant (the
//! injected choices made in that step) and whether one fires an invariant (see
//! [`Pin`]). A probe finds them first, with one execution per variant that stops as soon
//! as the branch's first step is done. A search whose first decision has a running
//! thread, or that makes an injected choice before it, is one part.

use super::dpor::Pin;
use super::{ExploreConfig, Reduction};
use crate::scenario::{RunConfig, Scenario, execute};
use crate::sim::{Access, ChoicePick, Scheduler, StepInfo, ThreadPick, Tid};

/// One part of an exhaustive search.
#[derive(Clone, Debug)]
pub(super) enum Part {
    Whole,
    /// The unreduced search below this branch of the first decision.
    Dfs(usize),
    Dpor(Pin),
}

/// The parts of the search `cfg` asks for, in the order the sequential search explores
/// them.
pub(super) fn parts(sc: &Scenario, cfg: &ExploreConfig) -> Vec<Part> {
    let run = |p: &mut Probe| {
        p.begin_variant();
        execute(sc, &RunConfig { record: false, ..RunConfig::new(cfg.kernel) }, p);
    };
    let mut probe = Probe::default();
    run(&mut probe);
    let branches = match probe.top {
        Some(Top { runnable, current: false, .. }) if !probe.choices_before => runnable,
        _ => return vec![Part::Whole],
    };
    match cfg.reduction {
        Reduction::None => (0..branches).map(Part::Dfs).collect(),
        Reduction::Dpor => {
            let mut parts = Vec::with_capacity(branches);
            let mut before = Pin::default();
            for branch in 0..branches {
                parts.push(Part::Dpor(Pin { branch, ..before.clone() }));
                let mut p = Probe { branch, ..Probe::default() };
                run(&mut p);
                while p.next_variant() {
                    run(&mut p);
                }
                before.first.extend(p.first.iter().map(|a| (branch as u8, *a)));
                before.halts |= u64::from(p.halted) << branch;
            }
            parts
        }
    }
}

#[derive(Copy, Clone, Debug)]
struct Top {
    step: u32,
    runnable: usize,
    current: bool,
}

/// Runs to the first decision, takes branch `branch` there, and stops once that branch's
/// first step is done, keeping its footprint; between runs, steps through the injected
/// choices that step makes, every combination once.
#[derive(Debug, Default)]
struct Probe {
    branch: usize,
    top: Option<Top>,
    choices_before: bool,
    /// The first step's injected choices: (answer, options), last one varying fastest.
    odometer: Vec<(u32, u32)>,
    pos: usize,
    first: Vec<Access>,
    halted: bool,
    done: bool,
}

impl Probe {
    fn begin_variant(&mut self) {
        self.top = None;
        self.pos = 0;
        self.done = false;
    }

    fn next_variant(&mut self) -> bool {
        while let Some((answer, options)) = self.odometer.last_mut() {
            if *answer + 1 < *options {
                *answer += 1;
                return true;
            }
            self.odometer.pop();
        }
        false
    }
}

impl Scheduler for Probe {
    fn pick_thread(&mut self, pick: &ThreadPick<'_>) -> Tid {
        if self.top.is_none() {
            let runnable = pick.runnable.len();
            self.top = Some(Top { step: pick.step, runnable, current: pick.current.is_some() });
            return pick.runnable[self.branch.min(runnable - 1)];
        }
        pick.current.unwrap_or(pick.runnable[0])
    }

    fn pick_choice(&mut self, pick: &ChoicePick) -> u32 {
        if self.top.is_none() {
            self.choices_before = true;
            return 0;
        }
        if self.pos == self.odometer.len() {
            self.odometer.push((0, pick.options));
        }
        self.pos += 1;
        self.odometer[self.pos - 1].0
    }

    fn footprints(&self) -> bool {
        true
    }

    fn abandon(&mut self, _: &[Tid], _: Option<Tid>) -> bool {
        self.done
    }

    fn on_step(&mut self, s: &StepInfo<'_>) {
        if self.top.is_some_and(|t| t.step == s.step) {
            for a in s.accesses {
                if !self.first.contains(a) {
                    self.first.push(*a);
                }
            }
            self.halted |= s.halted;
            self.done = true;
        }
    }
}
