//! Core mm: address spaces, VMAs, page tables, fault dispatch, the PTE/PMD installers and
//! user loads and stores through the page tables (reference: mm/memory.c, mm/huge_memory.c).
//!
//! The key property the seed race turns on: every core-mm decision about a PMD slot is an
//! unlocked read followed later by an install under some lock, and only some installers
//! look at the slot again under that lock.

mod access;
mod cx;
mod fault;
mod filemap;
pub(crate) mod huge_memory;
mod memory;
mod page;
mod page_writeback;
pub mod pagecache_xa;
mod pagetable;
pub(crate) mod pgtable_generic;
mod truncate;
mod zap;

pub use access::{Access, user_access};
pub use fault::{handle_mm_fault, handle_pte_fault};
pub use huge_memory::{split_huge_pmd, vmf_insert_pfn_pmd};

pub use filemap::{
    __delete_from_page_cache, PAGEVEC_SIZE, delete_from_page_cache, find_get_entries, find_get_entries_tag,
};
pub use memory::{ZERO_PFN, finish_fault, pfn_mkclean_range, vm_insert_mixed, vm_insert_mixed_mkwrite};
pub(crate) use memory::{finish_mkwrite_fault, pmd_is_huge, pmd_is_table};
pub use page::{DevPage, DevPages, Page, PageField, Pages};
pub use page_writeback::{WRITEBACK_TAG_BATCH, tag_pages_for_writeback};
pub use pagetable::{Mm, MmCounter, PageTables, PmdKind, PmdSlot, Pte, PteKind, Teardown, pte_index};
pub use truncate::{
    invalidate_inode_pages2_range, invalidate_mapping_pages, truncate_inode_pages_range, truncate_pagecache,
    truncate_pagecache_range,
};
pub use zap::{mkclean_one, unmap_mapping_range};

use serde::{Deserialize, Serialize};
use std::fmt;

pub const PAGE_SHIFT: u32 = 12;
pub const PAGE_SIZE: u64 = 1 << PAGE_SHIFT;
pub const PMD_SHIFT: u32 = 21;
pub const PMD_SIZE: u64 = 1 << PMD_SHIFT;
pub const PMD_MASK: u64 = !(PMD_SIZE - 1);
/// Pages per PMD minus one: the "colour" of a page offset within its PMD.
pub const PG_PMD_COLOUR: u64 = (PMD_SIZE >> PAGE_SHIFT) - 1;
/// TASK_SIZE_MAX on x86-64 with 4-level page tables: every user mapping ends below it.
pub const TASK_SIZE: u64 = (1 << 47) - PAGE_SIZE;

/// A file mapping (`struct vm_area_struct`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vma {
    pub vm_start: u64,
    pub vm_end: u64,
    /// File page offset of vm_start.
    pub vm_pgoff: u64,
    /// MAP_SHARED (VM_SHARED) versus MAP_PRIVATE.
    pub shared: bool,
    /// Whether transparent_hugepage_enabled() holds (THP "always", or "madvise" with the
    /// VM_HUGEPAGE that ext4 and xfs set on DAX vmas).
    pub thp: bool,
}

impl Vma {
    pub fn contains(&self, addr: u64) -> bool {
        (self.vm_start..self.vm_end).contains(&addr)
    }
    /// linear_page_index(): the file page an address maps. Unsigned arithmetic as in C:
    /// dax_iomap_pmd_fault() computes it for a PMD start that may lie before vm_start and
    /// only then checks the range, so it must wrap rather than trap.
    pub fn linear_page_index(&self, addr: u64) -> u64 {
        (addr.wrapping_sub(self.vm_start) >> PAGE_SHIFT).wrapping_add(self.vm_pgoff)
    }
    /// The address of file page `pgoff` in this vma, if mapped.
    pub fn address_of(&self, pgoff: u64) -> Option<u64> {
        let addr = self.vm_start.checked_add(pgoff.checked_sub(self.vm_pgoff)? << PAGE_SHIFT)?;
        self.contains(addr).then_some(addr)
    }
}

/// `struct vm_fault`.
#[derive(Clone, Copy, Debug)]
pub struct Vmf<'a> {
    pub mm: &'a Mm,
    pub vma: &'a Vma,
    /// The faulting address, page aligned.
    pub address: u64,
    /// File page of the faulting address.
    pub pgoff: u64,
    pub write: bool,
}

impl<'a> Vmf<'a> {
    pub fn new(mm: &'a Mm, vma: &'a Vma, address: u64, write: bool) -> Self {
        let address = address & !(PAGE_SIZE - 1);
        Vmf { mm, vma, address, pgoff: vma.linear_page_index(address), write }
    }
    /// A write to a private mapping: the fault copies the page (vmf->cow_page).
    pub fn cow(&self) -> bool {
        self.write && !self.vma.shared
    }
}

/// enum page_entry_size: which size of entry a fault tries to install.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PeSize {
    Pte,
    Pmd,
}

/// VM_FAULT_* result bits (include/linux/mm.h, v4.11).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VmFault(pub u32);

impl VmFault {
    pub const OOM: VmFault = VmFault(0x0001);
    pub const SIGBUS: VmFault = VmFault(0x0002);
    pub const MAJOR: VmFault = VmFault(0x0004);
    pub const SIGSEGV: VmFault = VmFault(0x0040);
    pub const NOPAGE: VmFault = VmFault(0x0100);
    pub const LOCKED: VmFault = VmFault(0x0200);
    pub const RETRY: VmFault = VmFault(0x0400);
    pub const FALLBACK: VmFault = VmFault(0x0800);
    pub const DONE_COW: VmFault = VmFault(0x1000);
    pub const ERROR: VmFault = VmFault(0x0001 | 0x0002 | 0x0040 | 0x0010 | 0x0020 | 0x0800);

    pub const NONE: VmFault = VmFault(0);

    pub fn contains(self, other: VmFault) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }
    pub fn intersects(self, other: VmFault) -> bool {
        self.0 & other.0 != 0
    }
}

impl std::ops::BitOr for VmFault {
    type Output = VmFault;
    fn bitor(self, rhs: VmFault) -> VmFault {
        VmFault(self.0 | rhs.0)
    }
}

impl fmt::Display for VmFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [(u32, &str); 9] = [
            (0x0001, "OOM"),
            (0x0002, "SIGBUS"),
            (0x0004, "MAJOR"),
            (0x0040, "SIGSEGV"),
            (0x0100, "NOPAGE"),
            (0x0200, "LOCKED"),
            (0x0400, "RETRY"),
            (0x0800, "FALLBACK"),
            (0x1000, "DONE_COW"),
        ];
        if self.0 == 0 {
            return f.write_str("0");
        }
        let names: Vec<&str> = NAMES.iter().filter(|(b, _)| self.0 & b != 0).map(|(_, n)| *n).collect();
        f.write_str(&names.join("|"))
    }
}
