//! Spin locks. fs/dax.c takes `tree_lock` with spin_lock_irq(); the irq part changes
//! nothing in the model (no interrupts run), but the name keeps the code reading like the C.

use super::{LockId, WaitOn};
use crate::check::Invariant;
use crate::sim::{Cx, Tid};
use crate::trace::EventKind;
use std::future::Future;
use std::panic::Location;
use std::sync::atomic::{AtomicU32, Ordering};

#[derive(Debug)]
pub struct SpinLock {
    id: LockId,
    /// 0 when free, else holder tid + 1.
    holder: AtomicU32,
}

impl SpinLock {
    pub const fn new(id: LockId) -> Self {
        SpinLock { id, holder: AtomicU32::new(0) }
    }

    pub fn id(&self) -> LockId {
        self.id
    }

    pub fn holder(&self) -> Option<Tid> {
        match self.holder.load(Ordering::Acquire) {
            0 => None,
            h => Some(Tid((h - 1) as u8)),
        }
    }

    pub fn held_by(&self, tid: Tid) -> bool {
        self.holder() == Some(tid)
    }

    fn try_lock(&self, tid: Tid) -> Result<(), Tid> {
        self.holder
            .compare_exchange(0, u32::from(tid.0) + 1, Ordering::Acquire, Ordering::Relaxed)
            .map(|_| ())
            .map_err(|h| Tid((h - 1) as u8))
    }
}

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
                        self.emit(at, || EventKind::LockAcquire { lock: lock.id });
                        return;
                    }
                    Err(holder) => {
                        if !contended {
                            contended = true;
                            self.emit(at, || EventKind::LockContended { lock: lock.id, holder });
                        }
                        self.block(WaitOn::Spin { lock: lock.id });
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
                self.bug(at, Invariant::LockMisuse { what: format!("unlock of {} not held by this thread", lock.id) });
                return;
            }
            lock.holder.store(0, Ordering::Release);
            self.k.tasks.with(self.tid, |t| t.preempt_count = t.preempt_count.saturating_sub(1));
            self.emit(at, || EventKind::LockRelease { lock: lock.id });
            self.rt().unblock(WaitOn::Spin { lock: lock.id });
        }
    }
}
