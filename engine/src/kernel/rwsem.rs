//! Read-write semaphores for the filesystem's fault lock and i_rwsem.
//!
//! Readers are admitted while no writer holds or waits for the lock (so a waiting
//! truncate is not starved by a stream of faults, as with Linux rwsems); a released lock
//! lets every waiter retry. Linux hands the lock over in FIFO order instead; with the few
//! threads of a scenario the difference only reorders equally valid wake-ups.
//! down_read()/down_write()/up_read()/up_write() are scheduling points: they are in `cx.rs`.

use super::{LockId, Shared};
use crate::footprint::{self, Obj, ObjKind};
use crate::sim::Tid;

#[derive(Debug, Default, Clone)]
struct State {
    readers: u32,
    writer: Option<Tid>,
    waiting_writers: u32,
}

#[derive(Debug)]
pub struct RwSem {
    id: LockId,
    st: Shared<State>,
}

impl RwSem {
    pub fn new(id: LockId) -> Self {
        RwSem { id, st: Shared::new(State::default()) }
    }

    pub fn id(&self) -> LockId {
        self.id
    }

    /// (readers, writer) for inspection.
    pub fn holders(&self) -> (u32, Option<Tid>) {
        self.st.with(|s| (s.readers, s.writer))
    }

    /// One attempt to take the semaphore for `tid`. A writer that finds it busy registers
    /// as waiting (once: `queued` says it already has), which holds new readers off.
    pub(super) fn try_down(&self, tid: Tid, write: bool, queued: bool) -> bool {
        let got = self.st.with(|s| {
            let free =
                if write { s.readers == 0 && s.writer.is_none() } else { s.writer.is_none() && s.waiting_writers == 0 };
            if free {
                if write {
                    s.writer = Some(tid);
                    if queued {
                        s.waiting_writers -= 1;
                    }
                } else {
                    s.readers += 1;
                }
            } else if write && !queued {
                s.waiting_writers += 1;
            }
            free
        });
        self.declare_down(write, queued, got);
        got
    }

    /// Two words: the writer side (holder and waiting writers) and the reader count.
    /// Readers only add to the count, so two readers taking or dropping the semaphore
    /// commute; a writer reads the count.
    fn declare_down(&self, write: bool, queued: bool, got: bool) {
        if write {
            footprint::reads(self.readers());
            if got || !queued {
                footprint::writes(self.writer());
            } else {
                footprint::reads(self.writer());
            }
        } else {
            footprint::reads(self.writer());
            if got {
                footprint::adds(self.readers());
            }
        }
    }

    fn writer(&self) -> Obj {
        Obj::at(ObjKind::Lock, self.id as u32, 0)
    }

    fn readers(&self) -> Obj {
        Obj::at(ObjKind::Lock, self.id as u32, 1)
    }

    pub(super) fn release(&self, write: bool) {
        if write {
            footprint::writes(self.writer());
        } else {
            footprint::adds(self.readers());
        }
        self.st.with(|s| {
            if write {
                s.writer = None;
            } else {
                s.readers = s.readers.saturating_sub(1);
            }
        })
    }
}
