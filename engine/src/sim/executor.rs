//! The single-threaded executor behind deterministic mode.

use super::cpus::{Cpus, Switch, SwitchHow};
use super::cx::{Runtime, SchedPoint};
use super::scheduler::{After, Choice, ChoicePick, Scheduler, StepInfo, ThreadPick};
use super::{Access, Decision, Schedule, Tid, TidSet};
use crate::footprint::{Mode, Obj, ObjKind, Recorder};
use crate::kernel::WaitOn;
use crate::trace::{Event, EventKind};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// How a thread's program ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThreadEnd {
    Exited,
    /// A fault returned VM_FAULT_SIGBUS: the process gets SIGBUS at `addr`.
    Sigbus {
        addr: u64,
    },
    /// A fault returned VM_FAULT_OOM.
    Oom {
        addr: u64,
    },
    /// The same access faulted over and over without making progress.
    Livelock {
        addr: u64,
    },
}

/// A thread to run: its program and its phase. All threads of phase n finish before any
/// thread of phase n+1 runs (setup work runs before the racing threads).
pub struct ThreadSpawn<'k> {
    pub future: Pin<Box<dyn Future<Output = ThreadEnd> + 'k>>,
    pub phase: u8,
}

#[derive(Copy, Clone, Debug, PartialEq)]
enum Status {
    Runnable,
    Blocked(WaitOn),
    Done(ThreadEnd),
}

struct Slot {
    status: Status,
    phase: u8,
}

#[derive(Default)]
struct State {
    threads: Vec<Slot>,
    /// Per thread: steps run, not counting kernel-only ones.
    shared_steps: Vec<u32>,
    kernel_only: bool,
    /// The steps that exist only in the kernel running.
    kernel_only_steps: Vec<u32>,
    /// Which thread ran each step, run-length encoded.
    runs: Vec<(Tid, u32)>,
    last: Option<Tid>,
    switches: Vec<Switch>,
    step: u32,
    current: Option<Tid>,
    preemptions: u32,
    decisions: Vec<Decision>,
    events: Vec<Event>,
    halted: bool,
    /// The current step's footprint and choices, when tracking.
    accesses: Vec<Access>,
    choices: Vec<u32>,
    /// Threads the current step made runnable again.
    woke: TidSet,
    /// Threads woken that have not run since.
    woken_since: TidSet,
    cpus: Cpus,
}

/// Where a paused execution stopped: the next decision to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pause {
    pub step: u32,
    pub runnable: Vec<Tid>,
    /// The thread that ran last, if it could go on (choosing another preempts it).
    pub current: Option<Tid>,
}

/// What the executor saw: how each thread ended (or what it waits on, for a hang), and the
/// schedule and events of the run.
#[derive(Debug)]
pub struct SimResult {
    pub ends: Vec<Option<ThreadEnd>>,
    /// Non-empty when no thread could run but some had not finished.
    pub hung: Vec<(Tid, WaitOn)>,
    pub step_limit_hit: bool,
    /// The scheduler ended the execution early as redundant; its outcome means nothing.
    pub abandoned: bool,
    pub halted: bool,
    /// Set when the scheduler paused the execution.
    pub paused: Option<Pause>,
    pub steps: u32,
    pub preemptions: u32,
    pub switches: Vec<Switch>,
    pub runs: Vec<(Tid, u32)>,
    /// Steps that exist only in the kernel that ran (see [`Runtime::kernel_only_step`]).
    pub kernel_only_steps: Vec<u32>,
    pub schedule: Schedule,
    pub events: Vec<Event>,
}

pub struct SimRuntime<'s> {
    st: RefCell<State>,
    sched: RefCell<&'s mut dyn Scheduler>,
    record: bool,
    /// The scheduler wants every step's footprint.
    track: bool,
}

impl<'s> SimRuntime<'s> {
    pub fn new(sched: &'s mut dyn Scheduler, record: bool) -> Self {
        let track = sched.footprints();
        SimRuntime { st: RefCell::new(State::default()), sched: RefCell::new(sched), record, track }
    }

    /// Runs the threads on `cpus` CPUs instead of one each (see [`SwitchHow`]).
    pub fn with_cpus(self, cpus: Option<usize>) -> Self {
        self.st.borrow_mut().cpus.count = cpus;
        self
    }

    /// Runs the threads to completion, a hang, a fired invariant, or `max_steps`.
    pub fn run(&self, mut threads: Vec<ThreadSpawn<'_>>, max_steps: u32) -> SimResult {
        assert!(threads.len() <= 64, "the model supports at most 64 threads");
        let waker = Waker::noop();
        let mut task_cx = Context::from_waker(waker);
        let recorder = self.track.then(Recorder::start);
        self.bring_up(&mut threads, &mut task_cx);
        if let Some(r) = &recorder {
            // What threads do before their first scheduling point belongs to no step.
            r.take(&mut self.st.borrow_mut().accesses);
        }

        let mut runnable = Vec::with_capacity(threads.len());
        let stop = loop {
            let current = match self.runnable_now(&mut runnable, max_steps) {
                Ok(current) => current,
                Err(why) => break why,
            };
            if self.track && self.sched.borrow_mut().abandon(&runnable, current) {
                break Stop::Abandoned;
            }
            if runnable.len() > 1 && self.wants_pause(&runnable, current) {
                let step = self.st.borrow().step;
                break Stop::Paused(Pause { step, runnable: runnable.clone(), current });
            }
            let tid = self.pick(&runnable, current);
            let choices_from = self.enter_step(tid, current);
            let polled = threads[tid.index()].future.as_mut().poll(&mut task_cx);
            if let Some(r) = &recorder {
                self.gather_footprint(r, tid);
            }
            self.finish_step(tid, polled, choices_from);
        };
        self.result(stop)
    }

    /// Brings every thread to its first scheduling point, so that who runs first is a free
    /// choice rather than a preemption. What threads do before it happens in the same order
    /// in every execution.
    fn bring_up(&self, threads: &mut [ThreadSpawn<'_>], task_cx: &mut Context<'_>) {
        {
            let mut st = self.st.borrow_mut();
            st.threads = threads.iter().map(|t| Slot { status: Status::Runnable, phase: t.phase }).collect();
            st.shared_steps = vec![0; threads.len()];
            st.cpus.reset(threads.len());
        }
        if self.track {
            let phases: Vec<u8> = threads.iter().map(|t| t.phase).collect();
            self.sched.borrow_mut().begin(&phases);
        }
        for (i, t) in threads.iter_mut().enumerate() {
            self.st.borrow_mut().current = Some(Tid(i as u8));
            if let Poll::Ready(end) = t.future.as_mut().poll(task_cx) {
                self.st.borrow_mut().threads[i].status = Status::Done(end);
            }
        }
        self.st.borrow_mut().current = None;
    }

    /// The step's declarations, plus the wake-ups: a thread made runnable by this step must
    /// be ordered after it (see [`ObjKind::Runnable`]).
    fn gather_footprint(&self, r: &Recorder, tid: Tid) {
        let mut st = self.st.borrow_mut();
        let st = &mut *st;
        r.take(&mut st.accesses);
        let runnable = |t: Tid| Obj::at(ObjKind::Runnable, u32::from(t.0), 0);
        if st.woken_since.contains(tid) {
            st.woken_since.0 &= !(1 << tid.0);
            st.accesses.push(Access { obj: runnable(tid), mode: Mode::Read });
        }
        for t in st.woke.iter() {
            st.accesses.push(Access { obj: runnable(t), mode: Mode::Write });
        }
        st.woken_since.0 |= st.woke.0;
    }

    /// Books the switch to `tid`; returns where this step's decisions start.
    fn enter_step(&self, tid: Tid, current: Option<Tid>) -> usize {
        let mut st = self.st.borrow_mut();
        let st = &mut *st;
        let threads = &st.threads;
        let victim = st.cpus.run(tid, &|i| threads[i].status == Status::Runnable, st.last);
        if current.is_some_and(|c| c != tid) {
            st.preemptions += 1;
        }
        if let Some(from) = st.last.filter(|l| *l != tid) {
            let how = match (current, victim, st.threads[from.index()].status) {
                (Some(_), Some(victim), _) => SwitchHow::Preempted { victim },
                (Some(_), None, _) => SwitchHow::OtherCpu,
                (None, _, Status::Done(_)) => SwitchHow::Exits,
                (None, _, Status::Blocked(WaitOn::Spin { .. })) => SwitchHow::Spins,
                (None, _, _) => SwitchHow::Sleeps,
            };
            st.switches.push(Switch { step: st.step, from, to: tid, how });
        }
        st.last = Some(tid);
        st.current = Some(tid);
        st.kernel_only = false;
        match st.runs.last_mut() {
            Some((t, n)) if *t == tid => *n += 1,
            _ => st.runs.push((tid, 1)),
        }
        st.decisions.len()
    }

    fn finish_step(&self, tid: Tid, polled: Poll<ThreadEnd>, choices_from: usize) {
        let mut st = self.st.borrow_mut();
        if st.kernel_only {
            let step = st.step;
            st.kernel_only_steps.push(step);
        } else {
            st.shared_steps[tid.index()] += 1;
        }
        if let Poll::Ready(end) = polled {
            st.threads[tid.index()].status = Status::Done(end);
            st.cpus.leave(tid);
            if self.record {
                let step = st.step;
                st.events.push(Event { step, tid, kind: EventKind::ThreadExit { end }, at: Location::caller().into() });
            }
        }
        if self.track {
            let after = match st.threads[tid.index()].status {
                Status::Runnable => After::Runnable,
                Status::Blocked(_) => After::Blocked,
                Status::Done(_) => After::Done,
            };
            let st = &mut *st;
            st.choices.clear();
            st.choices.extend(st.decisions[choices_from..].iter().filter_map(|d| match d {
                Decision::Choose(c) => Some(*c),
                Decision::Run(_) => None,
            }));
            let info =
                StepInfo { step: st.step, tid, accesses: &st.accesses, choices: &st.choices, halted: st.halted, after };
            self.sched.borrow_mut().on_step(&info);
            st.accesses.clear();
        }
        st.woke = TidSet::default();
        st.step += 1;
    }

    fn result(&self, stop: Stop) -> SimResult {
        let step_limit_hit = matches!(stop, Stop::StepLimit);
        let abandoned = matches!(stop, Stop::Abandoned);
        let paused = match &stop {
            Stop::Paused(p) => Some(p.clone()),
            _ => None,
        };
        let st = self.st.replace(State::default());
        SimResult {
            ends: st
                .threads
                .iter()
                .map(|s| match s.status {
                    Status::Done(e) => Some(e),
                    _ => None,
                })
                .collect(),
            hung: match stop {
                Stop::Hung(h) => h,
                _ => Vec::new(),
            },
            step_limit_hit,
            abandoned,
            halted: st.halted,
            paused,
            steps: st.step,
            preemptions: st.preemptions,
            switches: st.switches,
            runs: st.runs,
            kernel_only_steps: st.kernel_only_steps,
            schedule: Schedule(st.decisions),
            events: st.events,
        }
    }
}

enum Stop {
    Finished,
    Halted,
    Hung(Vec<(Tid, WaitOn)>),
    StepLimit,
    Paused(Pause),
    /// The scheduler ended the execution as redundant.
    Abandoned,
}

impl SimRuntime<'_> {
    /// Fills `runnable` with the threads that may run next and returns the current thread
    /// if it is among them, or says why the execution is over.
    fn runnable_now(&self, runnable: &mut Vec<Tid>, max_steps: u32) -> Result<Option<Tid>, Stop> {
        let st = self.st.borrow();
        if st.halted {
            return Err(Stop::Halted);
        }
        let phase = st
            .threads
            .iter()
            .filter(|s| !matches!(s.status, Status::Done(_)))
            .map(|s| s.phase)
            .min()
            .ok_or(Stop::Finished)?;
        runnable.clear();
        runnable.extend(
            st.threads
                .iter()
                .enumerate()
                .filter(|(_, s)| s.phase == phase && s.status == Status::Runnable)
                .map(|(i, _)| Tid(i as u8)),
        );
        // With fewer CPUs than threads a runnable thread may also wait for a CPU that only
        // spinners hold (a spin-lock holder that slept: "scheduling while atomic"). Either
        // way nobody can run: a hang.
        let threads = &st.threads;
        runnable.retain(|t| st.cpus.can_run(*t, &|i| threads[i].status == Status::Runnable, st.last));
        if runnable.is_empty() {
            let hung = st
                .threads
                .iter()
                .enumerate()
                .filter_map(|(i, s)| match s.status {
                    Status::Blocked(on) => Some((Tid(i as u8), on)),
                    _ => None,
                })
                .collect();
            return Err(Stop::Hung(hung));
        }
        if st.step >= max_steps {
            return Err(Stop::StepLimit);
        }
        Ok(st.current.filter(|c| runnable.contains(c)))
    }

    /// Shows the scheduler the choice at hand: who can run, who ran last, and the history.
    fn ask<R>(
        &self,
        runnable: &[Tid],
        current: Option<Tid>,
        f: impl FnOnce(&mut dyn Scheduler, &ThreadPick) -> R,
    ) -> R {
        let st = self.st.borrow();
        let pick = ThreadPick {
            runnable,
            current,
            preemptions: st.preemptions,
            shared_steps: &st.shared_steps,
            step: st.step,
        };
        f(&mut **self.sched.borrow_mut(), &pick)
    }

    fn wants_pause(&self, runnable: &[Tid], current: Option<Tid>) -> bool {
        self.ask(runnable, current, |s, pick| s.pause(pick))
    }

    /// Forced when one thread can run; otherwise the scheduler decides and the decision is
    /// recorded.
    fn pick(&self, runnable: &[Tid], current: Option<Tid>) -> Tid {
        if runnable.len() == 1 {
            return runnable[0];
        }
        let chosen = self.ask(runnable, current, |s, pick| s.pick_thread(pick));
        let chosen = if runnable.contains(&chosen) { chosen } else { runnable[0] };
        self.st.borrow_mut().decisions.push(Decision::Run(chosen));
        chosen
    }
}

impl Runtime for SimRuntime<'_> {
    fn sched_point(&self, tid: Tid, _: &'static Location<'static>, atomic: bool) -> SchedPoint {
        self.st.borrow_mut().cpus.set_atomic(tid, atomic);
        SchedPoint::yield_once()
    }

    fn block(&self, tid: Tid, on: WaitOn) {
        let mut st = self.st.borrow_mut();
        st.threads[tid.index()].status = Status::Blocked(on);
        // A spinner keeps its CPU; a sleeper gives it up.
        if !matches!(on, WaitOn::Spin { .. }) {
            st.cpus.leave(tid);
        }
    }

    fn unblock(&self, on: WaitOn) {
        let mut st = self.st.borrow_mut();
        let mut woke = TidSet::default();
        for (i, s) in st.threads.iter_mut().enumerate() {
            if s.status == Status::Blocked(on) {
                s.status = Status::Runnable;
                woke.insert(Tid(i as u8));
            }
        }
        st.woke.0 |= woke.0;
    }

    fn wake(&self, tid: Tid) {
        let mut st = self.st.borrow_mut();
        let slot = &mut st.threads[tid.index()];
        if matches!(slot.status, Status::Blocked(_)) {
            slot.status = Status::Runnable;
            st.woke.insert(tid);
        }
    }

    fn emit(&self, tid: Tid, at: &'static Location<'static>, kind: EventKind) {
        let mut st = self.st.borrow_mut();
        let step = st.step;
        st.events.push(Event { step, tid, kind, at: at.into() });
    }

    fn recording(&self) -> bool {
        self.record
    }

    fn choose(&self, tid: Tid, choice: Choice, options: u32) -> u32 {
        let pick = ChoicePick { tid, choice, options };
        let v = self.sched.borrow_mut().pick_choice(&pick).min(options - 1);
        self.st.borrow_mut().decisions.push(Decision::Choose(v));
        v
    }

    fn halt(&self) {
        self.st.borrow_mut().halted = true;
    }

    fn kernel_only_step(&self, _: Tid) {
        self.st.borrow_mut().kernel_only = true;
    }
}
