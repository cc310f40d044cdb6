//! Spin locks. fs/dax.c takes `tree_lock` with spin_lock_irq(); the irq part changes
//! nothing in the model (no interrupts run), but the name keeps the code reading like the C.
//! spin_lock_irq()/spin_unlock_irq() are scheduling points: they are in `cx.rs`.

use super::LockId;
use crate::footprint::{self, Obj, ObjKind};
use crate::sim::Tid;
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
        footprint::reads(self.word());
        self.holder() == Some(tid)
    }

    /// One attempt at the lock word: taken, or the holder that has it.
    pub(super) fn try_lock(&self, tid: Tid) -> Result<(), Tid> {
        let r = self
            .holder
            .compare_exchange(0, u32::from(tid.0) + 1, Ordering::Acquire, Ordering::Relaxed)
            .map(|_| ())
            .map_err(|h| Tid((h - 1) as u8));
        // A failed attempt only looks: two spinners commute.
        footprint::touch(self.word(), if r.is_ok() { footprint::Mode::Write } else { footprint::Mode::Read });
        r
    }

    /// Clears the lock word (the caller checked it holds the lock).
    pub(super) fn unlock(&self) {
        footprint::writes(self.word());
        self.holder.store(0, Ordering::Release);
    }

    /// The lock word as an object steps touch (see [`crate::footprint`]).
    pub(super) fn word(&self) -> Obj {
        Obj::at(ObjKind::Lock, self.id as u32, 0)
    }
}
