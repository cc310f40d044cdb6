//! The context handle every emulated kernel function receives.
//!
//! Every operation on shared kernel state is a method on [`Cx`], so that it can be a
//! scheduling point and record an event at the caller's line. The methods live in the room
//! of the kernel subsystem they model, each room's in one file named `cx.rs`:
//!
//! | file | operations |
//! |---|---|
//! | `sim/cx.rs` (here) | `sched`, `emit`, `block`, `choose`, `enter` (a function's Enter/Exit events) |
//! | `kernel/cx.rs` | `spin_lock_irq`, `spin_unlock_irq`, `down_read`, `down_write`, `up_read`, `up_write`, `prepare_to_wait_exclusive`, `schedule`, `might_sleep`, `finish_wait`, `wake_up_key` |
//! | `xarray/cx.rs` | `xa_lock_irq`, `xa_unlock_irq`, `xas_load`, `xas_find_conflict`, `xas_store`, `xas_create_range`, `xas_nomem`, `xas_pause`, `xas_find`, `xas_next_entry`, `xas_find_marked`, `xas_next_marked`, `xas_set_mark`, `xas_clear_mark`, `xas_get_mark` |
//! | `radix/cx.rs` | `radix_tree_lookup`, `radix_tree_insert`, `radix_tree_delete`, `radix_tree_replace`, `radix_tree_tag_set`, `radix_tree_tag_clear`, `radix_tree_tag_get`, `radix_tree_preload`, `radix_tree_preload_end` |
//! | `mm/cx.rs` | `lock_page`, `trylock_page`, `unlock_page`, `get_page`, `put_page`, `exit_mm` |
//! | `fs/cx.rs` | `iomap_begin`, `iomap_end`, `syscall_enter`, `syscall_exit` |
//! | `dax/cx.rs` | `fault_begin`, `fault_done`, `fallback` |
//! | `check/cx.rs` | `bug`, `note`, `record_store`, `record_write`, `forget_stores`, `stores_before_sync`, `check_durable` |
//!
//! Kernel functions that are more than one operation (`grab_mapping_entry`,
//! `handle_pte_fault`, `vm_insert_mixed`, ...) are plain `async fn`s taking a `&Cx`, in the
//! file of their room named after the kernel's.

use super::{Choice, Tid};
use crate::kernel::Machine;
use crate::kernel::WaitOn;
use crate::trace::{EventKind, Func};
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

/// What a context needs from whoever runs the threads: the deterministic executor, or
/// (for stress runs) real OS threads.
pub trait Runtime {
    /// A scheduling point before thread `tid`'s next operation, at `at`. `atomic`: the
    /// thread has preemption off here (it holds a spin lock, or is between
    /// radix_tree_preload() and radix_tree_preload_end()), so it keeps its CPU.
    fn sched_point(&self, tid: Tid, at: &'static Location<'static>, atomic: bool) -> SchedPoint;
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
    /// This step of `tid` exists only in some kernels (a scheduling point a fix added or
    /// removed, e.g. the seed fix's re-lookup), so it does not count when a schedule is
    /// carried over to another kernel.
    fn kernel_only_step(&self, tid: Tid);
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
    pub k: &'k Machine,
    pub tid: Tid,
    rt: &'k dyn Runtime,
}

impl<'k> Cx<'k> {
    pub fn new(k: &'k Machine, tid: Tid, rt: &'k dyn Runtime) -> Self {
        Cx { k, tid, rt }
    }

    pub(crate) fn rt(&self) -> &'k dyn Runtime {
        self.rt
    }

    /// A scheduling point with no operation of its own attached.
    pub(crate) fn sched(&self, at: &'static Location<'static>) -> SchedPoint {
        let atomic = self.k.tasks.with(self.tid, |t| t.preempt_count > 0);
        self.rt.sched_point(self.tid, at, atomic)
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

    /// `let _f = cx.enter(Func::GrabMappingEntry);` at the top of a modelled function: an
    /// Enter event now, the matching Exit when the scope ends with the function body.
    #[track_caller]
    pub fn enter(&self, func: Func) -> FnScope<'_, 'k> {
        let at = Location::caller();
        self.emit(at, || EventKind::Enter { func });
        FnScope { cx: self, func, at }
    }
}

/// The span of a kernel function, for call stacks: see [`Cx::enter`].
pub struct FnScope<'a, 'k> {
    cx: &'a Cx<'k>,
    func: Func,
    at: &'static Location<'static>,
}

impl Drop for FnScope<'_, '_> {
    fn drop(&mut self) {
        let func = self.func;
        self.cx.emit(self.at, || EventKind::Exit { func });
    }
}
