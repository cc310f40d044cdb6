//! The kernel primitives as scheduling points: spin locks, rw-semaphores, and sleeping on
//! and waking the DAX wait table. Each `cx.<op>()` here yields to the scheduler before it
//! touches the shared state, so that another CPU can run in between.

use super::{RwSem, SpinLock, TaskState, WaitKey, WaitOn, Waiter};
use crate::check::Invariant;
use crate::sim::Cx;
use crate::trace::EventKind;
use std::future::Future;
use std::panic::Location;

/// spin_lock_irq() / spin_unlock_irq() (kernel/locking/spinlock.c).
impl Cx<'_> {
    #[track_caller]
    pub fn spin_lock_irq<'a>(&'a self, lock: &'a SpinLock) -> impl Future<Output = ()> + 'a {
        let at = Location::caller();
        async move {
            let mut contended = false;
            loop {
                self.sched(at).await;
                match lock.try_lock(self.tid) {
                    Ok(()) => {
                        // spin_lock disables preemption until the matching unlock.
                        self.k.tasks.with(self.tid, |t| t.preempt_count += 1);
                        self.emit(at, || EventKind::LockAcquire { lock: lock.id() });
                        return;
                    }
                    Err(holder) => {
                        if !contended {
                            contended = true;
                            self.emit(at, || EventKind::LockContended { lock: lock.id(), holder });
                        }
                        self.block(WaitOn::Spin { lock: lock.id() });
                    }
                }
            }
        }
    }

    #[track_caller]
    pub fn spin_unlock_irq<'a>(&'a self, lock: &'a SpinLock) -> impl Future<Output = ()> + 'a {
        let at = Location::caller();
        async move {
            self.sched(at).await;
            if !lock.held_by(self.tid) {
                self.bug(
                    at,
                    Invariant::LockMisuse { what: format!("unlock of {} not held by this thread", lock.id()) },
                );
                return;
            }
            lock.unlock();
            self.k.tasks.with(self.tid, |t| t.preempt_count = t.preempt_count.saturating_sub(1));
            self.emit(at, || EventKind::LockRelease { lock: lock.id() });
            self.rt().unblock(WaitOn::Spin { lock: lock.id() });
        }
    }
}

/// down_read() / down_write() / up_read() / up_write() (kernel/locking/rwsem.c).
impl Cx<'_> {
    #[track_caller]
    pub fn down_read<'a>(&'a self, sem: &'a RwSem) -> impl Future<Output = ()> + 'a {
        self.down(sem, false, Location::caller())
    }

    #[track_caller]
    pub fn down_write<'a>(&'a self, sem: &'a RwSem) -> impl Future<Output = ()> + 'a {
        self.down(sem, true, Location::caller())
    }

    #[track_caller]
    pub fn up_read<'a>(&'a self, sem: &'a RwSem) -> impl Future<Output = ()> + 'a {
        self.up(sem, false, Location::caller())
    }

    #[track_caller]
    pub fn up_write<'a>(&'a self, sem: &'a RwSem) -> impl Future<Output = ()> + 'a {
        self.up(sem, true, Location::caller())
    }

    async fn down(&self, sem: &RwSem, write: bool, at: &'static Location<'static>) {
        let mut queued = false;
        loop {
            self.sched(at).await;
            let got = sem.try_down(self.tid, write, queued);
            if got {
                self.emit(at, || EventKind::RwsemAcquire { lock: sem.id(), write });
                return;
            }
            if !queued {
                self.emit(at, || EventKind::RwsemContended { lock: sem.id(), write });
            }
            queued = true;
            self.block(WaitOn::Rwsem { lock: sem.id(), write });
        }
    }

    async fn up(&self, sem: &RwSem, write: bool, at: &'static Location<'static>) {
        self.sched(at).await;
        sem.release(write);
        self.emit(at, || EventKind::RwsemRelease { lock: sem.id(), write });
        self.rt().unblock(WaitOn::Rwsem { lock: sem.id(), write: true });
        self.rt().unblock(WaitOn::Rwsem { lock: sem.id(), write: false });
    }
}

/// Sleeping on a wait queue and waking it (kernel/sched/wait.c, kernel/sched/core.c).
impl Cx<'_> {
    /// Queues this task exclusively on `key` and marks it TASK_UNINTERRUPTIBLE. Called under
    /// tree_lock, which also orders it against the unlock it waits for, so it needs no
    /// scheduling point of its own.
    #[track_caller]
    pub fn prepare_to_wait_exclusive(&self, key: WaitKey) {
        let at = Location::caller();
        self.k.wait_table.prepare_exclusive(Waiter { tid: self.tid, key, exclusive: true });
        self.k.tasks.set_state(self.tid, TaskState::Uninterruptible);
        self.emit(at, || EventKind::WaitBegin { key, bucket: key.bucket(), exclusive: true });
    }

    /// schedule() after prepare_to_wait: returns at once if a wake-up already came,
    /// otherwise sleeps until one does.
    #[track_caller]
    pub fn schedule<'a>(&'a self, on: WaitOn) -> impl Future<Output = ()> + 'a {
        let at = Location::caller();
        async move {
            self.might_sleep(at);
            loop {
                self.sched(at).await;
                if self.k.tasks.state(self.tid) == TaskState::Running {
                    return;
                }
                self.block(on);
            }
        }
    }

    /// might_sleep(): this call may sleep, which is a bug while preemption is disabled
    /// (under a spin lock, or between radix_tree_preload() and radix_tree_preload_end()).
    pub(crate) fn might_sleep(&self, at: &'static Location<'static>) {
        let preempt_count = self.k.tasks.get(self.tid).preempt_count;
        if preempt_count > 0 {
            self.bug(at, Invariant::SleepInAtomic { preempt_count });
        }
    }

    #[track_caller]
    pub fn finish_wait(&self, key: WaitKey) {
        let at = Location::caller();
        self.k.wait_table.finish(self.tid, key);
        self.k.tasks.set_state(self.tid, TaskState::Running);
        self.emit(at, || EventKind::WaitEnd { key });
    }

    /// `if (waitqueue_active(wq)) __wake_up(wq, TASK_NORMAL, nr, &key)`.
    #[track_caller]
    pub fn wake_up_key<'a>(&'a self, key: WaitKey, wake_all: bool) -> impl Future<Output = ()> + 'a {
        let at = Location::caller();
        async move {
            self.sched(at).await;
            let bucket = key.bucket();
            if !self.k.wait_table.active(bucket) {
                return;
            }
            let woken = self.k.wait_table.wake_up(key, if wake_all { 0 } else { 1 });
            for t in woken.iter() {
                self.k.tasks.set_state(t, TaskState::Running);
                self.rt().wake(t);
            }
            self.emit(at, || EventKind::Wake { key, bucket, all: wake_all, woken });
        }
    }
}
