//! fs/dax.c of the XArray era (v4.20 on), beside `dax/` (the radix-tree era): DAX entries
//! as XArray value entries in `mapping->i_pages`, the entry lock and its hashed wait
//! table, grab_mapping_entry(), the PTE and PMD faults, writeback, invalidation, the
//! layout-break scan for pages pinned for DMA, and the memory-failure lock. A kernel whose
//! release is of this era runs this model; the fixes of the era are switches
//! (`cx.k.has(Fix::…)`) at the lines each commit changed, with the commit in a comment.
//!
//! | file | functions |
//! |---|---|
//! | `entry.rs` | DAX_LOCKED, DAX_PMD, DAX_ZERO_PAGE, DAX_EMPTY, dax_make_entry(), dax_to_pfn(), ... |
//! | `locking.rs` | dax_entry_waitqueue(), dax_wake_entry(), get_unlocked_entry(), wait_entry_unlocked(), wait_entry_unlocked_exclusive(), put_unlocked_entry(), dax_lock_entry(), dax_unlock_entry() |
//! | `grab.rs` | grab_mapping_entry() |
//! | `insert.rs` | dax_insert_entry(), dax_load_hole(), dax_pmd_load_hole() |
//! | `pte_fault.rs`, `pmd_fault.rs` | dax_iomap_pte_fault(), dax_iomap_pmd_fault() |
//! | `writeback.rs` | dax_writeback_mapping_range(), dax_writeback_one(), dax_entry_mkclean() |
//! | `invalidate.rs` | __dax_invalidate_entry(), dax_delete_mapping_entry(), dax_invalidate_mapping_entry_sync() |
//! | `pages.rs` | dax_associate_entry(), dax_disassociate_entry() |
//!
//! Locking, as in the kernel: the xa_lock (`xa_lock(i_pages)`) protects the array and
//! every entry's lock bit; an entry lock is held across iomap_begin, the page-table update
//! and the flush, with the xa_lock dropped. State the kernel's code reads under the
//! xa_lock (struct pages, the mapping's counters) is read here in the same sections.

mod entry;
mod grab;
mod insert;
mod invalidate;
mod locking;
mod pages;
mod pmd_fault;
mod pte_fault;
mod writeback;

pub use entry::*;
pub use grab::grab_mapping_entry;
pub use invalidate::{dax_delete_mapping_entry, dax_invalidate_mapping_entry_sync};
pub use locking::{WakeMode, dax_entry_waitqueue};
pub use pmd_fault::dax_iomap_pmd_fault;
pub use pte_fault::dax_iomap_pte_fault;
pub use writeback::dax_writeback_mapping_range;

use crate::fs::AddressSpace;
use crate::mm::{PAGE_SHIFT, PeSize, VmFault, Vmf, unmap_mapping_range};
use crate::release::Fix;
use crate::sim::Cx;
use crate::trace::Func;

/// dax_iomap_fault(): dispatch on the entry size the core mm asked for.
pub async fn dax_iomap_fault(cx: &Cx<'_>, vmf: &Vmf<'_>, pe_size: PeSize) -> VmFault {
    let _f = cx.enter(Func::DaxIomapFault);
    match pe_size {
        PeSize::Pte => dax_iomap_pte_fault(cx, vmf).await,
        PeSize::Pmd => dax_iomap_pmd_fault(cx, vmf).await,
    }
}

/// The mapping's count of DAX entries, changed by `delta` entries of `order`, under the
/// xa_lock: `nrexceptional` counts entries (through v5.12), `nrpages` counts the pages they
/// cover from v5.13 (7f0e07fb0289).
pub(crate) fn count_entry(cx: &Cx<'_>, mapping: &AddressSpace, order: u32, delta: i64) {
    if !cx.k.has(Fix::DaxNrpages) {
        mapping.add_nrexceptional(delta);
    } else {
        mapping.add_nrpages(delta << order);
    }
}

/// unmap_mapping_pages(mapping, start, nr, false): zap the file pages [start, start + nr)
/// from every process (private COW copies stay).
pub(crate) async fn unmap_mapping_pages(cx: &Cx<'_>, start: u64, nr: u64) {
    unmap_mapping_range(cx, start << PAGE_SHIFT, nr << PAGE_SHIFT, false).await;
}
