//! mm/filemap.c, mm/truncate.c and mm/page-writeback.c of the XArray era (v4.20 on) as they
//! treat a DAX mapping, whose `i_pages` holds value entries only (hole pages went away in
//! v4.15): the RCU gang lookup, truncation and invalidation of the entries (fs/dax.c does
//! the work per entry), and the tagging that starts a data-integrity writeback.

use super::{PAGE_SHIFT, PAGEVEC_SIZE, unmap_mapping_range};
use crate::dax_xa::{dax_delete_mapping_entry, dax_invalidate_mapping_entry_sync};
use crate::fs::AddressSpace;
use crate::kernel::Errno;
use crate::release::Fix;
use crate::sim::Cx;
use crate::trace::Func;
use crate::xarray::{Entry, PAGECACHE_TAG_DIRTY, PAGECACHE_TAG_TOWRITE, XaState, xa_is_value};

/// find_get_entries(mapping, start, nr): up to `nr` entries at or after `start`, each with
/// the index the walk was at when it found it (a multi-index entry found from inside its
/// range is reported at that index). An xas_for_each() under RCU, not the xa_lock: each
/// step of the walk sees the array as it is at that moment.
pub async fn find_get_entries(cx: &Cx<'_>, mapping: &AddressSpace, start: u64, nr: usize) -> Vec<(u64, Entry)> {
    let _f = cx.enter(Func::FindGetEntries);
    let root = &mapping.i_pages;
    let mut xas = XaState::new(start);
    let mut out = Vec::new();
    let mut entry = cx.xas_find(root, &mut xas, u64::MAX).await;
    while let Some(e) = entry {
        if !xas.retry(Some(e)) && xa_is_value(Some(e)) {
            out.push((xas.xa_index(), e));
            if out.len() == nr {
                break;
            }
        }
        entry = cx.xas_next_entry(root, &mut xas, u64::MAX).await;
    }
    out
}

/// Whether truncation and invalidation may skip the mapping: through v5.12 they trust the
/// counters (`nrpages == 0 && nrexceptional == 0`), from v5.13 (nrexceptional gone) they
/// ask the array itself (mapping_empty()).
fn mapping_empty(cx: &Cx<'_>, mapping: &AddressSpace) -> bool {
    if !cx.k.has(Fix::DaxNrpages) {
        mapping.nrpages() == 0 && mapping.nrexceptional() == 0
    } else {
        mapping.i_pages.xa.with(|xa| xa.xa_empty())
    }
}

/// truncate_inode_pages_range(mapping, lstart, lend) for a DAX mapping (`lend` None: to
/// the end). A first pass and then passes until a lookup from `start` finds nothing left
/// in the range; each value entry goes to dax_delete_mapping_entry(), which waits for it to
/// be unlocked. The caller holds the fault lock exclusively, so no fault refills the range.
pub async fn truncate_inode_pages_range(cx: &Cx<'_>, mapping: &AddressSpace, lstart: u64, lend: Option<u64>) {
    let _f = cx.enter(Func::TruncateInodePagesRange);
    if mapping_empty(cx, mapping) {
        return;
    }
    let start = lstart.div_ceil(1 << PAGE_SHIFT);
    let end = lend.map_or(u64::MAX, |l| (l + 1) >> PAGE_SHIFT);
    let mut index = start;
    while index < end {
        let batch = find_get_entries(cx, mapping, index, PAGEVEC_SIZE.min((end - index) as usize)).await;
        if batch.is_empty() {
            break;
        }
        index = delete_batch(cx, mapping, &batch, end).await.unwrap_or(end).wrapping_add(1);
    }
    index = start;
    loop {
        let batch = find_get_entries(cx, mapping, index, PAGEVEC_SIZE.min(end.wrapping_sub(index) as usize)).await;
        if batch.is_empty() {
            // All gone from `start` onwards? Otherwise restart to make sure.
            if index == start {
                return;
            }
            index = start;
            continue;
        }
        if index == start && batch[0].0 >= end {
            return;
        }
        index = match delete_batch(cx, mapping, &batch, end).await {
            Some(last) => last.wrapping_add(1),
            // Past the end of the range: restart the punch to make sure all is gone.
            None => start,
        };
    }
}

/// truncate_exceptional_pvec_entries() for DAX: delete each entry of the batch below
/// `end`. Returns the index of the last one looked at, or None if the batch ran past `end`.
async fn delete_batch(cx: &Cx<'_>, mapping: &AddressSpace, batch: &[(u64, Entry)], end: u64) -> Option<u64> {
    let mut last = None;
    for &(index, _) in batch {
        if index >= end {
            return None;
        }
        dax_delete_mapping_entry(cx, mapping, index).await;
        last = Some(index);
    }
    last
}

/// invalidate_inode_pages2_range(mapping, start, end) for a DAX mapping: each clean entry
/// is deleted (dax_invalidate_mapping_entry_sync() waits for a locked one; a dirty one
/// stays, which is -EBUSY), then the range is unmapped from every process — after the
/// entries, since a fault could map an entry again before they were gone.
pub async fn invalidate_inode_pages2_range(
    cx: &Cx<'_>,
    mapping: &AddressSpace,
    start: u64,
    end: u64,
) -> Result<(), Errno> {
    let _f = cx.enter(Func::InvalidateInodePages2Range);
    if mapping_empty(cx, mapping) {
        return Ok(());
    }
    let mut ret = Ok(());
    let mut index = start;
    while index <= end {
        let nr = (end - index).min(PAGEVEC_SIZE as u64 - 1) as usize + 1;
        let batch = find_get_entries(cx, mapping, index, nr).await;
        if batch.is_empty() {
            break;
        }
        for &(idx, _) in &batch {
            index = idx;
            if index > end {
                break;
            }
            if !dax_invalidate_mapping_entry_sync(cx, mapping, index).await {
                ret = Err(Errno::Ebusy);
            }
        }
        index = index.wrapping_add(1);
    }
    // unmap_mapping_pages(mapping, start, end - start + 1): a count of 0 (the whole file)
    // means to the end.
    let len = (end - start).wrapping_add(1).wrapping_shl(PAGE_SHIFT);
    unmap_mapping_range(cx, start << PAGE_SHIFT, len, false).await;
    ret
}

/// tag_pages_for_writeback(): every DIRTY entry in [start, end] also gets TOWRITE, so a
/// data-integrity writeback flushes what was dirty when it began. One xa_lock section (the
/// kernel pauses it every XA_CHECK_SCHED entries, which a model file never reaches).
pub async fn tag_pages_for_writeback(cx: &Cx<'_>, mapping: &AddressSpace, start: u64, end: u64) {
    let _f = cx.enter(Func::TagPagesForWriteback);
    let root = &mapping.i_pages;
    let mut xas = XaState::new(start);
    cx.xa_lock_irq(root).await;
    let mut entry = cx.xas_find_marked(root, &mut xas, end, PAGECACHE_TAG_DIRTY).await;
    while entry.is_some() {
        cx.xas_set_mark(root, &xas, PAGECACHE_TAG_TOWRITE).await;
        entry = cx.xas_next_marked(root, &mut xas, end, PAGECACHE_TAG_DIRTY).await;
    }
    cx.xa_unlock_irq(root).await;
}
