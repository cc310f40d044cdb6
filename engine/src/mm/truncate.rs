//! mm/truncate.c, v4.11: removing page-cache entries for truncate and hole punching, and
//! the two invalidations (invalidate_inode_pages2_range for writes that allocated blocks,
//! invalidate_mapping_pages for drop_caches). For a DAX mapping the exceptional entries go
//! to fs/dax.c: truncate deletes them unconditionally (dax_delete_mapping_entry), the
//! invalidations only when they are clean.
//!
//! None of these unmap DAX entries before removing them: truncate and punch hole call
//! unmap_mapping_range() themselves first; the invalidations do not, which is what the two
//! 4.12 fixes ("dax: prevent invalidation of mapped DAX entries", "fix data corruption due
//! to stale mmap reads") change.

use super::filemap::{PAGEVEC_SIZE, delete_from_page_cache, find_get_entries};
use super::zap::page_mapped;
use super::{PAGE_SHIFT, PAGE_SIZE, PageField, unmap_mapping_range};
use crate::dax::{dax_delete_mapping_entry, dax_invalidate_mapping_entry, dax_invalidate_mapping_entry_sync};
use crate::fs::AddressSpace;
use crate::kernel::Errno;
use crate::radix::Item;
use crate::release::Era;
use crate::sim::Cx;
use crate::trace::Func;

/// truncate_pagecache(inode, newsize), called after i_size was lowered: unmap everything
/// beyond the new EOF (private COW copies too), drop the page cache there, and unmap again
/// in case a racing fault mapped something meanwhile.
pub async fn truncate_pagecache(cx: &Cx<'_>, mapping: &AddressSpace, newsize: u64) {
    let _f = cx.enter(Func::TruncatePagecache);
    let holebegin = newsize.next_multiple_of(PAGE_SIZE);
    unmap_mapping_range(cx, holebegin, 0, true).await;
    truncate_inode_pages_range(cx, mapping, newsize, None).await;
    unmap_mapping_range(cx, holebegin, 0, true).await;
}

/// truncate_pagecache_range(inode, lstart, lend) for hole punching: the page-aligned part
/// of [lstart, lend] is unmapped (COW copies stay), then its page cache is dropped.
pub async fn truncate_pagecache_range(cx: &Cx<'_>, mapping: &AddressSpace, lstart: u64, lend: u64) {
    let _f = cx.enter(Func::TruncatePagecacheRange);
    let unmap_start = lstart.next_multiple_of(PAGE_SIZE);
    let unmap_end = ((lend + 1) & !(PAGE_SIZE - 1)).wrapping_sub(1);
    if unmap_end > unmap_start {
        unmap_mapping_range(cx, unmap_start, 1 + unmap_end - unmap_start, false).await;
    }
    truncate_inode_pages_range(cx, mapping, lstart, Some(lend)).await;
}

/// truncate_inode_pages_range(mapping, lstart, lend); `lend` None is the kernel's -1 (to
/// the end of the file). Scenario ranges are page aligned, so there are no partial pages.
///
/// A first pass removes what it can without sleeping on page locks; a second pass goes
/// over the range again until nothing is left in it. Faults cannot refill the range (the
/// caller holds the fault lock exclusively); fsync can hold an entry locked, and
/// dax_delete_mapping_entry() waits for it. The walk reports a multi-order entry
/// at its first index, which may lie before `start`: truncating into the middle of a PMD
/// entry deletes the whole entry.
pub async fn truncate_inode_pages_range(cx: &Cx<'_>, mapping: &AddressSpace, lstart: u64, lend: Option<u64>) {
    if cx.k.era() == Era::XArray {
        return Box::pin(super::pagecache_xa::truncate_inode_pages_range(cx, mapping, lstart, lend)).await;
    }
    let _f = cx.enter(Func::TruncateInodePagesRange);
    cx.sched(std::panic::Location::caller()).await;
    if mapping.nrpages() == 0 && mapping.nrexceptional() == 0 {
        return;
    }
    let start = lstart.div_ceil(PAGE_SIZE);
    let end = lend.map_or(u64::MAX, |l| (l + 1) >> PAGE_SHIFT);
    truncate_without_waiting(cx, mapping, start, end).await;
    truncate_until_empty(cx, mapping, start, end).await;
}

/// The first pass: skip hole pages someone else has locked.
async fn truncate_without_waiting(cx: &Cx<'_>, mapping: &AddressSpace, start: u64, end: u64) {
    let mut index = start;
    while index < end {
        let batch = find_get_entries(cx, mapping, index, PAGEVEC_SIZE.min((end - index) as usize)).await;
        if batch.is_empty() {
            break;
        }
        for (idx, item) in batch {
            index = idx;
            if index >= end {
                break;
            }
            match item {
                Item::Exceptional(_) => truncate_exceptional_entry(cx, mapping, index).await,
                Item::Page(page) => {
                    if !cx.trylock_page(page).await {
                        continue;
                    }
                    truncate_inode_page(cx, mapping, index, page).await;
                    cx.unlock_page(page).await;
                }
            }
        }
        index = index.wrapping_add(1);
    }
}

/// The second pass: wait for page locks, and go over the range again until a lookup from
/// `start` finds nothing left in it.
async fn truncate_until_empty(cx: &Cx<'_>, mapping: &AddressSpace, start: u64, end: u64) {
    let mut index = start;
    loop {
        let batch = find_get_entries(cx, mapping, index, PAGEVEC_SIZE.min(end.wrapping_sub(index) as usize)).await;
        if batch.is_empty() {
            // All gone from `start` onwards? Otherwise restart to make sure.
            if index == start {
                break;
            }
            index = start;
            continue;
        }
        if index == start && batch[0].0 >= end {
            break;
        }
        for (idx, item) in batch {
            index = idx;
            if index >= end {
                // Restart the punch to make sure all is gone.
                index = start.wrapping_sub(1);
                break;
            }
            match item {
                Item::Exceptional(_) => truncate_exceptional_entry(cx, mapping, index).await,
                Item::Page(page) => {
                    cx.lock_page(page).await;
                    truncate_inode_page(cx, mapping, index, page).await;
                    cx.unlock_page(page).await;
                }
            }
        }
        index = index.wrapping_add(1);
    }
}

/// truncate_exceptional_entry(): for DAX, dax_delete_mapping_entry().
async fn truncate_exceptional_entry(cx: &Cx<'_>, mapping: &AddressSpace, index: u64) {
    dax_delete_mapping_entry(cx, mapping, index).await;
}

/// truncate_inode_page() → truncate_complete_page() of a locked hole page.
async fn truncate_inode_page(cx: &Cx<'_>, mapping: &AddressSpace, index: u64, page: u32) {
    if page_mapped(cx, page) {
        unmap_mapping_range(cx, index << PAGE_SHIFT, PAGE_SIZE, false).await;
    }
    if cx.k.pages.get(page, PageField::Mapping, |p| p.mapping) != Some(mapping.addr) {
        return;
    }
    delete_from_page_cache(cx, mapping, index, page).await;
}

/// invalidate_inode_pages2_range(mapping, start, end), as dax_iomap_actor() calls it after
/// a write allocated blocks. Hole pages are unmapped (the first mapped one zaps the whole
/// rest of the range in one go) and dropped. DAX entries go to
/// dax_invalidate_mapping_entry_sync(), which deletes clean ones WITHOUT unmapping them.
pub async fn invalidate_inode_pages2_range(
    cx: &Cx<'_>,
    mapping: &AddressSpace,
    start: u64,
    end: u64,
) -> Result<(), Errno> {
    if cx.k.era() == Era::XArray {
        return Box::pin(super::pagecache_xa::invalidate_inode_pages2_range(cx, mapping, start, end)).await;
    }
    let _f = cx.enter(Func::InvalidateInodePages2Range);
    let mut ret = Ok(());
    let mut did_range_unmap = false;
    let mut index = start;
    while index <= end {
        let nr = (end - index).min(PAGEVEC_SIZE as u64 - 1) as usize + 1;
        let batch = find_get_entries(cx, mapping, index, nr).await;
        if batch.is_empty() {
            break;
        }
        for (idx, item) in batch {
            index = idx;
            if index > end {
                break;
            }
            let page = match item {
                Item::Exceptional(_) => {
                    if !dax_invalidate_mapping_entry_sync(cx, mapping, index).await {
                        ret = Err(Errno::Ebusy);
                    }
                    continue;
                }
                Item::Page(page) => page,
            };
            cx.lock_page(page).await;
            if cx.k.pages.get(page, PageField::Mapping, |p| p.mapping) != Some(mapping.addr) {
                cx.unlock_page(page).await;
                continue;
            }
            if page_mapped(cx, page) {
                let len = if did_range_unmap { PAGE_SIZE } else { (1 + end - index) << PAGE_SHIFT };
                unmap_mapping_range(cx, index << PAGE_SHIFT, len, false).await;
                did_range_unmap = true;
            }
            // invalidate_complete_page2(): hole pages are never dirty.
            delete_from_page_cache(cx, mapping, index, page).await;
            cx.unlock_page(page).await;
        }
        index = index.wrapping_add(1);
    }
    ret
}

/// invalidate_mapping_pages(mapping, start, end): drop what can go without blocking.
/// Mapped or locked hole pages stay; DAX entries go to the non-blocking
/// dax_invalidate_mapping_entry(), which removes a clean, unlocked entry even while page
/// tables still map it. Returns how many hole pages were dropped.
pub async fn invalidate_mapping_pages(cx: &Cx<'_>, mapping: &AddressSpace, start: u64, end: u64) -> u64 {
    let _f = cx.enter(Func::InvalidateMappingPages);
    if cx.k.era() == Era::XArray {
        // invalidate_exceptional_entry(): "for DAX we do nothing", and an XArray-era DAX
        // mapping holds nothing else.
        return 0;
    }
    let mut count = 0;
    let mut index = start;
    while index <= end {
        let nr = (end - index).min(PAGEVEC_SIZE as u64 - 1) as usize + 1;
        let batch = find_get_entries(cx, mapping, index, nr).await;
        if batch.is_empty() {
            break;
        }
        for (idx, item) in batch {
            index = idx;
            if index > end {
                break;
            }
            let page = match item {
                Item::Exceptional(_) => {
                    dax_invalidate_mapping_entry(cx, mapping, index).await;
                    continue;
                }
                Item::Page(page) => page,
            };
            if !cx.trylock_page(page).await {
                continue;
            }
            // invalidate_inode_page(): a mapped page stays.
            if !page_mapped(cx, page) && cx.k.pages.get(page, PageField::Mapping, |p| p.mapping) == Some(mapping.addr) {
                delete_from_page_cache(cx, mapping, index, page).await;
                count += 1;
            }
            cx.unlock_page(page).await;
        }
        index = index.wrapping_add(1);
    }
    count
}
