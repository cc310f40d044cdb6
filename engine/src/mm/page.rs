//! struct page for the DRAM pages the model needs: 4 KiB hole pages in the page cache and
//! private COW copies. (pmem has struct pages too, but DAX never locks or counts them.)

use crate::kernel::{Shared, WaitOn};
use crate::sim::{Cx, Tid};
use crate::trace::EventKind;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::panic::Location;

/// Page frame numbers of DRAM pages start here (well below pmem).
pub const DRAM_PFN_BASE: u64 = 0x4_0000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    /// page->mapping: the file's address_space while in its page cache, else none.
    pub mapping: Option<u64>,
    pub index: u64,
    pub locked_by: Option<Tid>,
    pub count: i32,
    pub anon: bool,
    #[serde(skip)]
    pub data: Option<Box<[u8; 4096]>>,
}

#[derive(Debug, Default)]
pub struct Pages(Shared<Vec<Page>>);

impl Pages {
    /// A new zero-filled page, locked by `locked_by` if given (PG_locked set before the page
    /// is published, as add_to_page_cache does).
    pub fn alloc(&self, anon: bool, locked_by: Option<Tid>) -> u32 {
        self.0.with(|p| {
            p.push(Page { mapping: None, index: 0, locked_by, count: 1, anon, data: None });
            (p.len() - 1) as u32
        })
    }

    pub fn with<R>(&self, page: u32, f: impl FnOnce(&mut Page) -> R) -> R {
        self.0.with(|p| f(&mut p[page as usize]))
    }

    pub fn pfn(page: u32) -> u64 {
        DRAM_PFN_BASE + u64::from(page)
    }

    pub fn page_of_pfn(pfn: u64) -> Option<u32> {
        pfn.checked_sub(DRAM_PFN_BASE).map(|p| p as u32)
    }

    pub fn read(&self, page: u32, offset: usize, buf: &mut [u8]) {
        self.with(page, |p| match &p.data {
            Some(d) => buf.copy_from_slice(&d[offset..offset + buf.len()]),
            None => buf.fill(0),
        })
    }

    pub fn write(&self, page: u32, offset: usize, data: &[u8]) {
        self.with(page, |p| {
            p.data.get_or_insert_with(|| Box::new([0; 4096]))[offset..offset + data.len()].copy_from_slice(data)
        })
    }

    pub fn snapshot(&self) -> Vec<Page> {
        self.0.snapshot()
    }
}

impl Cx<'_> {
    /// lock_page(): sleeps while another task holds PG_locked.
    #[track_caller]
    pub fn lock_page<'a>(&'a self, page: u32) -> impl Future<Output = ()> + 'a {
        let at = Location::caller();
        async move {
            self.might_sleep(at);
            loop {
                self.sched(at).await;
                let got = self.k.pages.with(page, |p| {
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
            let got = self.k.pages.with(page, |p| {
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
            self.k.pages.with(page, |p| p.locked_by = None);
            self.emit(at, || EventKind::PageUnlock { page });
            self.rt().unblock(WaitOn::Page { page });
        }
    }

    pub fn get_page(&self, page: u32) {
        self.k.pages.with(page, |p| p.count += 1);
    }

    pub fn put_page(&self, page: u32) {
        self.k.pages.with(page, |p| p.count -= 1);
    }
}
