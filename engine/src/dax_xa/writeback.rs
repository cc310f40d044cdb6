//! fsync for DAX in the XArray era: dax_writeback_mapping_range() and dax_writeback_one().
//! The data is in pmem already, possibly still in the CPU cache; writeback write-protects
//! the mappings of each entry tagged for it (so the next store faults and dirties the entry
//! again) and writes its cache lines back.

use super::entry::*;
use super::locking::{WakeMode, dax_lock_entry, dax_wake_entry, get_unlocked_entry, put_unlocked_entry};
use crate::check::Invariant;
use crate::dax::WritebackControl;
use crate::fs::AddressSpace;
use crate::kernel::Errno;
use crate::mm::pagecache_xa::tag_pages_for_writeback;
use crate::mm::{PAGE_SHIFT, PAGE_SIZE, mkclean_one, pfn_mkclean_range};
use crate::pmem::pmem_offset;
use crate::release::Fix;
use crate::sim::Cx;
use crate::trace::{EventKind, Func};
use crate::xarray::{Entry, PAGECACHE_TAG_DIRTY, PAGECACHE_TAG_TOWRITE, XaState, xa_is_value};
use std::panic::Location;

/// dax_writeback_mapping_range(): flush every entry in the range that was dirty when the
/// sync started. tag_pages_for_writeback() turns DIRTY into TOWRITE; one walk over the
/// TOWRITE entries under the xa_lock then writes each back (dax_writeback_one() drops and
/// retakes the lock around the flush).
pub async fn dax_writeback_mapping_range(
    cx: &Cx<'_>,
    mapping: &AddressSpace,
    wbc: WritebackControl,
) -> Result<(), Errno> {
    let _f = cx.enter(Func::DaxWritebackMappingRange);
    let at = Location::caller();
    let root = &mapping.i_pages;
    cx.sched(at).await;
    // `!mapping->nrexceptional`, until the series of 7f0e07fb0289 (v5.13) made it
    // mapping_empty().
    let empty =
        if !cx.k.has(Fix::DaxNrpages) { mapping.nrexceptional() == 0 } else { root.xa.with(|xa| xa.xa_empty()) };
    if empty || !wbc.sync_all {
        return Ok(());
    }
    let (start, end) = (wbc.range_start >> PAGE_SHIFT, wbc.range_end >> PAGE_SHIFT);
    tag_pages_for_writeback(cx, mapping, start, end).await;
    let mut xas = XaState::new(start);
    cx.xa_lock_irq(root).await;
    let mut entry = cx.xas_find_marked(root, &mut xas, end, PAGECACHE_TAG_TOWRITE).await;
    let mut ret = Ok(());
    while entry.is_some() {
        ret = dax_writeback_one(cx, mapping, &mut xas, entry).await;
        if ret.is_err() {
            break;
        }
        entry = cx.xas_next_marked(root, &mut xas, end, PAGECACHE_TAG_TOWRITE).await;
    }
    cx.xa_unlock_irq(root).await;
    ret
}

/// dax_writeback_one(), called and returning with the xa_lock held. A locked entry goes
/// through get_unlocked_entry() to wait for it and check it still needs writing — but on
/// this walked xa_state that returns NULL at once ("punched out"), so the entry is skipped
/// unflushed: the comment's promise that a concurrent writeback "will see the entry locked
/// and wait" does not hold in the XArray era. An unlocked entry is locked, loses TOWRITE,
/// is write-protected everywhere and flushed, then unlocked and loses DIRTY.
async fn dax_writeback_one(
    cx: &Cx<'_>,
    mapping: &AddressSpace,
    xas: &mut XaState,
    entry: Option<Entry>,
) -> Result<(), Errno> {
    let _f = cx.enter(Func::DaxWritebackOne);
    let at = Location::caller();
    let root = &mapping.i_pages;
    if !xa_is_value(entry) {
        cx.warn(at, Invariant::Warn { what: "a page got tagged dirty in a DAX mapping".into() });
        return Err(Errno::Eio);
    }
    let mut entry = entry;
    if dax_is_locked(entry) {
        let old = entry;
        entry = get_unlocked_entry(cx, mapping, xas, 0).await;
        if let Some(verdict) = still_to_write(cx, xas, old, entry).await {
            put_unlocked_entry(cx, mapping, xas, entry, WakeMode::Next).await;
            return verdict;
        }
    }
    // Lock the entry to serialise with page faults; TOWRITE can go now, since a
    // concurrent writeback of this index looks at it only under the xa_lock.
    dax_lock_entry(cx, mapping, xas, entry).await;
    cx.xas_clear_mark(root, xas, PAGECACHE_TAG_TOWRITE).await;
    cx.xa_unlock_irq(root).await;

    let pfn = dax_to_pfn(entry);
    let count = 1u64 << dax_entry_order(entry);
    // The entry's first index ("dax: Flush partial PMDs correctly", v5.1 or v5.2; its id is
    // not verified, so every XArray-era kernel runs the corrected line).
    let index = xas.xa_index() & !(count - 1);
    if cx.k.has(Fix::MkcleanPte) {
        for mm in &cx.k.mms {
            for vma in &mm.vmas {
                pfn_mkclean_range(cx, mm, vma, pfn, count, index).await;
            }
        }
    } else {
        dax_entry_mkclean(cx, index, pfn).await;
    }
    dax_flush(cx, pfn, count * PAGE_SIZE).await;
    // The flush is done and the mappings are write-protected; a fault waits for the entry
    // lock, so nothing new can be dirty in the block yet: DIRTY can go.
    xas.reset();
    cx.xa_lock_irq(root).await;
    cx.xas_store(root, xas, entry).await;
    cx.xas_clear_mark(root, xas, PAGECACHE_TAG_DIRTY).await;
    dax_wake_entry(cx, mapping, xas, entry, WakeMode::Next).await;
    Ok(())
}

/// The checks after waiting for a locked entry: None if it still has to be written back,
/// else what dax_writeback_one() returns without writing it.
async fn still_to_write(
    cx: &Cx<'_>,
    xas: &XaState,
    old: Option<Entry>,
    entry: Option<Entry>,
) -> Option<Result<(), Errno>> {
    let at = Location::caller();
    if entry.is_none() || !xa_is_value(entry) {
        // Punched out or reallocated — or, inside this walk, not looked at at all.
        return Some(Ok(()));
    }
    if dax_to_pfn(old) != dax_to_pfn(entry) {
        return Some(Ok(()));
    }
    if dax_is_empty_entry(entry) || dax_is_zero_entry(entry) {
        cx.warn(at, Invariant::Warn { what: "dax_writeback_one on an empty or zero entry".into() });
        return Some(Err(Errno::Eio));
    }
    // Another fsync may have done this entry already.
    if !cx.xas_get_mark(&cx.k.mapping.i_pages, xas, PAGECACHE_TAG_TOWRITE).await {
        return Some(Ok(()));
    }
    None
}

/// dax_entry_mkclean() (v4.20 to v5.18): every shared vma that maps `index` — the entry's
/// first index only — gets the PTE or huge PMD at that one address write-protected and
/// cleaned, if it maps `pfn`. The other PTEs of a PMD entry mapped by PTEs keep their write
/// permission (fixed by 06083a0921fd).
async fn dax_entry_mkclean(cx: &Cx<'_>, index: u64, pfn: u64) {
    let _f = cx.enter(Func::DaxEntryMkclean);
    for mm in &cx.k.mms {
        for vma in mm.vmas.iter().filter(|v| v.shared) {
            if let Some(address) = vma.address_of(index) {
                mkclean_one(cx, mm, address, pfn).await;
            }
        }
    }
}

/// dax_flush(): write the CPU cache lines of the pages back to the media.
async fn dax_flush(cx: &Cx<'_>, pfn: u64, len: u64) {
    let at = Location::caller();
    cx.sched(at).await;
    let offset = pmem_offset(pfn << PAGE_SHIFT);
    cx.k.pmem.flush(offset, len);
    cx.emit(at, || EventKind::PmemFlush { offset, len });
}
