//! The context handle every emulated kernel function receives.

use super::{Choice, Tid};
use crate::kernel::Kernel;
use crate::kernel::WaitOn;
use crate::trace::EventKind;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

/// What a context needs from whoever runs the threads: the deterministic executor, or
/// (for stress runs) real OS threads.
pub trait Runtime {
    /// A scheduling point before thread `tid`'s next operation, at `at`.
    fn sched_point(&self, tid: Tid, at: &'static Location<'static>) -> SchedPoint;
    /// `tid` cannot continue until [`Runtime::unblock`] or [`Runtime::wake`] says so.
    fn block(&self, tid: Tid, on: WaitOn);
    /// Every thread blocked on exactly `on` may run again (a spin lock or rwsem released).
    fn unblock(&self, on: WaitOn);
    /// A sleeping thread was woken.
    fn wake(&self, tid: Tid);
    fn emit(&self, tid: Tid, at: &'static Location<'static>, kind: EventKind);
    fn recording(&self) -> bool;
    /// Asks the scheduler to resolve an injected choice.
    fn choose(&self, tid: Tid, choice: Choice, options: u32) -> u32;
    /// An invariant fired: the execution ends at this step.
    fn halt(&self);
    /// This step of `tid` exists only in the variant running (the fix's re-lookup), so it
    /// does not count when a schedule is carried over from the other variant.
    fn variant_only_step(&self, tid: Tid);
}

/// Yields to the scheduler once, then lets the thread perform its operation.
#[derive(Debug)]
pub struct SchedPoint {
    yielded: bool,
}

impl SchedPoint {
    /// Suspends once (deterministic mode: the executor decides who runs next).
    pub fn yield_once() -> Self {
        SchedPoint { yielded: false }
    }
    /// Does not suspend (real threads: the OS scheduler decides).
    pub fn ready() -> Self {
        SchedPoint { yielded: true }
    }
}

impl Future for SchedPoint {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            Poll::Ready(())
        } else {
            self.yielded = true;
            Poll::Pending
        }
    }
}

/// A thread's view of the kernel: which thread it is, the shared kernel state, and the
/// runtime that schedules it. Kernel code calls `cx.<operation>().await` for every access to
/// shared state; each such call is a scheduling point and records an event at the caller's
/// source line.
pub struct Cx<'k> {
    pub k: &'k Kernel,
    pub tid: Tid,
    rt: &'k dyn Runtime,
}

impl<'k> Cx<'k> {
    pub fn new(k: &'k Kernel, tid: Tid, rt: &'k dyn Runtime) -> Self {
        Cx { k, tid, rt }
    }

    pub(crate) fn rt(&self) -> &'k dyn Runtime {
        self.rt
    }

    /// A scheduling point with no operation of its own attached.
    pub(crate) fn sched(&self, at: &'static Location<'static>) -> SchedPoint {
        self.rt.sched_point(self.tid, at)
    }

    /// Records an event; the kind is only built when the run is being recorded.
    pub(crate) fn emit(&self, at: &'static Location<'static>, kind: impl FnOnce() -> EventKind) {
        if self.rt.recording() {
            self.rt.emit(self.tid, at, kind());
        }
    }

    pub(crate) fn block(&self, on: WaitOn) {
        self.rt.block(self.tid, on)
    }

    pub(crate) fn choose(&self, choice: Choice, options: u32) -> u32 {
        self.rt.choose(self.tid, choice, options)
    }
}
