//! Footprints are sound: two adjacent steps of different threads that the footprints call
//! independent really commute. Executions of every built-in on every kernel (the first ones
//! of the exhaustive search, and random ones) are re-run with each such pair swapped: every
//! step must then do what it did before (same footprint, same injected choices, same way of
//! ending), every thread must record the same events, and the run must end the same
//! (outcome and notes). A footprint that leaves out something a step reads or writes shows
//! up here as a pair whose swap changes what happens, and the failure names the two steps
//! and their footprints — much more directly than a Mazurkiewicz trace the reduction misses
//! (tests/reduction.rs).

mod common;

use common::kernel_models;
use daxlab::Kernel;
use daxlab::explore::DfsScheduler;
use daxlab::scenario::{BUILTINS, Execution, RunConfig, Scenario, builtin, execute};
use daxlab::sim::{
    Access, After, ChoicePick, RandomScheduler, Scheduler, StepInfo, ThreadPick, Tid, footprints_conflict,
};
use daxlab::trace::EventKind;
use std::collections::VecDeque;

/// Executions of the exhaustive search checked per built-in and kernel, and random ones. A
/// sample: the proof that the reduction misses nothing is tests/reduction.rs.
const EXHAUSTIVE: u64 = 30;
const RANDOM: u64 = 2;

#[derive(Clone, Debug, PartialEq)]
struct Step {
    tid: Tid,
    accesses: Vec<Access>,
    choices: Vec<u32>,
    halted: bool,
    after: After,
}

/// Runs as `inner` decides and records every step.
struct Rec<S> {
    inner: S,
    steps: Vec<Step>,
    phases: Vec<u8>,
}

impl<S> Rec<S> {
    fn new(inner: S) -> Self {
        Rec { inner, steps: Vec::new(), phases: Vec::new() }
    }
}

impl<S: Scheduler> Scheduler for Rec<S> {
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
        self.phases = phases.to_vec();
        self.steps.clear();
    }
    fn on_step(&mut self, s: &StepInfo<'_>) {
        let (accesses, choices) = (s.accesses.to_vec(), s.choices.to_vec());
        self.steps.push(Step { tid: s.tid, accesses, choices, halted: s.halted, after: s.after });
    }
}

/// Runs the threads of a plan (one per step), each answering its injected choices in the
/// order it did before; notes the first point where the run cannot follow the plan.
struct Follow {
    plan: Vec<Tid>,
    answers: Vec<VecDeque<u32>>,
    diverged: Option<String>,
}

impl Follow {
    fn new(steps: &[Step], plan: Vec<Tid>) -> Self {
        let threads = steps.iter().map(|s| s.tid.index() + 1).max().unwrap_or(0);
        let mut answers = vec![VecDeque::new(); threads];
        for s in steps {
            answers[s.tid.index()].extend(&s.choices);
        }
        Follow { plan, answers, diverged: None }
    }

    fn diverge(&mut self, why: impl FnOnce() -> String) {
        if self.diverged.is_none() {
            self.diverged = Some(why());
        }
    }
}

impl Scheduler for Follow {
    fn pick_thread(&mut self, pick: &ThreadPick<'_>) -> Tid {
        let want = self.plan.get(pick.step as usize).copied().unwrap_or(pick.runnable[0]);
        if !pick.runnable.contains(&want) {
            self.diverge(|| format!("step {}: thread {} cannot run", pick.step, want.0));
        }
        want
    }

    fn pick_choice(&mut self, pick: &ChoicePick) -> u32 {
        let answer = self.answers.get_mut(pick.tid.index()).and_then(VecDeque::pop_front);
        if answer.is_none() {
            self.diverge(|| format!("thread {} asks an extra {:?}", pick.tid.0, pick.choice));
        }
        answer.unwrap_or(0)
    }

    fn footprints(&self) -> bool {
        true
    }

    fn on_step(&mut self, s: &StepInfo<'_>) {
        if let Some(&want) = self.plan.get(s.step as usize)
            && want != s.tid
        {
            self.diverge(|| format!("step {}: thread {} runs, not {}", s.step, s.tid.0, want.0));
        }
    }
}

/// Each thread's events in order (what it did, not where in the engine it came from):
/// reordering steps that commute leaves every thread's own sequence as it was.
fn events_by_thread(ex: &Execution) -> Vec<Vec<EventKind>> {
    let mut by: Vec<Vec<EventKind>> = Vec::new();
    for e in &ex.events {
        if by.len() <= e.tid.index() {
            by.resize(e.tid.index() + 1, Vec::new());
        }
        by[e.tid.index()].push(e.kind.clone());
    }
    by
}

/// A run with events recorded, following `plan`.
struct Run {
    ex: Execution,
    steps: Vec<Step>,
    diverged: Option<String>,
}

fn run(sc: &Scenario, kernel: Kernel, steps: &[Step], plan: Vec<Tid>) -> Run {
    let mut rec = Rec::new(Follow::new(steps, plan));
    let ex = execute(sc, &RunConfig::new(kernel), &mut rec);
    Run { ex, steps: rec.steps, diverged: rec.inner.diverged }
}

/// How the run with steps `i` and `i + 1` swapped differs from `base`, if it does.
fn swap_differs(sc: &Scenario, kernel: Kernel, base: &Run, i: usize) -> Option<String> {
    let mut order: Vec<usize> = (0..base.steps.len()).collect();
    order.swap(i, i + 1);
    let swapped = run(sc, kernel, &base.steps, order.iter().map(|&j| base.steps[j].tid).collect());
    if let Some(d) = swapped.diverged {
        return Some(d);
    }
    let n = base.steps.len().min(swapped.steps.len());
    if let Some(j) = (0..n).find(|&j| swapped.steps[j] != base.steps[order[j]]) {
        return Some(format!("step {j} becomes {:?}\n  was {:?}", swapped.steps[j], base.steps[order[j]]));
    }
    if swapped.steps.len() != base.steps.len() {
        return Some(format!("{} steps instead of {}", swapped.steps.len(), base.steps.len()));
    }
    let (events, swapped_events) = (events_by_thread(&base.ex), events_by_thread(&swapped.ex));
    if let Some(t) = (0..events.len()).find(|&t| swapped_events.get(t) != events.get(t)) {
        return Some(format!("thread {t} records {:?}\n  not {:?}", swapped_events.get(t), events[t]));
    }
    let end = |ex: &Execution| format!("{:?} {:?}", ex.outcome, ex.notes);
    (end(&swapped.ex) != end(&base.ex)).then(|| format!("it ends {} instead of {}", end(&swapped.ex), end(&base.ex)))
}

/// Swaps every adjacent pair of the execution `steps` whose footprints say it commutes;
/// returns a description of the first pair whose swap changes the run.
fn check_steps(sc: &Scenario, kernel: Kernel, steps: &[Step], phases: &[u8]) -> Option<String> {
    // Run again with events recorded, as the swapped runs are: a step may declare what only
    // its events read.
    let base = run(sc, kernel, steps, steps.iter().map(|s| s.tid).collect());
    assert_eq!(base.diverged, None, "{} ({kernel}): the same plan runs again", sc.name);
    let phase = |s: &Step| phases[s.tid.index()];
    for (i, pair) in base.steps.windows(2).enumerate() {
        let (a, b) = (&pair[0], &pair[1]);
        // Phases order their steps, and a step that fires an invariant comes after all
        // before it, whatever they touch.
        if a.tid == b.tid || a.halted || b.halted || phase(a) != phase(b) {
            continue;
        }
        if footprints_conflict(&a.accesses, &b.accesses) {
            continue;
        }
        if let Some(why) = swap_differs(sc, kernel, &base, i) {
            let show = |s: &Step| s.accesses.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", ");
            return Some(format!(
                "{} ({kernel}): steps {i} (thread {}) and {} (thread {}) are called independent, but \
                 swapping them changes the run: {why}\n  step {i}: [{}]\n  step {}: [{}]",
                sc.name,
                a.tid.0,
                i + 1,
                b.tid.0,
                show(a),
                i + 1,
                show(b),
            ));
        }
    }
    None
}

/// The first executions of the exhaustive search at `bound`, then random ones.
fn check(sc: &Scenario, kernel: Kernel, bound: u32) -> Option<String> {
    let cfg = RunConfig { record: false, ..RunConfig::new(kernel) };
    let mut dfs = Rec::new(DfsScheduler::new(bound));
    for _ in 0..EXHAUSTIVE {
        execute(sc, &cfg, &mut dfs);
        if let Some(f) = check_steps(sc, kernel, &dfs.steps, &dfs.phases) {
            return Some(f);
        }
        if !dfs.inner.next_execution() {
            break;
        }
    }
    (0..RANDOM).find_map(|seed| {
        let mut random = Rec::new(RandomScheduler::new(seed));
        execute(sc, &cfg, &mut random);
        check_steps(sc, kernel, &random.steps, &random.phases).map(|f| format!("random seed {seed}: {f}"))
    })
}

fn check_all(inject_enomem: bool, bound: u32) {
    let mut failures = Vec::new();
    for (name, _) in BUILTINS {
        let mut sc = builtin(name).unwrap().unwrap();
        sc.inject_enomem = inject_enomem;
        failures.extend(kernel_models().into_iter().filter_map(|kernel| check(&sc, kernel, bound)));
    }
    assert!(failures.is_empty(), "{} pairs do not commute:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn independent_adjacent_steps_commute() {
    check_all(false, 2);
}

#[test]
fn independent_adjacent_steps_commute_with_injected_allocation_failures() {
    check_all(true, 1);
}
