//! The second implementation of [`Runtime`]: every emulated thread is an OS thread.
//!
//! A step — everything a thread does from one scheduling point to the next — runs under
//! the global [`StepLock`], taken at the scheduling point and given back at the next one.
//! The step number is the ticket: it orders every access to shared model state, so the
//! events, appended under the step lock, are already in one total order, and the list of
//! which thread ran each step replays the run in the deterministic executor. What is real: which thread
//! gets the next step is decided by the hardware and the OS (whoever takes the lock word
//! first), blocked threads really spin (spin locks, with backoff) or sleep (parking, for
//! entry locks, rwsems and page locks), and stores land in real memory. What is
//! serialised: model steps never overlap.

use super::StepLock;
use crate::kernel::WaitOn;
use crate::sim::{Choice, Runtime, SchedPoint, SplitMix64, ThreadEnd, Tid};
use crate::trace::{Event, EventKind};
use crossbeam_utils::Backoff;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// Random short delays or yields at scheduling points, to widen race windows the way the
/// kernel's sleeping allocator does. The decisions are seeded; their effect on timing is
/// not, so a perturbed run is as unrepeatable as any real one (its recording is not).
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct Perturb {
    /// Chance, at each scheduling point, of a delay or a yield before taking the step.
    pub probability: f64,
    pub seed: u64,
}

/// The longest injected delay.
const MAX_DELAY: Duration = Duration::from_micros(32);

#[derive(Clone, Debug)]
pub struct RealConfig {
    /// Keep every event and the step order (needed to save and replay a trace).
    pub record: bool,
    pub perturb: Perturb,
    /// Like [`crate::scenario::RunConfig::max_steps`]: a backstop that ends a livelock.
    pub max_steps: u32,
}

impl RealConfig {
    pub fn new(record: bool) -> Self {
        RealConfig { record, perturb: Perturb::default(), max_steps: 50_000_000 }
    }
}

const RUNNABLE: u8 = 0;
const BLOCKED: u8 = 1;
const DONE: u8 = 2;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Per thread. Only `status` and `thread` are touched by other threads.
#[derive(Debug)]
struct Slot {
    phase: u8,
    status: AtomicU8,
    thread: OnceLock<Thread>,
    holds_step: AtomicBool,
    /// The first poll (up to the first scheduling point) is over.
    started: AtomicBool,
    /// The thread's future is being dropped after a halt: its Exit events are not real.
    closed: AtomicBool,
    rng: Mutex<SplitMix64>,
}

/// What only the holder of the step lock touches.
#[derive(Debug, Default)]
struct Sched {
    next_step: u32,
    runs: Vec<(Tid, u32)>,
    waits: Vec<Option<WaitOn>>,
    phase: u8,
    hung: Vec<(Tid, WaitOn)>,
    step_limit_hit: bool,
}

#[derive(Debug)]
pub struct RealRuntime {
    lock: StepLock,
    sched: Mutex<Sched>,
    slots: Vec<Slot>,
    current_step: AtomicU32,
    /// Threads whose first poll is done (they take turns in thread order, as the
    /// deterministic executor polls them).
    initial_done: AtomicUsize,
    halted: AtomicBool,
    cfg: RealConfig,
    events: Mutex<Vec<Event>>,
}

impl RealRuntime {
    /// One thread per entry of `phases` (see [`crate::sim::ThreadSpawn::phase`]).
    pub fn new(phases: &[u8], cfg: RealConfig) -> Self {
        let slots = phases
            .iter()
            .enumerate()
            .map(|(i, &phase)| Slot {
                phase,
                status: AtomicU8::new(RUNNABLE),
                thread: OnceLock::new(),
                holds_step: AtomicBool::new(false),
                started: AtomicBool::new(false),
                closed: AtomicBool::new(false),
                rng: Mutex::new(SplitMix64::new(cfg.perturb.seed ^ (0x9E37 * (i as u64 + 1)))),
            })
            .collect();
        let sched = Sched {
            waits: vec![None; phases.len()],
            phase: phases.iter().copied().min().unwrap_or(0),
            ..Sched::default()
        };
        RealRuntime {
            lock: StepLock::default(),
            sched: Mutex::new(sched),
            slots,
            current_step: AtomicU32::new(0),
            initial_done: AtomicUsize::new(0),
            halted: AtomicBool::new(false),
            cfg,
            events: Mutex::new(Vec::new()),
        }
    }

    fn slot(&self, tid: Tid) -> &Slot {
        &self.slots[tid.index()]
    }

    pub fn halted(&self) -> bool {
        self.halted.load(Ordering::Acquire)
    }

    /// Called first on the thread's own OS thread, so that wake-ups can unpark it.
    pub(super) fn attach(&self, tid: Tid) {
        let _ = self.slot(tid).thread.set(std::thread::current());
    }

    /// Waits for this thread's turn at its first poll; returns holding the step lock.
    pub(super) fn begin_initial(&self, tid: Tid) {
        loop {
            self.lock.lock();
            if self.initial_done.load(Ordering::Acquire) == tid.index() {
                self.slot(tid).holds_step.store(true, Ordering::Relaxed);
                return;
            }
            let _ = self.lock.unlock();
            std::thread::yield_now();
        }
    }

    /// The first poll is over (`end` if the thread already finished in it).
    pub(super) fn end_initial(&self, tid: Tid, end: Option<ThreadEnd>) {
        let slot = self.slot(tid);
        slot.started.store(true, Ordering::Release);
        if end.is_some() {
            self.mark_done(tid);
        }
        self.initial_done.fetch_add(1, Ordering::AcqRel);
        self.end_step(tid);
    }

    /// Blocks until every first poll is done and this thread's phase has come; false if
    /// the run ended first.
    pub(super) fn wait_for_start(&self, tid: Tid) -> bool {
        // Spin before yielding, so that the threads set off together as holetest's do.
        let mut spins = 0u32;
        while self.initial_done.load(Ordering::Acquire) < self.slots.len() && !self.halted() {
            if spins < 1 << 14 {
                spins += 1;
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
        let phase = self.slot(tid).phase;
        while lock(&self.sched).phase < phase && !self.halted() {
            std::thread::park();
        }
        !self.halted()
    }

    /// Starts a step of `tid`: perturb, take the step lock (`after` the token of the step
    /// it just ended, if any), number the step. Returns false (still holding the lock) if
    /// the run is over.
    pub(super) fn begin_step(&self, tid: Tid, after: Option<u64>) -> bool {
        self.perturb(tid);
        match after {
            Some(token) => self.lock.lock_after(token),
            None => self.lock.lock(),
        }
        self.slot(tid).holds_step.store(true, Ordering::Relaxed);
        if self.halted() {
            return false;
        }
        let mut s = lock(&self.sched);
        if s.next_step >= self.cfg.max_steps {
            s.step_limit_hit = true;
            drop(s);
            self.halt();
            return false;
        }
        let step = s.next_step;
        s.next_step += 1;
        if self.cfg.record {
            match s.runs.last_mut() {
                Some((t, n)) if *t == tid => *n += 1,
                _ => s.runs.push((tid, 1)),
            }
        }
        self.current_step.store(step, Ordering::Relaxed);
        true
    }

    /// Ends the step `tid` holds, if it holds one.
    pub(super) fn end_step(&self, tid: Tid) -> Option<u64> {
        let slot = self.slot(tid);
        slot.holds_step.swap(false, Ordering::Relaxed).then(|| self.lock.unlock())
    }

    /// The thread's future returned `end` during its current step.
    pub(super) fn finish(&self, tid: Tid, end: ThreadEnd) {
        if self.cfg.record {
            let step = self.current_step.load(Ordering::Relaxed);
            let at = Location::caller().into();
            self.record(Event { step, tid, kind: EventKind::ThreadExit { end }, at });
        }
        self.mark_done(tid);
        self.end_step(tid);
    }

    /// The future is about to be dropped unfinished (the run halted).
    pub(super) fn close(&self, tid: Tid) {
        self.slot(tid).closed.store(true, Ordering::Relaxed);
        self.end_step(tid);
    }

    fn mark_done(&self, tid: Tid) {
        self.slot(tid).status.store(DONE, Ordering::Release);
        let mut s = lock(&self.sched);
        let phase = s.phase;
        let phase_over =
            self.slots.iter().filter(|x| x.phase == phase).all(|x| x.status.load(Ordering::Acquire) == DONE);
        if !phase_over {
            self.check_hang(&mut s);
            return;
        }
        if let Some(next) = self.slots.iter().map(|x| x.phase).filter(|&p| p > phase).min() {
            s.phase = next;
            drop(s);
            self.unpark_all();
        }
    }

    /// No thread of the running phase can go on but some have not finished: a hang, as
    /// the deterministic executor would find it.
    fn check_hang(&self, s: &mut Sched) {
        let phase = s.phase;
        let in_phase = || self.slots.iter().filter(move |x| x.phase == phase);
        let any_runnable = in_phase().any(|x| x.status.load(Ordering::Acquire) == RUNNABLE);
        let any_blocked = in_phase().any(|x| x.status.load(Ordering::Acquire) == BLOCKED);
        if any_runnable || !any_blocked {
            return;
        }
        s.hung = (0..self.slots.len())
            .filter(|&i| self.slots[i].status.load(Ordering::Acquire) == BLOCKED)
            .filter_map(|i| s.waits[i].map(|on| (Tid(i as u8), on)))
            .collect();
        self.halted.store(true, Ordering::Release);
        self.unpark_all();
    }

    fn unpark_all(&self) {
        for slot in &self.slots {
            if let Some(t) = slot.thread.get() {
                t.unpark();
            }
        }
    }

    fn perturb(&self, tid: Tid) {
        let p = self.cfg.perturb.probability;
        if p <= 0.0 {
            return;
        }
        let (hit, delay) = {
            let mut rng = lock(&self.slot(tid).rng);
            let hit = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p;
            (hit, rng.below(MAX_DELAY.as_nanos() as u64 * 2))
        };
        if !hit {
            return;
        }
        // Half the time a yield, half the time a busy delay of up to MAX_DELAY: sleeping
        // would cost far more than a step.
        if delay < MAX_DELAY.as_nanos() as u64 {
            std::thread::yield_now();
        } else {
            let until = Instant::now() + Duration::from_nanos(delay - MAX_DELAY.as_nanos() as u64);
            while Instant::now() < until {
                std::hint::spin_loop();
            }
        }
    }

    /// Spins (a spin lock) or sleeps (anything else) until woken or the run ends.
    fn wait_while_blocked(&self, tid: Tid, spin: bool) {
        let slot = self.slot(tid);
        let backoff = Backoff::new();
        while slot.status.load(Ordering::Acquire) == BLOCKED && !self.halted() {
            if spin && !backoff.is_completed() {
                backoff.snooze();
            } else if spin {
                std::thread::yield_now();
            } else {
                std::thread::park();
            }
        }
    }

    fn make_runnable(&self, i: usize) {
        let slot = &self.slots[i];
        if slot.status.compare_exchange(BLOCKED, RUNNABLE, Ordering::AcqRel, Ordering::Acquire).is_ok() {
            lock(&self.sched).waits[i] = None;
            if let Some(t) = slot.thread.get() {
                t.unpark();
            }
        }
    }

    /// What the run produced. Call after every thread has returned.
    pub(super) fn into_parts(self) -> RunParts {
        let s = self.sched.into_inner().unwrap_or_else(|e| e.into_inner());
        RunParts {
            steps: s.next_step,
            runs: s.runs,
            hung: s.hung,
            step_limit_hit: s.step_limit_hit,
            halted: self.halted.into_inner(),
            events: self.events.into_inner().unwrap_or_else(|e| e.into_inner()),
        }
    }

    /// Appends an event. Every thread emits only while it holds the step lock (first polls
    /// take it in thread order, as the deterministic executor makes them), so the list is
    /// in step order as it grows and this lock is never contended.
    fn record(&self, e: Event) {
        debug_assert!(self.slot(e.tid).holds_step.load(Ordering::Relaxed), "{:?} emits outside a step", e.tid);
        lock(&self.events).push(e);
    }
}

/// The raw result of a real run, before the outcome is classified.
#[derive(Debug)]
pub(super) struct RunParts {
    pub steps: u32,
    pub runs: Vec<(Tid, u32)>,
    pub hung: Vec<(Tid, WaitOn)>,
    pub step_limit_hit: bool,
    pub halted: bool,
    pub events: Vec<Event>,
}

impl Runtime for RealRuntime {
    fn sched_point(&self, tid: Tid, _at: &'static Location<'static>, _atomic: bool) -> SchedPoint {
        if !self.slot(tid).started.load(Ordering::Acquire) {
            // The end of the first poll: the driver takes over from here.
            return SchedPoint::yield_once();
        }
        let token = self.end_step(tid);
        if self.begin_step(tid, token) { SchedPoint::ready() } else { SchedPoint::yield_once() }
    }

    fn block(&self, tid: Tid, on: WaitOn) {
        self.slot(tid).status.store(BLOCKED, Ordering::Release);
        {
            let mut s = lock(&self.sched);
            s.waits[tid.index()] = Some(on);
            self.check_hang(&mut s);
        }
        self.end_step(tid);
        self.wait_while_blocked(tid, matches!(on, WaitOn::Spin { .. }));
    }

    fn unblock(&self, on: WaitOn) {
        let waiting: Vec<usize> = {
            let s = lock(&self.sched);
            (0..self.slots.len()).filter(|&i| s.waits[i] == Some(on)).collect()
        };
        for i in waiting {
            self.make_runnable(i);
        }
    }

    fn wake(&self, tid: Tid) {
        self.make_runnable(tid.index());
    }

    fn emit(&self, tid: Tid, at: &'static Location<'static>, kind: EventKind) {
        let slot = self.slot(tid);
        if slot.closed.load(Ordering::Relaxed) {
            return;
        }
        // Before its first step a thread is in its first poll, which the deterministic
        // executor numbers step 0.
        let step = if slot.started.load(Ordering::Relaxed) { self.current_step.load(Ordering::Relaxed) } else { 0 };
        self.record(Event { step, tid, kind, at: at.into() });
    }

    fn recording(&self) -> bool {
        self.cfg.record
    }

    /// Real runs inject no failures: every choice gets the uneventful answer.
    fn choose(&self, _: Tid, _: Choice, _: u32) -> u32 {
        0
    }

    fn halt(&self) {
        self.halted.store(true, Ordering::Release);
        self.unpark_all();
    }

    fn kernel_only_step(&self, _: Tid) {}
}
