//! Core mm's scheduling points on the context: the page lock (lock_page, trylock_page,
//! unlock_page), page references, and a process's exit tearing its page tables down.
//! The fault path and the installers are plain `async fn`s in their files.

use super::{Mm, PageField};
use crate::kernel::WaitOn;
use crate::sim::Cx;
use crate::trace::EventKind;
use std::future::Future;
use std::panic::Location;

/// lock_page() / trylock_page() / unlock_page(), get_page() / put_page() (mm/filemap.c,
/// include/linux/mm.h).
impl Cx<'_> {
    /// lock_page(): sleeps while another task holds PG_locked.
    #[track_caller]
    pub fn lock_page<'a>(&'a self, page: u32) -> impl Future<Output = ()> + 'a {
        let at = Location::caller();
        async move {
            self.might_sleep(at);
            loop {
                self.sched(at).await;
                let got = self.k.pages.with(page, PageField::Lock, |p| {
                    if p.locked_by.is_none() {
                        p.locked_by = Some(self.tid);
                        true
                    } else {
                        false
                    }
                });
                if got {
                    self.emit(at, || EventKind::PageLock { page });
                    return;
                }
                self.block(WaitOn::Page { page });
            }
        }
    }

    /// trylock_page(): takes PG_locked if it is free, never sleeps.
    #[track_caller]
    pub fn trylock_page<'a>(&'a self, page: u32) -> impl Future<Output = bool> + 'a {
        let at = Location::caller();
        async move {
            self.sched(at).await;
            let got = self.k.pages.with(page, PageField::Lock, |p| {
                let free = p.locked_by.is_none();
                if free {
                    p.locked_by = Some(self.tid);
                }
                free
            });
            if got {
                self.emit(at, || EventKind::PageLock { page });
            }
            got
        }
    }

    /// unlock_page(): clears PG_locked and wakes the page's waiters.
    #[track_caller]
    pub fn unlock_page<'a>(&'a self, page: u32) -> impl Future<Output = ()> + 'a {
        let at = Location::caller();
        async move {
            self.sched(at).await;
            self.k.pages.with(page, PageField::Lock, |p| p.locked_by = None);
            self.emit(at, || EventKind::PageUnlock { page });
            self.rt().unblock(WaitOn::Page { page });
        }
    }

    pub fn get_page(&self, page: u32) {
        self.k.pages.add_count(page, 1);
    }

    pub fn put_page(&self, page: u32) {
        self.k.pages.add_count(page, -1);
    }
}

/// exit_mmap() of a setup process (kernel/exit.c, mm/mmap.c).
impl Cx<'_> {
    /// munmap + exit of a setup process: its page tables go away (check_mm() runs at the
    /// end of the execution, when the counters are checked for every process).
    #[track_caller]
    pub fn exit_mm(&self, mm: &Mm) {
        let at = Location::caller();
        mm.teardown();
        mm.set_exited();
        self.emit(at, || EventKind::MmTeardown { mm: mm.id });
    }
}
