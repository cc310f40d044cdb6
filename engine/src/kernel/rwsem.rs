//! Read-write semaphores for the filesystem's fault lock and i_rwsem.
//!
//! Readers are admitted while no writer holds or waits for the lock (so a waiting
//! truncate is not starved by a stream of faults, as with Linux rwsems); a released lock
//! lets every waiter retry. Linux hands the lock over in FIFO order instead; with the few
//! threads of a scenario the difference only reorders equally valid wake-ups.

use super::{LockId, Shared, WaitOn};
use crate::sim::{Cx, Tid};
use crate::trace::EventKind;
use std::future::Future;
use std::panic::Location;

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
}

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
            let got = sem.st.with(|s| {
                let free = if write {
                    s.readers == 0 && s.writer.is_none()
                } else {
                    s.writer.is_none() && s.waiting_writers == 0
                };
                if free {
                    if write {
                        s.writer = Some(self.tid);
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
            if got {
                self.emit(at, || EventKind::RwsemAcquire { lock: sem.id, write });
                return;
            }
            if !queued {
                self.emit(at, || EventKind::RwsemContended { lock: sem.id, write });
            }
            queued = true;
            self.block(WaitOn::Rwsem { lock: sem.id, write });
        }
    }

    async fn up(&self, sem: &RwSem, write: bool, at: &'static Location<'static>) {
        self.sched(at).await;
        sem.st.with(|s| {
            if write {
                s.writer = None;
            } else {
                s.readers = s.readers.saturating_sub(1);
            }
        });
        self.emit(at, || EventKind::RwsemRelease { lock: sem.id, write });
        self.rt().unblock(WaitOn::Rwsem { lock: sem.id, write: true });
        self.rt().unblock(WaitOn::Rwsem { lock: sem.id, write: false });
    }
}
