//! struct page for the DRAM pages the model needs: 4 KiB hole pages in the page cache and
//! private COW copies. (pmem has struct pages too, but DAX never locks or counts them.)
//! lock_page() and friends are scheduling points: they are in `cx.rs`.

use crate::footprint::{self, Obj, ObjKind};
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

/// The parts of a struct page steps touch separately (the objects' range inside a page's
/// space, see [`crate::footprint`]): taking the lock, counting references, looking at
/// page->mapping and copying data do not conflict with one another.
#[derive(Copy, Clone, Debug)]
#[repr(u64)]
pub enum PageField {
    Lock = 0,
    Count = 1,
    /// page->mapping and page->index.
    Mapping = 2,
    Data = 3,
    /// Anonymous or not: set when the page is allocated, never changed.
    Anon = 4,
}

fn field(page: u32, f: PageField) -> Obj {
    Obj::at(ObjKind::Page, page, f as u64)
}

#[derive(Debug, Default)]
pub struct Pages(Shared<Vec<Page>>);

impl Pages {
    /// A new zero-filled page, locked by `locked_by` if given (PG_locked set before the page
    /// is published, as add_to_page_cache does).
    pub fn alloc(&self, anon: bool, locked_by: Option<Tid>) -> u32 {
        // Which number the page gets depends on every allocation before it.
        footprint::writes(Obj::at(ObjKind::PageAlloc, 0, 0));
        let page = self.0.with(|p| {
            p.push(Page { mapping: None, index: 0, locked_by, count: 1, anon, data: None });
            (p.len() - 1) as u32
        });
        footprint::writes(Obj { kind: ObjKind::Page, space: page, lo: 0, hi: PageField::Anon as u64 });
        page
    }

    /// Reads or changes `what` of the page.
    pub fn with<R>(&self, page: u32, what: PageField, f: impl FnOnce(&mut Page) -> R) -> R {
        footprint::writes(field(page, what));
        self.0.with(|p| f(&mut p[page as usize]))
    }

    pub fn get<R>(&self, page: u32, what: PageField, f: impl FnOnce(&Page) -> R) -> R {
        footprint::reads(field(page, what));
        self.0.with(|p| f(&p[page as usize]))
    }

    /// get_page() / put_page(): references commute with one another.
    pub fn add_count(&self, page: u32, d: i32) {
        footprint::adds(field(page, PageField::Count));
        self.0.with(|p| p[page as usize].count += d)
    }

    pub fn pfn(page: u32) -> u64 {
        DRAM_PFN_BASE + u64::from(page)
    }

    pub fn page_of_pfn(pfn: u64) -> Option<u32> {
        pfn.checked_sub(DRAM_PFN_BASE).map(|p| p as u32)
    }

    pub fn read(&self, page: u32, offset: usize, buf: &mut [u8]) {
        self.get(page, PageField::Data, |p| match &p.data {
            Some(d) => buf.copy_from_slice(&d[offset..offset + buf.len()]),
            None => buf.fill(0),
        })
    }

    pub fn write(&self, page: u32, offset: usize, data: &[u8]) {
        self.with(page, PageField::Data, |p| {
            p.data.get_or_insert_with(|| Box::new([0; 4096]))[offset..offset + data.len()].copy_from_slice(data)
        })
    }

    pub fn snapshot(&self) -> Vec<Page> {
        self.0.snapshot()
    }
}

/// struct page of a persistent-memory page (ZONE_DEVICE, MEMORY_DEVICE_FS_DAX), for the
/// fields fs/dax.c and its callers use from v4.19 on: page->mapping and page->index, set by
/// dax_associate_entry() while an entry maps the page, and the reference count, which is 1
/// for an idle page and more while get_user_pages() pins it for DMA.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevPage {
    pub mapping: Option<u64>,
    pub index: u64,
    pub refcount: u32,
}

impl Default for DevPage {
    fn default() -> Self {
        DevPage { mapping: None, index: 0, refcount: 1 }
    }
}

/// Every pmem page's struct page, by pfn; a page never touched reads as idle and unowned.
#[derive(Debug, Default)]
pub struct DevPages(Shared<std::collections::BTreeMap<u64, DevPage>>);

impl DevPages {
    pub fn get(&self, pfn: u64) -> DevPage {
        self.0.with(|m| m.get(&pfn).cloned().unwrap_or_default())
    }

    pub fn with<R>(&self, pfn: u64, f: impl FnOnce(&mut DevPage) -> R) -> R {
        self.0.with(|m| f(m.entry(pfn).or_default()))
    }

    pub fn snapshot(&self) -> std::collections::BTreeMap<u64, DevPage> {
        self.0.snapshot()
    }
}
