//! struct page for the DRAM pages the model needs: 4 KiB hole pages in the page cache and
//! private COW copies. (pmem has struct pages too, but DAX never locks or counts them.)
//! lock_page() and friends are scheduling points: they are in `cx.rs`.

use crate::kernel::Shared;
use crate::sim::Tid;
use serde::{Deserialize, Serialize};

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
