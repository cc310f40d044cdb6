//! Schedulers decide who runs at each scheduling point and answer injected choices.

use super::{Access, Decision, Tid};
use serde::{Deserialize, Serialize};

/// The question a scheduler answers at a point where more than one thread can run.
#[derive(Debug)]
pub struct ThreadPick<'a> {
    /// Runnable threads, in ascending order; at least two.
    pub runnable: &'a [Tid],
    /// The thread that ran the previous step, if it could run again. Choosing anything else
    /// preempts it.
    pub current: Option<Tid>,
    /// Preemptions so far in this execution.
    pub preemptions: u32,
    /// Steps each thread has run so far, not counting kernel-only steps.
    pub shared_steps: &'a [u32],
    /// The step about to run (steps are numbered from 0 across all threads).
    pub step: u32,
}

/// A nondeterministic kernel event the scheduler may inject.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Choice {
    /// Answer 1 makes this `radix_tree_preload()` fail with -ENOMEM.
    PreloadEnomem,
    /// Answer 1 makes the GFP_ATOMIC slab allocation of a radix-tree node under tree_lock
    /// fail, so the node comes from the preload pool.
    AtomicNodeAllocFails,
    /// Answer 1 makes the GFP_NOWAIT allocation of an xa_node under xa_lock (xas_alloc())
    /// fail: the XArray operation leaves -ENOMEM in its xa_state for xas_nomem().
    XaNodeAllocFails,
    /// Answer 1 makes xas_nomem()'s own allocation (lock dropped, may sleep) fail.
    XasNomemFails,
}

#[derive(Clone, Debug)]
pub struct ChoicePick {
    pub tid: Tid,
    pub choice: Choice,
    /// Number of alternatives; 0 is always the uneventful one.
    pub options: u32,
}

/// Whether the thread that ran a step can run again right after it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum After {
    Runnable,
    Blocked,
    Done,
}

/// One step as a footprint-tracking scheduler sees it, right after it ran.
#[derive(Debug)]
pub struct StepInfo<'a> {
    pub step: u32,
    pub tid: Tid,
    /// Everything the step declared it read and wrote.
    pub accesses: &'a [Access],
    /// The answers to the injected choices the step asked for, in order.
    pub choices: &'a [u32],
    /// An invariant fired in this step: nothing runs after it.
    pub halted: bool,
    pub after: After,
}

pub trait Scheduler {
    fn pick_thread(&mut self, pick: &ThreadPick<'_>) -> Tid;
    fn pick_choice(&mut self, pick: &ChoicePick) -> u32;
    /// Asked at each decision before `pick_thread`: true pauses the execution here, with
    /// the machine as it is, so that someone outside can decide (the workbench's "be the
    /// scheduler" mode).
    fn pause(&mut self, _pick: &ThreadPick<'_>) -> bool {
        false
    }
    /// True makes the executor gather every step's footprint and call [`Scheduler::begin`],
    /// [`Scheduler::abandon`] and [`Scheduler::on_step`]. Asked once per execution.
    fn footprints(&self) -> bool {
        false
    }
    /// An execution starts; `phases[i]` is thread i's phase.
    fn begin(&mut self, _phases: &[u8]) {}
    /// Asked before every step, forced or not: true ends the execution here because it can
    /// only repeat what another execution covers. `runnable` is in ascending order.
    fn abandon(&mut self, _runnable: &[Tid], _current: Option<Tid>) -> bool {
        false
    }
    fn on_step(&mut self, _step: &StepInfo<'_>) {}
}

/// Never preempts: keeps running the current thread, else the lowest runnable one, and
/// never injects a failure. The schedule every exploration starts from.
#[derive(Debug, Default)]
pub struct DefaultScheduler;

impl Scheduler for DefaultScheduler {
    fn pick_thread(&mut self, pick: &ThreadPick<'_>) -> Tid {
        pick.current.unwrap_or(pick.runnable[0])
    }
    fn pick_choice(&mut self, _: &ChoicePick) -> u32 {
        0
    }
}

/// Replays a recorded list of decisions. If the execution asks a question the recording
/// cannot answer (a different kind of decision, a thread that cannot run, or the recording
/// ran out), the replay has diverged: the first such point is kept and the scheduler falls
/// back to the default choice so the execution can still finish.
#[derive(Debug)]
pub struct ReplayScheduler {
    decisions: Vec<Decision>,
    next: usize,
    divergence: Option<String>,
}

impl ReplayScheduler {
    pub fn new(decisions: Vec<Decision>) -> Self {
        ReplayScheduler { decisions, next: 0, divergence: None }
    }

    /// The first point where the recording and the execution disagreed, if any; also
    /// reports decisions left unused at the end.
    pub fn divergence(&self) -> Option<String> {
        if let Some(d) = &self.divergence {
            return Some(d.clone());
        }
        (self.next < self.decisions.len()).then(|| {
            format!("the execution finished after {} of {} recorded decisions", self.next, self.decisions.len())
        })
    }

    fn take(&mut self) -> Option<Decision> {
        let d = self.decisions.get(self.next).copied();
        self.next += 1;
        d
    }

    fn diverge(&mut self, what: String) {
        if self.divergence.is_none() {
            self.divergence = Some(format!("decision {}: {what}", self.next));
        }
    }
}

impl Scheduler for ReplayScheduler {
    fn pick_thread(&mut self, pick: &ThreadPick<'_>) -> Tid {
        let fallback = pick.current.unwrap_or(pick.runnable[0]);
        match self.take() {
            Some(Decision::Run(t)) if pick.runnable.contains(&t) => t,
            Some(Decision::Run(t)) => {
                self.diverge(format!("recorded thread {} cannot run here", t.0));
                fallback
            }
            Some(Decision::Choose(c)) => {
                self.diverge(format!("recorded a choice ({c}) where the execution picks a thread"));
                fallback
            }
            None => {
                self.diverge("the recording ended but the execution goes on".into());
                fallback
            }
        }
    }

    fn pick_choice(&mut self, pick: &ChoicePick) -> u32 {
        match self.take() {
            Some(Decision::Choose(c)) if c < pick.options => c,
            other => {
                self.diverge(format!("expected a {:?} choice, the recording has {other:?}", pick.choice));
                0
            }
        }
    }
}

/// A small, fast PRNG whose sequence is fixed forever, so a seed printed today reproduces
/// the same run with any later build.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }
}

/// Picks uniformly among runnable threads at every point, and injects each enabled
/// failure with probability `fail_one_in`⁻¹.
#[derive(Debug)]
pub struct RandomScheduler {
    rng: SplitMix64,
    fail_one_in: u64,
}

impl RandomScheduler {
    pub fn new(seed: u64) -> Self {
        RandomScheduler { rng: SplitMix64::new(seed), fail_one_in: 8 }
    }
}

impl Scheduler for RandomScheduler {
    fn pick_thread(&mut self, pick: &ThreadPick<'_>) -> Tid {
        pick.runnable[self.rng.below(pick.runnable.len() as u64) as usize]
    }
    fn pick_choice(&mut self, pick: &ChoicePick) -> u32 {
        if self.rng.below(self.fail_one_in) == 0 { 1 + self.rng.below(u64::from(pick.options - 1)) as u32 } else { 0 }
    }
}

/// Carries a schedule recorded under one kernel over to another.
///
/// The recording is a sequence of runs — thread T ran n steps, then U ran m steps, ... —
/// counted without the steps that exist in only one of the kernels (e.g. the seed fix's
/// re-lookup). The new
/// execution follows the same runs: at each decision it picks the thread of the first run
/// that is not yet complete and whose thread can run. A run is complete once its thread
/// has done as many shared steps as it had at the end of that run in the recording. Up to
/// the point where the two kernels part, this reproduces the recorded interleaving
/// exactly; after it, it keeps the same shape of turns. Injected choices are answered in
/// the recorded order.
#[derive(Debug)]
pub struct FollowScheduler {
    /// (thread, its shared-step count at the end of the run).
    runs: Vec<(Tid, u32)>,
    first_open: usize,
    choices: std::collections::VecDeque<u32>,
}

impl FollowScheduler {
    /// `runs` are the recorded runs; `kernel_only` tells which recorded steps (by step
    /// number) exist only in the recorded kernel; `choices` the recorded choice answers.
    pub fn new(runs: &[(Tid, u32)], kernel_only: &std::collections::BTreeSet<u32>, choices: Vec<u32>) -> Self {
        let mut done: std::collections::BTreeMap<Tid, u32> = std::collections::BTreeMap::new();
        let mut step = 0u32;
        let mut out = Vec::new();
        for &(tid, n) in runs {
            let shared = (step..step + n).filter(|s| !kernel_only.contains(s)).count() as u32;
            step += n;
            let end = done.entry(tid).or_default();
            *end += shared;
            out.push((tid, *end));
        }
        FollowScheduler { runs: out, first_open: 0, choices: choices.into() }
    }
}

impl Scheduler for FollowScheduler {
    fn pick_thread(&mut self, pick: &ThreadPick<'_>) -> Tid {
        let done = |t: Tid| pick.shared_steps.get(t.index()).copied().unwrap_or(0);
        while self.runs.get(self.first_open).is_some_and(|&(t, end)| done(t) >= end) {
            self.first_open += 1;
        }
        self.runs[self.first_open..]
            .iter()
            .find(|&&(t, end)| done(t) < end && pick.runnable.contains(&t))
            .map(|&(t, _)| t)
            .unwrap_or_else(|| pick.current.unwrap_or(pick.runnable[0]))
    }

    fn pick_choice(&mut self, pick: &ChoicePick) -> u32 {
        self.choices.pop_front().filter(|c| *c < pick.options).unwrap_or(0)
    }
}

/// Replays the decisions made so far and pauses at the first decision left to make: the
/// user of the workbench is the scheduler. Injected choices beyond the recorded ones are
/// answered "no failure", and remembered as places where a failure could be injected.
#[derive(Debug)]
pub struct InteractiveScheduler {
    decisions: Vec<Decision>,
    next: usize,
    /// (decision index, the choice) for each choice answered by default.
    pub offered: Vec<(usize, ChoicePick)>,
}

impl InteractiveScheduler {
    pub fn new(decisions: Vec<Decision>) -> Self {
        InteractiveScheduler { decisions, next: 0, offered: Vec::new() }
    }
}

impl Scheduler for InteractiveScheduler {
    fn pause(&mut self, _: &ThreadPick<'_>) -> bool {
        self.next >= self.decisions.len()
    }

    fn pick_thread(&mut self, pick: &ThreadPick<'_>) -> Tid {
        let d = self.decisions.get(self.next).copied();
        self.next += 1;
        match d {
            Some(Decision::Run(t)) if pick.runnable.contains(&t) => t,
            _ => pick.current.unwrap_or(pick.runnable[0]),
        }
    }

    fn pick_choice(&mut self, pick: &ChoicePick) -> u32 {
        let d = self.decisions.get(self.next).copied();
        let at = self.next;
        self.next += 1;
        match d {
            Some(Decision::Choose(c)) if c < pick.options => c,
            _ => {
                self.offered.push((at, ChoicePick { tid: pick.tid, choice: pick.choice, options: pick.options }));
                0
            }
        }
    }
}
