//! Partial-order reduction under a preemption bound.
//!
//! The unreduced search ([`super::DfsScheduler`]) runs every schedule with at most `bound`
//! preemptions. Most of them only reorder steps that commute, and so end in the same state
//! through the same trace. This scheduler runs a subset that still contains, for every
//! trace the unreduced search reaches, one execution of it with no more preemptions — so
//! every outcome class is found, with the same fewest preemptions and, among those, the
//! same fewest steps. Dynamic partial-order reduction alone does not keep that promise
//! under a bound (Coons, Musuvathi and McKinley, OOPSLA 2013): the order it would keep of
//! a trace may need more preemptions than another. The two reductions here are restricted
//! to the moves that never cost a preemption:
//!
//! 1. *Preempting only to reverse a race.* At a decision where the running thread `c` could
//!    go on, its continuation is explored first (it costs nothing). Switching to another
//!    thread here is explored only if some execution of that continuation shows `c`'s next
//!    step racing with a later step of another thread, or that step fires an invariant, or
//!    a sleeping thread (below) is still asleep after it. Otherwise every execution that
//!    switches here reorders `c`'s next step only across steps it commutes with, and moving
//!    it back to the front is an execution of the continuation with no more preemptions.
//! 2. *Sleep sets that respect the cost.* When a later branch of a decision is explored,
//!    the threads of the earlier branches fall asleep until a step conflicting with their
//!    first step runs. A sleeping `c` (the thread that could have gone on) is never run:
//!    running its step first instead costs no more. A sleeping other thread may run, but
//!    only a whole uninterrupted run of it counts as already covered, and only if that run
//!    commutes with everything since it fell asleep: moving one step alone to the front
//!    could split a run and cost a preemption, moving the whole run never does.
//!
//! Both decisions are local to the subtree below a decision, so the set of executions does
//! not depend on the order subtrees are explored in (what `--jobs` needs). Injected choices
//! (an allocation failing or not) are explored in full. The argument in full, with its
//! assumptions, is in docs/performance.md.

use super::hb::Hb;
use crate::sim::{Access, After, ChoicePick, Scheduler, StepInfo, ThreadPick, Tid, TidSet};

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Sleep {
    /// The thread that could have gone on: it may not run while asleep.
    Current,
    /// Another thread: it may run, but a whole run of it that commutes with everything since
    /// it fell asleep is covered elsewhere.
    Run,
}

#[derive(Copy, Clone, Debug)]
struct Sleeper {
    tid: Tid,
    kind: Sleep,
    /// Where it fell asleep: the frame, and its branch there (whose first step, every
    /// variant of it, says what wakes it).
    frame: u32,
    branch: u8,
    /// The step at which it fell asleep.
    since: u32,
}

/// A sleeping thread running now: the step its run began at.
#[derive(Copy, Clone, Debug)]
struct SleepRun {
    tid: Tid,
    from: u32,
}

/// The threads tried at a decision, in order: the one that could go on (if any) first,
/// then the others in ascending order.
#[derive(Copy, Clone, Debug)]
struct Branches {
    lead: Option<Tid>,
    others: TidSet,
}

impl Branches {
    fn len(&self) -> usize {
        usize::from(self.lead.is_some()) + self.others.0.count_ones() as usize
    }

    fn get(&self, i: usize) -> Tid {
        match (self.lead, i) {
            (Some(l), 0) => l,
            (Some(_), i) => self.others.iter().nth(i - 1).expect("branch index in range"),
            (None, i) => self.others.iter().nth(i).expect("branch index in range"),
        }
    }
}

#[derive(Debug)]
struct ThreadFrame {
    runnable: TidSet,
    current: Option<Tid>,
    preemptions: u32,
    /// Preemptions are added once the continuation is done.
    branches: Branches,
    /// (branch, access): the union of each branch's first step's footprints over the
    /// variants seen.
    first: Vec<(u8, Access)>,
    /// Bit i: a variant of branch i's first step fired an invariant.
    halts: u64,
    /// Threads asleep as [`Sleep::Current`] on arrival: never tried here.
    asleep: TidSet,
    /// The running thread could go on, and switching away may be worth exploring.
    may_preempt: bool,
    /// Switching away is worth exploring (see the module doc, point 1).
    wanted: bool,
}

impl ThreadFrame {
    fn first_of(&self, branch: u8) -> impl Iterator<Item = &Access> + '_ {
        self.first.iter().filter(move |(b, _)| *b == branch).map(|(_, a)| a)
    }
}

#[derive(Debug)]
enum Kind {
    Thread(ThreadFrame),
    Choice { options: u32 },
}

#[derive(Debug)]
struct Frame {
    step: u32,
    kind: Kind,
    chosen: usize,
}

/// One part of a split search (see [`super::split`]): the subtree below one branch of the
/// first decision, which has no running thread (so every branch is free). What the
/// sequential search would know there from the branches before it — their first steps'
/// footprints over every variant, and whether one fires an invariant — is given.
#[derive(Clone, Debug, Default)]
pub struct Pin {
    pub branch: usize,
    /// (branch, access) for the branches before `branch`.
    pub first: Vec<(u8, Access)>,
    /// Bit i: a variant of branch i's first step fired an invariant.
    pub halts: u64,
}

/// Counts of what the reduction did, for the report.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct DporStats {
    /// Executions ended early because all that was left of them is covered elsewhere.
    pub abandoned: u64,
}

/// Explores a bounded, reduced set of schedules depth-first: run an execution, then call
/// [`DporScheduler::next_execution`] until it returns false; executions the scheduler
/// abandoned ([`crate::sim::SimResult::abandoned`]) are not outcomes.
#[derive(Default)]
pub struct DporScheduler {
    bound: u32,
    frames: Vec<Frame>,
    /// The next frame to replay.
    pos: usize,
    hb: Hb,
    sleepers: Vec<Sleeper>,
    sleep_run: Option<SleepRun>,
    /// The thread frame each step was decided at, if it was a decision.
    frame_of_step: Vec<Option<u32>>,
    abandoned: bool,
    /// Scratch for the races of one step.
    races: Vec<u32>,
    /// Footprint buffers of popped frames, for new ones.
    pool: Vec<Vec<(u8, Access)>>,
    pinned: Option<Pin>,
    pub stats: DporStats,
}

impl DporScheduler {
    pub fn new(bound: u32) -> Self {
        DporScheduler { bound, ..Default::default() }
    }

    /// Only the part of the search that `pin` names; the parts for every branch of the
    /// first decision together run exactly the executions of the whole search.
    pub fn below(bound: u32, pin: Pin) -> Self {
        DporScheduler { bound, pinned: Some(pin), ..Default::default() }
    }

    /// Keeps each execution's trace hash, for [`DporScheduler::trace_hash`].
    pub fn counting_traces(mut self, on: bool) -> Self {
        self.hb = std::mem::take(&mut self.hb).hashing(on);
        self
    }

    /// The Mazurkiewicz trace of the execution just run (see [`Hb::trace_hash`]).
    pub fn trace_hash(&self) -> u128 {
        self.hb.trace_hash()
    }

    /// Prepares the next execution; false when the search is complete.
    pub fn next_execution(&mut self) -> bool {
        if self.abandoned {
            self.stats.abandoned += 1;
        }
        loop {
            // A part of a split search never leaves its branch of the first decision.
            if self.pinned.is_some() && self.frames.len() == 1 {
                self.frames.clear();
            }
            let Some(f) = self.frames.last_mut() else { return false };
            match &mut f.kind {
                Kind::Choice { options } => {
                    if f.chosen + 1 < *options as usize {
                        f.chosen += 1;
                        return true;
                    }
                }
                Kind::Thread(t) => {
                    if t.may_preempt && f.chosen == 0 {
                        t.may_preempt = false;
                        if t.wanted && t.preemptions < self.bound {
                            let c = t.current.map_or(0, |c| 1u64 << c.0);
                            t.branches.others = TidSet(t.runnable.0 & !c & !t.asleep.0);
                        }
                    }
                    if f.chosen + 1 < t.branches.len() {
                        f.chosen += 1;
                        return true;
                    }
                }
            }
            if let Some(Frame { kind: Kind::Thread(t), .. }) = self.frames.pop() {
                self.pool.push(t.first);
            }
        }
    }

    fn asleep_current(&self) -> TidSet {
        let mut s = TidSet::default();
        for z in self.sleepers.iter().filter(|z| z.kind == Sleep::Current) {
            s.insert(z.tid);
        }
        s
    }

    fn new_thread_frame(&mut self, pick: &ThreadPick<'_>) -> ThreadFrame {
        let asleep = self.asleep_current();
        let mut runnable = TidSet::default();
        pick.runnable.iter().for_each(|&t| runnable.insert(t));
        let in_run = |c: Tid| self.sleep_run.is_some_and(|r| r.tid == c);
        let (branches, may_preempt) = match pick.current {
            // A sleeping run is covered as a whole only: it is not cut here.
            Some(c) if in_run(c) => (Branches { lead: Some(c), others: TidSet::default() }, false),
            Some(c) if !asleep.contains(c) => (Branches { lead: Some(c), others: TidSet::default() }, true),
            _ => (Branches { lead: None, others: TidSet(runnable.0 & !asleep.0) }, false),
        };
        let mut first = self.pool.pop().unwrap_or_default();
        first.clear();
        ThreadFrame {
            runnable,
            current: pick.current,
            preemptions: pick.preemptions,
            branches,
            first,
            halts: 0,
            asleep,
            may_preempt,
            wanted: false,
        }
    }

    /// The branches tried before the chosen one fall asleep, except those whose first step
    /// fires an invariant: moving that step earlier would cut the execution short, which
    /// is another trace.
    fn put_to_sleep(&mut self, fi: usize) {
        let f = &self.frames[fi];
        let Kind::Thread(t) = &f.kind else { return };
        for i in (0..f.chosen).filter(|&i| t.halts & (1 << i) == 0) {
            let tid = t.branches.get(i);
            let kind = if Some(tid) == t.current { Sleep::Current } else { Sleep::Run };
            self.sleepers.push(Sleeper { tid, kind, frame: fi as u32, branch: i as u8, since: f.step });
        }
    }

    /// What wakes a sleeper: its first step where it fell asleep.
    fn wakes(&self, z: &Sleeper, accesses: &[Access]) -> bool {
        let Kind::Thread(t) = &self.frames[z.frame as usize].kind else { return true };
        t.first_of(z.branch).any(|a| accesses.iter().any(|b| a.conflicts(b)))
    }

    fn note_race(&mut self, step: u32) {
        if let Some(Some(fi)) = self.frame_of_step.get(step as usize)
            && let Some(f) = self.frames.get_mut(*fi as usize)
            && f.chosen == 0
            && let Kind::Thread(t) = &mut f.kind
            && t.may_preempt
        {
            t.wanted = true;
        }
    }

    /// Wakes the sleepers the step conflicts with, and follows a sleeping thread's run. A
    /// thread may sleep on behalf of several decisions; its run is covered if it commutes
    /// with what ran since any one of them.
    fn update_sleepers(&mut self, s: &StepInfo<'_>) {
        let mut sleepers = std::mem::take(&mut self.sleepers);
        sleepers.retain(|z| z.tid == s.tid || !self.wakes(z, s.accesses));
        self.sleepers = sleepers;
        if !self.sleepers.iter().any(|z| z.tid == s.tid) {
            return;
        }
        let from = self.sleep_run.get_or_insert(SleepRun { tid: s.tid, from: s.step }).from;
        let hb = &self.hb;
        // A run that does not commute with what ran while it slept is new.
        self.sleepers.retain(|z| z.tid != s.tid || !hb.conflicts_with_steps(s.tid, s.accesses, z.since, from));
        if !self.sleepers.iter().any(|z| z.tid == s.tid) {
            self.sleep_run = None;
        } else if s.after != After::Runnable {
            self.abandoned = true;
        }
    }
}

impl Scheduler for DporScheduler {
    fn pick_thread(&mut self, pick: &ThreadPick<'_>) -> Tid {
        if self.pos == self.frames.len() {
            let mut frame = self.new_thread_frame(pick);
            let mut chosen = 0;
            if let (true, Some(pin)) = (self.frames.is_empty(), &self.pinned) {
                debug_assert!(frame.branches.lead.is_none(), "a split starts at a free decision");
                chosen = pin.branch.min(frame.branches.len() - 1);
                frame.first.extend_from_slice(&pin.first);
                frame.halts = pin.halts;
            }
            self.frames.push(Frame { step: pick.step, kind: Kind::Thread(frame), chosen });
        }
        let fi = self.pos;
        self.pos += 1;
        let f = &self.frames[fi];
        let Kind::Thread(t) = &f.kind else {
            panic!("DPOR replay diverged: a thread decision where the search recorded a choice")
        };
        debug_assert_eq!(f.step, pick.step, "DPOR replay diverged");
        let tid = t.branches.get(f.chosen);
        self.put_to_sleep(fi);
        let step = pick.step as usize;
        if self.frame_of_step.len() <= step {
            self.frame_of_step.resize(step + 1, None);
        }
        self.frame_of_step[step] = Some(fi as u32);
        tid
    }

    fn pick_choice(&mut self, pick: &ChoicePick) -> u32 {
        if self.pos == self.frames.len() {
            let step = self.hb.steps();
            self.frames.push(Frame { step, kind: Kind::Choice { options: pick.options }, chosen: 0 });
        }
        let f = &self.frames[self.pos];
        self.pos += 1;
        f.chosen as u32
    }

    fn footprints(&self) -> bool {
        true
    }

    fn begin(&mut self, phases: &[u8]) {
        self.pos = 0;
        self.hb.begin(phases);
        self.sleepers.clear();
        self.sleep_run = None;
        self.frame_of_step.clear();
        self.abandoned = false;
    }

    fn abandon(&mut self, runnable: &[Tid], _current: Option<Tid>) -> bool {
        if !self.abandoned {
            let asleep = self.asleep_current();
            self.abandoned = runnable.iter().all(|t| asleep.contains(*t));
        }
        self.abandoned
    }

    fn on_step(&mut self, s: &StepInfo<'_>) {
        let mut races = std::mem::take(&mut self.races);
        races.clear();
        self.hb.push(s, |e| races.push(e));
        for &e in &races {
            self.note_race(e);
        }
        self.races = races;
        let decided = self.frame_of_step.get(s.step as usize).copied().flatten();
        if let Some(fi) = decided {
            let f = &mut self.frames[fi as usize];
            if let Kind::Thread(t) = &mut f.kind {
                let b = f.chosen as u8;
                for a in s.accesses {
                    if !t.first.contains(&(b, *a)) {
                        t.first.push((b, *a));
                    }
                }
                t.halts |= u64::from(s.halted) << b;
                if f.chosen == 0 && t.may_preempt && s.halted {
                    t.wanted = true;
                }
            }
        }
        self.update_sleepers(s);
        if let Some(fi) = decided
            && !self.sleepers.is_empty()
            && let f = &mut self.frames[fi as usize]
            && f.chosen == 0
            && let Kind::Thread(t) = &mut f.kind
        {
            // A sleeper outlived the continuation's first step: an execution covering the
            // race that justifies switching here may lie in its branch, not below.
            t.wanted |= t.may_preempt;
        }
    }
}
