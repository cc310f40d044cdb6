//! fsync for DAX: dax_writeback_mapping_range() and dax_writeback_one(). The data is
//! already in pmem, but possibly still in the CPU cache; writeback flushes the cache lines
//! of every entry that is tagged dirty, after write-protecting its mappings so that the next
//! store faults and dirties the entry again.

use super::entry::*;
use super::locking::{get_unlocked_mapping_entry, lock_slot, put_locked_mapping_entry, put_unlocked_mapping_entry};
use crate::check::Invariant;
use crate::fs::AddressSpace;
use crate::kernel::Errno;
use crate::mm::{PAGE_SHIFT, PAGE_SIZE, PAGEVEC_SIZE, find_get_entries_tag, mkclean_one, tag_pages_for_writeback};
use crate::pmem::pfn_of_sector;
use crate::radix::{Item, PAGECACHE_TAG_DIRTY, PAGECACHE_TAG_TOWRITE};
use crate::sim::Cx;
use crate::trace::EventKind;
use crate::trace::Func;
use std::panic::Location;

/// The part of `struct writeback_control` DAX looks at.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct WritebackControl {
    /// WB_SYNC_ALL (a data-integrity sync such as fsync) rather than WB_SYNC_NONE.
    pub sync_all: bool,
    pub range_start: u64,
    /// Inclusive; LLONG_MAX for "to the end".
    pub range_end: u64,
}

/// dax_writeback_mapping_range(): flush every entry in the range that was dirty when the
/// sync started. tag_pages_for_writeback() snapshots DIRTY into TOWRITE; batches of
/// PAGEVEC_SIZE TOWRITE entries are then written back one by one, each clearing its TOWRITE.
///
/// v4.11 never advances start_index: every batch looks up from the start of the range
/// again and finds whatever TOWRITE entries are left (quadratic, fixed in 4.12 by "dax: fix
/// inefficiency in dax_writeback_mapping_range()"). The rescans show as WritebackRescan
/// events.
pub async fn dax_writeback_mapping_range(
    cx: &Cx<'_>,
    mapping: &AddressSpace,
    wbc: WritebackControl,
) -> Result<(), Errno> {
    let _f = cx.enter(Func::DaxWritebackMappingRange);
    let at = Location::caller();
    cx.sched(at).await;
    if mapping.nrexceptional() == 0 || !wbc.sync_all {
        return Ok(());
    }
    let start_index = wbc.range_start >> PAGE_SHIFT;
    let end_index = wbc.range_end >> PAGE_SHIFT;
    tag_pages_for_writeback(cx, mapping, start_index, end_index).await;

    let mut pass = 0u32;
    loop {
        if pass > 0 {
            cx.emit(at, || EventKind::WritebackRescan { start: start_index, pass });
        }
        let batch = find_get_entries_tag(cx, mapping, start_index, PAGECACHE_TAG_TOWRITE, PAGEVEC_SIZE).await;
        if batch.is_empty() {
            return Ok(());
        }
        for (index, entry) in batch {
            if index > end_index {
                return Ok(());
            }
            dax_writeback_one(cx, mapping, index, entry).await?;
        }
        pass += 1;
    }
}

/// dax_writeback_one(): `entry` is what the tag lookup saw, without any lock. Under
/// tree_lock, wait for the entry to be unlocked and check it is still the same block and
/// still TOWRITE (another fsync may have done it); then lock it, clear TOWRITE and drop
/// tree_lock for the flush. Concurrent writebacks of this index wait on the entry lock, so
/// none can return before the caches are flushed; faults wait on it too, so no new dirty
/// data can reach the block between the write-protect and the flush.
async fn dax_writeback_one(cx: &Cx<'_>, mapping: &AddressSpace, index: u64, entry: Item) -> Result<(), Errno> {
    let _f = cx.enter(Func::DaxWritebackOne);
    let at = Location::caller();
    let tree = &mapping.page_tree;
    let Item::Exceptional(seen) = entry else {
        cx.warn(at, Invariant::Warn { what: "a page got tagged dirty in a DAX mapping".into() });
        return Err(Errno::Eio);
    };
    cx.spin_lock_irq(&mapping.tree_lock).await;
    let entry2 = get_unlocked_mapping_entry(cx, mapping, index).await;
    let verdict = match entry2 {
        // Punched out, or reallocated elsewhere: nothing to write back.
        None | Some(Item::Page(_)) => Ok(false),
        Some(Item::Exceptional(e2)) if dax_radix_sector(e2) != dax_radix_sector(seen) => Ok(false),
        Some(_) if dax_is_empty_entry(seen) || dax_is_zero_entry(seen) => {
            cx.warn(at, Invariant::Warn { what: "dax_writeback_one on an empty or zero entry".into() });
            Err(Errno::Eio)
        }
        Some(_) => Ok(cx.radix_tree_tag_get(tree, index, PAGECACHE_TAG_TOWRITE).await),
    };
    if verdict != Ok(true) {
        if let Some(e2) = entry2 {
            put_unlocked_mapping_entry(cx, mapping, index, e2).await;
        }
        cx.spin_unlock_irq(&mapping.tree_lock).await;
        return verdict.map(drop);
    }
    let locked = lock_slot(cx, mapping, index).await;
    cx.radix_tree_tag_clear(tree, index, PAGECACHE_TAG_TOWRITE).await;
    cx.spin_unlock_irq(&mapping.tree_lock).await;

    // The index is the entry's first (PMD aligned for a PMD entry), as is its sector, so a
    // PMD entry is flushed whole.
    let sector = dax_radix_sector(locked);
    let size = PAGE_SIZE << dax_radix_order(locked);
    dax_mapping_entry_mkclean(cx, index, pfn_of_sector(sector)).await;
    wb_cache_pmem(cx, sector << 9, size).await;
    // After the flush the dirty tag can go: the mappings are write-protected and a fault
    // waits for the entry lock, so nothing new can be dirty in the block yet.
    cx.spin_lock_irq(&mapping.tree_lock).await;
    cx.radix_tree_tag_clear(tree, index, PAGECACHE_TAG_DIRTY).await;
    cx.spin_unlock_irq(&mapping.tree_lock).await;
    put_locked_mapping_entry(cx, mapping, index, Item::Exceptional(locked)).await;
    Ok(())
}

/// dax_mapping_entry_mkclean(): under i_mmap_rwsem (read; not modelled as a lock), visit
/// every shared vma that maps `index` and write-protect and clean the PTE or huge PMD at
/// the address of `index`, if it maps `pfn`. Only that one address is looked at.
async fn dax_mapping_entry_mkclean(cx: &Cx<'_>, index: u64, pfn: u64) {
    let _f = cx.enter(Func::DaxMappingEntryMkclean);
    for mm in &cx.k.mms {
        for vma in mm.vmas.iter().filter(|v| v.shared) {
            if let Some(address) = vma.address_of(index) {
                mkclean_one(cx, mm, address, pfn).await;
            }
        }
    }
}

/// wb_cache_pmem(): write the CPU cache lines of the block back to the media.
async fn wb_cache_pmem(cx: &Cx<'_>, offset: u64, len: u64) {
    let at = Location::caller();
    cx.sched(at).await;
    cx.k.pmem.flush(offset, len);
    cx.emit(at, || EventKind::PmemFlush { offset, len });
}
