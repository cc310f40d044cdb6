//! Page-cache gang lookups (mm/filemap.c) as DAX sees them: entries come back with the
//! index of their first slot, exceptional entries without a reference taken.

use super::PageField;
use crate::fs::AddressSpace;
use crate::radix::Item;
use crate::sim::Cx;
use crate::trace::EventKind;
use crate::trace::Func;
use std::panic::Location;

/// include/linux/pagevec.h: how many entries one batch of a page-cache walk holds.
pub const PAGEVEC_SIZE: usize = 14;

/// find_get_entries(mapping, start, nr_entries): up to `nr` entries at or after `start`,
/// each with its index. The walk runs under RCU, not tree_lock: one step that sees the tree
/// as it is at that moment.
pub async fn find_get_entries(cx: &Cx<'_>, mapping: &AddressSpace, start: u64, nr: usize) -> Vec<(u64, Item)> {
    lookup(cx, mapping, start, nr, None, Location::caller()).await
}

/// find_get_entries_tag(mapping, start, tag, nr_entries): the same, for entries carrying
/// `tag`.
pub async fn find_get_entries_tag(
    cx: &Cx<'_>,
    mapping: &AddressSpace,
    start: u64,
    tag: u32,
    nr: usize,
) -> Vec<(u64, Item)> {
    lookup(cx, mapping, start, nr, Some(tag), Location::caller()).await
}

async fn lookup(
    cx: &Cx<'_>,
    mapping: &AddressSpace,
    start: u64,
    nr: usize,
    tag: Option<u32>,
    at: &'static Location<'static>,
) -> Vec<(u64, Item)> {
    cx.sched(at).await;
    let found = mapping.page_tree.with(|t| match tag {
        Some(tag) => t.gang_lookup_tag(start, nr, tag),
        None => t.gang_lookup(start, nr),
    });
    let entries: Vec<(u64, Item)> = found.into_iter().map(|f| (f.first_index, f.item)).collect();
    cx.emit(at, || EventKind::FindEntries {
        start,
        max: nr as u32,
        tag,
        indices: entries.iter().map(|(i, _)| *i).collect(),
    });
    entries
}

/// __delete_from_page_cache(page, NULL) of a hole page, tree_lock held: the slot is
/// emptied (its tags with it) and nrpages drops; page->mapping is cleared, which is how a
/// task that looked the page up before and now holds its lock sees it was truncated.
pub async fn __delete_from_page_cache(cx: &Cx<'_>, mapping: &AddressSpace, index: u64, page: u32) {
    let at = Location::caller();
    cx.sched(at).await;
    mapping.page_tree.with(|t| t.delete(index));
    mapping.add_nrpages(-1);
    cx.k.pages.with(page, PageField::Mapping, |p| p.mapping = None);
    cx.emit(at, || EventKind::PageCacheDelete { index, page });
}

/// delete_from_page_cache(): the same under tree_lock, then the page cache's reference is
/// dropped.
pub async fn delete_from_page_cache(cx: &Cx<'_>, mapping: &AddressSpace, index: u64, page: u32) {
    let _f = cx.enter(Func::DeleteFromPageCache);
    cx.spin_lock_irq(&mapping.tree_lock).await;
    __delete_from_page_cache(cx, mapping, index, page).await;
    cx.spin_unlock_irq(&mapping.tree_lock).await;
    cx.put_page(page);
}
