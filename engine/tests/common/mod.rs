//! Helpers shared by the subject tests: load scenarios, run them, find an interleaving
//! with a given property, and look at the machine the threads left behind.
#![allow(dead_code)]

use daxlab::check::Note;
use daxlab::explore::{DfsScheduler, ExploreConfig, ExploreReport, explore};
use daxlab::fs::Extent;
use daxlab::kernel::Machine;
use daxlab::mm::PageTables;
use daxlab::radix::Item;
use daxlab::scenario::builtin;
use daxlab::scenario::{Execution, RunConfig, execute, execute_with};
use daxlab::sim::{DefaultScheduler, ReplayScheduler, Scheduler};
use daxlab::trace::EventKind;
use daxlab::{Kernel, Scenario};
use std::collections::BTreeSet;

pub fn load(name: &str) -> Scenario {
    builtin(name).expect("a built-in").expect("it parses")
}

pub fn parse(text: &str) -> Scenario {
    Scenario::from_toml(text, "test scenario").expect("the test scenario parses")
}

/// What the threads left: the radix tree, the counters, every process's page tables, the
/// inode.
#[derive(Clone, Debug)]
pub struct Snap {
    /// (first index, order, entry, tag bits) in index order.
    pub entries: Vec<(u64, u32, Item, u8)>,
    pub nrpages: i64,
    pub nrexceptional: i64,
    pub pts: Vec<PageTables>,
    pub i_size: u64,
    pub extents: Vec<Extent>,
}

impl Snap {
    pub fn entry(&self, index: u64) -> Option<(u64, u32, Item, u8)> {
        self.entries.iter().copied().find(|(first, order, _, _)| (*first..first + (1 << order)).contains(&index))
    }
}

pub fn snap(k: &Machine) -> Snap {
    let entries = k
        .mapping
        .page_tree
        .with(|t| t.entries().into_iter().map(|(f, tags)| (f.first_index, f.order, f.item, tags)).collect());
    Snap {
        entries,
        nrpages: k.mapping.nrpages(),
        nrexceptional: k.mapping.nrexceptional(),
        pts: k.mms.iter().map(|mm| mm.pt.snapshot()).collect(),
        i_size: k.inode.i_size(),
        extents: k.inode.extents.with(|e| e.iter().copied().collect()),
    }
}

/// One run under `sched`, with the machine inspected before classification.
pub fn run_with(sc: &Scenario, kernel: Kernel, sched: &mut dyn Scheduler) -> (Execution, Snap) {
    execute_with(sc, &RunConfig::new(kernel), sched, snap)
}

/// The schedule that never preempts (threads run one after another, in order).
pub fn run(sc: &Scenario, kernel: Kernel) -> (Execution, Snap) {
    run_with(sc, kernel, &mut DefaultScheduler)
}

/// The first interleaving (depth first, at most `bound` preemptions) whose execution
/// satisfies `want`, replayed for its final state.
pub fn find(sc: &Scenario, kernel: Kernel, bound: u32, want: impl Fn(&Execution) -> bool) -> Option<(Execution, Snap)> {
    let mut dfs = DfsScheduler::new(bound);
    let cfg = RunConfig::new(kernel);
    loop {
        let ex = execute(sc, &cfg, &mut dfs);
        if want(&ex) {
            return Some(run_with(sc, kernel, &mut ReplayScheduler::new(ex.schedule.0.clone())));
        }
        if !dfs.next_execution() {
            return None;
        }
    }
}

pub fn explore_all(sc: &Scenario, kernel: Kernel, bound: u32) -> ExploreReport {
    let cfg = ExploreConfig::exhaustive(kernel, bound);
    explore(sc, &cfg, &mut |_| {})
}

pub fn classes(r: &ExploreReport) -> BTreeSet<String> {
    r.failure_classes()
}

pub fn kinds(ex: &Execution) -> Vec<&EventKind> {
    ex.events.iter().map(|e| &e.kind).collect()
}

/// Index of the first event matching `p` (at or after `from`).
pub fn pos(ex: &Execution, from: usize, p: impl Fn(&EventKind) -> bool) -> Option<usize> {
    ex.events.iter().skip(from).position(|e| p(&e.kind)).map(|i| i + from)
}

pub fn count(ex: &Execution, p: impl Fn(&EventKind) -> bool) -> usize {
    ex.events.iter().filter(|e| p(&e.kind)).count()
}

pub fn has_note(ex: &Execution, n: Note) -> bool {
    ex.notes.contains(&n)
}

/// Both variants of the v4.11 model.
pub const BOTH: [Kernel; 2] = [Kernel::UNFIXED, Kernel::FIXED];

/// Every stock kernel, one per distinct model: releases with the same era and fixes run the
/// same code.
pub fn kernel_models() -> Vec<Kernel> {
    let mut seen = Vec::new();
    Kernel::releases()
        .filter(|k| {
            let model = (k.release.era(), k.fixes);
            let new = !seen.contains(&model);
            seen.push(model);
            new
        })
        .collect()
}
